// A container's root filesystem: an overlay mount of the image's layers with a
// per-container upper directory, or, where overlay is unavailable (or
// TSPOD_STORAGE_DRIVER=vfs), a full copy of the layers made once per container
// and bind-mounted at the same place, so callers see one path either way.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MNT_DETACH, MS_BIND, native } from '../native';
import {
  type StoragePaths,
  layerLinksDir,
  rootfsCopyDir,
  rootfsEmptyLowerDir,
  rootfsMountDir,
  rootfsUpperDir,
  rootfsWorkDir,
} from './paths';

const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
// mount(2) data is one page; keep a margin for the upper and work options.
const MOUNT_DATA_MAX = 4000;

/** Decodes the octal escapes (\040 for space, ...) of /proc/self/mountinfo fields. */
const unescapeMountField = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function isMountPoint(dir: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return false;
  }
  const info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => unescapeMountField(line.split(' ')[4] ?? '') === real);
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Mounts the root filesystem of a container over lowerDirs (bottom first) and
 * returns its path. Idempotent: an existing mount is reused.
 */
export function mountRootfs(paths: StoragePaths, containerId: string, lowerDirs: string[], shift?: OwnerShift): string {
  const merged = rootfsMountDir(paths, containerId);
  fs.mkdirSync(merged, { recursive: true });
  if (isMountPoint(merged)) return merged;
  for (const dir of lowerDirs) if (!fs.existsSync(dir)) throw new Error(`layer directory ${dir} is missing`);
  // A container that started on a copy keeps its copy: its changes live there.
  // A container with its own user namespace runs on a copy whose owners went through its id map.
  const useCopy = shift !== undefined || process.env.TSPOD_STORAGE_DRIVER === 'vfs' || fs.existsSync(rootfsCopyDir(paths, containerId));
  if (!useCopy) {
    try {
      mountOverlay(paths, containerId, lowerDirs, merged);
      return merged;
    } catch {
      // overlay unavailable here (kernel, nested overlay, options): fall back to copying
    }
  }
  const copy = buildCopy(paths, containerId, lowerDirs, shift);
  try {
    native().mount(copy, merged, 'none', MS_BIND, null);
    return merged;
  } catch {
    return copy; // no mount privilege: the copy itself is the root filesystem
  }
}

function mountOverlay(paths: StoragePaths, id: string, lowerDirs: string[], merged: string): void {
  const upper = rootfsUpperDir(paths, id);
  const work = rootfsWorkDir(paths, id);
  let lowers = lowerDirs.length > 0 ? [...lowerDirs] : [rootfsEmptyLowerDir(paths, id)];
  if (lowerDirs.length === 0) {
    fs.mkdirSync(lowers[0], { recursive: true });
    fs.chmodSync(lowers[0], 0o755);
  }
  if (!fs.existsSync(upper)) {
    // The merged root shows the upper directory's owner and mode: take the image's.
    fs.mkdirSync(upper, { recursive: true });
    copyMetadata(fs.lstatSync(lowers[lowers.length - 1]), upper);
  }
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  const options = (l: string[]) => `lowerdir=${[...l].reverse().join(':')},upperdir=${upper},workdir=${work}`;
  if (options(lowers).length > MOUNT_DATA_MAX || lowers.some((l) => /[:,]/.test(l))) lowers = lowers.map((l) => shortLayerLink(paths, l));
  native().mount('overlay', merged, 'overlay', 0, options(lowers));
}

/** A short, stable symlink to dir (overlay resolves it at mount time), to fit many layers in one page. */
export function shortLayerLink(paths: StoragePaths, dir: string): string {
  const links = layerLinksDir(paths);
  fs.mkdirSync(links, { recursive: true });
  const link = path.join(links, crypto.createHash('sha256').update(dir).digest('hex').slice(0, 20));
  try {
    fs.symlinkSync(dir, link);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
  return link;
}

/** --rootfs PATH without :O: the directory itself is the root filesystem (bind-mounted where a rootfs goes), as Podman. */
export function bindRootfs(paths: StoragePaths, containerId: string, dir: string): string {
  const merged = rootfsMountDir(paths, containerId);
  fs.mkdirSync(merged, { recursive: true });
  if (!isMountPoint(merged)) native().mount(dir, merged, 'none', MS_BIND, null);
  return merged;
}

export function unmountRootfs(paths: StoragePaths, containerId: string): void {
  const merged = rootfsMountDir(paths, containerId);
  // Loop: a mount can be stacked on another (e.g. two racing starts).
  for (let i = 0; i < 8 && isMountPoint(merged); i++) {
    try {
      native().umount(merged, MNT_DETACH);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINVAL' || code === 'ENOENT') return;
      throw err;
    }
  }
}

/** Unmounts and deletes everything the container's root filesystem used (upper, work, copy). */
export function removeRootfsStorage(paths: StoragePaths, containerId: string): void {
  unmountRootfs(paths, containerId);
  for (const dir of rootfsDataDirs(paths, containerId)) fs.rmSync(dir, { recursive: true, force: true });
  removeRootfsMountDir(paths, containerId);
}

/** removeRootfsStorage without blocking the event loop on the file removal (the API service). */
export async function removeRootfsStorageAsync(paths: StoragePaths, containerId: string): Promise<void> {
  unmountRootfs(paths, containerId);
  await Promise.all(rootfsDataDirs(paths, containerId).map((dir) => fs.promises.rm(dir, { recursive: true, force: true })));
  removeRootfsMountDir(paths, containerId);
}

const rootfsDataDirs = (paths: StoragePaths, containerId: string) => [
  rootfsUpperDir(paths, containerId),
  rootfsWorkDir(paths, containerId),
  rootfsEmptyLowerDir(paths, containerId),
  rootfsCopyDir(paths, containerId),
];

function removeRootfsMountDir(paths: StoragePaths, containerId: string): void {
  try {
    fs.rmdirSync(rootfsMountDir(paths, containerId)); // never recursive: it could still be a mount
  } catch {
    // already gone, or still busy: the bundle's owner cleans up
  }
}

// ---- the copying driver

/** Where an owner of the image goes on disk (a container's id map); undefined keeps it. */
export type OwnerShift = (id: number, kind: 'uid' | 'gid') => number | undefined;

function buildCopy(paths: StoragePaths, id: string, lowerDirs: string[], shift?: OwnerShift): string {
  const dest = rootfsCopyDir(paths, id);
  if (fs.existsSync(dest)) return dest;
  const tmp = `${dest}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(tmp, { recursive: true, mode: 0o755 });
  try {
    for (const layer of lowerDirs) {
      copyLayerDir(layer, tmp, new Map(), shift);
      copyMetadata(fs.lstatSync(layer), tmp, shift); // overlay shows the topmost layer's root
    }
    fs.renameSync(tmp, dest);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return dest;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

const isWhiteout = (st: fs.Stats) => st.isCharacterDevice() && st.rdev === 0;

function removeEntry(p: string, st: fs.Stats | undefined): void {
  if (!st) return;
  if (st.isDirectory()) fs.rmSync(p, { recursive: true, force: true });
  else fs.unlinkSync(p);
}

function copyMetadata(st: fs.Stats, dest: string, shift?: OwnerShift): void {
  fs.lchownSync(dest, shift?.(st.uid, 'uid') ?? st.uid, shift?.(st.gid, 'gid') ?? st.gid);
  if (!st.isSymbolicLink()) fs.chmodSync(dest, st.mode & 0o7777); // dest is what we just created
  fs.lutimesSync(dest, st.atime, st.mtime);
}

function deviceNumbers(file: string): { major: number; minor: number } {
  const rdev = fs.lstatSync(file, { bigint: true }).rdev;
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

/**
 * Applies one layer onto dest as overlayfs would show it: whiteouts delete,
 * opaque directories replace, everything else replaces what is below. dest
 * only ever holds what we created, and every entry is replaced rather than
 * written through, so no symlink in a layer is followed.
 */
function copyLayerDir(src: string, dest: string, links: Map<string, string>, shift?: OwnerShift): void {
  for (const name of fs.readdirSync(src)) {
    const s = path.join(src, name);
    const d = path.join(dest, name);
    const st = fs.lstatSync(s);
    const existing = lstatOrUndefined(d);
    if (isWhiteout(st)) {
      removeEntry(d, existing);
      continue;
    }
    if (st.isDirectory()) {
      const opaque = native().lgetxattr(s, OVERLAY_OPAQUE_XATTR) === 'y';
      if (existing && (opaque || !existing.isDirectory())) removeEntry(d, existing);
      if (!existing || opaque || !existing.isDirectory()) fs.mkdirSync(d, { mode: 0o700 });
      copyLayerDir(s, d, links, shift);
      copyMetadata(st, d, shift);
      continue;
    }
    removeEntry(d, existing);
    const inode = `${st.dev}:${st.ino}`;
    const linked = st.nlink > 1 ? links.get(inode) : undefined;
    if (linked) {
      fs.linkSync(linked, d);
      continue;
    }
    if (st.isFile()) fs.copyFileSync(s, d, fs.constants.COPYFILE_EXCL);
    else if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
    else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      const { major, minor } = deviceNumbers(s);
      native().mknod(d, st.mode, major, minor);
    } else continue; // sockets are not image content
    if (st.nlink > 1) links.set(inode, d);
    copyMetadata(st, d, shift);
  }
}
