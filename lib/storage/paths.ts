// Where state lives (DESIGN.md): --root for persistent data, --runroot for run-time files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRootless } from '../rootless/identity';
import { userRuntimeDir } from '../rootless/runtime-dir';

export interface StoragePaths {
  root: string;
  runroot: string;
  /** --volumepath: where volumes live (default ROOT/volumes) */
  volumePath?: string;
}

export function defaultPaths(): StoragePaths {
  // Rootless (lib/rootless): also inside tspod's user namespace, where getuid() is 0.
  if (!isRootless()) return { root: '/var/lib/tspod', runroot: '/run/tspod' };
  const home = process.env.HOME ?? '/tmp';
  const runtimeDir = userRuntimeDir();
  return {
    root: path.join(process.env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'tspod'),
    runroot: path.join(runtimeDir, 'tspod'),
  };
}

export const dbFile = (p: StoragePaths) => path.join(p.root, 'db.json');
/** The state before the last write (lib/storage/store.ts), restored by `system check --repair`. */
export const dbBackupFile = (p: StoragePaths) => path.join(p.root, 'db.json.bak');
export const lockFile = (p: StoragePaths) => path.join(p.root, 'db.lock');
/** Persistent per-container data: log, upper layer. */
export const containerDir = (p: StoragePaths, id: string) => path.join(p.root, 'containers', id);
/** Run-time per-container files: bundle (config.json), pid files, attach socket, rootfs mount. */
export const bundleDir = (p: StoragePaths, id: string) => path.join(p.runroot, 'containers', id);
/** Written before a removal stops the container: its monitor then runs no exit command (the remover cleans up). */
export const REMOVAL_MARKER = 'removing';
export const exitDir = (p: StoragePaths) => path.join(p.runroot, 'exits');
export const exitFile = (p: StoragePaths, id: string) => path.join(exitDir(p), id);
export const runtimeStateDir = (p: StoragePaths) => path.join(p.runroot, 'runtime');
export const layerDir = (p: StoragePaths, diffIdHex: string) => path.join(p.root, 'layers', diffIdHex);
export const imageDir = (p: StoragePaths, id: string) => path.join(p.root, 'images', id);
export const blobFile = (p: StoragePaths, hex: string) => path.join(p.root, 'blobs', 'sha256', hex);
export const eventsFile = (p: StoragePaths) => path.join(p.runroot, 'events', 'events.log');

// Layers and image storage (lib/storage/layer.ts, lib/image/).
export const layersRoot = (p: StoragePaths) => path.join(p.root, 'layers');
/** A layer's extracted content, the lower directory of overlay mounts. */
export const layerDiffDir = (p: StoragePaths, diffIdHex: string) => path.join(layerDir(p, diffIdHex), 'diff');
/** A layer's metadata: diff id, uncompressed size, the blobs it came from. */
export const layerInfoFile = (p: StoragePaths, diffIdHex: string) => path.join(layerDir(p, diffIdHex), 'layer.json');
/** Short symlinks to layer diffs, used when an overlay mount's options would be too long. */
export const layerLinksDir = (p: StoragePaths) => path.join(p.root, 'l');
/** Scratch space on the same filesystem as the store (staging, trash), so renames are atomic. */
export const storageTmpDir = (p: StoragePaths) => path.join(p.root, 'tmp');

// A container's root filesystem (lib/storage/rootfs.ts).
/**
 * Where a container's root filesystem is mounted: `merged`, as Podman's overlay driver names it
 * (clients read GraphDriver.Data.MergedDir). Earlier tspod versions mounted it at `rootfs`, and
 * removed that directory once unmounted: while it is there, a container mounted then keeps it.
 */
export function rootfsMountDir(p: StoragePaths, id: string): string {
  const legacy = path.join(bundleDir(p, id), 'rootfs');
  return fs.existsSync(legacy) ? legacy : path.join(bundleDir(p, id), 'merged');
}
export const rootfsUpperDir = (p: StoragePaths, id: string) => path.join(containerDir(p, id), 'upper');
export const rootfsWorkDir = (p: StoragePaths, id: string) => path.join(containerDir(p, id), 'work');
/** The lower directory of a container whose image has no layers. */
export const rootfsEmptyLowerDir = (p: StoragePaths, id: string) => path.join(containerDir(p, id), 'empty');
/** The copying driver's full copy of the layers. */
export const rootfsCopyDir = (p: StoragePaths, id: string) => path.join(containerDir(p, id), 'rootfs-copy');

// `image mount` (lib/image/mount.ts): an image's layers, read-only.
export const imageMountsRoot = (p: StoragePaths) => path.join(p.root, 'image-mounts');
export const imageMountDir = (p: StoragePaths, id: string) => path.join(imageMountsRoot(p), id, 'merged');
/** The empty bottom layer that lets overlay mount one layer without an upper directory. */
export const imageMountEmptyDir = (p: StoragePaths, id: string) => path.join(imageMountsRoot(p), id, 'empty');
