// The user's run-time directory, as Podman finds it: $XDG_RUNTIME_DIR, else
// /run/user/UID when it is the user's own, else a private directory under
// $TMPDIR (with a warning: files there do not go away at logout).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostUid } from './identity';

let warned = false;

export function userRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return env.XDG_RUNTIME_DIR;
  const uid = hostUid();
  const systemd = `/run/user/${uid}`;
  if (ownedPrivateDir(systemd, uid)) return systemd;
  const fallback = path.join(env.TMPDIR || os.tmpdir(), `tspod-run-${uid}`);
  try {
    fs.mkdirSync(fallback, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // A directory someone else planted in /tmp is never used.
  if (!ownedPrivateDir(fallback, uid, true)) throw new Error(`${fallback} is not a private directory of uid ${uid}: set XDG_RUNTIME_DIR`);
  if (!warned) {
    warned = true;
    process.stderr.write(`WARN: XDG_RUNTIME_DIR is not set: using ${fallback} for run-time files\n`);
  }
  return fallback;
}

function ownedPrivateDir(dir: string, uid: number, mustBePrivate = false): boolean {
  try {
    const st = fs.lstatSync(dir);
    // Inside the user namespace the user's files show as owned by 0.
    const owner = (process.getuid?.() ?? 0) === 0 && uid !== 0 ? 0 : uid;
    return st.isDirectory() && st.uid === owner && (!mustBePrivate || (st.mode & 0o077) === 0);
  } catch {
    return false;
  }
}
