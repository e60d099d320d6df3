// The service on another machine, through the system's OpenSSH client: one
// `ssh -N -L LOCAL:REMOTE` per command forwards a private local socket (in a
// 0700 temporary directory) to the service's unix socket there; HTTP, hijacked
// attach and exec streams all go through it. Host keys are checked against
// known_hosts (unknown hosts are refused, never added); nothing is asked
// (BatchMode). The ssh process and the directory go when this process exits.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { EngineError } from '../errors';
import type { SshAddress } from './connection';

const READY_TIMEOUT_MS = 20_000;

/** ssh's arguments for the tunnel (exported for the tests). */
export function sshArgs(a: SshAddress, localSocket: string, identity: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'ExitOnForwardFailure=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15'];
  // known_hosts elsewhere than ~/.ssh (ssh finds ~ in the password database, not in $HOME)
  if (env.TSPOD_SSH_KNOWN_HOSTS) args.push('-o', `UserKnownHostsFile=${env.TSPOD_SSH_KNOWN_HOSTS}`);
  if (identity) args.push('-i', identity, '-o', 'IdentitiesOnly=yes');
  args.push('-N', '-T', '-p', String(a.port), '-L', `${localSocket}:${a.path}`, '-l', a.user, '--', a.host);
  return args;
}

function answers(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: sock });
    s.once('connect', () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts the tunnel; resolves with the local socket once ssh has logged in and listens. */
export async function openTunnel(a: SshAddress, identity: string | undefined): Promise<string> {
  if (identity !== undefined) {
    try {
      fs.accessSync(identity, fs.constants.R_OK);
    } catch {
      throw new EngineError('invalid-argument', `identity file ${identity}: no such file or not readable: invalid argument`);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-ssh-'));
  const local = path.join(dir, 'service.sock');
  const child = spawn('ssh', sshArgs(a, local, identity), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString('utf8');
  });
  const cleanup = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  // the tunnel must not keep the command alive once it is done
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  const where = `${a.user}@${a.host}:${a.port}`;
  const failed = (why: string) => {
    cleanup();
    process.removeListener('exit', cleanup);
    return new EngineError('internal', `unable to connect to tspod socket: ssh ${where}: ${why}`);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (fs.existsSync(local) && (await answers(local))) return local;
    const r = await Promise.race([exited.then(() => 'exit' as const), spawnError, new Promise((res) => setTimeout(res, 25)).then(() => 'wait' as const)]);
    if (r instanceof Error) throw failed((r as NodeJS.ErrnoException).code === 'ENOENT' ? 'the ssh client is not installed (Debian: openssh-client)' : r.message);
    if (r === 'exit') {
      const last = stderr.trim().split('\n').filter(Boolean).pop();
      throw failed(last ?? `ssh exited with ${child.exitCode ?? child.signalCode}`);
    }
    if (Date.now() > deadline) throw failed(`no tunnel after ${READY_TIMEOUT_MS / 1000} s`);
  }
}
