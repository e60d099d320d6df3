// A real ordinary user for rootless tests: made with useradd (home, login
// shell), with a subordinate uid/gid range, an XDG_RUNTIME_DIR of its own
// (0700), and removed with everything it left (processes, files, id ranges).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TSPOD_ARGV } from './tspod-env';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  runtimeDir: string;
  /** The user's subordinate range (undefined when made without one). */
  subuid?: { start: number; count: number };
}

export interface UserResult {
  code: number;
  stdout: string;
  stderr: string;
}

function idRanges(file: string): Array<{ name: string; start: number; count: number }> {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f.length === 3)
      .map(([name, start, count]) => ({ name, start: Number(start), count: Number(count) }));
  } catch {
    return [];
  }
}

function dropRanges(name: string, uid: number): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    if (!fs.existsSync(file)) continue;
    const kept = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith(`${name}:`) && !l.startsWith(`${uid}:`));
    fs.writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
  }
}

/** Creates the user; withRange false leaves it without subordinate ids. */
export function createTestUser(prefix: string, withRange = true): TestUser {
  const name = `${prefix}${process.pid % 100000}`.slice(0, 30);
  const add = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`useradd ${name}: ${add.stderr}`);
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  const home = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.trim().split(':')[5];
  if (!home || !path.isAbsolute(home)) throw new Error(`no home for ${name}`);
  // Our own range, after every range already given (useradd may have added one: replaced).
  dropRanges(name, uid);
  let subuid: TestUser['subuid'];
  if (withRange) {
    const taken = [...idRanges('/etc/subuid'), ...idRanges('/etc/subgid')];
    const start = Math.max(200000, ...taken.map((r) => r.start + r.count));
    subuid = { start, count: 65536 };
    fs.appendFileSync('/etc/subuid', `${name}:${start}:65536\n`);
    fs.appendFileSync('/etc/subgid', `${name}:${start}:65536\n`);
  }
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), `xdg-${name}-`));
  fs.chownSync(runtimeDir, uid, gid);
  fs.chmodSync(runtimeDir, 0o700);
  return { name, uid, gid, home, runtimeDir, subuid };
}

/** The user's processes (pids), from /proc. */
export function userPids(user: TestUser): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.statSync(`/proc/${d}`).uid === user.uid) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Kills what the user still runs (by pid: all of them were started by the test), then removes the user and its files. */
export function removeTestUser(user: TestUser): void {
  for (let round = 0; round < 20; round++) {
    const pids = userPids(user);
    if (pids.length === 0) break;
    for (const pid of pids)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    spawnSync('sleep', ['0.1']);
  }
  // Mounts the user's namespaces made are gone with them; files in the store are owned by subordinate ids: root removes them.
  spawnSync('userdel', ['--remove', user.name], { encoding: 'utf8' });
  dropRanges(user.name, user.uid);
  if (user.home.startsWith('/home/')) fs.rmSync(user.home, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  fs.rmSync(user.runtimeDir, { recursive: true, force: true });
}

/** The environment a user's tspod gets (runuser keeps what is passed through env(1)). */
export function userEnv(user: TestUser, extra: Record<string, string> = {}): string[] {
  return ['env', '-i', `HOME=${user.home}`, `USER=${user.name}`, `PATH=${process.env.PATH}`, `XDG_RUNTIME_DIR=${user.runtimeDir}`, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
}

/** Runs tspod (default store and run root: the user's) as the user. */
export function tspodAsUser(user: TestUser, args: string[], opts: { timeout?: number; extraEnv?: Record<string, string> } = {}): UserResult {
  const r = spawnSync('runuser', ['-u', user.name, '--', ...userEnv(user, opts.extraEnv), ...TSPOD_ARGV, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    cwd: '/',
  });
  return { code: r.status ?? 128 + 9, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
