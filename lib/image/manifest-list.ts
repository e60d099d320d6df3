// Manifest lists (`manifest create|add|remove|annotate|inspect|push|rm`), as
// Podman keeps them: an image of their own (a record in db.images, so names
// are shared with images and `images`/`rmi` see them) with no config and no
// layers. images/<id>/manifest.json holds the list as it is pushed (a Docker
// manifest list by default, or an OCI index), list.json where each instance
// comes from: a local image (containers-storage:<id>) or a registry
// reference (docker://repo@digest), copied only at `push --all`.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../storage/store';
import type { Database, ImageRecord } from '../storage/records';
import { imageDir, storageTmpDir } from '../storage/paths';
import { EngineError, invalidArgument, noSuchImage } from '../errors';
import {
  type Descriptor,
  type Platform,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../oci/image-spec';
import { type ImageReference, formatReference, normalizeLocalName, parseReference, withDefaultTag } from './reference';
import { lookupImage } from './resolve';
import { imageConfig, imageManifestBytes, setImageNames, sha256Hex } from './store';
import { emitImageEvent } from '../events/journal';
import type { RegistryOptions } from './pull';
import { type Progress, silentProgress } from './registry/progress';

/** One entry of the list, with where its content comes from. */
export interface ListInstance {
  mediaType: string;
  size: number;
  digest: string;
  platform?: Platform & { features?: string[] };
  annotations?: Record<string, string>;
  /** containers-storage:<image id> or docker://registry/repo@digest */
  source: string;
}

interface ListDoc {
  mediaType: string;
  annotations?: Record<string, string>;
  instances: ListInstance[];
}

/** What `manifest add` and `annotate` may set on an instance. */
export interface InstanceOptions {
  os?: string;
  arch?: string;
  variant?: string;
  osVersion?: string;
  features?: string[];
  osFeatures?: string[];
  annotations?: Record<string, string>;
}

export interface AddOptions extends InstanceOptions, RegistryOptions {
  /** a reference to a list adds all of its instances, not only this platform's */
  all?: boolean;
}

export interface ListPushOptions extends RegistryOptions {
  /** push the instances too (else the registry must have them already) */
  all?: boolean;
  /** oci or v2s2: the list's type at the destination (default: as stored) */
  format?: string;
  /** remove the list once pushed */
  rm?: boolean;
  progress?: Progress;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// Values that end up in JSON only, but are still bounded and printable.
const PLATFORM_FIELD = /^[A-Za-z0-9._-]{1,64}$/;

const listFile = (store: Store, id: string) => path.join(imageDir(store.paths, id), 'list.json');
const listManifestFile = (store: Store, id: string) => path.join(imageDir(store.paths, id), 'manifest.json');

function writeAtomic(file: string, data: Buffer | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** The list's bytes as pushed and inspected: Docker's form writes `manifests: null` when empty, as Podman does. */
export function serializeList(doc: ListDoc, mediaType = doc.mediaType): Buffer {
  const oci = mediaType === MEDIA_TYPE_OCI_INDEX;
  const manifests = doc.instances.map((i) => {
    const d: Record<string, unknown> = { mediaType: i.mediaType, size: i.size, digest: i.digest };
    if (i.platform) {
      const p = i.platform;
      d.platform = {
        architecture: p.architecture,
        os: p.os,
        ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
        ...(p['os.features']?.length ? { 'os.features': p['os.features'] } : {}),
        ...(p.variant ? { variant: p.variant } : {}),
        ...(!oci && p.features?.length ? { features: p.features } : {}),
      };
    }
    if (i.annotations && Object.keys(i.annotations).length) d.annotations = i.annotations;
    return d;
  });
  const list: Record<string, unknown> = { schemaVersion: 2, mediaType, manifests: manifests.length || oci ? manifests : null };
  if (oci && doc.annotations && Object.keys(doc.annotations).length) list.annotations = doc.annotations;
  return Buffer.from(JSON.stringify(list, null, 4));
}

function readDoc(store: Store, id: string): ListDoc {
  return JSON.parse(fs.readFileSync(listFile(store, id), 'utf8')) as ListDoc;
}

/** The list ref designates; noSuchImage when nothing does, an error when it is an image. */
function listOf(db: Database, ref: string): ImageRecord {
  const match = lookupImage(db, ref);
  if (!match) throw noSuchImage(ref);
  if (!match.image.manifestList) throw new EngineError('invalid-argument', `${ref}: image is not a manifest list`);
  return match.image;
}

/** Writes the list's files and brings its record (digest, size) up to date; the caller holds the store lock. */
function saveDoc(store: Store, rec: ImageRecord, doc: ListDoc): void {
  const bytes = serializeList(doc);
  writeAtomic(listFile(store, rec.id), JSON.stringify(doc));
  writeAtomic(listManifestFile(store, rec.id), bytes);
  rec.digest = `sha256:${sha256Hex(bytes)}`;
  rec.size = bytes.length;
}

/** Applies a change to the list's instances under the store lock; returns the list's id. */
function changeList(store: Store, ref: string, change: (doc: ListDoc) => void): string {
  return store.update((db) => {
    const rec = listOf(db, ref);
    const doc = readDoc(store, rec.id);
    change(doc);
    saveDoc(store, rec, doc);
    return rec.id;
  });
}

/** `manifest create NAME [IMAGE...]`: an empty list (of Docker's type), then each image added. */
export async function createList(store: Store, name: string, images: string[] = [], opts: AddOptions = {}): Promise<string> {
  const full = normalizeLocalName(name);
  const id = crypto.randomBytes(32).toString('hex');
  const doc: ListDoc = { mediaType: MEDIA_TYPE_DOCKER_MANIFEST_LIST, instances: [] };
  store.update((db) => {
    const holder = Object.values(db.images).find((i) => i.names.includes(full));
    if (holder)
      throw new EngineError(
        'name-in-use',
        `creating image to hold manifest list: image name "${full}" is already associated with image "${holder.id}": that name is already in use`,
      );
    fs.mkdirSync(imageDir(store.paths, id), { recursive: true });
    const rec: ImageRecord = { id, names: [], digest: '', layers: [], created: new Date().toISOString(), size: 0, manifestList: true };
    setImageNames(rec, [full]);
    saveDoc(store, rec, doc);
    db.images[id] = rec;
  });
  emitImageEvent(store.paths, 'create', id, full);
  try {
    for (const image of images) await addToList(store, id, image, opts);
  } catch (e) {
    // all or nothing: a list whose images could not be added is not left behind
    const { removeImage } = require('./remove') as typeof import('./remove');
    removeImage(store, id, true, () => undefined);
    throw e;
  }
  return id;
}

function checkInstanceOptions(o: InstanceOptions): void {
  for (const [k, v] of [['os', o.os], ['arch', o.arch], ['variant', o.variant], ['os-version', o.osVersion]] as const)
    if (v !== undefined && v !== '' && !PLATFORM_FIELD.test(v)) throw invalidArgument(`invalid --${k} "${v}"`);
  for (const f of [...(o.features ?? []), ...(o.osFeatures ?? [])]) if (!PLATFORM_FIELD.test(f)) throw invalidArgument(`invalid feature "${f}"`);
}

function applyOptions(inst: ListInstance, o: InstanceOptions): void {
  const p: ListInstance['platform'] = { ...(inst.platform ?? { architecture: '', os: '' }) };
  if (o.os) p.os = o.os;
  if (o.arch) p.architecture = o.arch;
  if (o.variant) p.variant = o.variant;
  if (o.osVersion) p['os.version'] = o.osVersion;
  if (o.features?.length) p.features = o.features;
  if (o.osFeatures?.length) p['os.features'] = o.osFeatures;
  inst.platform = p;
  if (o.annotations && Object.keys(o.annotations).length) inst.annotations = { ...(inst.annotations ?? {}), ...o.annotations };
}

/** A local image as an instance: its stored manifest, its config's platform. */
function localInstance(store: Store, ref: string): ListInstance {
  const match = lookupImage(store.read(), ref);
  if (!match) throw noSuchImage(ref);
  const image = match.image;
  if (image.manifestList) throw new EngineError('invalid-argument', `${ref}: adding a manifest list to a manifest list is not supported`);
  const bytes = imageManifestBytes(store.paths, image.id);
  const manifest = JSON.parse(bytes.toString('utf8')) as { mediaType?: string };
  const config = imageConfig(store.paths, image.id);
  return {
    mediaType: manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST,
    size: bytes.length,
    digest: `sha256:${sha256Hex(bytes)}`,
    platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
    source: `containers-storage:${image.id}`,
  };
}

/** A registry reference as instances: the image, or this platform's (with all: every) entry of a list. */
async function remoteInstances(ref: ImageReference, opts: AddOptions): Promise<ListInstance[]> {
  const { endpointFor } = require('./pull') as typeof import('./pull');
  const { parseManifest, selectManifest, parsePlatform } = require('./registry/manifests') as typeof import('./registry/manifests');
  const { client, repository, registry } = endpointFor(ref, opts);
  const what = formatReference(ref);
  const fetched = await client.getManifest(repository, ref.digest ?? ref.tag ?? 'latest');
  const parsed = parseManifest(fetched.bytes, fetched.mediaType, what);
  const at = (digest: string) => `docker://${registry}/${repository}@${digest}`;
  if (parsed.kind === 'index') {
    const entries = opts.all ? parsed.index.manifests : [selectManifest(parsed.index, parsePlatform(undefined), what)];
    return entries.map((d: Descriptor) => ({
      mediaType: d.mediaType,
      size: d.size,
      digest: d.digest,
      ...(d.platform ? { platform: d.platform } : {}),
      ...(d.annotations ? { annotations: d.annotations } : {}),
      source: at(d.digest),
    }));
  }
  const cfg = await client.getBlob(repository, parsed.manifest.config.digest);
  const { readBody } = require('./registry/transport') as typeof import('./registry/transport');
  const config = JSON.parse((await readBody(cfg, 4 << 20)).toString('utf8')) as { architecture?: string; os?: string; variant?: string };
  return [
    {
      mediaType: parsed.mediaType,
      size: fetched.bytes.length,
      digest: fetched.digest,
      platform: { architecture: config.architecture ?? '', os: config.os ?? '', ...(config.variant ? { variant: config.variant } : {}) },
      source: at(fetched.digest),
    },
  ];
}

/**
 * `manifest add LIST IMAGE`: IMAGE is `containers-storage:REF` (a local image)
 * or a registry reference (`docker://` optional). An instance with the same
 * digest is replaced. Returns the list's id.
 */
export async function addToList(store: Store, listRef: string, image: string, opts: AddOptions = {}): Promise<string> {
  checkInstanceOptions(opts);
  listOf(store.read(), listRef); // fail before any registry traffic
  let instances: ListInstance[];
  const local = /^containers-storage:(.*)$/.exec(image);
  if (local) {
    if (!local[1]) throw invalidArgument(`invalid image reference "${image}"`);
    instances = [localInstance(store, local[1])];
  } else {
    const m = /^([a-z-]+):(?!\/\/|\d)/.exec(image);
    if (m && !image.startsWith('docker://')) throw invalidArgument(`unsupported transport "${m[1]}" in "${image}": use containers-storage: or docker://`);
    instances = await remoteInstances(withDefaultTag(parseReference(image.replace(/^docker:\/\//, ''))), opts);
  }
  for (const inst of instances) if (!DIGEST.test(inst.digest)) throw invalidArgument(`${image}: unsupported digest ${inst.digest}`);
  return changeList(store, listRef, (doc) => {
    for (const inst of instances) {
      if (instances.length === 1) applyOptions(inst, opts);
      doc.instances = doc.instances.filter((i) => i.digest !== inst.digest);
      doc.instances.push(inst);
    }
  });
}

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw invalidArgument(`invalid digest "${digest}"`);
}

/** `manifest remove LIST DIGEST`. */
export function removeFromList(store: Store, listRef: string, digest: string): string {
  checkDigest(digest);
  return changeList(store, listRef, (doc) => {
    if (!doc.instances.some((i) => i.digest === digest))
      throw new EngineError('no-such-image', `removing from manifest list ${listRef}: no instance matching digest ${digest} found in manifest list: image not known`);
    doc.instances = doc.instances.filter((i) => i.digest !== digest);
  });
}

/** `manifest annotate LIST DIGEST`: platform fields and annotations of one instance. */
export function annotateList(store: Store, listRef: string, digest: string, opts: InstanceOptions): string {
  checkDigest(digest);
  checkInstanceOptions(opts);
  return changeList(store, listRef, (doc) => {
    const inst = doc.instances.find((i) => i.digest === digest);
    if (!inst)
      throw new EngineError(
        'no-such-image',
        `no Docker manifest matching digest "${digest}" was found in list: no image instance matching the specified digest was found in the list or index`,
      );
    applyOptions(inst, opts);
  });
}

/** `manifest inspect`: the list as stored (a local image that is not a list is an error, as Podman's). */
export function inspectList(store: Store, ref: string): Record<string, unknown> {
  const rec = listOf(store.read(), ref);
  return JSON.parse(fs.readFileSync(listManifestFile(store, rec.id), 'utf8')) as Record<string, unknown>;
}

/** `manifest exists`: false when nothing has that name, an error when an image that is not a list does. */
export function listExists(store: Store, ref: string): boolean {
  const match = lookupImage(store.read(), ref);
  if (!match) return false;
  if (!match.image.manifestList) throw new EngineError('invalid-argument', `${ref}: image is not a manifest list`);
  return true;
}

/** The list's id (for `manifest rm`, which is `rmi` refused on images). */
export function listId(store: Store, ref: string): string {
  return listOf(store.read(), ref).id;
}

/** Copies one blob between registries through a file in the store's scratch space, checking its digest. */
async function copyBlob(
  store: Store,
  src: import('./registry/client').RegistryClient,
  srcRepo: string,
  dst: import('./registry/client').RegistryClient,
  dstRepo: string,
  d: Descriptor,
): Promise<void> {
  if (await dst.hasBlob(dstRepo, d.digest, true)) return;
  const tmp = path.join(storageTmpDir(store.paths), `list-blob-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  try {
    const hash = crypto.createHash('sha256');
    const body = await src.getBlob(srcRepo, d.digest);
    body.on('data', (c: Buffer) => hash.update(c));
    await pipeline(body, fs.createWriteStream(tmp, { mode: 0o600 }));
    if (`sha256:${hash.digest('hex')}` !== d.digest) throw new EngineError('internal', `blob ${d.digest} from ${src.registry}/${srcRepo}: digest mismatch`);
    await dst.uploadBlob(dstRepo, d.digest, fs.statSync(tmp).size, () => fs.createReadStream(tmp));
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Copies a registry instance (its manifest, config and layers) into the destination repository. */
async function copyRemoteInstance(store: Store, inst: ListInstance, dst: import('./registry/client').RegistryClient, dstRepo: string, opts: RegistryOptions): Promise<void> {
  const { endpointFor } = require('./pull') as typeof import('./pull');
  const { parseManifest } = require('./registry/manifests') as typeof import('./registry/manifests');
  const ref = parseReference(inst.source.replace(/^docker:\/\//, ''));
  const { client, repository } = endpointFor(ref, opts);
  const fetched = await client.getManifest(repository, inst.digest);
  const parsed = parseManifest(fetched.bytes, fetched.mediaType, inst.source);
  if (parsed.kind !== 'image') throw new EngineError('invalid-argument', `${inst.source}: nested manifest lists are not supported`);
  for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) await copyBlob(store, client, repository, dst, dstRepo, d);
  await dst.putManifest(dstRepo, inst.digest, fetched.bytes, parsed.mediaType);
}

/** `manifest push [--all] LIST DEST`: returns the digest of the list at the destination. */
export async function pushList(store: Store, listRef: string, dest: string, opts: ListPushOptions = {}): Promise<string> {
  const progress = opts.progress ?? silentProgress;
  const rec = listOf(store.read(), listRef);
  const doc = readDoc(store, rec.id);
  const format = opts.format ?? '';
  if (format && format !== 'oci' && format !== 'v2s2') throw invalidArgument(`unsupported manifest type "${format}": use oci or v2s2`);
  const mediaType = format === 'oci' ? MEDIA_TYPE_OCI_INDEX : format === 'v2s2' ? MEDIA_TYPE_DOCKER_MANIFEST_LIST : doc.mediaType;
  const ref = withDefaultTag(parseReference(dest.replace(/^docker:\/\//, '')));
  const { endpointFor } = require('./pull') as typeof import('./pull');
  const { uploadImageBlobs } = require('./push') as typeof import('./push');
  const { client, repository } = endpointFor(ref, opts);
  if (opts.all) {
    for (const inst of doc.instances) {
      const local = /^containers-storage:([0-9a-f]{64})$/.exec(inst.source);
      if (local) {
        const db = store.read();
        // by id, else any image with the same manifest (retagged, loaded again)
        const image = db.images[local[1]] ?? Object.values(db.images).find((i) => !i.manifestList && i.digest === inst.digest);
        if (!image) throw new EngineError('no-such-image', `${inst.digest}: the image of this instance (${local[1]}) is no longer stored: image not known`);
        const { manifestBytes } = await uploadImageBlobs(store, image, client, repository, progress);
        progress.message('Writing manifest to image destination');
        await client.putManifest(repository, inst.digest, manifestBytes, inst.mediaType);
      } else await copyRemoteInstance(store, inst, client, repository, opts);
    }
  }
  progress.message('Writing manifest list to image destination');
  const digest = await client.putManifest(repository, ref.tag ?? ref.digest ?? 'latest', serializeList(doc, mediaType), mediaType);
  progress.message('Storing list signatures');
  emitImageEvent(store.paths, 'push', rec.id, formatReference(ref));
  if (opts.rm) {
    const { removeImage } = require('./remove') as typeof import('./remove');
    removeImage(store, rec.id, true, () => undefined);
  }
  return digest;
}
