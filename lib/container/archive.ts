// Copying files in and out of a container's root filesystem (`cp`, the
// archive endpoints): stat a path, tar a path, extract a tar into a directory.
// Running or stopped: a stopped container's rootfs is mounted for the
// operation and released afterwards. Every path is resolved inside the rootfs,
// symlinks included (an absolute link target means the rootfs's root), so
// nothing outside it is ever read or written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import type { LocalEngine } from './engine';
import { EngineError } from '../errors';
import { layerPaths } from '../image';
import { mountRootfs, unmountRootfs } from '../storage/rootfs';
import { readTarEntries } from '../storage/layer';
import { native } from '../native';

/** Docker's container path stat (X-Docker-Container-Path-Stat). `mode` is a Go os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
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

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * The host path of a container path, resolved inside root: `..` stops at the
 * root, symlinks are followed with root as `/` (the last one only when
 * followLast). Components that do not exist are kept as they are.
 */
export function resolveInRoot(root: string, p: string, followLast: boolean): string {
  const pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '.' || c === '') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, c);
    const st = lstatOrUndefined(host);
    if (st?.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++links > 255) throw new EngineError('invalid-argument', `too many levels of symbolic links: ${p}`);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return path.join(root, ...done);
}

/** The container path (absolute) of a host path under root. */
const containerPathOf = (root: string, host: string) => '/' + path.relative(root, host);

export interface RootfsLease {
  root: string;
  release(): void;
}

/** Leases held by this process on stopped containers' mounts (concurrent copies share one mount). */
const leases = new Map<string, number>();

/** The container's root filesystem, mounted for as long as the lease is held. */
export function leaseRootfs(engine: LocalEngine, idOrName: string): RootfsLease {
  const rec = engine.get(idOrName);
  const root = mountRootfs(engine.paths, rec.id, layerPaths(engine.paths, engine.imageOf(rec)));
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
        if (cur.state.status !== 'running') unmountRootfs(engine.paths, rec.id);
      } catch {
        /* removed meanwhile */
      }
    },
  };
}

function statAt(root: string, containerPath: string, ctr: string): { host: string; st: fs.Stats; stat: PathStat } {
  const host = resolveInRoot(root, containerPath, false);
  const st = lstatOrUndefined(host);
  if (!st) throw noSuchPath(containerPath, ctr);
  if (/\/\.?$/.test(containerPath) && containerPath !== '/' && !st.isDirectory() && !st.isSymbolicLink())
    throw new EngineError('invalid-argument', `${containerPath}: not a directory`);
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = containerPathOf(root, resolveInRoot(root, containerPath, true));
  const name = path.basename(host === root ? '/' : host);
  return {
    host,
    st,
    stat: { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget },
  };
}

export function statContainerPath(engine: LocalEngine, idOrName: string, containerPath: string): PathStat {
  const lease = leaseRootfs(engine, idOrName);
  try {
    return statAt(lease.root, containerPath, idOrName).stat;
  } finally {
    lease.release();
  }
}

/** A tar of the path (named by its base name, a directory with its content) and the path's stat. */
export function getArchive(engine: LocalEngine, idOrName: string, containerPath: string): { stat: PathStat; tar: Readable } {
  const lease = leaseRootfs(engine, idOrName);
  let found;
  try {
    found = statAt(lease.root, containerPath, idOrName);
  } catch (err) {
    lease.release();
    throw err;
  }
  const pack = (require('tar-stream') as typeof tar).pack();
  const base = found.host === lease.root ? '.' : path.basename(found.host);
  packTree(pack, found.host, base, found.st).then(
    () => {
      pack.finalize();
      lease.release();
    },
    (err: unknown) => {
      lease.release();
      pack.destroy(err as Error);
    },
  );
  return { stat: found.stat, tar: pack as unknown as Readable };
}

function entryDone(pack: tar.Pack, header: Partial<tar.Header>, body?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(header as tar.Header, (err) => (err ? reject(err) : resolve()));
    if (body) {
      body.on('error', (e) => {
        entry.destroy(e);
        reject(e);
      });
      body.pipe(entry as unknown as NodeJS.WritableStream);
    }
  });
}

async function packTree(pack: tar.Pack, host: string, name: string, st: fs.Stats): Promise<void> {
  const links = new Map<string, string>();
  const walk = async (h: string, n: string, s: fs.Stats): Promise<void> => {
    const common = { name: n, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtime };
    if (s.isDirectory()) {
      await entryDone(pack, { ...common, type: 'directory' });
      for (const child of fs.readdirSync(h).sort()) {
        const ch = path.join(h, child);
        const cs = lstatOrUndefined(ch);
        if (cs) await walk(ch, `${n}/${child}`, cs);
      }
      return;
    }
    const inode = `${s.dev}:${s.ino}`;
    const first = s.nlink > 1 ? links.get(inode) : undefined;
    if (first !== undefined) return entryDone(pack, { ...common, type: 'link', linkname: first, size: 0 });
    if (s.isFile()) {
      if (s.nlink > 1) links.set(inode, n);
      const fd = fs.openSync(h, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      return entryDone(pack, { ...common, type: 'file', size: s.size }, fs.createReadStream('', { fd }));
    }
    if (s.isSymbolicLink()) return entryDone(pack, { ...common, type: 'symlink', linkname: fs.readlinkSync(h) });
    if (s.isFIFO()) return entryDone(pack, { ...common, type: 'fifo' });
    if (s.isCharacterDevice() || s.isBlockDevice()) {
      const rdev = s.rdev;
      const devmajor = ((rdev >> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff;
      const devminor = (rdev & 0xff) | ((rdev >> 12) & ~0xff & 0xfffff);
      return entryDone(pack, { ...common, type: s.isCharacterDevice() ? 'character-device' : 'block-device', devmajor, devminor });
    }
    // sockets are not archived
  };
  await walk(host, name, st);
}

export interface PutArchiveOptions {
  /** refuse to replace a directory with a non-directory and the reverse */
  noOverwriteDirNonDir?: boolean;
  /** renames the archive's top component `from` to `to` ('' drops it: the content goes in directly) */
  rebase?: { from: string; to: string };
}

/** Extracts a tar into the directory at containerPath (which must exist). */
export async function putArchive(engine: LocalEngine, idOrName: string, containerPath: string, input: Readable, opts: PutArchiveOptions = {}): Promise<void> {
  const lease = leaseRootfs(engine, idOrName);
  try {
    await extractTar(lease.root, containerPath, input, opts);
  } finally {
    lease.release();
  }
}

/** A tar of the tree at host path, its top entry named name ('.' for the content only). */
export function packTar(host: string, name: string): Readable {
  const st = fs.lstatSync(host);
  const pack = (require('tar-stream') as typeof tar).pack();
  packTree(pack, host, name, st).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return pack as unknown as Readable;
}

/** Extracts a tar into the existing directory destPath, every path resolved inside root. */
export async function extractTar(root: string, destPath: string, input: Readable, opts: PutArchiveOptions = {}): Promise<void> {
  {
    const containerPath = destPath;
    const dest = resolveInRoot(root, containerPath, true);
    const st = lstatOrUndefined(dest);
    if (!st) throw new EngineError('no-such-object', `Could not find the file ${containerPath}: no such file or directory`);
    if (!st.isDirectory()) throw new EngineError('invalid-argument', `extraction point is not a directory: ${containerPath}`);
    const destInCtr = containerPathOf(root, dest);
    const dirTimes: [string, Date][] = [];
    await readTarEntries(input, async (h, body) => {
      let rel = cleanRel(h.name);
      if (opts.rebase && rel[0] === opts.rebase.from) rel = [...cleanRel(opts.rebase.to), ...rel.slice(1)];
      if (rel.length === 0) return; // the archive's root: the destination itself
      const base = rel[rel.length - 1];
      const parent = resolveInRoot(root, path.posix.join(destInCtr, ...rel.slice(0, -1)), true);
      mkdirpInRoot(root, parent);
      const target = path.join(parent, base);
      const existing = lstatOrUndefined(target);
      const isDir = h.type === 'directory';
      if (opts.noOverwriteDirNonDir && existing) {
        if (existing.isDirectory() && !isDir)
          throw new EngineError('invalid-argument', `cannot overwrite directory "${containerPathOf(root, target)}" with non-directory "${h.name}"`);
        if (!existing.isDirectory() && isDir)
          throw new EngineError('invalid-argument', `cannot overwrite non-directory "${containerPathOf(root, target)}" with directory "${h.name}"`);
      }
      const mode = (h.mode ?? 0o644) & 0o7777;
      const mtime = h.mtime ?? new Date();
      const remove = () => {
        if (existing) existing.isDirectory() ? fs.rmSync(target, { recursive: true, force: true }) : fs.unlinkSync(target);
      };
      switch (h.type) {
        case 'directory':
          if (!existing?.isDirectory()) {
            remove();
            fs.mkdirSync(target, { mode: 0o700 });
          }
          fs.lchownSync(target, h.uid ?? 0, h.gid ?? 0);
          fs.chmodSync(target, mode);
          dirTimes.push([target, mtime]);
          return;
        case 'file':
        case 'contiguous-file':
        case undefined:
        case null: {
          remove();
          const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
          const fh = await fs.promises.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
          try {
            for await (const chunk of body) await fh.write(chunk);
            await fh.chown(h.uid ?? 0, h.gid ?? 0);
            await fh.chmod(mode);
            await fh.utimes(mtime, mtime);
          } finally {
            await fh.close();
          }
          return;
        }
        case 'symlink':
          remove();
          fs.symlinkSync(h.linkname ?? '', target);
          fs.lchownSync(target, h.uid ?? 0, h.gid ?? 0);
          fs.lutimesSync(target, mtime, mtime);
          return;
        case 'link': {
          let lrel = cleanRel(h.linkname ?? '');
          if (opts.rebase && lrel[0] === opts.rebase.from) lrel = [...cleanRel(opts.rebase.to), ...lrel.slice(1)];
          const src = resolveInRoot(root, path.posix.join(destInCtr, ...lrel), false);
          const sst = lstatOrUndefined(src);
          if (!sst || sst.isDirectory()) throw new EngineError('invalid-argument', `invalid hard link "${h.name}" -> "${h.linkname}"`);
          if (src === target) return;
          remove();
          fs.linkSync(src, target);
          return;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          remove();
          const kind = h.type === 'fifo' ? fs.constants.S_IFIFO : h.type === 'block-device' ? fs.constants.S_IFBLK : fs.constants.S_IFCHR;
          native().mknod(target, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
          fs.lchownSync(target, h.uid ?? 0, h.gid ?? 0);
          fs.chmodSync(target, mode);
          return;
        }
        default:
          return;
      }
    });
    for (const [dir, mtime] of dirTimes.reverse()) {
      const s = lstatOrUndefined(dir);
      if (s?.isDirectory()) fs.lutimesSync(dir, mtime, mtime);
    }
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

/** Creates the missing directories of dir (already resolved inside root). */
function mkdirpInRoot(root: string, dir: string): void {
  const rel = path.relative(root, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new EngineError('invalid-argument', `path escapes the container: ${dir}`);
  let cur = root;
  for (const c of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, c);
    const st = lstatOrUndefined(cur);
    if (!st) {
      fs.mkdirSync(cur);
      fs.chmodSync(cur, 0o755);
    } else if (!st.isDirectory()) throw new EngineError('invalid-argument', `${containerPathOf(root, cur)}: not a directory`);
  }
}
