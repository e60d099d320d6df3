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
import { loadContainersConf } from '../config/containers-conf';
import { ensureImage } from '../image/pull-policy';

export const SHAREABLE = ['cgroup', 'ipc', 'net', 'pid', 'uts', 'none'];
/** Podman's default set for a pod. */
const DEFAULT_SHARE = ['net', 'ipc', 'uts'];
/** Podman's --exit-policy: what the pod does when its last container exits. */
export const EXIT_POLICIES = ['continue', 'stop'] as const;
export type ExitPolicy = (typeof EXIT_POLICIES)[number];

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
  exitPolicy?: ExitPolicy;
  /** --infra-conmon-pidfile */
  infraConmonPidFile?: string;
  /** kube play: the infra container never talks to systemd (Podman sets "ignore") */
  infraSdnotify?: 'ignore';
}

export function parseExitPolicy(v: string | undefined): ExitPolicy | undefined {
  if (v === undefined || v === '') return undefined;
  if (!(EXIT_POLICIES as readonly string[]).includes(v)) throw invalidArgument(`running pod create option: invalid pod exit policy: "${v}"`);
  return v as ExitPolicy;
}

/** Podman's --share: a comma list; a leading + adds to the default set; none shares nothing (and needs no infra). */
export function parseShare(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_SHARE];
  const add = value.startsWith('+');
  const items = (add ? value.slice(1) : value).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of items) if (!SHAREABLE.includes(s)) throw invalidArgument(`invalid kernel namespace to share: ${s}. Options are: cgroup, ipc, net, pid, uts or none`);
  // Podman 4.3 makes the pod the cgroup parent, which excludes joining the infra's cgroup namespace
  if (items.includes('cgroup')) throw invalidArgument("cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS");
  const set = items.includes('none') ? [] : items;
  return add ? [...new Set([...DEFAULT_SHARE, ...set])] : set;
}

export async function createPod(engine: LocalEngine, req: PodCreateRequest): Promise<PodRecord> {
  if (req.name !== undefined && !validateName(req.name)) throw invalidArgument(`running pod create option: ${NAME_REGEX_ERROR}`);
  const share = req.share ?? [...DEFAULT_SHARE];
  const infra = req.infra !== false && share.length > 0; // as Podman: nothing shared, no infra container
  if (!infra && (req.ports?.length || req.infraImage || req.infraCommand))
    throw invalidArgument('you must have an infra container to publish port bindings to the host');
  const conf = loadContainersConf();
  const infraImage = req.infraImage ?? conf.infraImage;
  let image = '';
  if (infra && infraImage) {
    await ensureImage(engine.store, infraImage, 'missing'); // on the engine's side: the remote client's pod create pulls too
    image = infraImage;
  } else if (infra) image = await ensureInfraImage(engine);
  const infraCommand = req.infraCommand ?? (req.infraImage ? undefined : conf.infraCommand);
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
      exitPolicy: req.exitPolicy ?? 'continue',
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
        ...(infraCommand ? { entrypoint: infraCommand, entrypointSet: true } : {}),
        hostname: req.hostname || pod.name,
        ports: checkPublishedPorts(req.ports ?? []),
        pod: id,
        isInfra: true,
        ...(req.infraConmonPidFile ? { conmonPidFile: req.infraConmonPidFile } : {}),
        ...(req.infraSdnotify ? { sdnotify: req.infraSdnotify } : {}),
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
  const service = pod.serviceContainer ? engine.store.read().containers[pod.serviceContainer] : undefined;
  // kube play's service container runs before the pod
  if (service && engine.get(service.id).state.status !== 'running') members.unshift(service);
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
  await eachMember(pod, members, 'removing', (c) => engine.removeAsync(c.id, { force: true, ignoreMissing: true, timeout: opts.timeout, podRemoval: true }));
  const lastOfService = engine.store.update((db) => {
    delete db.pods?.[pod.id];
    return !!pod.serviceContainer && !Object.values(db.pods ?? {}).some((p) => p.serviceContainer === pod.serviceContainer);
  });
  if (lastOfService) await engine.removeAsync(pod.serviceContainer as string, { force: true, ignoreMissing: true, timeout: 0 });
  return pod.id;
}

/**
 * Force-removes a container an image removal (rmi -f) or a network removal
 * (network rm -f) takes away: an infra container takes its whole pod with it,
 * as Podman's; its members are killed, not stopped.
 */
export function forceRemoveContainer(engine: LocalEngine, id: string): void {
  const rec = engine.store.read().containers[id];
  const pod = rec?.config.isInfra && rec.config.pod ? engine.store.read().pods?.[rec.config.pod] : undefined;
  if (!pod) {
    engine.remove(id, { force: true, ignoreMissing: true });
    return;
  }
  for (const c of podContainers(engine.store.read(), pod)) engine.remove(c.id, { force: true, ignoreMissing: true, podRemoval: true });
  engine.store.update((db) => void delete db.pods?.[pod.id]);
}

export function listPods(engine: LocalEngine): PodRecord[] {
  return Object.values(engine.store.read().pods ?? {}).sort((a, b) => b.created.localeCompare(a.created));
}

/** Exit policy "stop": once none of the pod's containers runs, its infra container is stopped too. */
export async function applyExitPolicy(engine: LocalEngine, podId: string): Promise<void> {
  const pod = engine.store.read().pods?.[podId];
  if (!pod) return;
  const members = podMembers(engine, pod);
  if (members.some((c) => !c.config.isInfra && c.state.status === 'running')) return;
  const infra = members.find((c) => c.config.isInfra);
  if (pod.exitPolicy === 'stop' && infra?.state.status === 'running') await stopQuietly(engine, infra.id);
  // kube play's service container stops once none of its pods runs anything
  const service = pod.serviceContainer;
  if (!service) return;
  const db = engine.store.read();
  const pods = Object.values(db.pods ?? {}).filter((p) => p.serviceContainer === service);
  if (pods.some((p) => podMembers(engine, p).some((c) => c.state.status === 'running'))) return;
  if (db.containers[service]?.state.status === 'running') await stopQuietly(engine, service);
}

async function stopQuietly(engine: LocalEngine, id: string): Promise<void> {
  try {
    await engine.stop(id);
  } catch (err) {
    if (!(err instanceof EngineError)) throw err; // stopped or removed meanwhile
  }
}
