// The build layer cache: a step's key (its parent image, the instruction as
// expanded, what it reads) -> the image the step made. An entry is used only
// while its image is still stored; every step's result is an (unnamed) image,
// as with Podman's --layers.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import { layerExists } from '../storage/layer';

const cacheFile = (store: Store) => path.join(store.paths.root, 'build-cache.json');

export function stepKey(parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function readCache(store: Store): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(cacheFile(store), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** The image id an earlier build made for key, if it and its layers are still stored. */
export function cachedImage(store: Store, key: string): string | undefined {
  const id = readCache(store)[key];
  if (!id) return undefined;
  const img = store.read().images[id];
  if (!img || !img.layers.every((d) => layerExists(store.paths, d))) return undefined;
  return id;
}

export function rememberImage(store: Store, key: string, imageId: string): void {
  store.locked(() => {
    const cache = readCache(store);
    const db = store.read();
    for (const [k, id] of Object.entries(cache)) if (!db.images[id]) delete cache[k]; // removed images drop out
    cache[key] = imageId;
    const tmp = `${cacheFile(store)}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(cache), { mode: 0o600 });
    fs.renameSync(tmp, cacheFile(store));
  });
}
