// `push`: a stored image to a registry, blobs exactly as stored and the
// manifest bytes as stored, so the digest is the one `images --digests` shows.
// Blobs the registry already has are not sent again; uploads run in parallel.
import * as fs from 'node:fs';
import type { Store } from '../storage/store';
import { blobFile } from '../storage/paths';
import { digestHex } from '../storage/layer';
import { EngineError } from '../errors';
import { type ImageManifest, MEDIA_TYPE_OCI_MANIFEST } from '../oci/image-spec';
import type { ImageRecord } from '../storage/records';
import type { RegistryClient } from './registry/client';
import { formatReference, parseReference, withDefaultTag } from './reference';
import { lookupImage } from './resolve';
import { imageManifest, imageManifestBytes, sha256Hex } from './store';
import { type RegistryOptions, endpointFor, runParallel } from './pull';
import { type Progress, silentProgress } from './registry/progress';
import { noSuchImage } from '../errors';
import { emitImageEvent } from '../events/journal';
import * as path from 'node:path';

export interface PushOptions extends RegistryOptions {
  progress?: Progress;
  parallel?: number;
}

export interface PushResult {
  /** the fully qualified destination */
  destination: string;
  /** the manifest digest at the destination */
  digest: string;
}

/**
 * Uploads a stored image's layers and config to repository (those the
 * registry lacks); the caller then writes the manifest, returned as stored.
 */
export async function uploadImageBlobs(
  store: Store,
  image: ImageRecord,
  client: RegistryClient,
  repository: string,
  progress: Progress,
  parallel = 6,
): Promise<{ manifestBytes: Buffer; manifest: ImageManifest }> {
  const paths = store.paths;
  if (image.manifestList) throw new EngineError('invalid-argument', `${image.names[0] ?? image.id} is a manifest list: use manifest push`);
  const manifestBytes = imageManifestBytes(paths, image.id);
  const manifest = imageManifest(paths, image.id);
  const configPath = path.join(paths.root, 'images', image.id, 'config.json');
  const configBytes = fs.readFileSync(configPath);
  if (`sha256:${sha256Hex(configBytes)}` !== manifest.config.digest)
    throw new EngineError('internal', `image ${image.id}: the stored config does not match its manifest`);

  progress.message('Getting image source signatures');
  const seen = new Set<string>();
  const layers = manifest.layers.filter((l) => !seen.has(l.digest) && seen.add(l.digest));
  for (const l of layers)
    if (!fs.existsSync(blobFile(paths, digestHex(l.digest))))
      throw new EngineError('internal', `image ${image.id}: layer blob ${l.digest} is not stored, cannot push it`);
  await runParallel(layers, parallel, async (l) => {
    if (await client.hasBlob(repository, l.digest, true)) {
      progress.skipped(l.digest);
      return;
    }
    progress.start('blob', l.digest, l.size);
    const file = blobFile(paths, digestHex(l.digest));
    await client.uploadBlob(repository, l.digest, l.size, () => {
      const s = fs.createReadStream(file);
      s.on('data', (c) => progress.advance(l.digest, c.length));
      return s;
    });
    progress.done(l.digest);
  });
  if (!(await client.hasBlob(repository, manifest.config.digest, true))) {
    progress.start('config', manifest.config.digest, configBytes.length);
    await client.uploadBlob(repository, manifest.config.digest, configBytes.length, () => fs.createReadStream(configPath));
    progress.done(manifest.config.digest);
  } else progress.skipped(manifest.config.digest);
  return { manifestBytes, manifest };
}

/** Pushes the image src to dest (default: src's own name). */
export async function pushImage(store: Store, src: string, dest: string | undefined, opts: PushOptions = {}): Promise<PushResult> {
  const progress = opts.progress ?? silentProgress;
  const match = lookupImage(store.read(), src);
  if (!match) throw noSuchImage(src);
  const image = match.image;
  const destName = (dest ?? match.name ?? image.names[0])?.replace(/^docker:\/\//, '');
  if (!destName) throw new EngineError('invalid-argument', `image ${src} has no name: give a destination`);
  const ref = withDefaultTag(parseReference(destName));
  if (ref.digest && !ref.tag) throw new EngineError('invalid-argument', `${destName}: cannot push to a digest reference`);
  const { client, repository } = endpointFor(ref, opts);
  const { manifestBytes, manifest } = await uploadImageBlobs(store, image, client, repository, progress, opts.parallel);
  progress.message('Writing manifest to image destination');
  const mediaType = manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST;
  const digest = await client.putManifest(repository, ref.tag ?? 'latest', manifestBytes, mediaType);
  progress.finish();
  emitImageEvent(store.paths, 'push', image.id, dest ?? destName);
  return { destination: formatReference(ref), digest };
}
