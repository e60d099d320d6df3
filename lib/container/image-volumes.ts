// --mount type=image,src=IMAGE,dst=PATH[,rw=true]: an image's tree at a path
// in the container, as Podman's image volumes. Each is an overlay of the
// image's layers in the container's bundle (writes, with rw, land in its own
// upper directory and go with the container), mounted at start, unmounted
// when the run is over; `image mount` is not involved, so neither affects the
// other.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoragePaths } from '../storage/paths';
import { bundleDir } from '../storage/paths';
import type { Database, MountSpec } from '../storage/records';
import { isMountPoint, shortLayerLink } from '../storage/rootfs';
import { MNT_DETACH, native } from '../native';
import { noSuchImage } from '../errors';
import { lookupImage } from '../image/resolve';
import { layerPaths } from '../image/store';

const MOUNT_DATA_MAX = 4000;
const volumesDir = (paths: StoragePaths, ctrId: string) => path.join(bundleDir(paths, ctrId), 'image-volumes');

/** At create: each image mount names an image the store has (its id is recorded; the source stays as given, for inspect). */
export function resolveImageVolumes(db: Database, mounts: MountSpec[]): MountSpec[] {
  return mounts.map((m) => {
    if (m.type !== 'image') return m;
    const match = lookupImage(db, m.source);
    if (!match) throw noSuchImage(m.source);
    return { ...m, imageId: match.image.id };
  });
}

/** At start: the image's overlay for mount number n of the container; returns the directory to bind. */
export function mountImageVolume(paths: StoragePaths, db: Database, ctrId: string, n: number, m: MountSpec): string {
  const image = m.imageId ? db.images[m.imageId] : undefined;
  if (!image) throw noSuchImage(m.source);
  const dir = path.join(volumesDir(paths, ctrId), String(n));
  const merged = path.join(dir, 'merged');
  if (isMountPoint(merged)) return merged;
  const upper = path.join(dir, 'upper');
  const work = path.join(dir, 'work');
  for (const d of [merged, upper, work]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  fs.chmodSync(upper, 0o755); // the mount's root shows the upper directory's mode
  let lowers = layerPaths(paths, image);
  const options = (l: string[]) => `lowerdir=${[...l].reverse().join(':')},upperdir=${upper},workdir=${work}`;
  if (options(lowers).length > MOUNT_DATA_MAX || lowers.some((l) => /[:,]/.test(l))) lowers = lowers.map((l) => shortLayerLink(paths, l));
  native().mount('overlay', merged, 'overlay', 0, options(lowers));
  return merged;
}

/** When the run is over: every image volume of the container unmounted (their upper directories stay with the container). */
export function unmountImageVolumes(paths: StoragePaths, ctrId: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(volumesDir(paths, ctrId));
  } catch {
    return;
  }
  for (const n of names) {
    const merged = path.join(volumesDir(paths, ctrId), n, 'merged');
    for (let i = 0; i < 8 && isMountPoint(merged); i++) native().umount(merged, MNT_DETACH);
  }
}
