// `inspect` output in Podman's shape, which scripts and unit files read with --format.
import * as path from 'node:path';
import type { ContainerRecord, Database } from '../storage/records';
import { goUnitsHumanSize } from '../format/units';
import { type StoragePaths, bundleDir, containerDir, rootfsMountDir } from '../storage/paths';
import { signalName } from './signals';
import type { ImageDefaults } from '../oci/generate';
import { SHM_SIZE_BYTES, containerCommand } from '../oci/generate';
import { containerCaps } from '../oci/generate';
import { networkSettings, portBindings } from '../network/inspect';
import { volumeMountpoint } from '../volume/volumes';
import { restartForInspect } from './restart-policy';
import { CPU_PERIOD, effectivePidsLimit, effectiveSwap, ociRlimits } from '../oci/resources';
import { cgroupSupport, containerCgroupDir } from '../oci/cgroups';
import { isRootless } from '../rootless/identity';
import { isListening } from '../activation/listen';
import { healthState } from './healthcheck';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export const publicStatus = (s: ContainerRecord['state']['status'], paused = false, listening = false) =>
  paused && s === 'running' ? 'paused' : listening && s !== 'running' ? 'listening' : s === 'stopped' ? 'exited' : s;

/** What a pod member shares with its pod's infra container (the namespaces inspect names it in). */
export interface PodNamespaces {
  infraId: string;
  share: string[];
}

/**
 * A pod member's shared namespaces; undefined for a container in no pod, an infra container, or a
 * pod without infra. The store is read (readDb) only for a pod member.
 */
export function podNamespacesOf(readDb: () => Pick<Database, 'pods'>, ctr: ContainerRecord): PodNamespaces | undefined {
  const c = ctr.config;
  if (!c.pod || c.isInfra) return undefined;
  const pod = readDb().pods?.[c.pod];
  return pod?.infraId ? { infraId: pod.infraId, share: pod.share } : undefined;
}

/** `container:INFRA` for a namespace the pod shares, as Podman's inspect says; else what the container has. */
const podMode = (pod: PodNamespaces | undefined, ns: string, own: string) => (pod?.share.includes(ns) ? `container:${pod.infraId}` : own);

export function inspectContainer(paths: StoragePaths, ctr: ContainerRecord, image: ImageDefaults, runtimeName: string, pod?: PodNamespaces) {
  const c = ctr.config;
  const cmd = containerCommand(ctr, image);
  const bundle = bundleDir(paths, ctr.id);
  const userdata = containerDir(paths, ctr.id);
  const s = ctr.state;
  const health = healthState(paths, ctr);
  const doc = {
    Id: ctr.id,
    Created: ctr.created,
    Path: cmd[0] ?? '',
    Args: cmd.slice(1),
    State: {
      OciVersion: '1.0.2-dev',
      Status: s.stopping && s.status === 'running' ? 'stopping' : s.initialized && s.status === 'created' ? 'initialized' : publicStatus(s.status, s.paused, isListening(ctr)),
      Running: s.status === 'running',
      Paused: (s.status === 'running' && s.paused) || false,
      Restarting: false,
      OOMKilled: s.oomKilled ?? false,
      Dead: false,
      Pid: s.status === 'running' || s.initialized ? s.pid : 0,
      ConmonPid: s.status === 'running' || s.initialized ? s.conmonPid : 0,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt || ZERO_TIME,
      FinishedAt: s.finishedAt || ZERO_TIME,
      Health: health,
      // the running container's cgroup (rootless on v1: none), as Podman's
      CgroupPath: s.status === 'running' && !isRootless() ? containerCgroupDir(ctr.id, c.cgroupManager) : '',
      ...(c.listen?.length ? { Activations: s.activations ?? 0 } : {}), // tspod: --listen starts
      CheckpointedAt: ZERO_TIME,
      RestoredAt: ZERO_TIME,
    },
    Image: ctr.imageId,
    ImageDigest: ctr.imageDigest ?? '',
    ImageName: ctr.imageName,
    Rootfs: '',
    Pod: c.pod ?? '',
    // Podman writes these files when the container is first initialized: none before.
    ResolvConfPath: s.status === 'created' && !s.initialized ? '' : path.join(bundle, 'resolv.conf'),
    HostnamePath: s.status === 'created' && !s.initialized ? '' : path.join(bundle, 'hostname'),
    HostsPath: s.status === 'created' && !s.initialized ? '' : path.join(bundle, 'hosts'),
    StaticDir: userdata,
    OCIConfigPath: path.join(bundle, 'config.json'),
    OCIRuntime: c.ociRuntime || runtimeName,
    ConmonPidFile: path.join(bundle, 'conmon.pid'),
    PidFile: path.join(bundle, 'pidfile'),
    Name: ctr.name,
    RestartCount: s.restartCount,
    Driver: 'overlay',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    EffectiveCaps: containerCaps(c),
    BoundingCaps: containerCaps(c),
    ExecIDs: [],
    GraphDriver: { Name: 'overlay', Data: { UpperDir: path.join(userdata, 'upper'), WorkDir: path.join(userdata, 'work'), MergedDir: rootfsMountDir(paths, ctr.id) } },
    Mounts: c.mounts.map((m) =>
      m.type === 'volume'
        ? { Type: m.type, Name: m.source, Source: volumeMountpoint(paths, m.source), Destination: m.destination, Driver: 'local', Mode: '', Options: ['nosuid', 'nodev', 'rbind', ...m.options], RW: m.rw, Propagation: 'rprivate' }
        : { Type: m.type, Source: m.source, Destination: m.destination, Driver: '', Mode: '', Options: ['rbind', ...m.options], RW: m.rw, Propagation: 'rprivate' },
    ),
    Dependencies: [],
    NetworkSettings: networkSettings(ctr, 'podman'),
    Namespace: '',
    IsInfra: c.isInfra === true,
    IsService: c.isService === true,
    Config: {
      Hostname: c.hostname,
      Domainname: '',
      User: c.user || image.User || '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: c.tty,
      OpenStdin: c.stdin,
      StdinOnce: false,
      Env: [...(image.Env ?? []), ...c.env],
      Cmd: c.cmd.length ? c.cmd : c.entrypointSet ? null : (image.Cmd ?? null),
      Image: c.image,
      Volumes: null,
      WorkingDir: c.workdir || image.WorkingDir || '/',
      Entrypoint: c.entrypointSet ? c.entrypoint.join(' ') : (image.Entrypoint ?? []).join(' '),
      OnBuild: null,
      Labels: c.labels,
      Annotations: c.annotations,
      StopSignal: c.stopSignal,
      StopSignalName: signalName(c.stopSignal),
      ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
      HealthcheckOnFailureAction: c.healthOnFailure ?? 'none',
      CreateCommand: c.createCommand,
      Umask: '0022',
      Timeout: 0,
      StopTimeout: c.stopTimeout,
      Passwd: true,
      sdNotifyMode: c.sdnotify,
      SdNotifySocket: c.sdNotifySocket || undefined,
    },
    HostConfig: {
      Binds: c.mounts
        .filter((m) => m.type !== 'tmpfs' && m.type !== 'image')
        .map((m) => `${m.source}:${m.destination}:${m.rw ? 'rw' : 'ro'},rprivate,${m.type === 'volume' ? 'nosuid,nodev,' : ''}rbind`),
      NetworkMode: c.network,
      PidMode: podMode(pod, 'pid', c.pidMode ?? 'private'),
      PortBindings: portBindings(ctr),
      PublishAllPorts: c.publishAll ?? false,
      Dns: c.dns ?? [],
      DnsSearch: c.dnsSearch ?? [],
      DnsOptions: c.dnsOptions ?? [],
      ExtraHosts: c.addHosts ?? [],
      AutoRemove: c.autoRemove,
      LogConfig: { Type: c.logDriver, Config: null, Path: c.logDriver === 'k8s-file' ? path.join(userdata, 'ctr.log') : '', Tag: '', Size: goUnitsHumanSize(c.logSizeMax ?? 0) },
      RestartPolicy: restartForInspect(c.restartPolicy),
      Privileged: c.privileged,
      ReadonlyRootfs: c.readOnly,
      CapAdd: c.capAdd,
      CapDrop: c.capDrop,
      Init: c.init,
      ...confinementForInspect(c, 'podman'),
      ...fixedHostConfig(c, pod),
      CgroupManager: c.cgroupManager ?? 'cgroupfs',
      CgroupMode: 'host',
      Cgroups: 'default',
      DiskQuota: 0,
      CgroupConf: null,
      // As Podman: "" sharing tspod's namespace, keep-id, or private with the maps as CTR:HOST:SIZE
      // auto: Podman 4.3 says private only once a run's spec holds the namespace ("" while only created)
      UsernsMode: c.idMappings && (!c.idMappings.auto || ctr.state.status !== 'created' || ctr.state.startedAt) ? (c.idMappings.keepId ? 'keep-id' : 'private') : '',
      ...(c.idMappings
        ? { IDMappings: { UidMap: c.idMappings.uidMap.map((m) => `${m.containerID}:${m.hostID}:${m.size}`), GidMap: c.idMappings.gidMap.map((m) => `${m.containerID}:${m.hostID}:${m.size}`) } }
        : {}),
    },
  };
  // Podman 4.3's `{{.State.Healthcheck}}` (a method there, so not in its JSON): the same results.
  Object.defineProperty(doc.State, 'Healthcheck', { value: health, enumerable: false });
  return doc;
}

/**
 * HostConfig fields of what tspod does not make configurable, with the values
 * Podman 4.3.1 shows for them (checked side by side), so templates such as
 * `{{.HostConfig.ShmSize}}` or `{{.HostConfig.IpcMode}}` work. Both APIs. A pod member's
 * IPC and UTS modes name the infra container when the pod shares them.
 */
export function fixedHostConfig(c: ContainerRecord['config'], pod?: PodNamespaces) {
  return {
    ContainerIDFile: c.annotations['io.podman.annotations.cid-file'] ?? '',
    VolumeDriver: '',
    VolumesFrom: null,
    GroupAdd: [] as string[],
    IpcMode: podMode(pod, 'ipc', 'shareable'),
    Cgroup: '',
    Links: null,
    UTSMode: podMode(pod, 'uts', 'private'),
    ShmSize: SHM_SIZE_BYTES,
    Runtime: 'oci',
    ConsoleSize: [0, 0],
    Isolation: '',
    CgroupParent: '',
    BlkioWeightDevice: null,
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    KernelMemory: 0,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
  };
}

/**
 * HostConfig's limit and security fields. Podman shows what it applies (--cpus
 * as NanoCpus and the CFS period/quota it became, the default swap and pids
 * limit); Docker shows what was asked (zero when unset, short ulimit names).
 */
export function confinementForInspect(c: ContainerRecord['config'], shape: 'podman' | 'docker') {
  const r = c.resources ?? {};
  const podman = shape === 'podman';
  const cpuFromNano = podman && r.nanoCpus ? { CpuPeriod: CPU_PERIOD, CpuQuota: Math.round((r.nanoCpus * CPU_PERIOD) / 1e9) } : {};
  // Podman shows the limits it applies (containers.conf's default_ulimits, then --ulimit); Docker what was asked
  const ulimits = podman
    ? ociRlimits(r.ulimits).map((l) => ({ Name: l.type, Soft: l.soft, Hard: l.hard }))
    : (r.ulimits ?? []).map((u) => {
        const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(u) as RegExpExecArray;
        return { Name: m[1], Soft: Number(m[2]), Hard: Number(m[3] ?? m[2]) };
      });
  const tmpfs = Object.fromEntries(c.mounts.filter((m) => m.type === 'tmpfs').map((m) => [m.destination, tmpfsInspectOptions(m.options)]));
  return {
    Memory: r.memory ?? 0,
    MemoryReservation: r.memoryReservation ?? 0,
    MemorySwap: (podman ? effectiveSwap(r, cgroupSupport()) : r.memorySwap) ?? 0,
    OomKillDisable: r.oomKillDisable ?? false,
    MemorySwappiness: r.memorySwappiness ?? (podman ? 0 : null),
    OomScoreAdj: r.oomScoreAdj ?? 0,
    NanoCpus: r.nanoCpus ?? 0,
    CpuShares: r.cpuShares ?? 0,
    CpuPeriod: r.cpuPeriod ?? 0,
    CpuQuota: r.cpuQuota ?? 0,
    ...cpuFromNano,
    CpusetCpus: r.cpusetCpus ?? '',
    CpusetMems: r.cpusetMems ?? '',
    PidsLimit: podman ? Math.max(effectivePidsLimit(r), 0) : (r.pidsLimit ?? null),
    BlkioWeight: r.blkioWeight ?? 0,
    Ulimits: ulimits,
    Devices: (r.devices ?? []).map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.permissions })),
    DeviceCgroupRules: r.deviceCgroupRules ?? (podman ? [] : null),
    SecurityOpt: c.security?.securityOpt.length ? c.security.securityOpt : podman ? [] : null,
    Tmpfs: tmpfs,
  };
}

/** HostConfig.Tmpfs as Podman shows it: the mode first, then the user's options, then the defaults the mount gets. */
function tmpfsInspectOptions(options: string[]): string {
  const out = options.includes('ro') ? ['ro'] : ['rw'];
  for (const o of options) if (o !== 'ro' && o !== 'rw') out.push(o);
  for (const d of ['rprivate', 'nosuid', 'nodev', 'tmpcopyup']) if (!out.includes(d) && !(d === 'tmpcopyup' && out.includes('notmpcopyup'))) out.push(d);
  return out.join(',');
}
