// A pod's shared /dev/shm, as Podman's: a tmpfs on the host (in the infra
// container's bundle) mounted when the infra container starts, bind-mounted at
// /dev/shm into the infra and into every member that shares its ipc namespace,
// and unmounted with the infra's run. (Binding the infra's own /dev/shm from
// inside its mount namespace is refused by the kernel.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type StoragePaths, bundleDir } from '../storage/paths';
import { isMountPoint } from '../storage/rootfs';
import { MNT_DETACH, MS_NODEV, MS_NOSUID, native } from '../native';
import { SHM_SIZE_BYTES } from '../oci/generate';

const MS_NOEXEC = 8;

export const podShmDir = (paths: StoragePaths, infraId: string) => path.join(bundleDir(paths, infraId), 'shm');

/** Mounts the pod's tmpfs (once); undefined where tspod may not mount (the container keeps its own /dev/shm). */
export function mountPodShm(paths: StoragePaths, infraId: string): string | undefined {
  const dir = podShmDir(paths, infraId);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (isMountPoint(dir)) return dir;
  try {
    native().mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${SHM_SIZE_BYTES / 1024}k`);
    return dir;
  } catch {
    return undefined;
  }
}

/** The pod's tmpfs while the infra container's run holds it. */
export function podShm(paths: StoragePaths, infraId: string): string | undefined {
  const dir = podShmDir(paths, infraId);
  return isMountPoint(dir) ? dir : undefined;
}

export function unmountPodShm(paths: StoragePaths, infraId: string): void {
  const dir = podShmDir(paths, infraId);
  for (let i = 0; i < 4 && isMountPoint(dir); i++) {
    try {
      native().umount(dir, MNT_DETACH);
    } catch {
      return;
    }
  }
}
