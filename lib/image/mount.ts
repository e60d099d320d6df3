// `image mount|unmount`: an image's layers mounted read-only (overlay with
// lower directories only, plus an empty bottom one so a single layer works),
// under the store. The mount table is the state: an image is mounted when its
// directory is a mount point, so nothing stale survives a reboot.
import * as fs from 'node:fs';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/records';
import { imageMountDir, imageMountEmptyDir, imageMountsRoot } from '../storage/paths';
import { isMountPoint, shortLayerLink } from '../storage/rootfs';
import { MNT_DETACH, MS_NODEV, MS_RDONLY, native } from '../native';
import { EngineError, noSuchImage } from '../errors';
import { lookupImage } from './resolve';
import { layerPaths } from './store';
import { emitImageEvent } from '../events/journal';

export interface ImageMount {
  id: string;
  /** the image's repo tags */
  names: string[];
  digest: string;
  mountpoint: string;
}

const MOUNT_DATA_MAX = 4000;

function imageOf(store: Store, ref: string): ImageRecord {
  const match = lookupImage(store.read(), ref);
  if (!match) throw noSuchImage(ref);
  if (match.image.manifestList) throw new EngineError('invalid-argument', `${ref}: cannot mount a manifest list`);
  return match.image;
}

/** Mounts the image (idempotent) and returns where. */
export function mountImage(store: Store, ref: string): string {
  const image = imageOf(store, ref);
  const paths = store.paths;
  const merged = imageMountDir(paths, image.id);
  // Under the store lock: a concurrent rmi either sees the mount or removed the image first.
  store.update((db) => {
    if (!db.images[image.id]) throw noSuchImage(ref);
    if (isMountPoint(merged)) return;
    const empty = imageMountEmptyDir(paths, image.id);
    fs.mkdirSync(merged, { recursive: true, mode: 0o700 });
    fs.mkdirSync(empty, { recursive: true, mode: 0o755 });
    let lowers = [empty, ...layerPaths(paths, image)];
    for (const dir of lowers) if (!fs.existsSync(dir)) throw new EngineError('internal', `image ${image.id}: layer directory ${dir} is missing`);
    const options = (l: string[]) => `lowerdir=${[...l].reverse().join(':')}`;
    if (options(lowers).length > MOUNT_DATA_MAX || lowers.some((l) => /[:,]/.test(l))) lowers = lowers.map((l) => shortLayerLink(paths, l));
    native().mount('overlay', merged, 'overlay', MS_RDONLY | MS_NODEV, options(lowers));
  });
  emitImageEvent(paths, 'mount', image.id, image.names[0] ?? image.id);
  return merged;
}

/** Unmounts the image's mount; false when it was not mounted. */
export function unmountImageById(store: Store, id: string): boolean {
  const merged = imageMountDir(store.paths, id);
  let was = false;
  for (let i = 0; i < 8 && isMountPoint(merged); i++) {
    was = true;
    native().umount(merged, MNT_DETACH);
  }
  fs.rmSync(imageMountDir(store.paths, id).replace(/\/merged$/, ''), { recursive: true, force: true });
  return was;
}

/** `image unmount IMAGE`: the image's id, or '' when it was not mounted (no error, and Podman prints nothing). */
export function unmountImage(store: Store, ref: string): string {
  const image = imageOf(store, ref);
  if (!unmountImageById(store, image.id)) return '';
  emitImageEvent(store.paths, 'unmount', image.id, image.names[0] ?? image.id);
  return image.id;
}

/** The mounted images, in the store's order. */
export function listImageMounts(store: Store): ImageMount[] {
  const root = imageMountsRoot(store.paths);
  if (!fs.existsSync(root)) return [];
  const db = store.read();
  const out: ImageMount[] = [];
  for (const id of fs.readdirSync(root)) {
    const image = db.images[id];
    const merged = imageMountDir(store.paths, id);
    if (image && isMountPoint(merged)) out.push({ id, names: [...image.names], digest: image.digest, mountpoint: merged });
  }
  return out;
}
