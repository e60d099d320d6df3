// A private tspod installation for one test file: its own --root and --runroot,
// the test images imported, and a cleanup that removes every container, mount
// and monitor it started, even when the tests failed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const TSPOD_JS = path.join(REPO, 'dist', 'tspod.js');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'out');
/** How users start tspod (dist/tspod): from the start-up snapshot when the build made one. */
const TSPOD_BLOB = path.join(REPO, 'dist', 'tspod.blob');
export const TSPOD_ARGV = fs.existsSync(TSPOD_BLOB) ? [process.execPath, '--snapshot-blob', TSPOD_BLOB, '--'] : [process.execPath, TSPOD_JS];

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class TspodEnv {
  readonly dir: string;
  readonly root: string;
  readonly runroot: string;

  constructor(name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `tspod-${name}-`));
    this.root = path.join(this.dir, 'root');
    this.runroot = path.join(this.dir, 'run');
  }

  /** argv for a tspod process with this env's storage */
  argv(args: string[]): string[] {
    return [...TSPOD_ARGV, '--root', this.root, '--runroot', this.runroot, ...args];
  }

  run(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Result {
    const [node, ...rest] = this.argv(args);
    const r = spawnSync(node, rest, {
      input: opts.input,
      env: opts.env ?? cleanEnv(),
      encoding: 'utf8',
      timeout: opts.timeout ?? 60_000,
    });
    return { code: r.status ?? 128 + 9, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Like run, but fails the test with the output when the exit code is not 0. */
  ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`tspod ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  spawn(args: string[], opts: SpawnOptions = {}) {
    const [node, ...rest] = this.argv(args);
    return spawn(node, rest, { env: cleanEnv(), ...opts });
  }

  importTestImages(): void {
    this.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/busybox', '--change', 'CMD ["sh"]']);
    this.ok(['import', path.join(FIXTURES, 'echo-rootfs.tar'), 'localhost/echo', '--change', 'ENTRYPOINT ["/usr/local/bin/echo-server"]']);
  }

  /** Removes containers, unmounts what is left under the env, kills leftover monitors, deletes the files. */
  cleanup(): void {
    this.run(['rm', '-af', '-t', '0'], { timeout: 30_000 });
    try {
      const db = JSON.parse(fs.readFileSync(path.join(this.root, 'db.json'), 'utf8')) as {
        containers: Record<string, { state: { pid: number; conmonPid: number; listenerPid?: number } }>;
      };
      for (const c of Object.values(db.containers))
        for (const pid of [c.state.pid, c.state.conmonPid, c.state.listenerPid ?? 0])
          if (pid > 0)
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone */
            }
    } catch {
      /* no db */
    }
    const mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m) => m && m.startsWith(this.dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    // A monitor's exit command may still be finishing: retry while it lets go.
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

/** The environment tests give tspod: no activation variables, no CA bundle to parse. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value or the time is up. */
export async function until<T>(fn: () => T, timeoutMs = 10_000, stepMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}
