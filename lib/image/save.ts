// `save`: images to a docker-archive (Podman's default), an oci-archive or an
// oci-dir; `export`: a container's file system as a tar. OCI layouts carry the
// stored blobs and manifest bytes as they are, so digests survive a save/load
// round trip; docker-archive holds uncompressed layer tars and a generated
// manifest, so there only the image id (the config digest) survives.
import { emitImageEvent } from '../events/journal';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import * as tar from 'tar-stream';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/records';
import { blobFile, imageDir } from '../storage/paths';
import { detectCompression, digestHex, readLayerInfo } from '../storage/layer';
import { EngineError, noSuchImage } from '../errors';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  type Descriptor,
  type ImageIndex,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_MANIFEST,
  OCI_LAYOUT_VERSION,
} from '../oci/image-spec';
import { lookupImage } from './resolve';
import { normalizeName } from './reference';
import { imageManifest, imageManifestBytes, sha256Hex } from './store';
import { exportRootfs } from '../container/archive';

export type SaveFormat = 'docker-archive' | 'oci-archive' | 'oci-dir' | 'docker-dir';
export const SAVE_FORMATS: readonly SaveFormat[] = ['docker-archive', 'oci-archive', 'oci-dir', 'docker-dir'];

interface SaveItem {
  image: ImageRecord;
  /** the names to record (the one the user gave; none when given an id) */
  names: string[];
}

/** Something to write entries to: a tar stream or a directory. */
interface Sink {
  file(name: string, content: Buffer | (() => Readable), size: number): Promise<void>;
  close(): Promise<void>;
  abort(): void;
}

function tarSink(out: Writable, onDone?: () => void, onAbort?: () => void): Sink {
  const pack = tar.pack();
  const written = pipeline(pack, out);
  // awaited by close(); when an entry fails first (the API client went away), abort() ends it: no unhandled rejection
  written.catch(() => undefined);
  const mtime = new Date(0);
  return {
    async file(name, content, size) {
      await new Promise<void>((resolve, reject) => {
        const header = { name, size, mode: 0o644, mtime, type: 'file' as const };
        // the callbacks report failures; an entry destroyed with its pack (the API client went away) would throw unheard
        if (Buffer.isBuffer(content)) {
          pack.entry(header, content, (e) => (e ? reject(e) : resolve())).on('error', () => undefined);
          return;
        }
        const entry = pack.entry(header as tar.Header, (e) => (e ? reject(e) : resolve()));
        entry.on('error', () => undefined);
        pipeline(content(), entry).catch(reject);
      });
    },
    async close() {
      pack.finalize();
      await written;
      onDone?.();
    },
    abort() {
      pack.destroy();
      onAbort?.();
    },
  };
}

function dirSink(dir: string): Sink {
  fs.mkdirSync(dir, { recursive: true });
  return {
    async file(name, content, size) {
      const target = path.join(dir, name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (Buffer.isBuffer(content)) fs.writeFileSync(target, content);
      else await pipeline(content(), fs.createWriteStream(target));
      if (fs.statSync(target).size !== size) throw new EngineError('internal', `writing ${target}: size mismatch`);
    },
    async close() {},
    abort() {},
  };
}

function blobStream(store: Store, digest: string): () => Readable {
  const file = blobFile(store.paths, digestHex(digest));
  if (!fs.existsSync(file)) throw new EngineError('internal', `blob ${digest} is not stored`);
  return () => fs.createReadStream(file);
}

/** The layer as an uncompressed tar (the blob, gunzipped when it is compressed). */
function layerTar(store: Store, diffId: string, blobDigest: string): { open: () => Readable; size: number } {
  const info = readLayerInfo(store.paths, diffId);
  if (!info) throw new EngineError('internal', `layer ${diffId} is not stored`);
  const blobs = [blobDigest, ...info.blobs.map((b) => b.digest)];
  const digest = blobs.find((d) => fs.existsSync(blobFile(store.paths, digestHex(d))));
  if (!digest) throw new EngineError('internal', `layer ${diffId} has no stored blob`);
  const file = blobFile(store.paths, digestHex(digest));
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  const n = fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  const gz = detectCompression(head.subarray(0, n)) === 'gzip';
  return { open: () => (gz ? fs.createReadStream(file).pipe(zlib.createGunzip()) : fs.createReadStream(file)), size: info.size };
}

async function writeDocker(store: Store, items: SaveItem[], sink: Sink): Promise<void> {
  const entries: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const written = new Set<string>();
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, names } of items) {
    const configBytes = fs.readFileSync(path.join(imageDir(store.paths, image.id), 'config.json'));
    const configName = `${image.id}.json`;
    if (!written.has(configName)) {
      await sink.file(configName, configBytes, configBytes.length);
      written.add(configName);
    }
    const manifest = imageManifest(store.paths, image.id);
    const layers: string[] = [];
    for (const [i, diffId] of image.layers.entries()) {
      const name = `${digestHex(diffId)}.tar`;
      layers.push(name);
      if (written.has(name)) continue;
      const t = layerTar(store, diffId, manifest.layers[i]?.digest ?? diffId);
      await sink.file(name, t.open, t.size);
      written.add(name);
    }
    entries.push({ Config: configName, RepoTags: names, Layers: layers });
    for (const n of names) {
      const colon = n.lastIndexOf(':');
      (repositories[n.slice(0, colon)] ??= {})[n.slice(colon + 1)] = digestHex(image.layers[image.layers.length - 1] ?? '');
    }
  }
  const manifestJson = Buffer.from(JSON.stringify(entries));
  await sink.file('manifest.json', manifestJson, manifestJson.length);
  const repos = Buffer.from(JSON.stringify(repositories));
  await sink.file('repositories', repos, repos.length);
}

/**
 * The image's manifest with uncompressed layers (save --uncompressed): an OCI
 * manifest whose layer blobs are the layer tars, named by their diff ids.
 */
function uncompressedManifest(store: Store, image: ImageRecord, configSize: number): { bytes: Buffer; layers: { digest: string; open: () => Readable; size: number }[] } {
  const stored = imageManifest(store.paths, image.id);
  const layers = image.layers.map((diffId, i) => ({ digest: diffId, ...layerTar(store, diffId, stored.layers[i]?.digest ?? diffId) }));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: `sha256:${image.id}`, size: configSize },
    layers: layers.map((l) => ({ mediaType: MEDIA_TYPE_OCI_LAYER, digest: l.digest, size: l.size })),
  };
  return { bytes: Buffer.from(JSON.stringify(manifest)), layers };
}

async function writeOci(store: Store, items: SaveItem[], sink: Sink, uncompressed = false): Promise<void> {
  const written = new Set<string>();
  const blob = async (digest: string, content: Buffer | (() => Readable), size: number) => {
    if (written.has(digest)) return;
    written.add(digest);
    await sink.file(`blobs/sha256/${digestHex(digest)}`, content, size);
  };
  const layout = Buffer.from(JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
  await sink.file('oci-layout', layout, layout.length);
  const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] };
  for (const { image, names } of items) {
    const configBytes = fs.readFileSync(path.join(imageDir(store.paths, image.id), 'config.json'));
    let manifestBytes: Buffer;
    let mediaType: string;
    if (uncompressed) {
      const u = uncompressedManifest(store, image, configBytes.length);
      for (const l of u.layers) await blob(l.digest, l.open, l.size);
      manifestBytes = u.bytes;
      mediaType = MEDIA_TYPE_OCI_MANIFEST;
    } else {
      manifestBytes = imageManifestBytes(store.paths, image.id);
      const manifest = imageManifest(store.paths, image.id);
      for (const l of manifest.layers) await blob(l.digest, blobStream(store, l.digest), l.size);
      mediaType = manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST;
    }
    await blob(`sha256:${image.id}`, configBytes, configBytes.length);
    const digest = `sha256:${sha256Hex(manifestBytes)}`;
    await blob(digest, manifestBytes, manifestBytes.length);
    const desc: Descriptor = { mediaType, digest, size: manifestBytes.length };
    if (names.length === 0) index.manifests.push(desc);
    for (const n of names)
      index.manifests.push({ ...desc, annotations: { [ANNOTATION_CONTAINERD_IMAGE_NAME]: n, [ANNOTATION_REF_NAME]: n } });
  }
  const indexBytes = Buffer.from(JSON.stringify(index));
  await sink.file('index.json', indexBytes, indexBytes.length);
}

export interface SaveOptions {
  format?: SaveFormat;
  /** a file (archives), a directory (oci-dir, docker-dir), or '-' for stdout */
  output: string;
  /** with output '-': the stream an archive goes to instead of stdout (the API's response) */
  stream?: Writable;
  /** false: the caller records the operation itself (push dir:) */
  event?: boolean;
  /** OCI formats: layers as plain tars (--uncompressed) */
  uncompressed?: boolean;
  /** docker-archive of one image: more names recorded for it, before its own (Podman's `save IMAGE TAG...` without -m) */
  additionalTags?: string[];
}

/** Saves the images refs designate; everything is written to a temporary name first. */
export async function saveImages(store: Store, refs: string[], opts: SaveOptions): Promise<void> {
  const format = opts.format ?? 'docker-archive';
  if (!SAVE_FORMATS.includes(format)) throw new EngineError('invalid-argument', `unsupported format "${format}" (one of ${SAVE_FORMATS.join(', ')})`);
  const db = store.read();
  const items: SaveItem[] = refs.map((ref) => {
    const match = lookupImage(db, ref);
    if (!match) throw noSuchImage(ref);
    // by id: no names recorded (Podman), a load then gives <none>:<none>
    return { image: match.image, names: match.name && !match.name.includes('@') ? [match.name] : [] }; // a digest is no tag
  });
  if (opts.additionalTags?.length) {
    if (items.length !== 1 || format !== 'docker-archive') throw new EngineError('invalid-argument', 'additional tags are saved with one image in a docker-archive');
    items[0].names = [...new Set([...opts.additionalTags.map((t) => normalizeName(t)), ...items[0].names])];
  }
  const isDir = format === 'oci-dir' || format === 'docker-dir';
  if (isDir && opts.output === '-') throw new EngineError('invalid-argument', `format ${format} needs an output directory (-o)`);
  const target = opts.output;
  const tmp = target === '-' ? undefined : `${target}.tspod-${process.pid}.tmp`;
  let sink: Sink;
  if (isDir) {
    if (fs.existsSync(target) && fs.readdirSync(target).length > 0)
      throw new EngineError('invalid-argument', `${target}: the directory is not empty`);
    sink = dirSink(tmp!);
  } else sink = tarSink(tmp ? fs.createWriteStream(tmp) : (opts.stream ?? process.stdout));
  try {
    if (format === 'docker-archive' || format === 'docker-dir') await writeDocker(store, items, sink);
    else await writeOci(store, items, sink, opts.uncompressed);
    await sink.close();
    if (tmp) {
      if (isDir) fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(tmp, target);
    }
    if (opts.event !== false) for (const it of items) emitImageEvent(store.paths, 'save', it.image.id, target);
  } catch (err) {
    sink.abort();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

// ---- export: a directory tree as a tar

/**
 * Writes the tree at root (a container's mounted root file system) as a tar to
 * out, walked through the in-root resolver's held fds (a running container's
 * symlinks never lead it to host files).
 */
export function exportTree(root: string, out: Writable): Promise<void> {
  return exportRootfs(root, out);
}
