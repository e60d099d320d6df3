// Images on disk: images/<id>/{config.json,manifest.json} beside the layer
// store, and the records in the state database. An image id is the sha256 of
// its config bytes, kept exactly as received so the id can be recomputed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import type { Database, ImageRecord } from '../storage/records';
import { type StoragePaths, imageDir, layerDiffDir, storageTmpDir } from '../storage/paths';
import { digestHex, layerExists, purgeTrash, readLayerInfo, unlinkLayer } from '../storage/layer';
import type { ImageConfig, ImageManifest } from '../oci/image-spec';
import { EngineError } from '../errors';
import { ociArchitecture } from './platform';

export const sha256Hex = (data: Buffer | string): string => crypto.createHash('sha256').update(data).digest('hex');

const configFile = (paths: StoragePaths, id: string) => path.join(imageDir(paths, id), 'config.json');
const manifestFile = (paths: StoragePaths, id: string) => path.join(imageDir(paths, id), 'manifest.json');

/** The image's OCI config (config.json, as received). */
export function imageConfig(paths: StoragePaths, id: string): ImageConfig {
  try {
    return JSON.parse(fs.readFileSync(configFile(paths, id), 'utf8')) as ImageConfig;
  } catch (err) {
    // a manifest list (lib/image/manifest-list.ts) has no config of its own: Podman's words
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(path.join(imageDir(paths, id), 'list.json')))
      throw new EngineError('no-such-image', `${id}: no image found in manifest list for architecture ${ociArchitecture()}, variant "", OS linux: image not known`);
    throw err;
  }
}

/** The image's manifest bytes, as received or generated (their digest is the image digest). */
export function imageManifestBytes(paths: StoragePaths, id: string): Buffer {
  return fs.readFileSync(manifestFile(paths, id));
}

export function imageManifest(paths: StoragePaths, id: string): ImageManifest {
  return JSON.parse(imageManifestBytes(paths, id).toString('utf8')) as ImageManifest;
}

/** The image's layer directories, bottom first (overlay lower dirs). */
export function layerPaths(paths: StoragePaths, image: ImageRecord): string[] {
  return image.layers.map((diffId) => layerDiffDir(paths, digestHex(diffId)));
}

/** An image whose layers are stored, ready to be recorded. */
export interface NewImage {
  configBytes: Buffer;
  manifestBytes: Buffer;
  /** fully qualified names; they move here from any image holding them */
  names: string[];
}

export interface CommitResult {
  records: ImageRecord[];
  /** diff ids that vanished before the commit (a concurrent rmi); nothing was recorded */
  missingLayers: string[];
}

function writeAtomic(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true }); // a full disk leaves no temporary file
    throw err;
  }
}

/**
 * Sets an image's names; as containers/storage, each name set goes to the
 * front of its name history (so a name untagged stays in it, behind).
 */
export function setImageNames(image: ImageRecord, names: string[]): void {
  image.names = names;
  let history = image.namesHistory ?? [];
  for (const n of names) history = [n, ...history.filter((h) => h !== n)];
  image.namesHistory = history;
}

/** Takes names away from every image but keepId. */
export function takeNames(db: Database, names: string[], keepId: string): void {
  for (const other of Object.values(db.images))
    if (other.id !== keepId && other.names.some((n) => names.includes(n)))
      setImageNames(other, other.names.filter((n) => !names.includes(n)));
}

/**
 * Records images in one short transaction: all or none. Their layers must be
 * stored; a layer removed meanwhile is reported and nothing is recorded, so the
 * caller can store it again and retry.
 */
export function commitImages(store: Store, images: NewImage[]): CommitResult {
  const paths = store.paths;
  return store.update((db) => {
    const missingLayers = new Set<string>();
    const parsed = images.map((img) => {
      const config = JSON.parse(img.configBytes.toString('utf8')) as ImageConfig;
      for (const d of config.rootfs.diff_ids) if (!layerExists(paths, d)) missingLayers.add(d);
      return { img, config, id: sha256Hex(img.configBytes) };
    });
    if (missingLayers.size > 0) return { records: [], missingLayers: [...missingLayers] };
    const records = parsed.map(({ img, config, id }) => {
      fs.mkdirSync(imageDir(paths, id), { recursive: true });
      if (!fs.existsSync(configFile(paths, id))) writeAtomic(configFile(paths, id), img.configBytes);
      const existing = db.images[id];
      // An image stored before keeps its manifest (and so its digest).
      if (!existing) writeAtomic(manifestFile(paths, id), img.manifestBytes);
      takeNames(db, img.names, id);
      const names = [...new Set([...img.names, ...(existing?.names ?? [])])];
      const layers = config.rootfs.diff_ids;
      const record: ImageRecord = existing
        ? { ...existing, names }
        : {
            id,
            names,
            digest: `sha256:${sha256Hex(img.manifestBytes)}`,
            layers,
            created: config.created ?? new Date().toISOString(),
            size: layers.reduce((sum, d) => sum + (readLayerInfo(paths, d)?.size ?? 0), 0),
          };
      setImageNames(record, names);
      db.images[id] = record;
      return record;
    });
    return { records, missingLayers: [] };
  });
}

/** A fresh trash directory in the store's scratch space (same filesystem: renames are atomic). */
export function newTrashDir(paths: StoragePaths): string {
  return path.join(storageTmpDir(paths), `trash-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
}

/** Moves the layers among diffIds that no image uses out of the store; the caller holds the store lock. */
export function unlinkUnusedLayers(db: Database, paths: StoragePaths, diffIds: string[], trash: string): void {
  const used = new Set(Object.values(db.images).flatMap((i) => i.layers));
  for (const d of new Set(diffIds)) if (!used.has(d)) unlinkLayer(paths, d, trash);
}

/** Deletes the layers among diffIds that no image uses (cleanup after a failed import or load). */
export function dropUnusedLayers(store: Store, diffIds: string[]): void {
  if (diffIds.length === 0) return;
  const trash = newTrashDir(store.paths);
  try {
    store.update((db) => unlinkUnusedLayers(db, store.paths, diffIds, trash));
  } finally {
    purgeTrash(trash);
  }
}

export function layerRemovedError(diffIds: string[]): EngineError {
  return new EngineError('internal', `layers ${diffIds.join(', ')} were removed while the image was being stored; try again`);
}
