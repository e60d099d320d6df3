// The pause process (Podman's name for it): a `sleep infinity` that holds the
// user's namespace (and the mount namespace where root filesystems are
// mounted) for as long as the user has anything in it. Every tspod command of
// the user joins it with nsenter(1), so a container created by one command is
// reachable by the next (exec's setns, start's mounts). It is made once, under
// a lock, and found again through $XDG_RUNTIME_DIR/tspod/pause.pid, checked
// against /proc (alive, ours, in a namespace that maps 0 to us) before use.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { native } from '../native';
import { ensurePrivateDir } from '../storage/roots';
import { EngineError } from '../errors';
import { sleepSync } from '../sleep-sync';

const UNSHARE = '/usr/bin/unshare';
const PAUSE_COMMAND = ['/bin/sleep', 'infinity'];

/** The pid of the user's pause process, started when there is none. */
export function pauseProcess(runtimeDir: string, uid: number, unshareArgs: string[]): number {
  const dir = path.join(runtimeDir, 'tspod');
  ensurePrivateDir(dir);
  const pidFile = path.join(dir, 'pause.pid');
  const lockFd = fs.openSync(path.join(dir, 'pause.lock'), 'a', 0o600);
  try {
    native().flock(lockFd, true, false);
    const known = readPid(pidFile);
    if (known !== undefined && isOurPause(known, uid)) return known;
    const child = spawn(UNSHARE, [...unshareArgs, '--', ...PAUSE_COMMAND], { detached: true, stdio: 'ignore', cwd: '/' });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new EngineError('internal', 'cannot start the rootless pause process (unshare)');
    // unshare execs sleep only once newuidmap/newgidmap have written the maps (bounded wait).
    for (let i = 0; i < 1000 && !isOurPause(pid, uid); i++) sleepSync(5); // 5 s at most
    if (!isOurPause(pid, uid))
      throw new EngineError('internal', 'cannot set up the user namespace: newuidmap/newgidmap failed (check /etc/subuid and /etc/subgid for your user)');
    fs.writeFileSync(`${pidFile}.tmp`, `${pid}\n`, { mode: 0o600 });
    fs.renameSync(`${pidFile}.tmp`, pidFile);
    return pid;
  } finally {
    fs.closeSync(lockFd);
  }
}

function readPid(file: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Alive, owned by uid, running sleep, in a user namespace whose 0 is uid. */
function isOurPause(pid: number, uid: number): boolean {
  try {
    if (fs.statSync(`/proc/${pid}`).uid !== uid) return false;
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sleep') return false;
    const map = fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8');
    return map.split('\n').some((l) => {
      const [inner, outer] = l.trim().split(/\s+/).map(Number);
      return inner === 0 && outer === uid;
    });
  } catch {
    return false;
  }
}
