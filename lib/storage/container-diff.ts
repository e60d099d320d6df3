// A container's changes as an OCI layer tar (commit, build): the overlay upper
// directory with overlayfs's whiteouts (0/0 character devices, the opaque
// xattr) turned back into `.wh.` entries, or, for the copying driver, the
// difference between the container's copy and the image's layers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import { native } from '../native';
import { type StoragePaths, rootfsCopyDir, rootfsUpperDir } from './paths';

const OPAQUE_XATTR = 'trusted.overlay.opaque';
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

const isWhiteout = (st: fs.Stats) => st.isCharacterDevice() && st.rdev === 0;

/** One entry of a tar to write: a host file archived under name, or a whiteout (an empty file). */
export type DiffEntry = { name: string; host: string; st: fs.Stats } | { name: string; whiteout: true };

/** Owner and permissions that replace the files' own (COPY --chown, --chmod). */
export interface EntryOverride {
  uid?: number;
  gid?: number;
  mode?: number;
}

function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  return {
    devmajor: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
    devminor: (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff),
  };
}

function addEntry(pack: tar.Pack, header: Partial<tar.Header>, file?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    // An empty regular file (a whiteout) is given its (empty) content: the entry ends at once.
    if (file === undefined && header.type === 'file') {
      pack.entry(header as tar.Header, Buffer.alloc(0), done);
      return;
    }
    const entry = pack.entry(header as tar.Header, done);
    if (file !== undefined) {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const body = fs.createReadStream('', { fd });
      body.on('error', (e) => {
        entry.destroy(e);
        reject(e);
      });
      body.pipe(entry as unknown as NodeJS.WritableStream);
    }
  });
}

/** Writes the entries, in order, as a tar to outFile. */
async function writeTar(entries: DiffEntry[], outFile: string): Promise<void> {
  const pack = (require('tar-stream') as typeof tar).pack();
  const out = fs.createWriteStream(outFile, { mode: 0o600 });
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
    pack.on('error', reject);
  });
  (pack as unknown as Readable).pipe(out);
  await packEntries(pack, entries);
  await done;
}

/** A tar stream of the entries, in order (files read as they are then). */
export function entriesTar(entries: DiffEntry[], override: EntryOverride = {}): Readable {
  const pack = (require('tar-stream') as typeof tar).pack();
  packEntries(pack, entries, override).catch(() => {}); // the error reaches the stream's reader
  return pack as unknown as Readable;
}

async function packEntries(pack: tar.Pack, entries: DiffEntry[], override: EntryOverride = {}): Promise<void> {
  const links = new Map<string, string>();
  try {
    for (const e of entries) {
      if ('whiteout' in e) {
        await addEntry(pack, { name: e.name, type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
        continue;
      }
      const s = e.st;
      const common = { name: e.name, mode: override.mode ?? s.mode & 0o7777, uid: override.uid ?? s.uid, gid: override.gid ?? s.gid, mtime: s.mtime };
      if (s.isDirectory()) await addEntry(pack, { ...common, type: 'directory' });
      else if (s.isSymbolicLink()) await addEntry(pack, { ...common, type: 'symlink', linkname: fs.readlinkSync(e.host) });
      else if (s.isFile()) {
        const inode = `${s.dev}:${s.ino}`;
        const first = s.nlink > 1 ? links.get(inode) : undefined;
        if (first !== undefined) await addEntry(pack, { ...common, type: 'link', linkname: first, size: 0 });
        else {
          if (s.nlink > 1) links.set(inode, e.name);
          await addEntry(pack, { ...common, type: 'file', size: s.size }, e.host);
        }
      } else if (s.isFIFO()) await addEntry(pack, { ...common, type: 'fifo' });
      else if (s.isCharacterDevice() || s.isBlockDevice())
        await addEntry(pack, { ...common, type: s.isCharacterDevice() ? 'character-device' : 'block-device', ...deviceNumbers(s.rdev) });
      // sockets are not image content
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  }
}

/** The overlay upper directory's entries, whiteouts translated. */
function upperEntries(upper: string): DiffEntry[] {
  const entries: DiffEntry[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const host = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(host);
      if (isWhiteout(st)) {
        entries.push({ name: rel ? `${rel}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`, whiteout: true });
        continue;
      }
      entries.push({ name: r, host, st });
      if (st.isDirectory()) {
        if (native().lgetxattr(host, OPAQUE_XATTR) === 'y') entries.push({ name: `${r}/${OPAQUE_MARKER}`, whiteout: true });
        walk(host, r);
      }
    }
  };
  if (fs.existsSync(upper)) walk(upper, '');
  return entries;
}

/** The merged view of layer directories (bottom first): relative path -> host path and stat. */
function mergedLayers(lowerDirs: string[]): Map<string, { host: string; st: fs.Stats }> {
  const merged = new Map<string, { host: string; st: fs.Stats }>();
  const dropBelow = (rel: string) => {
    for (const k of [...merged.keys()]) if (k.startsWith(`${rel}/`)) merged.delete(k);
  };
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir)) {
      const host = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(host);
      if (isWhiteout(st)) {
        merged.delete(r);
        dropBelow(r);
        continue;
      }
      const below = merged.get(r);
      if (below && (!st.isDirectory() || !below.st.isDirectory() || native().lgetxattr(host, OPAQUE_XATTR) === 'y')) dropBelow(r);
      merged.set(r, { host, st });
      if (st.isDirectory()) walk(host, r);
    }
  };
  for (const l of lowerDirs) walk(l, '');
  return merged;
}

function sameEntry(a: fs.Stats, b: fs.Stats, aHost: string, bHost: string): boolean {
  if ((a.mode & 0o177777) !== (b.mode & 0o177777) || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.isDirectory()) return true; // a directory's own mtime changes with its content: its children decide
  if (a.isSymbolicLink()) return fs.readlinkSync(aHost) === fs.readlinkSync(bHost);
  if (a.isCharacterDevice() || a.isBlockDevice()) return a.rdev === b.rdev;
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** The copying driver: what differs between the container's copy and its image's layers. */
function copyEntries(copy: string, lowerDirs: string[]): DiffEntry[] {
  const lower = mergedLayers(lowerDirs);
  const children = new Map<string, string[]>();
  for (const rel of lower.keys()) {
    const parent = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    children.set(parent, [...(children.get(parent) ?? []), path.posix.basename(rel)]);
  }
  const walk = (dir: string, rel: string): DiffEntry[] => {
    const out: DiffEntry[] = [];
    const present = new Set(fs.readdirSync(dir));
    for (const gone of (children.get(rel) ?? []).filter((n) => !present.has(n)).sort())
      out.push({ name: rel ? `${rel}/${WHITEOUT_PREFIX}${gone}` : `${WHITEOUT_PREFIX}${gone}`, whiteout: true });
    for (const name of [...present].sort()) {
      const host = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(host);
      const before = lower.get(r);
      const changed = !before || !sameEntry(st, before.st, host, before.host) || st.isDirectory() !== before.st.isDirectory();
      if (!st.isDirectory()) {
        if (changed) out.push({ name: r, host, st });
        continue;
      }
      if (before && !before.st.isDirectory()) {
        out.push({ name: r, host, st }, ...walkAll(host, r));
        continue;
      }
      const inner = before ? walk(host, r) : walkAll(host, r);
      if (changed || inner.length > 0) out.push({ name: r, host, st }, ...inner); // a changed child needs its directory's entry
    }
    return out;
  };
  const walkAll = (dir: string, rel: string): DiffEntry[] =>
    fs
      .readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const host = path.join(dir, name);
        const st = fs.lstatSync(host);
        const e: DiffEntry = { name: `${rel}/${name}`, host, st };
        return st.isDirectory() ? [e, ...walkAll(host, e.name)] : [e];
      });
  return walk(copy, '');
}

// Empty files the runtime creates as mount targets for the engine's bind mounts
// (when the image has none): not changes of the container's own.
const MOUNT_TARGETS = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'run/.containerenv'];

/** Whether a layer has rel (two components; the first must be a real directory: nothing is followed). */
function inLayer(layer: string, rel: string): boolean {
  const [dir] = rel.split('/');
  return !!fs.lstatSync(path.join(layer, dir), { throwIfNoEntry: false })?.isDirectory() && !!fs.lstatSync(path.join(layer, rel), { throwIfNoEntry: false });
}

// Directories the runtime touches for every container (mount points, /run/.containerenv):
// their own entry is not a change, as in Podman's diff; what is below them still counts.
const RUNTIME_DIRS = ['dev', 'proc', 'sys', 'run'];

function withoutMountTargets(entries: DiffEntry[], lowerDirs: string[]): DiffEntry[] {
  return entries.filter(
    (e) =>
      !('st' in e && MOUNT_TARGETS.includes(e.name) && e.st.isFile() && e.st.size === 0 && !lowerDirs.some((l) => inLayer(l, e.name))) &&
      !('st' in e && RUNTIME_DIRS.includes(e.name) && e.st.isDirectory()),
  );
}

function changedEntries(paths: StoragePaths, containerId: string, lowerDirs: string[]): DiffEntry[] {
  const copy = rootfsCopyDir(paths, containerId);
  const entries = fs.existsSync(copy) ? copyEntries(copy, lowerDirs) : upperEntries(rootfsUpperDir(paths, containerId));
  return withoutMountTargets(entries, lowerDirs);
}

/**
 * Writes the container's changes over its image's layers (lowerDirs, bottom
 * first) to outFile as a layer tar. The container must not be running (or be
 * paused): its files are read as they are.
 */
export async function writeContainerDiff(paths: StoragePaths, containerId: string, lowerDirs: string[], outFile: string): Promise<void> {
  await writeTar(changedEntries(paths, containerId, lowerDirs), outFile);
}

export interface Change {
  /** A added, C changed, D deleted (Podman's `diff` letters) */
  kind: 'A' | 'C' | 'D';
  path: string;
}

/** The container's changes over its image's layers, as `diff` lists them (sorted by path). */
export function containerChanges(paths: StoragePaths, containerId: string, lowerDirs: string[]): Change[] {
  const entries = changedEntries(paths, containerId, lowerDirs);
  const lower = mergedLayers(lowerDirs);
  const changes: Change[] = [];
  for (const e of entries) {
    const base = path.posix.basename(e.name);
    if ('whiteout' in e) {
      if (base === OPAQUE_MARKER) continue;
      const dir = path.posix.dirname(e.name);
      changes.push({ kind: 'D', path: `/${dir === '.' ? '' : `${dir}/`}${base.slice(WHITEOUT_PREFIX.length)}` });
    } else if (e.name === 'etc/mtab' && !lower.has(e.name)) continue; // the link tspod adds at start, which Podman's diff leaves out too
    else changes.push({ kind: lower.has(e.name) ? 'C' : 'A', path: `/${e.name}` });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
