// New images on top of stored ones: a config change with or without a new
// layer (build steps), and `commit`: a container's changes as one layer (the
// same writer as build's, lib/storage/container-diff.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/records';
import { storeLayer } from '../storage/layer';
import { storageTmpDir } from '../storage/paths';
import { writeContainerDiff } from '../storage/container-diff';
import {
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageManifest,
  type ImageRuntimeConfig,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../oci/image-spec';
import type { LocalEngine } from '../container/engine';
import { EngineError } from '../errors';
import { applyChanges } from './changes';
import { OCI_OS, ociArchitecture } from './platform';
import { normalizeLocalName, normalizeName } from './reference';
import { commitImages, dropUnusedLayers, imageConfig, imageManifest, layerPaths, layerRemovedError, sha256Hex } from './store';
import { emitEvent, labelAttributes } from '../events/journal';

/** The config of an image with no layers and no history (FROM scratch). */
export function scratchConfig(): ImageConfig {
  return { architecture: ociArchitecture(), os: OCI_OS, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

export interface ChildImage {
  /** the image below; undefined: scratch */
  base?: ImageRecord;
  /** the new image's config: base's (or scratchConfig()) with its runtime config changed */
  config: ImageConfig;
  /** a layer tar to add on top; none: an empty_layer history entry */
  layerTar?: string;
  /** the history entry; none for a build's scratch image */
  history?: HistoryEntry;
  names: string[];
  /** a fixed creation time (the scratch image of a build, so its id is stable) */
  created?: string;
  /** the manifest's format (default oci); docker: Docker's schema 2 media types */
  format?: ImageFormat;
}

export type ImageFormat = 'oci' | 'docker';

const MEDIA_TYPES: Record<ImageFormat, { manifest: string; config: string; layer: string }> = {
  oci: { manifest: MEDIA_TYPE_OCI_MANIFEST, config: MEDIA_TYPE_OCI_CONFIG, layer: MEDIA_TYPE_OCI_LAYER },
  docker: { manifest: MEDIA_TYPE_DOCKER_MANIFEST, config: MEDIA_TYPE_DOCKER_CONFIG, layer: MEDIA_TYPE_DOCKER_LAYER },
};

/** A `--format` value: oci (or its alias, the empty string) or docker. */
export function imageFormat(v: string | undefined): ImageFormat {
  if (v === undefined || v === '' || v === 'oci') return 'oci';
  if (v === 'docker' || v === 'v2s2') return 'docker';
  throw new EngineError('invalid-argument', `unrecognized image type "${v}"`);
}

/** Stores the layer (if any) and records the image; returns its record. */
export async function storeChildImage(store: Store, img: ChildImage): Promise<ImageRecord> {
  const config: ImageConfig = structuredClone(img.config);
  const created = img.created ?? new Date().toISOString();
  const types = MEDIA_TYPES[img.format ?? 'oci'];
  const layers: Descriptor[] = img.base ? [...imageManifest(store.paths, img.base.id).layers] : [];
  let stored: Awaited<ReturnType<typeof storeLayer>> | undefined;
  if (img.layerTar) {
    stored = await storeLayer(store.paths, fs.createReadStream(img.layerTar), { keepBlob: () => types.layer });
    layers.push({ mediaType: types.layer, digest: stored.digest, size: stored.blobSize });
  }
  try {
    config.created = created;
    config.rootfs = { type: 'layers', diff_ids: [...config.rootfs.diff_ids, ...(stored ? [stored.diffId] : [])] };
    if (img.history) config.history = [...(config.history ?? []), { created, ...img.history, ...(stored ? {} : { empty_layer: true }) }];
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, digest: `sha256:${sha256Hex(configBytes)}`, size: configBytes.length },
      layers,
    };
    const result = commitImages(store, [{ configBytes, manifestBytes: Buffer.from(JSON.stringify(manifest)), names: img.names }]);
    if (result.missingLayers.length > 0) throw layerRemovedError(result.missingLayers);
    return result.records[0];
  } catch (err) {
    if (stored?.created) dropUnusedLayers(store, [stored.diffId]);
    throw err;
  }
}

/** A private scratch file in the store (removed by the caller). */
export function tempLayerFile(store: Store): string {
  store.ensureRoots();
  const dir = storageTmpDir(store.paths);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return path.join(dir, `layer-${process.pid}-${crypto.randomBytes(6).toString('hex')}.tar`);
}

/** Records a container's changes as a new image over its own; the history entry as given. */
export async function commitContainerLayer(
  engine: LocalEngine,
  containerId: string,
  runtimeConfig: ImageRuntimeConfig,
  history: HistoryEntry,
  names: string[],
  author?: string,
  format: ImageFormat = 'oci',
): Promise<ImageRecord> {
  const rec = engine.get(containerId);
  const base = engine.imageOf(rec);
  const config = imageConfig(engine.paths, base.id);
  const file = tempLayerFile(engine.store);
  try {
    await writeContainerDiff(engine.paths, rec.id, layerPaths(engine.paths, base), file);
    return await storeChildImage(engine.store, {
      base,
      config: { ...config, ...(author !== undefined ? { author } : {}), config: runtimeConfig },
      layerTar: file,
      history: { ...history, ...(author ? { author } : {}) },
      names,
      format,
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * The same image as Docker v2 schema 2 (build --format docker): Docker's media
 * types and `container_config` in the config, so its id differs from the OCI one.
 */
export function dockerFormatImage(store: Store, image: ImageRecord, names: string[]): ImageRecord {
  const config = imageConfig(store.paths, image.id) as ImageConfig & { container_config?: unknown };
  const configBytes = Buffer.from(JSON.stringify({ ...config, container_config: config.config ?? {} }));
  const layerType = (t: string) => (t === MEDIA_TYPE_OCI_LAYER_GZIP ? MEDIA_TYPE_DOCKER_LAYER_GZIP : t === MEDIA_TYPE_OCI_LAYER ? MEDIA_TYPE_DOCKER_LAYER : t);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
    config: { mediaType: MEDIA_TYPE_DOCKER_CONFIG, digest: `sha256:${sha256Hex(configBytes)}`, size: configBytes.length },
    layers: imageManifest(store.paths, image.id).layers.map((l) => ({ ...l, mediaType: layerType(l.mediaType) })),
  };
  const result = commitImages(store, [{ configBytes, manifestBytes: Buffer.from(JSON.stringify(manifest)), names }]);
  if (result.missingLayers.length > 0) throw layerRemovedError(result.missingLayers);
  return result.records[0];
}

export interface CommitOptions {
  changes: string[];
  message?: string;
  author?: string;
  pause: boolean;
  name?: string;
  /** a short name means docker.io's (Podman's compat API) rather than localhost/ */
  dockerHub?: boolean;
  /** oci (default) or docker; a message needs docker's (OCI configs have no comment field) */
  format?: ImageFormat;
}

/**
 * `commit`: the container's upper layer becomes a new layer over its image.
 * The new image's defaults are the container's (command, entrypoint, env,
 * user, working directory, labels), then the --change instructions.
 */
export async function commitContainer(engine: LocalEngine, idOrName: string, opts: CommitOptions): Promise<ImageRecord> {
  const names = opts.name ? [opts.dockerHub ? normalizeName(opts.name) : normalizeLocalName(opts.name)] : [];
  const rec = engine.get(idOrName);
  if (opts.message && (opts.format ?? 'oci') === 'oci') {
    const why = 'messages are only compatible with the docker image format (-f docker)';
    throw new EngineError('invalid-argument', why, why);
  }
  // --pause (Podman's and Docker's default): a running container is frozen while its changes are read.
  const pauseIt = opts.pause && rec.state.status === 'running' && !rec.state.paused;
  if (pauseIt) await engine.setPaused(rec.id, true);
  try {
    return await commitRecord(engine, rec, names, opts);
  } finally {
    if (pauseIt) await engine.setPaused(rec.id, false).catch(() => undefined); // it may have stopped meanwhile
  }
}

async function commitRecord(engine: LocalEngine, rec: ReturnType<LocalEngine['get']>, names: string[], opts: CommitOptions): Promise<ImageRecord> {
  const base = imageConfig(engine.paths, engine.imageOf(rec).id).config ?? {};
  const c = rec.config;
  const runtime: ImageRuntimeConfig = structuredClone(base);
  if (c.entrypointSet) runtime.Entrypoint = c.entrypoint;
  if (c.cmd.length > 0) runtime.Cmd = c.cmd;
  // --entrypoint without a command dropped the image's CMD at run: the image runs as the container did
  else if (c.entrypointSet) delete runtime.Cmd;
  if (c.env.length > 0) {
    const env = [...(runtime.Env ?? [])];
    for (const e of c.env) {
      const key = e.split('=', 1)[0];
      const i = env.findIndex((x) => x.split('=', 1)[0] === key);
      if (i >= 0) env[i] = e;
      else env.push(e);
    }
    runtime.Env = env;
  }
  if (c.user) runtime.User = c.user;
  if (c.workdir) runtime.WorkingDir = c.workdir;
  if (Object.keys(c.labels).length > 0) runtime.Labels = { ...(runtime.Labels ?? {}), ...c.labels };
  const changed = applyChanges(runtime, opts.changes); // refused before anything is written
  const image = await commitContainerLayer(
    engine,
    rec.id,
    changed,
    { created_by: `/bin/sh -c #(nop) commit of container ${rec.id.slice(0, 12)}`, ...(opts.message ? { comment: opts.message } : {}) },
    names,
    opts.author,
    opts.format,
  );
  emitEvent(engine.paths, { Type: 'container', Status: 'commit', ID: rec.id, Name: rec.name, Image: names[0] ?? image.id, Attributes: labelAttributes(rec.config.labels) });
  return image;
}
