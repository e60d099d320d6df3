// `import`: a root filesystem tarball (plain or gzip) becomes a one-layer image.
import type { Readable } from 'node:stream';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/records';
import { storeLayer } from '../storage/layer';
import {
  type ImageConfig,
  type ImageManifest,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../oci/image-spec';
import { applyChanges } from './changes';
import { openInput } from './input';
import { OCI_OS, ociArchitecture } from './platform';
import { normalizeLocalName } from './reference';
import { commitImages, dropUnusedLayers, layerRemovedError, sha256Hex } from './store';

/**
 * Imports a root filesystem tarball (a path, '-' for stdin, an http(s) URL, or
 * a stream: an API request's body) as a one-layer
 * image named name (localhost/ when it has no registry), with --change
 * instructions applied to its config.
 */
export async function importTarball(
  store: Store,
  file: string | Readable,
  name: string | undefined,
  changes: string[],
): Promise<ImageRecord> {
  // Everything that can be refused is checked before reading any input.
  const runtimeConfig = applyChanges({}, changes);
  const names = name ? [normalizeLocalName(name)] : [];
  const layer = await storeLayer(store.paths, typeof file === 'string' ? openInput(file) : file, {
    keepBlob: (d) => (d.compression === 'gzip' ? MEDIA_TYPE_OCI_LAYER_GZIP : MEDIA_TYPE_OCI_LAYER),
  });
  try {
    const created = new Date().toISOString();
    const config: ImageConfig = {
      created,
      architecture: ociArchitecture(),
      os: OCI_OS,
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [
        {
          created,
          created_by: `/bin/sh -c #(nop) ADD file:${layer.diffId.replace(/^sha256:/, '')} in /`,
          comment: 'imported from tarball',
        },
      ],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: `sha256:${sha256Hex(configBytes)}`, size: configBytes.length },
      layers: [
        {
          mediaType: layer.compression === 'gzip' ? MEDIA_TYPE_OCI_LAYER_GZIP : MEDIA_TYPE_OCI_LAYER,
          digest: layer.digest,
          size: layer.blobSize,
        },
      ],
    };
    const result = commitImages(store, [{ configBytes, manifestBytes: Buffer.from(JSON.stringify(manifest)), names }]);
    if (result.missingLayers.length > 0) throw layerRemovedError(result.missingLayers);
    return result.records[0];
  } catch (err) {
    if (layer.created) dropUnusedLayers(store, [layer.diffId]);
    throw err;
  }
}
