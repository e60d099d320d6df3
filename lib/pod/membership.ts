// How a container belongs to a pod: looked up in the store, it joins the
// infra container's namespaces (net through `container:INFRA`, ipc and uts
// through namespace paths) and leaves published ports to the pod.
import type { ContainerConfig, ContainerRecord, Database, PodRecord } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import type { StoragePaths } from '../storage/paths';
import { mountPodShm, podShm } from './shm';

export const noSuchPod = (ref: string) => new EngineError('no-such-object', `no pod with name or ID ${ref} found: no such pod`, 'no such pod');

/** The pod a name, a full id or a unique id prefix names. */
export function findPod(db: Database, ref: string): PodRecord {
  const pods = Object.values(db.pods ?? {});
  const exact = pods.find((p) => p.id === ref || p.name === ref);
  if (exact) return exact;
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? pods.filter((p) => p.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0];
  if (byPrefix.length > 1) throw invalidArgument(`more than one result for pod ID ${ref}`);
  throw noSuchPod(ref);
}

/** Fills in config.pod (given as a name or id) and the namespaces of its infra container; called under the store lock. */
export function joinPod(db: Database, config: ContainerConfig, ownHostname = false): void {
  if (config.isInfra) return;
  const pod = findPod(db, config.pod as string);
  config.pod = pod.id;
  if (config.ports?.length || config.publishAll)
    throw new EngineError('invalid-argument', 'invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod');
  const infra = pod.infraId ? db.containers[pod.infraId] : undefined;
  if (!infra && pod.infraId) throw new EngineError('no-such-container', `pod ${pod.id}'s infra container ${pod.infraId} is gone: no such container`);
  // One UTS namespace, one hostname: the pod's (the runtime would set a member's own on the shared namespace).
  if (infra && pod.share.includes('uts')) {
    if (ownHostname && config.hostname !== infra.config.hostname)
      throw new EngineError('invalid-argument', 'invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration');
    config.hostname = infra.config.hostname;
  }
  if (pod.infraId && pod.share.includes('net')) {
    config.network = `container:${pod.infraId}`;
    delete config.networks;
  }
}

/** The infra container a pod member needs running before it starts, if any. */
export function podInfraToStart(db: Database, rec: ContainerRecord): string | undefined {
  if (!rec.config.pod || rec.config.isInfra) return undefined;
  const pod = db.pods?.[rec.config.pod];
  return pod?.infraId || undefined;
}

/**
 * The infra container's namespaces (and the pod's /dev/shm with ipc) for a pod
 * member; for the infra itself, the pod's /dev/shm, mounted now.
 */
export function podNamespacePaths(paths: StoragePaths, db: Database, rec: ContainerRecord): { ipc?: string; uts?: string; pid?: string; shm?: string } | undefined {
  if (rec.config.isInfra) {
    const pod = rec.config.pod ? db.pods?.[rec.config.pod] : undefined;
    const shm = pod?.share.includes('ipc') ? mountPodShm(paths, rec.id) : undefined;
    return shm ? { shm } : undefined;
  }
  const infraId = podInfraToStart(db, rec);
  if (!infraId) return undefined;
  const infra = db.containers[infraId];
  const pod = db.pods?.[rec.config.pod as string];
  if (!infra || !pod || infra.state.status !== 'running' || !infra.state.pid) return undefined;
  return {
    ...(pod.share.includes('ipc') ? { ipc: `/proc/${infra.state.pid}/ns/ipc`, shm: podShm(paths, infra.id) } : {}),
    ...(pod.share.includes('uts') ? { uts: `/proc/${infra.state.pid}/ns/uts` } : {}),
    ...(pod.share.includes('pid') ? { pid: `/proc/${infra.state.pid}/ns/pid` } : {}),
  };
}

/** The id of the pod whose infra container this is (undefined for any other container). */
export function podOfInfra(db: Database, id: string): string | undefined {
  const rec = db.containers[id];
  return rec?.config.isInfra && rec.config.pod && db.pods?.[rec.config.pod] ? rec.config.pod : undefined;
}

/** The containers of a pod, infra last (the order to stop and remove them in). */
export function podContainers(db: Database, pod: PodRecord): ContainerRecord[] {
  const members = Object.values(db.containers).filter((c) => c.config.pod === pod.id);
  return [...members.filter((c) => !c.config.isInfra), ...members.filter((c) => c.config.isInfra)];
}
