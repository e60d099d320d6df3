// The store root and the run root are reachable by their owner only (as
// Podman's graph root): below them are setuid binaries of images, layer
// directories that are world-writable inside an image, volume data and live
// root filesystems. Everything else is created inside these two directories,
// so their mode alone keeps other users out.
import * as fs from 'node:fs';
import type { StoragePaths } from './paths';

export const PRIVATE_DIR_MODE = 0o700;
/** Bits that must stay clear on a root. Group search alone (0710) is tolerated:
 * an admin may give a group the way to a 0660 API socket in the run root. */
const TOO_OPEN = 0o067;

/**
 * Creates the roots 0700, or closes roots an older tspod created 0755. One
 * stat per root and per command; nothing below the roots is walked.
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
    // recursive: missing parents are private too (they are ours when the root is new)
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    return;
  }
  if ((st.mode & TOO_OPEN) === 0 || st.uid !== process.getuid?.()) return;
  try {
    fs.chmodSync(dir, PRIVATE_DIR_MODE);
  } catch {
    // a read-only store: nothing can be planted there, and reads must go on
  }
}
