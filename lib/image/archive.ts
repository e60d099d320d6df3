// `load`: docker-archive (manifest.json + config + layer tars, in the legacy
// layout or Docker 25's blobs/sha256 one) and oci-archive (oci-layout,
// index.json, blobs), each plain or gzip. Everything is checked before
// anything is recorded: blob digests and sizes, config digests, and each
// layer's diff id against the config; a bad archive leaves the store as it was.
import { emitImageEvent } from '../events/journal';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Store } from '../storage/store';
import { blobFile, storageTmpDir } from '../storage/paths';
import { addLayerBlob, detectCompression, digestHex, digestLayer, layerExists, storeLayer } from '../storage/layer';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  INDEX_MEDIA_TYPES,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_OCI_LAYER_ZSTD,
} from '../oci/image-spec';
import { EngineError } from '../errors';
import { type StagedArchive, type StagedFile, stageArchive } from './archive-stage';
import { openInput } from './input';
import { checkDiffIds } from './digests';
import { OCI_OS, ociArchitecture } from './platform';
import { normalizeLocalName, normalizeName } from './reference';
import { type NewImage, commitImages, dropUnusedLayers, layerRemovedError, sha256Hex } from './store';

/** One image of an archive, checked and ready to store. */
interface ImagePlan {
  image: NewImage;
  id: string;
  layers: { blob: StagedFile; diffId: string; mediaType: string }[];
}

// <hex>.json, <hex>.tar (Podman) and blobs/sha256/<hex> (Docker 25) are named by their digest.
const HEX_NAMED = /(?:^|\/)(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json|\.tar)?$/;
const COMMIT_ATTEMPTS = 3;

function corrupt(msg: string): EngineError {
  return new EngineError('invalid-argument', `invalid image archive: ${msg}`);
}

const unsupportedFormat = (why?: string) =>
  new EngineError(
    'invalid-argument',
    // Podman's wording, one line per format tried
    `payload does not match any of the supported image formats:\n * oci-archive: ${why ?? 'not an OCI archive'}\n * docker-archive: ${why ?? 'not a docker archive'}`,
  );

function parseJson<T>(bytes: Buffer | undefined, what: string): T {
  if (!bytes) throw corrupt(`${what} is missing`);
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw corrupt(`${what} is not valid JSON`);
  }
}

function parseConfig(bytes: Buffer, what: string): ImageConfig {
  const config = parseJson<ImageConfig>(bytes, what);
  if (!config.rootfs || !Array.isArray(config.rootfs.diff_ids)) throw corrupt(`${what} has no rootfs.diff_ids`);
  try {
    checkDiffIds(config.rootfs.diff_ids, what);
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  return config;
}

function compressionOf(file: string): 'gzip' | 'none' {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = fs.readSync(fd, head, 0, 4, 0);
    return detectCompression(head.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

// ---- docker-archive

interface DockerArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function dockerArchivePlans(staged: StagedArchive): ImagePlan[] {
  const entries = parseJson<DockerArchiveEntry[]>(staged.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw corrupt('manifest.json lists no image');
  return entries.map((entry) => {
    const configFile = staged.get(entry.Config);
    if (!configFile) throw corrupt(`${entry.Config} is missing`);
    const named = HEX_NAMED.exec(entry.Config);
    if (named && configFile.digest !== `sha256:${named[1]}`)
      throw corrupt(`${entry.Config} has digest ${configFile.digest}`);
    const configBytes = fs.readFileSync(configFile.file);
    const config = parseConfig(configBytes, entry.Config);
    if (config.rootfs.diff_ids.length !== entry.Layers.length)
      throw corrupt(`${entry.Config} lists ${config.rootfs.diff_ids.length} layers, manifest.json ${entry.Layers.length}`);
    const layers = entry.Layers.map((name, i) => {
      const blob = staged.get(name);
      if (!blob) throw corrupt(`layer ${name} is missing`);
      const m = HEX_NAMED.exec(name);
      if (m && blob.digest !== `sha256:${m[1]}`) throw corrupt(`layer ${name} has digest ${blob.digest}`);
      const mediaType = compressionOf(blob.file) === 'gzip' ? MEDIA_TYPE_DOCKER_LAYER_GZIP : MEDIA_TYPE_DOCKER_LAYER;
      return { blob, diffId: config.rootfs.diff_ids[i], mediaType };
    });
    // docker-archive has no manifest: generate the schema2 one a registry would serve.
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
      config: { mediaType: MEDIA_TYPE_DOCKER_CONFIG, size: configBytes.length, digest: `sha256:${sha256Hex(configBytes)}` },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.blob.size, digest: l.blob.digest })),
    };
    const names = (entry.RepoTags ?? []).map((t) => normalizeName(t));
    return {
      id: sha256Hex(configBytes),
      image: { configBytes, manifestBytes: Buffer.from(JSON.stringify(manifest)), names },
      layers,
    };
  });
}

// ---- oci-archive

/** The blob a descriptor names, checked against its digest and size. */
function ociBlob(staged: StagedArchive, d: Descriptor): StagedFile {
  const m = /^sha256:([0-9a-f]{64})$/.exec(d.digest ?? '');
  if (!m) throw corrupt(`unsupported digest ${d.digest}`);
  const blob = staged.get(`blobs/sha256/${m[1]}`);
  if (!blob) throw corrupt(`blob ${d.digest} is missing`);
  if (blob.digest !== d.digest) throw corrupt(`blob ${d.digest} has digest ${blob.digest}`);
  if (typeof d.size === 'number' && blob.size !== d.size) throw corrupt(`blob ${d.digest} has size ${blob.size}, not ${d.size}`);
  return blob;
}

/** The name an index entry gives its image, as Podman reads it. */
function ociName(d: Descriptor): string | undefined {
  const full = d.annotations?.[ANNOTATION_CONTAINERD_IMAGE_NAME];
  if (full) return normalizeName(full);
  const ref = d.annotations?.[ANNOTATION_REF_NAME];
  return ref ? normalizeLocalName(ref) : undefined;
}

/** From an index (multi-platform), the manifest for this host, else the first one. */
function selectPlatform(index: ImageIndex): Descriptor {
  const arch = ociArchitecture();
  const usable = index.manifests.filter((m) => !INDEX_MEDIA_TYPES.includes(m.mediaType));
  const pick = usable.find((m) => m.platform?.os === OCI_OS && m.platform.architecture === arch) ?? usable[0];
  if (!pick) throw corrupt('the image index has no manifest');
  return pick;
}

function ociPlan(staged: StagedArchive, desc: Descriptor, names: string[], depth = 0): ImagePlan {
  if (INDEX_MEDIA_TYPES.includes(desc.mediaType)) {
    if (depth > 2) throw corrupt('image indexes nest too deep');
    const nested = parseJson<ImageIndex>(fs.readFileSync(ociBlob(staged, desc).file), `index ${desc.digest}`);
    return ociPlan(staged, selectPlatform(nested), names, depth + 1);
  }
  const manifestBytes = fs.readFileSync(ociBlob(staged, desc).file);
  const manifest = parseJson<ImageManifest>(manifestBytes, `manifest ${desc.digest}`);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw corrupt(`manifest ${desc.digest} is not an image manifest`);
  const configBytes = fs.readFileSync(ociBlob(staged, manifest.config).file);
  const config = parseConfig(configBytes, `config ${manifest.config.digest}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length)
    throw corrupt(`config ${manifest.config.digest} lists ${config.rootfs.diff_ids.length} layers, the manifest ${manifest.layers.length}`);
  const layers = manifest.layers.map((l, i) => {
    if (l.mediaType === MEDIA_TYPE_OCI_LAYER_ZSTD) throw new EngineError('invalid-argument', 'zstd-compressed layers are not supported');
    return { blob: ociBlob(staged, l), diffId: config.rootfs.diff_ids[i], mediaType: l.mediaType };
  });
  return { id: sha256Hex(configBytes), image: { configBytes, manifestBytes, names }, layers };
}

function ociArchivePlans(staged: StagedArchive): ImagePlan[] {
  const index = parseJson<ImageIndex>(staged.read('index.json'), 'index.json');
  if (!Array.isArray(index.manifests) || index.manifests.length === 0) throw corrupt('index.json lists no image');
  return index.manifests.map((d) => {
    const name = ociName(d);
    return ociPlan(staged, d, name ? [name] : []);
  });
}

// ---- storing

/**
 * Stores each layer not yet stored (checking its diff id), and for a layer
 * already stored checks the blob against it. Returns the diff ids it created.
 */
async function storeLayers(store: Store, plans: ImagePlan[], only?: Set<string>): Promise<string[]> {
  const paths = store.paths;
  const created: string[] = [];
  const seen = new Set<string>();
  try {
    for (const plan of plans) {
      for (const layer of plan.layers) {
        const key = `${layer.diffId} ${layer.blob.digest}`;
        if (seen.has(key) || (only && !only.has(layer.diffId))) continue;
        seen.add(key);
        const blob = { digest: layer.blob.digest, size: layer.blob.size, mediaType: layer.mediaType };
        if (!layerExists(paths, layer.diffId)) {
          const stored = await storeLayer(paths, fs.createReadStream(layer.blob.file), {
            expectedDiffId: layer.diffId,
            expectedDigest: layer.blob.digest,
            keepBlob: () => layer.mediaType,
          });
          if (stored.created) created.push(layer.diffId);
          continue;
        }
        if (layer.blob.digest !== layer.diffId) {
          const d = await digestLayer(fs.createReadStream(layer.blob.file));
          if (d.diffId !== layer.diffId) throw corrupt(`layer ${layer.blob.digest} has diff id ${d.diffId}, not ${layer.diffId}`);
        }
        const kept = blobFile(paths, digestHex(layer.blob.digest));
        if (!fs.existsSync(kept)) {
          fs.mkdirSync(path.dirname(kept), { recursive: true });
          const tmp = `${kept}.${process.pid}.tmp`;
          fs.copyFileSync(layer.blob.file, tmp);
          fs.renameSync(tmp, kept);
        }
        addLayerBlob(paths, layer.diffId, blob);
      }
    }
  } catch (err) {
    dropUnusedLayers(store, created);
    throw err;
  }
  return created;
}

/** Loads every image of an archive (a path, '-' for stdin, or a stream: an API request's body) and returns the names loaded. */
/** `event: false`: the caller records the operation itself (pull docker-archive:). */
export async function loadArchive(store: Store, file: string | Readable, opts: { event?: boolean } = {}): Promise<string[]> {
  const paths = store.paths;
  const input = typeof file === 'string' ? openInput(file) : file;
  store.ensureRoots(); // a first command may be a load: the roots are made with their modes first
  const dir = path.join(storageTmpDir(paths), `load-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  try {
    let staged: StagedArchive;
    try {
      staged = await stageArchive(input, dir);
    } catch (err) {
      if (err instanceof EngineError) throw err;
      throw unsupportedFormat((err as Error).message);
    }
    let plans: ImagePlan[];
    if (staged.has('manifest.json')) plans = dockerArchivePlans(staged);
    else if (staged.has('index.json')) plans = ociArchivePlans(staged);
    else throw unsupportedFormat();

    let only: Set<string> | undefined;
    for (let attempt = 1; ; attempt++) {
      created.push(...(await storeLayers(store, plans, only)));
      const result = commitImages(
        store,
        plans.map((p) => p.image),
      );
      if (result.missingLayers.length === 0) {
        if (opts.event !== false) emitImageEvent(paths, 'loadfromarchive', '', typeof file === 'string' ? file : ''); // as Podman: the archive, no id
        return plans.flatMap((p) => (p.image.names.length > 0 ? p.image.names : [`sha256:${p.id}`]));
      }
      // a concurrent rmi removed a layer we found stored: store it again
      if (attempt >= COMMIT_ATTEMPTS) throw layerRemovedError(result.missingLayers);
      only = new Set(result.missingLayers);
    }
  } catch (err) {
    dropUnusedLayers(store, created);
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
