// Disk usage (`system df`, the df endpoints): images with the size they share
// with other images, containers with the size of their writable layer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalEngine } from './engine';
import type { ContainerRecord, ImageRecord } from '../storage/records';
import { readLayerInfo } from '../storage/layer';
import { rootfsCopyDir, rootfsUpperDir } from '../storage/paths';
import { containerCommand } from '../oci/generate';
import { imageDefaultsOf } from '../engine/views';
import { publicStatus } from './inspect';
import { libpodDfVolume, volumeUsage } from '../volume/usage';

export interface ImageUsage {
  image: ImageRecord;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
}

export interface ContainerUsage {
  ctr: ContainerRecord;
  /** the writable layer */
  sizeRw: number;
  /** the image plus the writable layer */
  sizeRootFs: number;
}

export interface DiskUsage {
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
}

/** Apparent size of a tree, never following symlinks; hard links counted once. */
export function treeSize(dir: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        return;
      }
      for (const n of names) walk(path.join(p, n));
      return;
    }
    if (st.nlink > 1) {
      const k = `${st.dev}:${st.ino}`;
      if (seen.has(k)) return;
      seen.add(k);
    }
    if (st.isFile() || st.isSymbolicLink()) total += st.size;
  };
  walk(dir);
  return total;
}

export function diskUsage(engine: LocalEngine): DiskUsage {
  const db = engine.store.read();
  const images = Object.values(db.images);
  const layerUsers = new Map<string, number>();
  const layerSize = new Map<string, number>();
  for (const img of images)
    for (const l of new Set(img.layers)) {
      layerUsers.set(l, (layerUsers.get(l) ?? 0) + 1);
      if (!layerSize.has(l)) layerSize.set(l, readLayerInfo(engine.paths, l)?.size ?? 0);
    }
  const ctrCount = new Map<string, number>();
  for (const c of Object.values(db.containers)) ctrCount.set(c.imageId, (ctrCount.get(c.imageId) ?? 0) + 1);
  const imgUsage = images
    .sort((a, b) => (a.created < b.created ? 1 : -1))
    .map((image) => {
      const shared = [...new Set(image.layers)].filter((l) => (layerUsers.get(l) ?? 0) > 1).reduce((a, l) => a + (layerSize.get(l) ?? 0), 0);
      return { image, size: image.size, sharedSize: shared, uniqueSize: Math.max(0, image.size - shared), containers: ctrCount.get(image.id) ?? 0 };
    });
  const containers = Object.values(db.containers)
    .sort((a, b) => (a.created < b.created ? 1 : -1))
    .map((ctr) => {
      const copy = rootfsCopyDir(engine.paths, ctr.id);
      const sizeRw = treeSize(fs.existsSync(copy) ? copy : rootfsUpperDir(engine.paths, ctr.id));
      const imgSize = db.images[ctr.imageId]?.size ?? 0;
      return { ctr, sizeRw, sizeRootFs: imgSize + sizeRw };
    });
  return { layersSize: [...layerSize.values()].reduce((a, b) => a + b, 0), images: imgUsage, containers };
}

/** Podman's SystemDfReport (GET /libpod/system/df, what `system df` shows). */
export function libpodDf(engine: LocalEngine) {
  const du = diskUsage(engine);
  const repoTag = (n: string | undefined) => {
    if (!n) return ['<none>', '<none>'];
    const i = n.lastIndexOf(':');
    return i > n.lastIndexOf('/') ? [n.slice(0, i), n.slice(i + 1)] : [n, 'latest'];
  };
  return {
    Images: du.images.map((u) => {
      const [Repository, Tag] = repoTag(u.image.names[0]);
      return { Repository, Tag, ImageID: u.image.id, Created: u.image.created, Size: u.size, SharedSize: u.sharedSize, UniqueSize: u.uniqueSize, Containers: u.containers };
    }),
    Containers: du.containers.map(({ ctr, sizeRw, sizeRootFs }) => ({
      ContainerID: ctr.id,
      Image: ctr.imageId,
      Command: containerCommand(ctr, imageDefaultsOf(engine, ctr)),
      LocalVolumes: new Set(ctr.config.mounts.filter((m) => m.type === 'volume').map((m) => m.source)).size,
      Size: sizeRootFs,
      RWSize: sizeRw,
      Created: ctr.created,
      Status: publicStatus(ctr.state.status),
      Names: ctr.name,
    })),
    Volumes: volumeUsage(engine.paths, engine.store.read()).map(libpodDfVolume),
  };
}

export type LibpodDf = ReturnType<typeof libpodDf>;
