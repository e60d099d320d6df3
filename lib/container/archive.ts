// Copying files in and out of a container's root filesystem (`cp`, the
// archive endpoints): stat a path, tar a path, extract a tar into a directory.
// Running or stopped: a stopped container's rootfs is mounted for the
// operation and released afterwards. Every path goes through the in-root
// resolver (lib/storage/in-root.ts): resolved by the kernel inside the rootfs,
// then worked on through held fds, so a container racing tspod with symlinks
// never makes it read or write a host file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as tar from 'tar-stream';
import type { LocalEngine } from './engine';
import { EngineError } from '../errors';
import { unmountRootfs } from '../storage/rootfs';
import type { ContainerRecord } from '../storage/records';
import { normalizeDestination } from '../volume/mounts';
import { mountVolumeDevice, volumeMountpoint, volumesOf } from '../volume/volumes';
import { readTarEntries } from '../storage/layer';
import { native, O_PATH, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS } from '../native';
import { chmodHeld, closeFd, fdPath, InRoot, openEntry, openEntryIfExists, readdirFd, readlinkHeld, removeEntry, reopen, withFd } from '../storage/in-root';

/** Docker's container path stat (X-Docker-Container-Path-Stat). `mode` is a Go os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
  /** tspod's addition: a symlink that leads nowhere in the container as the engine resolves it (cp makes its target) */
  linkDangling?: boolean;
}

export const noSuchPath = (p: string, ctr: string) => new EngineError('no-such-object', `Could not find the file ${p} in container ${ctr}`);

/** Go's os.FileMode bits for a stat's type and permissions. */
export function goFileMode(st: fs.Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23;
  if (st.mode & 0o2000) m |= 1 << 22;
  if (st.mode & 0o1000) m |= 1 << 20;
  if (st.isDirectory()) m |= 1 << 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isBlockDevice()) m |= 1 << 26;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  return m >>> 0;
}

export interface RootfsLease {
  root: string;
  release(): void;
}

/** Leases held by this process on stopped containers' mounts (concurrent copies share one mount). */
const leases = new Map<string, number>();

/** The container's root filesystem, mounted for as long as the lease is held. */
export function leaseRootfs(engine: LocalEngine, idOrName: string): RootfsLease {
  const rec = engine.get(idOrName);
  const root = engine.mountRoot(rec);
  const wasRunning = rec.state.status === 'running';
  if (!wasRunning) leases.set(rec.id, (leases.get(rec.id) ?? 0) + 1);
  let released = false;
  return {
    root,
    release() {
      if (released || wasRunning) return;
      released = true;
      const left = (leases.get(rec.id) ?? 1) - 1;
      if (left > 0) {
        leases.set(rec.id, left);
        return;
      }
      leases.delete(rec.id);
      try {
        // Started meanwhile: the run owns the mount now.
        const cur = engine.get(rec.id);
        if (cur.state.status !== 'running' && !cur.state.userMounts) unmountRootfs(engine.paths, rec.id);
      } catch {
        /* removed meanwhile */
      }
    },
  };
}

/**
 * Where a container path is copied from or to: a root held open and the path
 * inside it, as the container sees it. A running container is reached through
 * its own mount namespace (/proc/PID/root: its tmpfs, volume and bind mounts
 * included); a stopped one through its mounted rootfs, or, when the path is on
 * a volume or bind mount, through that mount's host directory (as Podman does).
 * Either way every step resolves inside that root with the kernel.
 */
export interface CopyView {
  root: InRoot;
  /** the container path, as a path inside root */
  path: string;
  /** the container path of a held fd inside root */
  containerPathOf(fd: number): string;
  release(): void;
}

export function openCopyView(engine: LocalEngine, idOrName: string, containerPath: string): CopyView {
  if (containerPath.includes('\0')) throw new EngineError('invalid-argument', `invalid path ${JSON.stringify(containerPath)}`);
  const rec = engine.get(idOrName);
  const live = liveRoot(engine, rec);
  if (live) return { root: live, path: containerPath, containerPathOf: (fd) => live.containerPathOf(fd), release: () => live.close() };
  const mount = mountOf(engine, rec, containerPath);
  if (mount) {
    const root = InRoot.open(mount.hostDir);
    return {
      root,
      path: mount.rest,
      containerPathOf: (fd) => path.posix.join(mount.destination, root.containerPathOf(fd)),
      release: () => root.close(),
    };
  }
  const lease = leaseRootfs(engine, rec.id);
  let root: InRoot;
  try {
    root = InRoot.open(lease.root);
  } catch (err) {
    lease.release();
    throw err;
  }
  return {
    root,
    path: containerPath,
    containerPathOf: (fd) => root.containerPathOf(fd),
    release() {
      root.close();
      lease.release();
    },
  };
}

/**
 * The root of a running (or paused) container's mount namespace, held open;
 * undefined when it has no process. The held directory must be the
 * container's own rootfs (same inode), so a recycled pid never hands out
 * another root.
 */
function liveRoot(engine: LocalEngine, rec: ContainerRecord): InRoot | undefined {
  const pid = rec.state.pid;
  if (rec.state.status !== 'running' || !(pid > 0)) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${pid}/root`, O_PATH | fs.constants.O_DIRECTORY);
  } catch {
    return undefined;
  }
  try {
    const lease = leaseRootfs(engine, rec.id);
    let own: fs.Stats;
    try {
      own = fs.statSync(lease.root);
    } finally {
      lease.release();
    }
    const held = fs.fstatSync(fd);
    if (held.dev !== own.dev || held.ino !== own.ino) {
      closeFd(fd);
      return undefined;
    }
  } catch (err) {
    closeFd(fd);
    throw err;
  }
  return InRoot.adopt(fd);
}

/**
 * The volume or bind mount (a directory) of a stopped container that holds
 * containerPath, the deepest one, with the rest of the path inside it; as
 * Podman, by the path as written. tmpfs mounts are not there before a start:
 * what is copied to their place lands in the rootfs, copied up at the start.
 */
function mountOf(engine: LocalEngine, rec: ContainerRecord, containerPath: string): { hostDir: string; destination: string; rest: string } | undefined {
  const p = normalizeDestination(path.posix.resolve('/', containerPath));
  let best: { hostDir: string; destination: string; rest: string } | undefined;
  for (const m of rec.config.mounts) {
    if (m.type === 'tmpfs' || m.type === 'image') continue; // (an image volume has no host directory of its own before a start)
    const dst = normalizeDestination(m.destination);
    if (p !== dst && !p.startsWith(dst === '/' ? '/' : dst + '/')) continue;
    if (best && best.destination.length >= dst.length) continue;
    let hostDir: string;
    if (m.type === 'volume') {
      const v = volumesOf(engine.store.read())[m.source];
      if (!v) continue;
      mountVolumeDevice(engine.paths, v);
      hostDir = volumeMountpoint(engine.paths, v.name);
    } else {
      hostDir = m.source;
      // a bind-mounted file is left to the rootfs below it
      if (!fs.statSync(hostDir, { throwIfNoEntry: false })?.isDirectory()) continue;
    }
    // the rest keeps what the user wrote at its end (`/.`, `/`)
    const inside = dst === '/' ? p : p.slice(dst.length) || '/';
    const rest = inside + (/\/\.$/.test(containerPath) ? (inside === '/' ? '.' : '/.') : /.\/$/.test(containerPath) && inside !== '/' ? '/' : '');
    best = { hostDir, destination: dst, rest };
  }
  return best;
}

interface FoundPath {
  /** O_PATH fd of the path itself (a symlink not followed); the caller closes it */
  fd: number;
  st: fs.Stats;
  stat: PathStat;
  isRoot: boolean;
}

function statAt(view: CopyView, ctr: string, shownPath: string, follow = false): FoundPath {
  const { root } = view;
  const containerPath = view.path;
  const fd = root.resolveIfExists(containerPath, follow);
  if (fd === undefined) throw noSuchPath(shownPath, ctr);
  try {
    const st = fs.fstatSync(fd);
    if (/\/\.?$/.test(containerPath) && containerPath !== '/' && !st.isDirectory() && !st.isSymbolicLink())
      throw new EngineError('invalid-argument', `${shownPath}: not a directory`);
    let linkTarget = '';
    let dangling = false;
    if (st.isSymbolicLink()) {
      const to = root.resolveIfExists(containerPath, true);
      if (to !== undefined) linkTarget = withFd(to, () => view.containerPathOf(to));
      else {
        linkTarget = path.posix.resolve(path.posix.dirname(view.containerPathOf(fd)), readlinkHeld(fd));
        dangling = true;
      }
    }
    const where = view.containerPathOf(fd);
    const name = path.posix.basename(where) || '/';
    const stat: PathStat = { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
    if (dangling) stat.linkDangling = true;
    return { fd, st, isRoot: where === '/', stat };
  } catch (err) {
    closeFd(fd);
    throw err;
  }
}

function withView<T>(engine: LocalEngine, idOrName: string, containerPath: string, fn: (view: CopyView) => T): T {
  const view = openCopyView(engine, idOrName, containerPath);
  try {
    return fn(view);
  } finally {
    view.release();
  }
}

export function statContainerPath(engine: LocalEngine, idOrName: string, containerPath: string): PathStat {
  return withView(engine, idOrName, containerPath, (view) => {
    const found = statAt(view, idOrName, containerPath);
    closeFd(found.fd);
    return found.stat;
  });
}

/** A tar of the path (named by its base name, a directory with its content) and the path's stat. */
export function getArchive(engine: LocalEngine, idOrName: string, containerPath: string): { stat: PathStat; tar: Readable } {
  const view = openCopyView(engine, idOrName, containerPath);
  let found: FoundPath;
  try {
    found = statAt(view, idOrName, containerPath);
  } catch (err) {
    view.release();
    throw err;
  }
  const pack = (require('tar-stream') as typeof tar).pack();
  const done = () => {
    closeFd(found.fd);
    view.release();
  };
  return { stat: found.stat, tar: packInBackground(pack, found.fd, found.isRoot ? '.' : found.stat.name, found.st, done) };
}

function entryDone(pack: tar.Pack, header: Partial<tar.Header>, body?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(header as tar.Header, (err) => (err ? reject(err) : resolve()));
    // the callback reports a failure; an entry destroyed with its pack (the reader went away) would throw it unheard
    entry.on('error', () => undefined);
    if (body) {
      body.on('error', (e) => {
        entry.destroy(e);
        reject(e);
      });
      body.pipe(entry as unknown as NodeJS.WritableStream);
    }
  });
}

/**
 * Tars the tree whose top is the held O_PATH fd topFd (named name; '' leaves the
 * top out and names its children as they are, as `export` does): each child is opened by
 * its single name inside its held parent and never followed, and its type is
 * the type of the opened inode, so a swapped-in symlink is archived as a symlink.
 */
async function packTree(pack: tar.Pack, topFd: number, name: string, st: fs.Stats): Promise<void> {
  const links = new Map<string, string>();
  const walk = async (fd: number, n: string, s: fs.Stats): Promise<void> => {
    const common = { name: n, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime };
    if (s.isDirectory()) {
      if (n !== '') await entryDone(pack, { ...common, type: 'directory' });
      for (const child of readdirFd(fd).sort()) {
        const cfd = openEntryIfExists(fd, child);
        if (cfd === undefined) continue;
        try {
          await walk(cfd, n === '' ? child : `${n}/${child}`, fs.fstatSync(cfd));
        } finally {
          closeFd(cfd);
        }
      }
      return;
    }
    const inode = `${s.dev}:${s.ino}`;
    const first = s.nlink > 1 ? links.get(inode) : undefined;
    if (first !== undefined) return entryDone(pack, { ...common, type: 'link', linkname: first, size: 0 });
    if (s.isFile()) {
      if (s.nlink > 1) links.set(inode, n);
      const rfd = reopen(fd, fs.constants.O_RDONLY);
      // at most the size in the header: a file the container grows meanwhile still fits its entry
      const body = fs.createReadStream('', s.size > 0 ? { fd: rfd, start: 0, end: s.size - 1 } : { fd: rfd });
      return entryDone(pack, { ...common, type: 'file', size: s.size }, body);
    }
    if (s.isSymbolicLink()) return entryDone(pack, { ...common, type: 'symlink', linkname: readlinkHeld(fd) });
    if (s.isFIFO()) return entryDone(pack, { ...common, type: 'fifo' });
    if (s.isCharacterDevice() || s.isBlockDevice()) {
      const rdev = s.rdev;
      const devmajor = ((rdev >> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff;
      const devminor = (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff);
      return entryDone(pack, { ...common, type: s.isCharacterDevice() ? 'character-device' : 'block-device', devmajor, devminor });
    }
    // sockets are not archived
  };
  await walk(topFd, name, st);
}

/** Writes the whole tree of the mounted root file system rootHost as a tar to out (`export`), entries named `bin`, `bin/sh`... */
export async function exportRootfs(rootHost: string, out: Writable): Promise<void> {
  const pack = (require('tar-stream') as typeof tar).pack();
  const written = pipeline(pack as unknown as Readable, out);
  const root = InRoot.open(rootHost);
  try {
    const top = root.resolve('/', false);
    await withFdAsync(top, () => packTree(pack, top, '', fs.fstatSync(top)));
    pack.finalize();
    await written;
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  } finally {
    root.close();
  }
}

async function withFdAsync<T>(fd: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    closeFd(fd);
  }
}

export interface PutArchiveOptions {
  /** refuse to replace a directory with a non-directory and the reverse */
  noOverwriteDirNonDir?: boolean;
  /** renames the archive's top component `from` to `to` ('' drops it: the content goes in directly) */
  rebase?: { from: string; to: string };
}

/** Extracts a tar into the directory at containerPath (which must exist). */
export async function putArchive(engine: LocalEngine, idOrName: string, containerPath: string, input: Readable, opts: PutArchiveOptions = {}): Promise<void> {
  const view = openCopyView(engine, idOrName, containerPath);
  try {
    await extractInRoot(view.root, view.path, input, opts);
  } finally {
    view.release();
  }
}

/** A tar of the tree at host path (the user's own file), its top entry named name ('.' for the content only). */
export function packTar(host: string, name: string): Readable {
  const pack = (require('tar-stream') as typeof tar).pack();
  const abs = path.resolve(host);
  const dir = InRoot.open(path.dirname(abs));
  let fd: number;
  try {
    fd = abs === '/' ? dir.resolve('/', false) : openEntry(dir.fd, path.basename(abs));
  } catch (err) {
    dir.close();
    throw err;
  }
  const done = () => {
    closeFd(fd);
    dir.close();
  };
  return packInBackground(pack, fd, name, fs.fstatSync(fd), done);
}

/** Fills pack with the tree at fd while the caller reads it; done releases what the walk held, either way. */
function packInBackground(pack: tar.Pack, fd: number, name: string, st: fs.Stats, done: () => void): Readable {
  packTree(pack, fd, name, st).then(
    () => {
      pack.finalize();
      done();
    },
    (err: unknown) => {
      done();
      pack.destroy(err as Error);
    },
  );
  return pack as unknown as Readable;
}

const writeFd = (fd: number, chunk: Buffer) =>
  new Promise<void>((resolve, reject) => {
    const step = (off: number) =>
      fs.write(fd, chunk, off, chunk.length - off, null, (err, n) => {
        if (err) reject(err);
        else if (off + n < chunk.length) step(off + n);
        else resolve();
      });
    step(0);
  });

/**
 * Extracts a tar into the existing directory destPath of the file system whose
 * root is the host directory rootHost ('/' for the host itself). Each entry's
 * parent is resolved inside that root by the kernel, and the entry is made by
 * its single name inside the held parent, never through a symlink.
 */
export async function extractTar(rootHost: string, destPath: string, input: Readable, opts: PutArchiveOptions = {}): Promise<void> {
  const root = InRoot.open(rootHost);
  try {
    await extractInRoot(root, destPath, input, opts);
  } finally {
    root.close();
  }
}

/** extractTar into a root already held. */
async function extractInRoot(root: InRoot, destPath: string, input: Readable, opts: PutArchiveOptions): Promise<void> {
  {
    const containerPath = destPath;
    const destFd = root.resolveIfExists(containerPath, true);
    if (destFd === undefined) throw new EngineError('no-such-object', `Could not find the file ${containerPath}: no such file or directory`);
    const destInCtr = withFd(destFd, () => {
      if (!fs.fstatSync(destFd).isDirectory()) throw new EngineError('invalid-argument', `extraction point is not a directory: ${containerPath}`);
      return root.containerPathOf(destFd);
    });
    const dirTimes: [string, Date][] = [];
    await readTarEntries(input, async (h, body) => {
      let rel = cleanRel(h.name);
      if (opts.rebase && rel[0] === opts.rebase.from) rel = [...cleanRel(opts.rebase.to), ...rel.slice(1)];
      if (rel.length === 0) return; // the archive's root: the destination itself
      const base = rel[rel.length - 1];
      const parentFd = root.mkdirAll(path.posix.join(destInCtr, ...rel.slice(0, -1)));
      try {
        await extractEntry(root, parentFd, base, path.posix.join(destInCtr, ...rel), h, body, destInCtr, opts, dirTimes);
      } finally {
        closeFd(parentFd);
      }
    });
    for (const [dir, mtime] of dirTimes.reverse()) {
      const fd = root.resolveIfExists(dir, false);
      if (fd !== undefined)
        withFd(fd, () => {
          if (fs.fstatSync(fd).isDirectory()) fs.utimesSync(fdPath(fd), mtime, mtime);
        });
    }
  }
}

async function extractEntry(
  root: InRoot,
  parentFd: number,
  base: string,
  entryPath: string,
  h: tar.Header,
  body: AsyncIterable<Buffer>,
  destInCtr: string,
  opts: PutArchiveOptions,
  dirTimes: [string, Date][],
): Promise<void> {
  const target = fdPath(parentFd, base);
  const existingFd = openEntryIfExists(parentFd, base);
  const existing = existingFd === undefined ? undefined : withFd(existingFd, () => fs.fstatSync(existingFd));
  const isDir = h.type === 'directory';
  if (opts.noOverwriteDirNonDir && existing) {
    // Podman's copier words ("error creating ...: file exists") around Docker's
    if (existing.isDirectory() && !isDir)
      throw new EngineError('invalid-argument', `error creating "${entryPath}": cannot overwrite directory "${entryPath}" with non-directory "${h.name}": file exists`);
    if (!existing.isDirectory() && isDir)
      throw new EngineError('invalid-argument', `error creating "${entryPath}": cannot overwrite non-directory "${entryPath}" with directory "${h.name}": file exists`);
  }
  const mode = (h.mode ?? 0o644) & 0o7777;
  const mtime = h.mtime ?? new Date();
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  const remove = () => {
    if (existing) removeEntry(parentFd, base);
  };
  /** owner and mode on what was just made, through its own fd */
  const settle = () =>
    withFd(openEntry(parentFd, base), (fd) => {
      fs.lchownSync(target, uid, gid); // by name, never followed
      chmodHeld(fd, mode);
    });
  switch (h.type) {
    case 'directory':
      if (!existing?.isDirectory()) {
        remove();
        fs.mkdirSync(target, { mode: 0o700 });
      }
      settle();
      dirTimes.push([entryPath, mtime]);
      return;
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null: {
      remove();
      const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
      const fd = native().openat2(parentFd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
      try {
        for await (const chunk of body) await writeFd(fd, chunk);
        fs.fchownSync(fd, uid, gid);
        fs.fchmodSync(fd, mode);
        fs.futimesSync(fd, mtime, mtime);
      } finally {
        closeFd(fd);
      }
      return;
    }
    case 'symlink':
      remove();
      fs.symlinkSync(h.linkname ?? '', target);
      fs.lchownSync(target, uid, gid);
      fs.lutimesSync(target, mtime, mtime);
      return;
    case 'link': {
      let lrel = cleanRel(h.linkname ?? '');
      if (opts.rebase && lrel[0] === opts.rebase.from) lrel = [...cleanRel(opts.rebase.to), ...lrel.slice(1)];
      if (lrel.length === 0) throw new EngineError('invalid-argument', `invalid hard link "${h.name}" -> "${h.linkname}"`);
      const srcPath = path.posix.join(destInCtr, ...lrel);
      const srcParent = root.resolveIfExists(path.posix.dirname(srcPath), true);
      if (srcParent === undefined) throw new EngineError('invalid-argument', `invalid hard link "${h.name}" -> "${h.linkname}"`);
      withFd(srcParent, () => {
        const srcName = path.posix.basename(srcPath);
        const srcFd = openEntryIfExists(srcParent, srcName);
        const sst = srcFd === undefined ? undefined : withFd(srcFd, () => fs.fstatSync(srcFd));
        if (!sst || sst.isDirectory()) throw new EngineError('invalid-argument', `invalid hard link "${h.name}" -> "${h.linkname}"`);
        if (existing && existing.dev === sst.dev && existing.ino === sst.ino) return;
        remove();
        fs.linkSync(fdPath(srcParent, srcName), target); // link(2) does not follow the source name
      });
      return;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      remove();
      const kind = h.type === 'fifo' ? fs.constants.S_IFIFO : h.type === 'block-device' ? fs.constants.S_IFBLK : fs.constants.S_IFCHR;
      native().mknod(target, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
      settle();
      return;
    }
    default:
      return;
  }
}

/** An entry name's components, `..` clamped at the archive root. */
function cleanRel(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}
