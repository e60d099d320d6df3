// Volumes in `system df`: each volume's size and how many containers use it.
import type { StoragePaths } from '../storage/paths';
import type { Database, VolumeRecord } from '../storage/records';
import { dirSize, volumeMountpoint, volumeUsers, volumesOf } from './volumes';
import { dockerVolume } from './inspect';

export interface VolumeUsage {
  volume: VolumeRecord;
  size: number;
  refCount: number;
}

export function volumeUsage(paths: StoragePaths, db: Database): VolumeUsage[] {
  return Object.values(volumesOf(db))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((volume) => ({ volume, size: dirSize(volumeMountpoint(paths, volume.name)), refCount: volumeUsers(db, volume.name).length }));
}

/** Docker's df entry: the volume plus UsageData. */
export const dockerDfVolume = (paths: StoragePaths, u: VolumeUsage) => ({ ...dockerVolume(paths, u.volume), UsageData: { Size: u.size, RefCount: u.refCount } });

/** libpod's df entry (Podman's SystemDfVolumeReport). */
export const libpodDfVolume = (u: VolumeUsage) => ({ VolumeName: u.volume.name, Links: u.refCount, Size: u.size, ReclaimableSize: u.refCount ? 0 : u.size });
