// _ping, version, info and events, for both trees.
import * as os from 'node:os';
import type { RouteContext } from '../router';
import { API_VERSION, LIBPOD_API_VERSION, MIN_API_VERSION, PING_HEADERS, SERVER_VERSION } from '../router';
import { containerCounts, ociArch, systemInfo } from '../../lib/system/info';
import { sendJson, qbool, qfilters } from '../http';
import { systemPrune, type PruneItem } from '../../lib/system/prune';
import { InProcessEngine } from '../../lib/engine/in-process';
import { pruneFilters } from './volumes';
import { eventQuery, streamEvents } from '../streams/events';

const arch = ociArch;

export function ping(ctx: RouteContext): void {
  const { res, req } = ctx;
  // the routed path (a query, CORS): most pings are answered by the router's fast path
  for (let i = 0; i < PING_HEADERS.length; i += 2) res.setHeader(PING_HEADERS[i], PING_HEADERS[i + 1]);
  if (req.method === 'HEAD') {
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
  res.end('OK');
}

export function version(ctx: RouteContext): void {
  const details = {
    ApiVersion: API_VERSION,
    Arch: arch(),
    BuildTime: new Date(0).toISOString(),
    Experimental: 'true',
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: os.release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  sendJson(ctx.res, 200, {
    Platform: { Name: 'linux/' + arch() + '/tspod' },
    // The component's details carry the libpod API's versions (Podman's), the top level Docker's.
    Components: [
      {
        Name: 'Podman Engine',
        Version: SERVER_VERSION,
        Details: { ...details, APIVersion: LIBPOD_API_VERSION, MinAPIVersion: '4.0.0', Configuration: 'tspod', LibpodApiVersion: LIBPOD_API_VERSION },
      },
    ],
    Version: SERVER_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: arch(),
    KernelVersion: os.release(),
    BuildTime: details.BuildTime,
    Experimental: true,
  });
}

const counts = (ctx: RouteContext) => containerCounts(ctx.engine);

export function dockerInfo(ctx: RouteContext): void {
  const n = counts(ctx);
  const runtime = ctx.engine.runtimeName();
  sendJson(ctx.res, 200, {
    ID: os.hostname(),
    Containers: n.total,
    ContainersRunning: n.running,
    ContainersPaused: 0,
    ContainersStopped: n.stopped,
    Images: n.images,
    Driver: 'overlay',
    DriverStatus: [],
    DockerRootDir: ctx.engine.paths.root,
    SystemStatus: null,
    Plugins: { Volume: ['local'], Network: [], Authorization: null, Log: ['k8s-file', 'none', 'passthrough'] },
    MemoryLimit: true,
    SwapLimit: true,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: '2',
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: 'Debian GNU/Linux',
    OSType: 'linux',
    Architecture: os.machine?.() ?? arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: [], Mirrors: [] },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: true,
    ServerVersion: SERVER_VERSION,
    Runtimes: runtime ? { [runtime]: { path: runtime } } : {},
    DefaultRuntime: runtime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    SecurityOptions: ['name=seccomp,profile=default'],
    Warnings: [],
  });
}

export function libpodInfo(ctx: RouteContext): void {
  const info = systemInfo(ctx.engine, true);
  sendJson(ctx.res, 200, { ...info, version: { ...info.version, APIVersion: LIBPOD_API_VERSION, Version: SERVER_VERSION } });
}

export function libpodVersion(ctx: RouteContext): void {
  version(ctx);
}

export async function events(ctx: RouteContext, compat: boolean): Promise<void> {
  await streamEvents(ctx.engine, ctx.res, eventQuery(ctx.query, qfilters(ctx.query), compat));
}

/** POST /libpod/system/prune?all&volumes&filters: Podman's SystemPruneReport, by the CLI's own system prune. */
export async function libpodPrune(ctx: RouteContext): Promise<void> {
  const filters = pruneFilters(ctx);
  const r = await systemPrune(new InProcessEngine(ctx.engine), { all: qbool(ctx.query, 'all'), volumes: qbool(ctx.query, 'volumes'), filters });
  const reports = (list: PruneItem[]) => list.map((x) => ({ Id: x.id, Err: x.err ? x.err.message : null, Size: x.size }));
  sendJson(ctx.res, 200, {
    PodPruneReport: [],
    ContainerPruneReports: reports(r.containers),
    ImagePruneReports: reports(r.images),
    NetworkPruneReports: r.networks.map((name) => ({ Id: name, Err: null, Size: 0 })),
    VolumePruneReports: reports(r.volumes),
    ReclaimedSpace: r.reclaimed,
  });
}
