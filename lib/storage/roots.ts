// The store root and the run root are reachable by their owner only (as
// Podman's graph root): below them are setuid binaries of images, layer
// directories that are world-writable inside an image, volume data and live
// root filesystems. Everything else is created inside these two directories,
// so their mode alone keeps other users out.
import * as fs from 'node:fs';
import type { StoragePaths } from './paths';

export const PRIVATE_DIR_MODE = 0o700;
/** What tspod makes in a store or run root (lib/storage/paths.ts). */
const STORE_ENTRIES = new Set(['db.json', 'db.lock', 'layers', 'containers', 'exits', 'events', 'runtime', 'runtime-probe.json', 'tspod.sock']);
/** Bits that must stay clear on a root. Group search alone (0710) is tolerated:
 * an admin may give a group the way to a 0660 API socket in the run root. */
const TOO_OPEN = 0o067;

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
    // recursive: missing parents are private too (they are ours when the root is new)
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
