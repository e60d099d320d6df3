// `image tree` as Podman prints it (and the libpod API's /images/{name}/tree
// answers): the image, then its layers bottom up, each with its size.
import type { Store } from '../storage/store';
import { resolveImage } from './resolve';
import { imageConfig } from './store';
import { readLayerInfo } from '../storage/layer';
import { humanSizeWithPrecision } from '../format/units';

const size = (n: number) => humanSizeWithPrecision(n, 4);

export function imageTree(store: Store, ref: string): string {
  const image = resolveImage(store, ref);
  const layers = imageConfig(store.paths, image.id).rootfs.diff_ids;
  const lines = [`Image ID: ${image.id.slice(0, 12)}`, `Tags:     [${image.names.join(' ')}]`, `Size:     ${size(image.size)}`, 'Image Layers'];
  layers.forEach((diffId, i) => {
    const last = i === layers.length - 1;
    const top = last && image.names.length ? ` Top Layer of: [${image.names.join(' ')}]` : '';
    lines.push(`${last ? '└──' : '├──'} ID: ${diffId.replace(/^sha256:/, '').slice(0, 12)} Size: ${size(readLayerInfo(store.paths, diffId)?.size ?? 0)}${top}`);
  });
  return `${lines.join('\n')}\n`;
}
