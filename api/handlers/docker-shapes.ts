// Docker-shaped documents built from the engine's records: container list
// items and inspect, image list items and inspect.
import type { LocalEngine } from '../../lib/container/engine';
import type { ContainerRecord, Database, ImageRecord } from '../../lib/storage/records';
import { confinementForInspect, fixedHostConfig, inspectContainer, podNamespacesOf, publicStatus } from '../../lib/container/inspect';
import { containerCommand, type ImageDefaults } from '../../lib/oci/generate';
import { inspectImage, repoDigests } from '../../lib/image';
import { psStatus } from '../../lib/format/units';
import { psHealth } from '../../lib/container/healthcheck';
import { listPorts, networkModeName, networkSettings, portBindings } from '../../lib/network/inspect';
import { volumeMountpoint } from '../../lib/volume/volumes';
import { imageDefaultsOf } from '../../lib/engine/views';

const ZERO_TIME = '0001-01-01T00:00:00Z';

const dockerState = (rec: ContainerRecord) => publicStatus(rec.state.status, rec.state.paused);

/** For a list: db as read once, and one image-defaults cache (reading them per item cost ~0.3 ms each). */
export function containerListItem(engine: LocalEngine, rec: ContainerRecord, db: Database = engine.store.read(), images?: Map<string, ImageDefaults>) {
  const cmd = containerCommand(rec, imageDefaultsOf(engine, rec, images));
  const state = dockerState(rec);
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.config.image,
    ImageID: `sha256:${rec.imageId}`,
    Command: cmd.join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: listPorts(rec),
    Labels: rec.config.labels,
    State: state,
    Status: psStatus({
      state,
      exitCode: rec.state.exitCode,
      startedAt: rec.state.startedAt ? Date.parse(rec.state.startedAt) : null,
      exitedAt: rec.state.finishedAt ? Date.parse(rec.state.finishedAt) : null,
      health: psHealth(engine.paths, rec),
    }),
    HostConfig: { NetworkMode: networkModeName(rec) },
    NetworkSettings: { Networks: networkSettings(rec, 'docker', db).Networks },
    Mounts: rec.config.mounts.map((m) =>
      m.type === 'volume'
        ? { Type: m.type, Name: m.source, Source: volumeMountpoint(engine.paths, m.source), Destination: m.destination, Driver: 'local', Mode: '', RW: m.rw, Propagation: '' }
        : { Type: m.type, Source: m.source, Destination: m.destination, Mode: '', RW: m.rw, Propagation: 'rprivate' },
    ),
  };
}

/** Docker's inspect, derived from Podman's (one source of truth for the fields). */
export function containerInspect(engine: LocalEngine, rec: ContainerRecord) {
  const image = imageDefaultsOf(engine, rec);
  const pod = podNamespacesOf(() => engine.store.read(), rec);
  const p = inspectContainer(engine.paths, rec, image, engine.runtimeName(), pod);
  const c = rec.config;
  const { Health: _health, OciVersion: _oci, ConmonPid: _cp, CheckpointedAt: _ca, RestoredAt: _ra, CgroupPath: _cg, ...state } = p.State;
  return {
    Id: p.Id,
    Created: p.Created,
    Path: p.Path,
    Args: p.Args,
    // Docker has State.Health only for a container with a health check.
    State: {
      ...state,
      Status: p.State.Status === 'stopping' ? 'stopping' : dockerState(rec),
      StartedAt: p.State.StartedAt || ZERO_TIME,
      FinishedAt: p.State.FinishedAt || ZERO_TIME,
      ...(c.healthcheck ? { Health: _health } : {}),
    },
    Image: `sha256:${rec.imageId}`,
    ResolvConfPath: p.ResolvConfPath,
    HostnamePath: p.HostnamePath,
    HostsPath: p.HostsPath,
    LogPath: p.HostConfig.LogConfig.Path,
    Name: `/${rec.name}`,
    RestartCount: p.RestartCount,
    Driver: p.Driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: p.HostConfig.Binds,
      NetworkMode: networkModeName(rec),
      PidMode: p.HostConfig.PidMode, // Podman's compat inspect shows its libpod value ("private" when not shared)
      PortBindings: portBindings(rec),
      PublishAllPorts: c.publishAll ?? false,
      Dns: c.dns ?? [],
      DnsSearch: c.dnsSearch ?? [],
      DnsOptions: c.dnsOptions ?? [],
      ExtraHosts: c.addHosts?.length ? c.addHosts : null,
      RestartPolicy: { Name: p.HostConfig.RestartPolicy.Name || 'no', MaximumRetryCount: p.HostConfig.RestartPolicy.MaximumRetryCount },
      AutoRemove: c.autoRemove,
      LogConfig: { Type: c.logDriver, Config: {} },
      CapAdd: c.capAdd,
      CapDrop: c.capDrop,
      Privileged: c.privileged,
      ReadonlyRootfs: c.readOnly,
      Init: c.init,
      ...confinementForInspect(c, 'docker'),
      ...fixedHostConfig(c, pod),
    },
    GraphDriver: p.GraphDriver,
    Mounts: p.Mounts.map(({ Options: _o, ...m }) => ({ ...m, Mode: m.RW ? 'rw' : 'ro' })),
    Config: {
      Hostname: c.hostname,
      Domainname: '',
      ...(c.exposedPorts?.length ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) } : {}),
      User: p.Config.User,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: c.tty,
      OpenStdin: c.stdin,
      StdinOnce: false,
      Env: p.Config.Env,
      Cmd: p.Config.Cmd ?? [], // Podman's compat inspect: [] when only an entrypoint is set
      Image: c.image,
      Volumes: c.mounts.some((m) => m.type === 'volume') ? Object.fromEntries(c.mounts.filter((m) => m.type === 'volume').map((m) => [m.destination, {}])) : null,
      WorkingDir: p.Config.WorkingDir,
      Entrypoint: c.entrypointSet ? c.entrypoint : (image.Entrypoint ?? null),
      OnBuild: null,
      Labels: c.labels,
      StopSignal: String(p.Config.StopSignal), // Podman's compat inspect gives the number
      StopTimeout: c.stopTimeout,
      ...(c.healthcheck ? { Healthcheck: c.healthcheck } : {}),
    },
    NetworkSettings: networkSettings(rec, 'docker', engine.store.read()),
  };
}

export function imageListItem(img: ImageRecord, containers: number) {
  return {
    Id: `sha256:${img.id}`,
    ParentId: '',
    RepoTags: img.names.length ? [...img.names] : null,
    RepoDigests: repoDigests(img),
    Created: Math.floor(Date.parse(img.created) / 1000),
    Size: img.size,
    SharedSize: -1,
    VirtualSize: img.size,
    Labels: {},
    Containers: containers,
    Names: [...img.names], // Podman's compat list carries them too
  };
}

export function imageInspectDocker(engine: LocalEngine, ref: string) {
  const i = inspectImage(engine.store, ref);
  return {
    Id: `sha256:${i.Id}`,
    RepoTags: i.RepoTags,
    RepoDigests: i.RepoDigests,
    Parent: '',
    Comment: i.Comment,
    Created: i.Created,
    Container: '',
    DockerVersion: '',
    Author: i.Author,
    Config: { ...i.Config, Labels: i.Config.Labels ?? null, Image: '', Hostname: '', Domainname: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, OnBuild: null },
    Architecture: i.Architecture,
    Os: i.Os,
    Size: i.Size,
    VirtualSize: i.VirtualSize,
    GraphDriver: i.GraphDriver,
    RootFS: i.RootFS,
    Metadata: { LastTagTime: ZERO_TIME },
  };
}
