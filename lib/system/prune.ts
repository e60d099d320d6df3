// `system prune` and `image prune` as compositions of Engine operations: the
// one implementation the CLI runs (in process or against a service) and the
// libpod API's /system/prune runs over its local engine.
import type { Engine, ImageListEntry } from '../engine/engine';
import { EngineError } from '../errors';
import { filterImages } from '../image/filters';
import { parseLogTime } from '../container/logs';

export interface PruneItem {
  id: string;
  size: number;
  /** why it was not removed */
  err?: EngineError | Error;
}

export interface SystemPruneReport {
  containers: PruneItem[];
  networks: string[];
  volumes: PruneItem[];
  images: PruneItem[];
  reclaimed: number;
}

/**
 * Removes the images nobody uses: dangling ones, or all of them with `all`.
 * Removing a child can leave its parent dangling, so it repeats until a pass
 * removes nothing (bounded by the number of images).
 */
export async function pruneImages(engine: Engine, all: boolean, filters: Map<string, string[]>): Promise<PruneItem[]> {
  const removed: PruneItem[] = [];
  const tried = new Set<string>();
  for (let pass = 0; ; pass++) {
    const images = await engine.listImages({ all: true });
    if (pass > images.length) break;
    const resolve = (ref: string): ImageListEntry => {
      const hit = images.find((i) => i.Id.startsWith(ref.replace(/^sha256:/, '')) || i.Names.includes(ref));
      if (!hit) throw new EngineError('no-such-image', `${ref}: image not known`);
      return hit;
    };
    let candidates = images.filter((i) => i.Containers === 0 && (all || i.Names.length === 0) && !tried.has(i.Id));
    if (filters.size > 0) candidates = filterImages(candidates, filters, resolve, (spec) => parseLogTime(spec, 'filter until'));
    if (candidates.length === 0) break;
    for (const img of candidates) {
      tried.add(img.Id);
      try {
        const r = await engine.removeImage(img.Id, false);
        for (const id of r.deleted) removed.push({ id, size: id === img.Id ? img.Size : 0 });
      } catch (e) {
        // used by a container created meanwhile, or a parent of a kept image
        if (e instanceof EngineError && (e.kind === 'image-in-use' || e.kind === 'no-such-image')) continue;
        throw e;
      }
    }
  }
  return removed;
}

/**
 * Stopped containers, unused networks, (with volumes) unused volumes, then
 * dangling (with all: unused) images; filters apply to each kind, as Podman's.
 */
export async function systemPrune(engine: Engine, opts: { all: boolean; volumes: boolean; filters: Map<string, string[]> }): Promise<SystemPruneReport> {
  const report: SystemPruneReport = { containers: [], networks: [], volumes: [], images: [], reclaimed: 0 };
  for (const c of await engine.listContainers({ all: true, filters: opts.filters })) {
    if (c.State === 'running' || c.State === 'paused' || c.IsInfra) continue; // infra containers go with their pods
    try {
      if (await engine.remove(c.Id, { ignoreMissing: true })) report.containers.push({ id: c.Id, size: 0 });
    } catch (e) {
      if (e instanceof EngineError && e.kind === 'state-improper') continue; // started meanwhile
      report.containers.push({ id: c.Id, size: 0, err: e as Error });
    }
  }
  report.networks = await engine.networks.pruneNetworks(opts.filters);
  if (opts.volumes) report.volumes = (await engine.volumes.pruneVolumes(opts.filters)).map((v) => ({ id: v.Id, size: v.Size }));
  report.images = await pruneImages(engine, opts.all, opts.filters);
  for (const x of [...report.volumes, ...report.images]) report.reclaimed += x.size;
  return report;
}
