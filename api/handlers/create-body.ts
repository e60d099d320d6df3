// Create bodies into the engine's create request: Docker's ContainerConfig +
// HostConfig, and libpod's SpecGenerator. Unknown fields are ignored, zero
// values mean "unset", wrong types are a 400.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CreateRequest } from '../../lib/container/engine';
import type { ContainerConfig, MountSpec } from '../../lib/storage/records';
import { signalNumber } from '../../lib/container/signals';
import { restartFromDocker } from '../../lib/container/restart-policy';
import { normalizeDestination } from '../../lib/volume/mounts';
import { dockerNetworkConfig, libpodNetworkConfig } from './networks';
import { checkNetworkValues } from '../../lib/network/input-checks';
import { listenConfig } from '../../lib/activation/listen-address';
import { badRequest, optBool, optNumber, optObject, optString, optStringMap, optStrings } from '../http';
import type { ResourceConfig } from '../../lib/storage/records';
import type { HealthConfig, HealthOnFailure } from '../../lib/container/healthcheck';
import { parseSecurityOpts } from '../../lib/oci/security-options';
import { checkResources, swappiness, parseDevice, parseDeviceCgroupRule, parseUlimit } from '../../lib/oci/resources';
import { usernsFromSpec } from '../../lib/container/idmap';

/** A `Binds` entry: `/host:/ctr[:opts]` is a bind, `name:/ctr[:opts]` a named volume (made on demand, as Docker does). */
function bind(spec: string): MountSpec {
  const [src, dst, opts = ''] = spec.split(':');
  if (!src || !dst || !path.isAbsolute(dst)) throw badRequest(`invalid volume specification: '${spec}'`);
  const options = opts.split(',').filter(Boolean);
  const rw = !options.includes('ro');
  if (path.isAbsolute(src)) {
    // Docker (and Podman's compat API) make a missing bind source as a directory
    if (!fs.existsSync(src)) fs.mkdirSync(src, { recursive: true, mode: 0o755 });
    return { type: 'bind', source: src, destination: dst, rw, options: [] };
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(src)) throw badRequest(`invalid volume specification: '${spec}'`);
  return { type: 'volume', source: src, destination: dst, rw, options: options.includes('nocopy') ? ['nocopy'] : [] };
}

/** HostConfig.Mounts: [{Type, Source, Target, ReadOnly, TmpfsOptions, BindOptions}]. */
function hostMount(m: unknown): MountSpec {
  if (!m || typeof m !== 'object') throw badRequest('HostConfig.Mounts: each mount must be an object');
  const o = m as Record<string, unknown>;
  const type = optString(o, 'Type') ?? 'volume';
  const target = optString(o, 'Target') ?? optString(o, 'Destination');
  if (!target || !path.isAbsolute(target)) throw badRequest(`invalid mount config: Target must be an absolute path`);
  const source = optString(o, 'Source') ?? '';
  const rw = !(optBool(o, 'ReadOnly') ?? false);
  switch (type) {
    case 'bind': {
      if (!path.isAbsolute(source)) throw badRequest(`invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`);
      const prop = optString(optObject(o, 'BindOptions') ?? {}, 'Propagation');
      return { type: 'bind', source, destination: target, rw, options: prop ? [prop] : [] };
    }
    case 'volume':
      return { type: 'volume', source, destination: target, rw, options: optBool(optObject(o, 'VolumeOptions') ?? {}, 'NoCopy') ? ['nocopy'] : [] };
    case 'tmpfs': {
      const t = optObject(o, 'TmpfsOptions') ?? {};
      const size = optNumber(t, 'SizeBytes');
      const mode = optNumber(t, 'Mode');
      const options = [...(size ? [`size=${size}`] : []), ...(mode ? [`mode=${mode.toString(8)}`] : []), ...(rw ? [] : ['ro'])];
      return { type: 'tmpfs', source: 'tmpfs', destination: target, rw, options };
    }
    default:
      throw badRequest(`invalid mount config: mount type unknown: "${type}"`);
  }
}

/** Binds, Mounts, Tmpfs, and anonymous volumes for the `Volumes` paths nothing else covers. */
function dockerMounts(body: Record<string, unknown>, host: Record<string, unknown>): MountSpec[] {
  const mounts = [...(optStrings(host, 'Binds') ?? []).map(bind)];
  const rawMounts = host.Mounts;
  if (rawMounts !== undefined && rawMounts !== null) {
    if (!Array.isArray(rawMounts)) throw badRequest('HostConfig.Mounts: must be an array');
    mounts.push(...rawMounts.map(hostMount));
  }
  // Go decodes field names case-insensitively: TmpFs is Tmpfs
  for (const [dst, opts] of Object.entries(optStringMap(host, 'Tmpfs') ?? optStringMap(host, 'TmpFs') ?? {}))
    mounts.push({ type: 'tmpfs', source: 'tmpfs', destination: dst, rw: true, options: opts.split(',').filter(Boolean) });
  const covered = new Set(mounts.map((m) => normalizeDestination(m.destination)));
  for (const dst of Object.keys(optObject(body, 'Volumes') ?? {}))
    if (path.isAbsolute(dst) && !covered.has(normalizeDestination(dst))) mounts.push({ type: 'volume', source: '', destination: dst, rw: true, options: [] });
  return mounts;
}

function restartPolicy(host: Record<string, unknown>): string {
  const r = optObject(host, 'RestartPolicy');
  if (!r) return '';
  try {
    return restartFromDocker(optString(r, 'Name'), optNumber(r, 'MaximumRetryCount'));
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

/** --listen given through an API body; checked as the CLI checks it. */
function apiListenConfig(listen: string[] | undefined, idleTimeout: number | undefined, autoRemove: boolean): Partial<ContainerConfig> {
  if (!listen?.length && !idleTimeout) return {};
  return listenConfig(listen ?? [], idleTimeout === undefined ? undefined : String(idleTimeout), autoRemove);
}

export function dockerCreateRequest(body: Record<string, unknown>, name: string | undefined): CreateRequest {
  const image = optString(body, 'Image');
  if (!image) throw badRequest('Config.Image: an image is required');
  const host = optObject(body, 'HostConfig') ?? {};
  const entrypoint = optStrings(body, 'Entrypoint');
  const stopSignal = optString(body, 'StopSignal');
  const config: Partial<ContainerConfig> = {
    env: optStrings(body, 'Env') ?? [],
    entrypoint: entrypoint ?? [],
    entrypointSet: entrypoint !== undefined && entrypoint.length > 0,
    workdir: optString(body, 'WorkingDir') ?? '',
    user: optString(body, 'User') ?? '',
    hostname: optString(body, 'Hostname') || undefined,
    labels: optStringMap(body, 'Labels') ?? {},
    tty: optBool(body, 'Tty') ?? false,
    stdin: optBool(body, 'OpenStdin') ?? false,
    stopSignal: stopSignal ? signalNumber(stopSignal) : undefined,
    stopTimeout: optNumber(body, 'StopTimeout') ?? undefined,
    ...(optObject(body, 'Healthcheck') ? { healthcheck: optObject(body, 'Healthcheck') as unknown as HealthConfig } : {}),
    autoRemove: optBool(host, 'AutoRemove') ?? false,
    mounts: dockerMounts(body, host),
    ...dockerNetworkConfig(body, host),
    privileged: optBool(host, 'Privileged') ?? false,
    readOnly: optBool(host, 'ReadonlyRootfs') ?? false,
    capAdd: optStrings(host, 'CapAdd') ?? [],
    capDrop: optStrings(host, 'CapDrop') ?? [],
    init: optBool(host, 'Init') ?? false,
    restartPolicy: restartPolicy(host),
    createCommand: [],
    security: parseSecurityOpts(optStrings(host, 'SecurityOpt') ?? []),
    resources: dockerResources(host),
  };
  checkNetworkValues(config);
  // tspod extension (scale to zero): HostConfig.TspodListen ["8080", ...], HostConfig.TspodIdleTimeout seconds
  Object.assign(config, apiListenConfig(optStrings(host, 'TspodListen'), optNumber(host, 'TspodIdleTimeout'), config.autoRemove ?? false));
  return { image, name: name || undefined, command: optStrings(body, 'Cmd') ?? [], config };
}

/** A list of objects in a body, or [] (wrong types are a 400). */
function objects(o: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => !x || typeof x !== 'object')) throw badRequest(`${key}: must be an array of objects`);
  return v as Record<string, unknown>[];
}

/** Only the fields given, checked as the CLI checks them; undefined when none. */
function resourceConfig(r: ResourceConfig): ResourceConfig | undefined {
  const given = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as ResourceConfig;
  if (!Object.keys(given).length) return undefined;
  checkResources(given);
  return given;
}

const nonZero = (v: number | undefined) => (v ? v : undefined);

/** HostConfig's limits (docker-compose's mem_limit, cpus, pids_limit arrive as Memory, NanoCpus, PidsLimit); also the body of Docker's update. */
export function dockerResources(host: Record<string, unknown>): ResourceConfig | undefined {
  const pids = optNumber(host, 'PidsLimit');
  return resourceConfig({
    memory: nonZero(optNumber(host, 'Memory')),
    memoryReservation: nonZero(optNumber(host, 'MemoryReservation')),
    memorySwap: nonZero(optNumber(host, 'MemorySwap')),
    oomKillDisable: optBool(host, 'OomKillDisable') || undefined,
    memorySwappiness: swappiness(optNumber(host, 'MemorySwappiness')),
    oomScoreAdj: nonZero(optNumber(host, 'OomScoreAdj')),
    nanoCpus: nonZero(optNumber(host, 'NanoCpus')),
    cpuShares: nonZero(optNumber(host, 'CpuShares')),
    cpuPeriod: nonZero(optNumber(host, 'CpuPeriod')),
    cpuQuota: nonZero(optNumber(host, 'CpuQuota')),
    cpusetCpus: optString(host, 'CpusetCpus') || undefined,
    cpusetMems: optString(host, 'CpusetMems') || undefined,
    // Docker: null leaves the default, 0 or -1 means unlimited.
    pidsLimit: pids === undefined ? undefined : pids <= 0 ? -1 : pids,
    blkioWeight: nonZero(optNumber(host, 'BlkioWeight')),
    ulimits: objects(host, 'Ulimits').map((u) => parseUlimit(`${optString(u, 'Name') ?? ''}=${optNumber(u, 'Soft') ?? 0}:${optNumber(u, 'Hard') ?? 0}`)),
    devices: objects(host, 'Devices').map((d) =>
      parseDevice([optString(d, 'PathOnHost') ?? '', optString(d, 'PathInContainer') || optString(d, 'PathOnHost') || '', optString(d, 'CgroupPermissions') || 'rwm'].join(':')),
    ),
    deviceCgroupRules: (optStrings(host, 'DeviceCgroupRules') ?? []).map((r) => (parseDeviceCgroupRule(r), r)),
  });
}

/** OCI-shaped resources (SpecGenerator's resource_limits, the body of libpod's update). */
export function ociShapedResources(rl: Record<string, unknown>): ResourceConfig {
  const mem = optObject(rl, 'memory') ?? {};
  const cpu = optObject(rl, 'cpu') ?? {};
  const pids = optObject(rl, 'pids');
  return {
    memory: nonZero(optNumber(mem, 'limit')),
    memoryReservation: nonZero(optNumber(mem, 'reservation')),
    memorySwap: nonZero(optNumber(mem, 'swap')),
    oomKillDisable: optBool(mem, 'disableOOMKiller') || undefined,
    memorySwappiness: swappiness(optNumber(mem, 'swappiness')),
    cpuShares: nonZero(optNumber(cpu, 'shares')),
    cpuPeriod: nonZero(optNumber(cpu, 'period')),
    cpuQuota: nonZero(optNumber(cpu, 'quota')),
    cpusetCpus: optString(cpu, 'cpus') || undefined,
    cpusetMems: optString(cpu, 'mems') || undefined,
    pidsLimit: pids ? optNumber(pids, 'limit') : undefined,
    blkioWeight: nonZero(optNumber(optObject(rl, 'blockIO') ?? {}, 'weight')),
  };
}

/** SpecGenerator's limits: resource_limits (OCI-shaped), oom_score_adj, r_limits, devices, device_cgroup_rule. */
function libpodResources(body: Record<string, unknown>): ResourceConfig | undefined {
  const rl = optObject(body, 'resource_limits') ?? {};
  return resourceConfig({
    ...ociShapedResources(rl),
    oomScoreAdj: nonZero(optNumber(body, 'oom_score_adj')),
    ulimits: objects(body, 'r_limits').map((u) => parseUlimit(`${(optString(u, 'type') ?? '').toLowerCase().replace(/^rlimit_/, '')}=${optNumber(u, 'soft') ?? 0}:${optNumber(u, 'hard') ?? 0}`)),
    devices: objects(body, 'devices').map((d) => parseDevice(optString(d, 'path') ?? '')),
    deviceCgroupRules: (optStrings(body, 'device_cgroup_rule') ?? []).map((r) => (parseDeviceCgroupRule(r), r)),
  });
}

/** SpecGenerator's security fields, as the --security-opt values they stand for. */
function libpodSecurity(body: Record<string, unknown>) {
  const opts: string[] = [];
  const seccomp = optString(body, 'seccomp_profile_path');
  if (seccomp) opts.push(`seccomp=${seccomp}`);
  if (optBool(body, 'no_new_privileges')) opts.push('no-new-privileges');
  const apparmor = optString(body, 'apparmor_profile');
  if (apparmor) opts.push(`apparmor=${apparmor}`);
  for (const l of optStrings(body, 'selinux_opts') ?? []) opts.push(`label=${l}`);
  const mask = optString(body, 'mask');
  if (mask) opts.push(`mask=${mask}`);
  const unmask = optString(body, 'unmask');
  if (unmask) opts.push(`unmask=${unmask}`);
  const proc = optStrings(body, 'procfs_opts');
  if (proc?.length) opts.push(`proc-opts=${proc.join(',')}`);
  return parseSecurityOpts(opts);
}

/** SpecGenerator `mounts` (OCI mounts: bind, tmpfs, volume) and `volumes` (named: Name, Dest, Options; no Name = anonymous). */
function libpodMounts(body: Record<string, unknown>): MountSpec[] {
  const list = (key: string): Record<string, unknown>[] => {
    const v = body[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => !x || typeof x !== 'object')) throw badRequest(`${key}: must be an array of objects`);
    return v as Record<string, unknown>[];
  };
  const split = (o: string[]) => ({ rw: !o.includes('ro'), options: o.filter((x) => !['ro', 'rw', 'rbind', 'bind'].includes(x)) });
  const out: MountSpec[] = [];
  for (const m of list('mounts')) {
    const type = optString(m, 'type') ?? optString(m, 'Type') ?? 'bind';
    const destination = optString(m, 'destination') ?? optString(m, 'Destination') ?? '';
    if (!path.isAbsolute(destination)) throw badRequest(`mounts: destination must be an absolute path: "${destination}"`);
    if (type !== 'bind' && type !== 'tmpfs' && type !== 'volume') throw badRequest(`mounts: invalid filesystem type "${type}"`);
    const source = optString(m, 'source') ?? optString(m, 'Source') ?? '';
    out.push({ type, source: type === 'tmpfs' ? 'tmpfs' : source, destination, ...split(optStrings(m, 'options') ?? optStrings(m, 'Options') ?? []) });
  }
  for (const v of list('volumes')) {
    const destination = optString(v, 'Dest') ?? '';
    if (!path.isAbsolute(destination)) throw badRequest(`volumes: Dest must be an absolute path: "${destination}"`);
    const name = optBool(v, 'IsAnonymous') ? '' : (optString(v, 'Name') ?? '');
    out.push({ type: 'volume', source: name, destination, ...split(optStrings(v, 'Options') ?? []) });
  }
  return out;
}

function libpodRestart(body: Record<string, unknown>): string {
  try {
    return restartFromDocker(optString(body, 'restart_policy'), optNumber(body, 'restart_tries'));
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

/** libpod's SpecGenerator (the fields tspod supports). */
export function libpodCreateRequest(body: Record<string, unknown>): CreateRequest {
  const image = optString(body, 'image');
  if (!image) throw badRequest('image: an image is required');
  const entrypoint = optStrings(body, 'entrypoint');
  const envMap = optStringMap(body, 'env') ?? {};
  const stopSignal = body.stop_signal;
  const config: Partial<ContainerConfig> = {
    env: Object.entries(envMap).map(([k, v]) => `${k}=${v}`),
    entrypoint: entrypoint ?? [],
    entrypointSet: entrypoint !== undefined,
    workdir: optString(body, 'work_dir') ?? '',
    user: optString(body, 'user') ?? '',
    hostname: optString(body, 'hostname') || undefined,
    pod: optString(body, 'pod') || undefined,
    labels: optStringMap(body, 'labels') ?? {},
    annotations: optStringMap(body, 'annotations') ?? {},
    tty: optBool(body, 'terminal') ?? false,
    stdin: optBool(body, 'stdin') ?? false,
    stopSignal: typeof stopSignal === 'number' || typeof stopSignal === 'string' ? signalNumber(stopSignal) : undefined,
    stopTimeout: optNumber(body, 'stop_timeout'),
    ...(optObject(body, 'healthconfig') ? { healthcheck: optObject(body, 'healthconfig') as unknown as HealthConfig } : {}),
    ...libpodHealthAction(body.health_check_on_failure_action),
    autoRemove: optBool(body, 'remove') ?? false,
    privileged: optBool(body, 'privileged') ?? false,
    readOnly: optBool(body, 'read_only_filesystem') ?? false,
    capAdd: optStrings(body, 'cap_add') ?? [],
    capDrop: optStrings(body, 'cap_drop') ?? [],
    restartPolicy: libpodRestart(body),
    mounts: libpodMounts(body),
    createCommand: [],
    security: libpodSecurity(body),
    resources: libpodResources(body),
    ...(optBool(body, 'read_write_tmpfs') === false ? { readOnlyTmpfs: false } : {}),
  };
  Object.assign(config, libpodNetworkConfig(body));
  checkNetworkValues(config);
  const idMappings = usernsFromSpec(body);
  if (idMappings) config.idMappings = idMappings;
  // tspod extension (scale to zero): listen ["8080", ...], idle_timeout seconds
  Object.assign(config, apiListenConfig(optStrings(body, 'listen'), optNumber(body, 'idle_timeout'), config.autoRemove ?? false));
  return { image, name: optString(body, 'name') || undefined, command: optStrings(body, 'command') ?? [], config };
}

/** libpod's health_check_on_failure_action: Podman's enum (0 none, 1 kill, 2 restart, 3 stop) or its name. */
function libpodHealthAction(v: unknown): { healthOnFailure?: HealthOnFailure } {
  if (v === undefined || v === null) return {};
  const names: HealthOnFailure[] = ['none', 'kill', 'restart', 'stop'];
  const action = typeof v === 'number' ? names[v] : typeof v === 'string' && (names as string[]).includes(v) ? (v as HealthOnFailure) : undefined;
  if (!action) throw badRequest(`invalid health_check_on_failure_action ${JSON.stringify(v)}`);
  return action === 'none' ? {} : { healthOnFailure: action };
}
