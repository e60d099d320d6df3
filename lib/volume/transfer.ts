// `volume export` and `volume import`: a volume's data as a tar and back. The
// data is what containers wrote, so both walk it through the in-root resolver
// (held descriptors, no symlink followed out of the volume), as `cp` does.
import type { Readable } from 'node:stream';
import type { Store } from '../storage/store';
import { extractTar, packTar } from '../container/archive';
import { getVolume, mountVolumeDevice, volumeMountpoint } from './volumes';

/** A tar of the volume's content (entries relative to its root). */
export function exportVolume(store: Store, name: string): Readable {
  const v = getVolume(store, name);
  mountVolumeDevice(store.paths, v);
  return packTar(volumeMountpoint(store.paths, v.name), '.');
}

/** Extracts a tar into the volume, over what is there (as Podman: nothing is removed first). */
export async function importVolume(store: Store, name: string, input: Readable): Promise<void> {
  const v = getVolume(store, name);
  mountVolumeDevice(store.paths, v);
  await extractTar(volumeMountpoint(store.paths, v.name), '/', input);
}
