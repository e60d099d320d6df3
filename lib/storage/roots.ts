// The store root and the run root are reachable by their owner only (as
// Podman's graph root): below them are setuid binaries of images, layer
// directories that are world-writable inside an image, volume data and live
// root filesystems. Everything else is created inside these two directories,
// so their mode alone keeps other users out.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoragePaths } from './paths';

export const PRIVATE_DIR_MODE = 0o700;
const SEARCH_ONLY_DIR_MODE = 0o711;
/** What tspod makes in a store or run root (lib/storage/paths.ts). */
const STORE_ENTRIES = new Set(['db.json', 'db.lock', 'layers', 'containers', 'exits', 'events', 'runtime', 'runtime-probe.json', 'tspod.sock']);
/** Bits that must stay clear on a root. Search alone (0710, 0711) is tolerated:
 * an admin may give a group the way to a 0660 API socket in the run root, and a
 * container whose own user namespace leaves tspod's user out is given the way
 * (never a listing) to its own root filesystem (lib/container/idmap.ts). */
const TOO_OPEN = 0o066;

/**
 * Creates the roots 0700, or closes roots an older tspod created 0755. One
 * stat per root and per command (a readdir more, once, for a root to close);
 * nothing below the roots is walked.
 */
export function ensurePrivateRoots(paths: StoragePaths): void {
  for (const dir of [paths.root, paths.runroot]) ensurePrivateDir(dir);
}

export function ensurePrivateDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Missing parents (~/.local/share for a user's default store) are made 0711, as Podman does:
    // never listable, but passable by the root of a container whose own user namespace
    // leaves the user out (--userns=auto), to reach its root filesystem in the store.
    const missing: string[] = [];
    for (let d = path.dirname(dir); d !== path.dirname(d) && !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      try {
        fs.mkdirSync(d, { mode: SEARCH_ONLY_DIR_MODE });
        fs.chmodSync(d, SEARCH_ONLY_DIR_MODE); // whatever the umask
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // made meanwhile: left as it is
      }
    }
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    return;
  }
  if ((st.mode & TOO_OPEN) === 0 || st.uid !== process.getuid?.()) return;
  // Never close a directory that is not ours (--root /tmp, a home): only an
  // empty one or a store that an older tspod left open.
  const entries = fs.readdirSync(dir).filter((e) => e !== 'lost+found'); // a fresh filesystem is empty
  if (entries.length > 0 && !entries.some((e) => STORE_ENTRIES.has(e))) {
    process.stderr.write(`WARN: ${dir} is open to other users and is not a tspod store: its mode is left as it is; use a private directory\n`);
    return;
  }
  try {
    fs.chmodSync(dir, PRIVATE_DIR_MODE);
  } catch {
    // a read-only store: nothing can be planted there, and reads must go on
  }
}
