// Pod lifecycle over the local engine: a pod record in the store, its infra
// container, and the containers that joined it. Each container keeps its own
// lock and monitor; the pod operations drive them in order (infra first up,
// last down).
import type { LocalEngine } from '../container/engine';
import type { ContainerRecord, PodRecord, PortMapping } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { generateId } from '../container/ids';
import { generateName, NAME_REGEX_ERROR, validateName } from '../container/names';
import { ensureInfraImage } from './infra-image';
import { checkAddHost, parseNetworkMode } from '../network/container-config';
import { checkPublishedPorts } from '../network/ports';
import { findPod, podContainers } from './membership';

export const SHAREABLE = ['cgroup', 'ipc', 'net', 'pid', 'uts', 'none'];
/** What tspod can share today: net, ipc and uts (Podman's default set for a pod). */
const SUPPORTED_SHARE = ['net', 'ipc', 'uts'];

export interface PodCreateRequest {
  name?: string;
  labels?: Record<string, string>;
  hostname?: string;
  infra?: boolean;
  infraImage?: string;
  infraCommand?: string[];
  infraName?: string;
  share?: string[];
  ports?: PortMapping[];
  /** the infra container's network, as --network takes it */
  network?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** host:ip */
  addHosts?: string[];
}

/** Podman's --share: a comma list; a leading + adds to the default set. */
export function parseShare(value: string | undefined): string[] {
  if (value === undefined) return [...SUPPORTED_SHARE];
  const add = value.startsWith('+');
  const items = (add ? value.slice(1) : value).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of items) if (!SHAREABLE.includes(s)) throw invalidArgument(`invalid kernel namespace to share: ${s}. Options are: cgroup, ipc, net, pid, uts or none`);
  for (const s of items)
    if (!SUPPORTED_SHARE.includes(s) && s !== 'none') throw invalidArgument(`sharing the ${s} namespace in a pod is not supported by tspod (net, ipc, uts)`);
  const set = items.includes('none') ? [] : items;
  return add ? [...new Set([...SUPPORTED_SHARE, ...set])] : set;
}

export async function createPod(engine: LocalEngine, req: PodCreateRequest): Promise<PodRecord> {
  if (req.name !== undefined && !validateName(req.name)) throw invalidArgument(`running pod create option: ${NAME_REGEX_ERROR}`);
  const infra = req.infra !== false;
  const share = req.share ?? [...SUPPORTED_SHARE];
  if (!infra && (req.ports?.length || req.infraImage || req.infraCommand))
    throw invalidArgument('you must have an infra container to publish port bindings to the host');
  const image = infra ? req.infraImage ?? (await ensureInfraImage(engine)) : '';
  const id = generateId();
  const pod = engine.store.update((db) => {
    db.pods ??= {};
    const all = Object.values(db.pods);
    let name = req.name;
    if (name !== undefined) {
      if (all.some((p) => p.name === name)) throw new EngineError('name-in-use', `adding pod to state: name "${name}" is in use: pod already exists`, 'pod already exists');
    } else name = generateName((n) => all.some((p) => p.name === n));
    const rec: PodRecord = {
      id,
      name,
      created: new Date().toISOString(),
      labels: req.labels ?? {},
      hostname: req.hostname ?? '',
      infraId: '',
      share: infra ? share : [],
      createCommand: process.argv.slice(1),
    };
    db.pods[id] = rec;
    return rec;
  });
  if (!infra) return pod;
  try {
    const ctr = engine.create({
      image,
      name: req.infraName ?? `${id.slice(0, 12)}-infra`,
      command: [],
      config: {
        ...(req.network !== undefined ? parseNetworkMode(req.network) : {}),
        dns: req.dns ?? [],
        dnsSearch: req.dnsSearch ?? [],
        dnsOptions: req.dnsOptions ?? [],
        addHosts: (req.addHosts ?? []).map(checkAddHost),
        ...(req.infraCommand ? { entrypoint: req.infraCommand, entrypointSet: true } : {}),
        hostname: req.hostname || pod.name,
        ports: checkPublishedPorts(req.ports ?? []),
        pod: id,
        isInfra: true,
        systemd: 'false',
      },
    });
    return engine.store.update((db) => {
      const p = db.pods?.[id];
      if (!p) throw noLongerThere(id);
      p.infraId = ctr.id;
      return p;
    });
  } catch (err) {
    engine.store.update((db) => void delete db.pods?.[id]);
    throw err;
  }
}

const noLongerThere = (id: string) => new EngineError('no-such-object', `pod ${id} was removed meanwhile: no such pod`);

export function getPod(engine: LocalEngine, ref: string): PodRecord {
  return findPod(engine.store.read(), ref);
}

/** The pod's containers with their states brought up to date, infra last. */
export function podMembers(engine: LocalEngine, pod: PodRecord): ContainerRecord[] {
  return podContainers(engine.store.read(), pod).map((c) => {
    try {
      return engine.get(c.id);
    } catch {
      return c;
    }
  });
}

/** Podman's pod status from its containers' states. */
export function podStatus(members: ContainerRecord[]): string {
  if (members.length === 0) return 'Created';
  const states = members.map((c) => (c.state.paused ? 'paused' : c.state.status));
  const running = states.filter((s) => s === 'running').length;
  const paused = states.filter((s) => s === 'paused').length;
  const created = states.filter((s) => s === 'created').length;
  if (running === states.length) return 'Running';
  if (paused === states.length || (paused > 0 && paused + running === states.length && running === 0)) return 'Paused';
  if (created === states.length) return 'Created';
  if (running > 0 || paused > 0) return 'Degraded';
  return 'Exited';
}

/** Runs op on each container, collecting errors; throws the first with Podman's summary. */
async function eachMember(pod: PodRecord, members: ContainerRecord[], what: string, op: (c: ContainerRecord) => Promise<unknown>): Promise<void> {
  const errors: string[] = [];
  for (const c of members) {
    try {
      await op(c);
    } catch (err) {
      errors.push(`${c.id}: ${(err as Error).message}`);
    }
  }
  if (errors.length) throw new EngineError('internal', `${what} pod ${pod.id}: ${errors.join('; ')}`);
}

export async function startPod(engine: LocalEngine, ref: string): Promise<PodRecord> {
  const pod = getPod(engine, ref);
  const members = podMembers(engine, pod).reverse(); // infra first
  await eachMember(pod, members, 'starting', (c) => engine.start(c.id));
  return pod;
}

export async function stopPod(engine: LocalEngine, ref: string, timeout?: number): Promise<PodRecord> {
  const pod = getPod(engine, ref);
  await eachMember(pod, podMembers(engine, pod), 'stopping', async (c) => {
    if (c.state.status === 'running') await engine.stop(c.id, timeout);
  });
  return pod;
}

export async function killPod(engine: LocalEngine, ref: string, signal: number): Promise<PodRecord> {
  const pod = getPod(engine, ref);
  const running = podMembers(engine, pod).filter((c) => c.state.status === 'running');
  if (running.length === 0) throw new EngineError('state-improper', `no containers in pod ${pod.id} are running: pod state improper`);
  await eachMember(pod, running, 'killing', async (c) => engine.kill(c.id, signal));
  return pod;
}

export async function pausePod(engine: LocalEngine, ref: string, paused: boolean): Promise<PodRecord> {
  const pod = getPod(engine, ref);
  const targets = podMembers(engine, pod).filter((c) => c.state.status === 'running' && !!c.state.paused !== paused);
  await eachMember(pod, targets, paused ? 'pausing' : 'unpausing', (c) => engine.setPaused(c.id, paused));
  return pod;
}

/** Removes the pod: with force its running containers are stopped first, else they make it fail. */
export async function removePod(engine: LocalEngine, ref: string, opts: { force?: boolean; timeout?: number; ignoreMissing?: boolean }): Promise<string | undefined> {
  let pod: PodRecord;
  try {
    pod = getPod(engine, ref);
  } catch (err) {
    if (opts.ignoreMissing && err instanceof EngineError && err.kind === 'no-such-object') return undefined;
    throw err;
  }
  const members = podMembers(engine, pod);
  if (!opts.force) {
    const running = members.filter((c) => !c.config.isInfra && c.state.status === 'running');
    if (running.length)
      throw new EngineError('state-improper', `pod ${pod.id} has containers that are not ready to be removed: cannot remove container ${running[0].id} as it is running - running or paused containers cannot be removed without force: container state improper`);
  }
  await eachMember(pod, members, 'removing', (c) => engine.removeAsync(c.id, { force: true, ignoreMissing: true, timeout: opts.timeout }));
  engine.store.update((db) => void delete db.pods?.[pod.id]);
  return pod.id;
}

export function listPods(engine: LocalEngine): PodRecord[] {
  return Object.values(engine.store.read().pods ?? {}).sort((a, b) => b.created.localeCompare(a.created));
}
