// A `tspod system service` on a unix socket for one test file: started with the
// file's private store, waited for until it answers, stopped by pid at the end.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { type TspodEnv, cleanEnv, sleep } from './tspod-env';

/** Whether something accepts connections on the unix socket. */
export function socketAnswers(sock: string): Promise<boolean> {
  return new Promise<boolean>((r) => {
    const s = net.connect({ path: sock });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

/** Whether something accepts connections on the loopback tcp port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

export class ApiService {
  private child: ChildProcess | undefined;

  constructor(
    private readonly env: TspodEnv,
    readonly sock: string,
    /** added to the service's environment */
    private readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the service without an idle timeout and waits (bounded) until it answers. */
  async start(): Promise<void> {
    this.child = this.env.spawn(['system', 'service', '-t', '0', `unix://${this.sock}`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...cleanEnv(), ...this.extraEnv } });
    for (let i = 0; i < 200 && !(fs.existsSync(this.sock) && (await socketAnswers(this.sock))); i++) await sleep(50);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    const svc = this.child;
    if (!svc?.pid || svc.exitCode !== null) return;
    const done = new Promise((r) => svc.once('exit', r));
    process.kill(svc.pid, 'SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (svc.exitCode === null && svc.signalCode === null)
      try {
        process.kill(svc.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
  }
}

/** One request with curl over the unix socket: the status and the body (JSON bodies as Content-Type application/json). */
export function curlUnix(sock: string, method: string, url: string, body?: string): { status: number; body: string } {
  const args = ['-s', '--unix-socket', sock, '-X', method, '-o', '-', '-w', '\n%{http_code}', url];
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', body);
  const r = spawnSync('curl', args, { encoding: 'utf8', timeout: 60_000 });
  const nl = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
}
