// `images` and `image inspect`, shaped as Podman prints them.
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/records';
import { layerDir } from '../storage/paths';
import { digestHex } from '../storage/layer';
import { noSuchImage } from '../errors';
import { type HistoryEntry, type ImageRuntimeConfig, MEDIA_TYPE_OCI_MANIFEST } from '../oci/image-spec';
import { lookupImage } from './resolve';
import { parseReference, repositoryName } from './reference';
import { imageConfig, imageManifest, layerPaths } from './store';

export interface ImageInspect {
  Id: string;
  Digest: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Config: ImageRuntimeConfig;
  Version: string;
  Author: string;
  Architecture: string;
  Os: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: 'layers'; Layers: string[] };
  Labels: Record<string, string> | null;
  Annotations: Record<string, string>;
  ManifestType: string;
  User: string;
  History: HistoryEntry[];
  NamesHistory: string[];
}

/** All images, newest first (as `podman images` lists them). */
export function listImages(store: Store): ImageRecord[] {
  return Object.values(store.read().images).sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
}

/** `repository@digest` for each repository the image is named in. */
export function repoDigests(image: ImageRecord): string[] {
  const repos = new Set<string>();
  for (const name of image.names) {
    try {
      repos.add(repositoryName(parseReference(name)));
    } catch {
      // a name we could not parse has no repository to report
    }
  }
  return [...repos].map((r) => `${r}@${image.digest}`);
}

export function inspectImage(store: Store, ref: string): ImageInspect {
  const match = lookupImage(store.read(), ref);
  if (!match) throw noSuchImage(ref);
  const image = match.image;
  const paths = store.paths;
  const config = imageConfig(paths, image.id);
  const manifest = imageManifest(paths, image.id);
  // Overlay's view of the image: the top layer is "upper", the rest lower (top first).
  const diffs = layerPaths(paths, image);
  const graph: Record<string, string> = {};
  if (diffs.length > 0) {
    const top = image.layers[image.layers.length - 1];
    if (diffs.length > 1) graph.LowerDir = diffs.slice(0, -1).reverse().join(':');
    graph.UpperDir = diffs[diffs.length - 1];
    graph.WorkDir = `${layerDir(paths, digestHex(top))}/work`;
  }
  const history = config.history ?? [];
  return {
    Id: image.id,
    Digest: image.digest,
    RepoTags: [...image.names],
    RepoDigests: repoDigests(image),
    Parent: '',
    Comment: history[history.length - 1]?.comment ?? '',
    Created: config.created ?? image.created,
    Config: config.config ?? {},
    Version: '',
    Author: config.author ?? '',
    Architecture: config.architecture,
    Os: config.os,
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Name: 'overlay', Data: graph },
    RootFS: { Type: 'layers', Layers: [...image.layers] },
    Labels: config.config?.Labels ?? null,
    Annotations: manifest.annotations ?? {},
    ManifestType: manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST,
    User: config.config?.User ?? '',
    History: history,
    NamesHistory: [...(image.namesHistory ?? image.names)],
  };
}
