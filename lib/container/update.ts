// `update`: new cgroup limits for a container. A running one gets them at once
// through the runtime's `update` (the cgroup it created); the record keeps
// them for every later start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord, ResourceConfig } from '../storage/records';
import type { LocalEngine } from './engine';
import { EngineError } from '../errors';
import { bundleDir } from '../storage/paths';
import { checkResources, ociResources } from '../oci/resources';
import { cgroupSupport } from '../oci/cgroups';
import { runRuntime } from '../../runtime/oci-runtime';
import { emitEvent, labelAttributes } from '../events/journal';

/** The limits `update` can change (devices and rlimits are fixed at create, as in Podman). */
export type ResourceUpdate = Omit<ResourceConfig, 'ulimits' | 'devices' | 'deviceCgroupRules' | 'oomScoreAdj'>;

export function updateContainer(engine: LocalEngine, idOrName: string, changes: ResourceUpdate): ContainerRecord {
  const rec = engine.get(idOrName);
  const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as ResourceUpdate;
  if (!Object.keys(given).length) throw new EngineError('invalid-argument', 'no resources to update were given: invalid argument');
  const merged: ResourceConfig = { ...(rec.config.resources ?? {}), ...given };
  // --cpus and an explicit CFS period/quota replace each other.
  if (given.nanoCpus) delete merged.cpuPeriod, delete merged.cpuQuota;
  if (given.cpuPeriod || given.cpuQuota) delete merged.nanoCpus;
  checkResources(merged);
  if (rec.state.status === 'running') {
    const resources = ociResources(merged, cgroupSupport());
    if (merged.pidsLimit !== undefined && merged.pidsLimit <= 0) resources.pids = { limit: -1 }; // back to "max"
    const file = path.join(bundleDir(engine.paths, rec.id), 'resources-update.json');
    fs.writeFileSync(file, JSON.stringify(resources));
    const r = runRuntime(engine.runtime(rec), ['update', '--resources', file, rec.id]);
    fs.rmSync(file, { force: true });
    if (r.status !== 0) throw new EngineError('runtime', `updating container ${rec.id} resources: ${r.stderr.trim() || `runtime exited with ${r.status}`}`);
  }
  const updated = engine.store.update((db) => {
    const cur = db.containers[rec.id];
    if (!cur) throw new EngineError('no-such-container', `no container with name or ID "${idOrName}" found: no such container`);
    cur.config.resources = merged;
    return cur;
  });
  emitEvent(engine.paths, { Type: 'container', Status: 'update', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
  return updated;
}
