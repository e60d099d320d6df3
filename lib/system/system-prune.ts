// `system prune` as an engine operation: stopped containers, then unused
// images (dangling ones, or all unused with `all`), then, when asked, unused
// volumes. Shared by the libpod API's POST /system/prune (and meant for the
// CLI's `system prune`). Each step tolerates objects changed meanwhile.
import type { LocalEngine } from '../container/engine';
import type { VolumeRecord } from '../storage/records';
import { listImages } from '../image/inspect';
import { removeImage } from '../image/remove';
import { dirSize, listVolumes, pruneVolumes, volumeMountpoint } from '../volume/volumes';

export interface SystemPruneReport {
  containers: { id: string; size: number }[];
  images: { id: string; size: number }[];
  volumes: { id: string; size: number }[];
  reclaimed: number;
}

export function pruneSystem(engine: LocalEngine, opts: { all: boolean; volumes: boolean; keepVolume?: (v: VolumeRecord) => boolean }): SystemPruneReport {
  const report: SystemPruneReport = { containers: [], images: [], volumes: [], reclaimed: 0 };
  for (const c of engine.list()) {
    if (c.state.status === 'running' || c.state.status === 'removing') continue;
    try {
      if (engine.remove(c.id, {})) report.containers.push({ id: c.id, size: 0 });
    } catch {
      /* started or removed meanwhile */
    }
  }
  // Removing an image can leave its parent unused: repeat until a pass removes nothing (bounded by the image count).
  const maxPasses = listImages(engine.store).length + 1;
  for (let pass = 0; pass < maxPasses; pass++) {
    const used = new Set(Object.values(engine.store.read().containers).map((c) => c.imageId));
    const candidates = listImages(engine.store).filter((img) => !used.has(img.id) && (opts.all || img.names.length === 0));
    let removed = 0;
    for (const img of candidates) {
      try {
        const r = removeImage(engine.store, img.id, false, () => {
          throw new Error('in use');
        });
        if (r.deleted.length) {
          report.images.push({ id: img.id, size: img.size });
          report.reclaimed += img.size;
          removed++;
        }
      } catch {
        /* used by a container made meanwhile, or a parent of another image */
      }
    }
    if (removed === 0) break;
  }
  if (opts.volumes) {
    const keep = opts.keepVolume ?? (() => false);
    const sizes = new Map(listVolumes(engine.store).map((v) => [v.name, dirSize(volumeMountpoint(engine.paths, v.name))]));
    for (const name of pruneVolumes(engine.store, keep)) {
      const size = sizes.get(name) ?? 0;
      report.volumes.push({ id: name, size });
      report.reclaimed += size;
    }
  }
  return report;
}
