// Layer extraction and the layer store. A layer tar is untrusted input: nothing
// it says may write outside the layer directory. Every entry path is cleaned
// lexically, then walked component by component with lstat from the layer
// root; an existing parent that is a symlink (or not a directory) is refused,
// and the final component is created fresh (unlink, then O_EXCL|O_NOFOLLOW),
// so symlinks in the layer may exist but are never followed while writing.
// The extraction directory is private until the final rename, so no one else
// can swap a component between the check and the use.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Zlib from 'node:zlib';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type * as tar from 'tar-stream';
import { EngineError } from '../errors';
import { native } from '../native';
import { ensurePrivateRoots } from './roots';
import { type StoragePaths, blobFile, layerDiffDir, layerDir, layerInfoFile, layersRoot } from './paths';

// Loaded on first use: most commands never read a tar, and loading these is start-up time.
const tarStream = (): typeof tar => require('tar-stream');
const zlib = (): typeof Zlib => require('node:zlib');

export interface LayerDigests {
  /** sha256 of the uncompressed tar: the layer's identity */
  diffId: string;
  /** bytes of the uncompressed tar */
  size: number;
  /** sha256 of the bytes as given (the blob digest) */
  digest: string;
  /** bytes as given */
  blobSize: number;
  compression: Compression;
}

export type Compression = 'none' | 'gzip';

export interface ExtractOptions {
  /** refuse (and leave nothing) unless the uncompressed tar has this digest */
  expectedDiffId?: string;
  /** refuse (and leave nothing) unless the input has this digest */
  expectedDigest?: string;
  /** also write the input, as given, to this file (kept as the layer's blob) */
  blobCopy?: string;
  /**
   * The input's source itself checks that its bytes have expectedDigest, and fails the
   * stream before its end when they do not: a compressed input is then not hashed again.
   */
  sourceChecksDigest?: boolean;
}

const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

// ---- streams: digests and compression

/** Passes bytes through while hashing and counting them (and optionally copying them to a file). */
export class DigestStream extends Transform {
  private readonly hash = crypto.createHash('sha256');
  size = 0;

  constructor(private readonly copyFd?: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.copyFd === undefined) return cb(null, chunk);
    const fd = this.copyFd;
    const writeRest = (offset: number): void =>
      fs.write(fd, chunk, offset, chunk.length - offset, null, (err, written) => {
        if (err) cb(err);
        else if (offset + written < chunk.length) writeRest(offset + written);
        else cb(null, chunk);
      });
    writeRest(0);
  }

  /** sha256:<hex>; call once, after the stream ended. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
    throw new EngineError('invalid-argument', 'zstd-compressed layers are not supported');
  return 'none';
}

export interface OpenedArchive {
  /** the uncompressed tar */
  tar: Readable;
  compression: Compression;
  /** digest and size of the input as given */
  raw: Digester;
  /** digest and size of the uncompressed tar */
  plain: Digester;
}

// Bytes move in pieces of about this size: every piece costs a trip through the
// streams (and, for gzip, a thread-pool job), so 16 KB pieces (Node's default)
// spend more time on the trips than on the bytes.
const PIECE = 1 << 20;

/** Hashes and counts bytes (the digest side of DigestStream, without a stream). */
export class Digester {
  private readonly hash;
  size = 0;

  /** hashing false: counts only (digest() then throws) */
  constructor(readonly hashing = true) {
    this.hash = hashing ? crypto.createHash('sha256') : undefined;
  }

  update(chunk: Buffer): void {
    this.hash?.update(chunk);
    this.size += chunk.length;
  }

  private result: string | undefined;

  /** sha256:<hex>, after the input ended (an uncompressed input's one Digester is both sides). */
  digest(): string {
    if (!this.hash) throw new Error('internal error: the digest of an input that was not hashed');
    this.result ??= `sha256:${this.hash.digest('hex')}`;
    return this.result;
  }
}

/** Writes all of chunk to fd (a regular file) at its current offset. */
function writeAllSync(fd: number, chunk: Buffer): void {
  for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off, chunk.length - off);
}

/**
 * Detects gzip by its magic bytes and returns the uncompressed stream, hashing both sides.
 * The input is gathered into pieces of about 1 MB, hashed (and copied) once, and, for gzip,
 * inflated into 1 MB buffers; an uncompressed input is hashed once for both digests.
 */
export async function openArchive(input: Readable, copyFd?: number, hashCompressed = true): Promise<OpenedArchive> {
  let raw = new Digester();
  let plain = raw;
  let compression: Compression | undefined;
  let gunzip: Zlib.Gunzip | undefined;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let inputEnded = false;
  let failed = false;

  const tar = new Readable({
    highWaterMark: 4 * PIECE,
    read() {
      if (gunzip) gunzip.resume();
      else if (!inputEnded) input.resume();
    },
    destroy(err, cb) {
      failed = true;
      input.destroy();
      gunzip?.destroy();
      cb(err);
    },
  });
  // The consumer sees the error through its own listener or iterator; before it has one
  // (a failure before openArchive returns), it must not be an uncaught 'error' event.
  tar.on('error', () => {});
  const fail = (err: Error): void => {
    if (failed) return;
    tar.destroy(err);
  };

  const emitPlain = (chunk: Buffer): void => {
    if (failed) return;
    if (plain !== raw) plain.update(chunk); // uncompressed: one hash is both digests
    if (!tar.push(chunk)) (gunzip ?? input).pause();
  };

  const startGunzip = (): Zlib.Gunzip => {
    const z = zlib().createGunzip({ chunkSize: PIECE });
    z.on('data', emitPlain);
    z.on('end', () => {
      if (!failed) tar.push(null);
    });
    z.on('error', fail);
    z.on('drain', () => {
      if (!failed && !inputEnded) input.resume();
    });
    return z;
  };

  /** Sends the gathered raw bytes on: hashed (and copied) here, then inflated or passed through. */
  const flush = (): void => {
    if (pendingBytes === 0 || failed) return;
    const piece = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (compression === undefined) {
      compression = detectCompression(piece);
      if (compression === 'gzip') {
        if (!hashCompressed) raw = new Digester(false);
        plain = new Digester();
        gunzip = startGunzip();
      }
    }
    raw.update(piece);
    if (copyFd !== undefined) writeAllSync(copyFd, piece);
    if (gunzip) {
      if (!gunzip.write(piece)) input.pause();
    } else emitPlain(piece);
  };

  const started = new Promise<void>((resolve, reject) => {
    input.on('data', (chunk: Buffer | string) => {
      if (failed) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      pending.push(buf);
      pendingBytes += buf.length;
      try {
        if (pendingBytes >= PIECE) flush();
        if (compression !== undefined) resolve();
      } catch (err) {
        reject(err);
        fail(err as Error);
      }
    });
    input.on('end', () => {
      inputEnded = true;
      try {
        flush();
      } catch (err) {
        reject(err);
        fail(err as Error);
        return;
      }
      if (compression === undefined) compression = 'none';
      resolve();
      if (failed) return;
      if (gunzip) gunzip.end();
      else tar.push(null);
    });
    input.on('error', (err) => {
      reject(err);
      fail(err);
    });
  });
  await started;
  return { tar, compression: compression!, raw, plain };
}

/** Feeds a tar stream through tar-stream, calling onEntry for each entry in order. */
export function readTarEntries(
  source: Readable,
  onEntry: (header: tar.Header, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const extract = tarStream().extract();
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      source.destroy();
      extract.destroy();
      reject(err);
    };
    extract.on('entry', (header, body, next) => {
      onEntry(header, body as AsyncIterable<unknown> as AsyncIterable<Buffer>).then(
        () => {
          body.resume(); // whatever the handler left unread
          next();
        },
        (err) => fail(err),
      );
    });
    extract.on('finish', () => {
      if (!failed) resolve();
    });
    extract.on('error', fail);
    source.on('error', fail);
    source.pipe(extract as unknown as NodeJS.WritableStream);
  });
}

// ---- extraction

function escapeError(name: string, why: string): EngineError {
  return new EngineError('invalid-argument', `layer entry "${name}" escapes the layer directory (${why})`);
}

/** The path's components after lexical cleaning; refuses absolute paths and `..` above the root. */
function cleanEntryPath(name: string): string[] {
  if (name.startsWith('/')) throw escapeError(name, 'absolute path');
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) throw escapeError(name, 'parent directory reference');
      parts.pop();
      continue;
    }
    parts.push(c);
  }
  return parts;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false }); // undefined on ENOENT only, without building an error
}

/** Removes whatever is at p (a directory with its content), without following symlinks. */
function removeExisting(p: string, st: fs.Stats | undefined): void {
  if (!st) return;
  if (st.isDirectory()) fs.rmSync(p, { recursive: true, force: true });
  else fs.unlinkSync(p);
}

const isRoot = process.getuid?.() === 0;

function chownQuiet(p: string, uid: number, gid: number): void {
  try {
    fs.lchownSync(p, uid, gid);
  } catch (err) {
    if (isRoot) throw err; // unprivileged extraction keeps our own ids
  }
}

/** Mode of every layer's root directory (containers/storage's defaultPerms for overlay layers). */
const LAYER_ROOT_MODE = 0o555;

/** Writes one layer's entries below root, refusing every path that would land outside it. */
class LayerWriter {
  private readonly dirTimes: [string, Date][] = [];
  private rootMeta: tar.Header | undefined;

  constructor(private readonly root: string) {}

  async entry(h: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = cleanEntryPath(h.name);
    if (parts.length === 0) {
      if (h.type !== 'directory') throw new EngineError('invalid-argument', `layer entry "${h.name}" is not a directory`);
      this.rootMeta = h;
      return;
    }
    const base = parts[parts.length - 1];
    const parent = this.parentDir(parts, h.name);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(h, parent, base);
    const target = path.join(parent, base);
    const existing = lstatOrUndefined(target);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    const mtime = h.mtime ?? new Date(0);
    switch (h.type) {
      case 'directory':
        if (!existing?.isDirectory()) {
          removeExisting(target, existing);
          fs.mkdirSync(target, { mode: 0o700 });
        }
        chownQuiet(target, uid, gid);
        fs.chmodSync(target, mode); // a verified real directory: chmod cannot follow a link
        this.dirTimes.push([target, mtime]);
        return;
      case 'file':
      case 'contiguous-file':
      case undefined:
      case null:
        removeExisting(target, existing);
        await this.writeFile(target, body, uid, gid, mode, mtime);
        return;
      case 'symlink':
        removeExisting(target, existing);
        fs.symlinkSync(h.linkname ?? '', target);
        chownQuiet(target, uid, gid);
        fs.lutimesSync(target, mtime, mtime);
        return;
      case 'link':
        return this.hardLink(h, target, existing);
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        removeExisting(target, existing);
        const kind = h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR;
        native().mknod(target, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
        chownQuiet(target, uid, gid);
        fs.chmodSync(target, mode); // mknod's mode is filtered by the umask
        fs.lutimesSync(target, mtime, mtime);
        return;
      }
      default:
        return; // pax/gnu headers are folded into entries by tar-stream; nothing else to write
    }
  }

  /** Applies the deferred directory times (children change a directory's mtime) and the root's metadata. */
  finish(): void {
    for (const [dir, mtime] of this.dirTimes) {
      const st = lstatOrUndefined(dir);
      if (st?.isDirectory()) fs.lutimesSync(dir, mtime, mtime);
    }
    const h = this.rootMeta;
    // A layer's root is 0555 whatever the tar says, as containers/storage makes it: a container's / is dr-xr-xr-x under Podman
    fs.chmodSync(this.root, LAYER_ROOT_MODE);
    if (h) {
      chownQuiet(this.root, h.uid ?? 0, h.gid ?? 0);
      const mtime = h.mtime ?? new Date(0);
      fs.lutimesSync(this.root, mtime, mtime);
    }
  }

  /** The directory that will hold the entry: every existing component must be a real directory. */
  private parentDir(parts: string[], name: string): string {
    let dir = this.root;
    for (const c of parts.slice(0, -1)) {
      const p = path.join(dir, c);
      const st = lstatOrUndefined(p);
      if (!st) {
        fs.mkdirSync(p);
        fs.chmodSync(p, 0o755); // an implied parent, as tar makes it (whatever our umask)
      }
      else if (st.isSymbolicLink()) throw escapeError(name, `"${c}" is a symbolic link`);
      else if (!st.isDirectory()) throw new EngineError('invalid-argument', `layer entry "${name}": "${c}" is not a directory`);
      dir = p;
    }
    return dir;
  }

  /** Resolves an existing entry for a hard link's target without following any symlink. */
  private existingEntry(name: string, linkname: string): string {
    let parts: string[];
    try {
      parts = cleanEntryPath(linkname);
    } catch {
      throw escapeError(name, `hard link target "${linkname}" is outside the layer`);
    }
    if (parts.length === 0) throw new EngineError('invalid-argument', `layer entry "${name}": hard link to the layer root`);
    let p = this.root;
    for (const [i, c] of parts.entries()) {
      p = path.join(p, c);
      const st = lstatOrUndefined(p);
      if (!st) throw new EngineError('invalid-argument', `layer entry "${name}": hard link target "${linkname}" does not exist`);
      const last = i === parts.length - 1;
      if (!last && st.isSymbolicLink()) throw escapeError(name, `hard link target "${linkname}" goes through a symbolic link`);
      if (!last && !st.isDirectory())
        throw new EngineError('invalid-argument', `layer entry "${name}": "${c}" is not a directory`);
      if (last && st.isDirectory()) throw new EngineError('invalid-argument', `layer entry "${name}": hard link to a directory`);
    }
    return p;
  }

  private hardLink(h: tar.Header, target: string, existing: fs.Stats | undefined): void {
    const source = this.existingEntry(h.name, h.linkname ?? '');
    if (source === target) return;
    removeExisting(target, existing);
    fs.linkSync(source, target); // linkat without AT_SYMLINK_FOLLOW: links a symlink itself
  }

  private async writeFile(target: string, body: AsyncIterable<Buffer>, uid: number, gid: number, mode: number, mtime: Date): Promise<void> {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    // Creating a file is slow on some file systems: the open goes to the thread pool (other
    // layers go on meanwhile). The rest are cheap calls, made directly: a thread-pool trip
    // costs more than the call itself, and the pieces are large.
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600, (err, fd) => (err ? reject(err) : resolve(fd))),
    );
    try {
      for await (const chunk of body) writeAllSync(fd, chunk);
      if (isRoot) fs.fchownSync(fd, uid, gid);
      fs.fchmodSync(fd, mode); // after chown, which clears set-id bits
      fs.futimesSync(fd, mtime, mtime);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** `.wh.NAME` hides NAME of lower layers; `.wh..wh..opq` hides all of the directory's lower content. */
  private whiteout(h: tar.Header, parent: string, base: string): void {
    if (base === OPAQUE_MARKER) {
      native().lsetxattr(parent, OVERLAY_OPAQUE_XATTR, 'y');
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs metadata (.wh..wh.plnk, ...)
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..')
      throw new EngineError('invalid-argument', `layer entry "${h.name}" is not a valid whiteout`);
    const target = path.join(parent, hidden);
    removeExisting(target, lstatOrUndefined(target));
    native().mknod(target, S_IFCHR, 0, 0); // overlayfs's whiteout: a 0/0 character device
    chownQuiet(target, h.uid ?? 0, h.gid ?? 0);
  }
}

function tempSibling(dest: string): string {
  return `${dest}.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
}

/**
 * Extracts a layer tar (plain or gzip) into destDir, which must not exist yet,
 * and returns its digests. The content is written to a private sibling and
 * renamed into place only once complete and verified, so a failure leaves nothing.
 */
export async function extractLayer(input: Readable, destDir: string, opts: ExtractOptions = {}): Promise<LayerDigests> {
  const tmp = tempSibling(destDir);
  fs.mkdirSync(path.dirname(destDir), { recursive: true });
  fs.mkdirSync(tmp, { mode: 0o700 });
  let copyFd: number | undefined;
  try {
    if (opts.blobCopy) copyFd = fs.openSync(`${opts.blobCopy}.partial`, 'w', 0o600);
    const archive = await openArchive(input, copyFd, !(opts.sourceChecksDigest && opts.expectedDigest));
    const writer = new LayerWriter(tmp);
    await readTarEntries(archive.tar, (h, body) => writer.entry(h, body));
    writer.finish();
    const digests: LayerDigests = {
      diffId: archive.plain.digest(),
      size: archive.plain.size,
      digest: archive.raw.hashing ? archive.raw.digest() : opts.expectedDigest!,
      blobSize: archive.raw.size,
      compression: archive.compression,
    };
    if (opts.expectedDiffId && opts.expectedDiffId !== digests.diffId)
      throw new EngineError('invalid-argument', `layer diff id mismatch: expected ${opts.expectedDiffId}, got ${digests.diffId}`);
    if (opts.expectedDigest && opts.expectedDigest !== digests.digest)
      throw new EngineError('invalid-argument', `layer digest mismatch: expected ${opts.expectedDigest}, got ${digests.digest}`);
    if (copyFd !== undefined) {
      fs.closeSync(copyFd);
      copyFd = undefined;
      fs.renameSync(`${opts.blobCopy}.partial`, opts.blobCopy!);
    }
    fs.renameSync(tmp, destDir);
    return digests;
  } catch (err) {
    input.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
    if (opts.blobCopy) fs.rmSync(`${opts.blobCopy}.partial`, { force: true });
    throw err;
  } finally {
    if (copyFd !== undefined) fs.closeSync(copyFd);
  }
}

/** The digests of a layer blob without extracting it (to check a blob against a stored layer). */
export async function digestLayer(input: Readable): Promise<LayerDigests> {
  const archive = await openArchive(input);
  for await (const _ of archive.tar); // drain: only the digests matter
  return {
    diffId: archive.plain.digest(),
    size: archive.plain.size,
    digest: archive.raw.digest(),
    blobSize: archive.raw.size,
    compression: archive.compression,
  };
}

// ---- the layer store: layers/<diff-id hex>/{diff,layer.json}

export interface LayerBlob {
  digest: string;
  size: number;
  mediaType: string;
}

export interface LayerInfo {
  diffId: string;
  size: number;
  /** the blobs (compressed or not) this layer was stored from, kept under blobs/sha256 */
  blobs: LayerBlob[];
}

export const digestHex = (digest: string): string => digest.replace(/^sha256:/, '');

export function layerExists(paths: StoragePaths, diffId: string): boolean {
  return fs.existsSync(layerDiffDir(paths, digestHex(diffId)));
}

export function readLayerInfo(paths: StoragePaths, diffId: string): LayerInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(layerInfoFile(paths, digestHex(diffId)), 'utf8')) as LayerInfo;
  } catch {
    return undefined;
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = tempSibling(file);
  try {
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true }); // a full disk leaves no temporary file
    throw err;
  }
}

/** Remembers that blob also yields the layer (so a later save can reproduce its digest). */
export function addLayerBlob(paths: StoragePaths, diffId: string, blob: LayerBlob): void {
  const info = readLayerInfo(paths, diffId);
  if (!info || info.blobs.some((b) => b.digest === blob.digest)) return;
  info.blobs.push(blob);
  writeJsonAtomic(layerInfoFile(paths, digestHex(diffId)), info);
}

export interface StoredLayer extends LayerDigests {
  /** false when the layer was already stored (by an earlier or a concurrent extraction) */
  created: boolean;
}

/**
 * Extracts a layer into the store, once per diff id. With keepBlob, the input
 * is also kept as blobs/sha256/<digest> (its media type given by the caller).
 */
export async function storeLayer(
  paths: StoragePaths,
  input: Readable,
  opts: { expectedDiffId?: string; expectedDigest?: string; sourceChecksDigest?: boolean; keepBlob?: (d: LayerDigests) => string } = {},
): Promise<StoredLayer> {
  const root = layersRoot(paths);
  ensurePrivateRoots(paths); // a first import or pull makes the store root here: with its modes (roots.ts)
  fs.mkdirSync(root, { recursive: true, mode: 0o700 }); // inside the private store root; private itself too
  const tmpLayer = tempSibling(path.join(root, '.new'));
  fs.mkdirSync(tmpLayer, { mode: 0o700 });
  try {
    const blobTmp = opts.keepBlob ? path.join(tmpLayer, 'blob') : undefined;
    const d = await extractLayer(input, path.join(tmpLayer, 'diff'), { ...opts, blobCopy: blobTmp });
    const hex = digestHex(d.diffId);
    if (blobTmp && opts.keepBlob) {
      const blobPath = blobFile(paths, digestHex(d.digest));
      fs.mkdirSync(path.dirname(blobPath), { recursive: true });
      if (!fs.existsSync(blobPath)) fs.renameSync(blobTmp, blobPath);
      else fs.rmSync(blobTmp);
    }
    const blobs: LayerBlob[] = opts.keepBlob ? [{ digest: d.digest, size: d.blobSize, mediaType: opts.keepBlob(d) }] : [];
    if (layerExists(paths, d.diffId)) {
      for (const b of blobs) addLayerBlob(paths, d.diffId, b);
      return { ...d, created: false };
    }
    const info: LayerInfo = { diffId: d.diffId, size: d.size, blobs };
    fs.writeFileSync(path.join(tmpLayer, 'layer.json'), JSON.stringify(info));
    fs.chmodSync(tmpLayer, 0o755);
    try {
      fs.renameSync(tmpLayer, layerDir(paths, hex));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      for (const b of blobs) addLayerBlob(paths, d.diffId, b); // a concurrent extraction won
      return { ...d, created: false };
    }
    return { ...d, created: true };
  } finally {
    fs.rmSync(tmpLayer, { recursive: true, force: true });
  }
}

/**
 * Moves a layer and its blobs out of the store into trashDir: quick renames,
 * meant to run under the store lock so that no image can be recorded on a
 * layer that is going away. purgeTrash then deletes them without the lock.
 */
export function unlinkLayer(paths: StoragePaths, diffId: string, trashDir: string): void {
  const hex = digestHex(diffId);
  const info = readLayerInfo(paths, diffId);
  fs.mkdirSync(trashDir, { recursive: true });
  for (const b of info?.blobs ?? []) moveQuiet(blobFile(paths, digestHex(b.digest)), path.join(trashDir, `blob-${digestHex(b.digest)}`));
  moveQuiet(layerDir(paths, hex), path.join(trashDir, `layer-${hex}`));
}

function moveQuiet(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function purgeTrash(trashDir: string): void {
  fs.rmSync(trashDir, { recursive: true, force: true });
}
