// Looking into containers, for both trees: archive (cp), top, stats, and the
// disk usage of the store.
import { dockerDfVolume, libpodDfVolume, volumeUsage } from '../../lib/volume/usage';
import { PassThrough } from 'node:stream';
import type { RouteContext } from '../router';
import { badRequest, qbool, sendJson } from '../http';
import { getArchive, putArchive, statContainerPath } from '../../lib/container/archive';
import { containerProcesses, podmanTop, psEf } from '../../lib/container/top';
import { blkioTotals, cpuPercent, dockerStats, memUsed, netTotals, sampleStats, type StatsSample } from '../../lib/container/stats';
import { diskUsage } from '../../lib/container/df';
import { containerCommand } from '../../lib/oci/generate';
import { imageDefaultsOf } from '../../lib/engine/views';
import { publicStatus } from '../../lib/container/inspect';
import { psStatus } from '../../lib/format/units';
import { EngineError } from '../../lib/errors';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pathParam(ctx: RouteContext): string {
  const p = ctx.query.get('path');
  if (!p) throw badRequest('bad parameter: path cannot be empty');
  return p;
}

const statHeader = (stat: object) => Buffer.from(JSON.stringify(stat)).toString('base64');

/** GET and HEAD /containers/{id}/archive */
export async function archiveGet(ctx: RouteContext): Promise<void> {
  const p = pathParam(ctx);
  if (ctx.req.method === 'HEAD') {
    const stat = statContainerPath(ctx.engine, ctx.params.id, p);
    ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/json' });
    ctx.res.end();
    return;
  }
  const { stat, tar } = getArchive(ctx.engine, ctx.params.id, p);
  ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/x-tar' });
  ctx.res.on('close', () => tar.destroy());
  tar.on('error', () => ctx.res.destroy());
  tar.pipe(ctx.res);
  await new Promise<void>((resolve) => ctx.res.on('close', () => resolve()));
}

/** PUT /containers/{id}/archive */
export async function archivePut(ctx: RouteContext): Promise<void> {
  const p = pathParam(ctx);
  // The extraction may stop early: it must not take the connection down with the body.
  const body = new PassThrough();
  ctx.req.pipe(body);
  try {
    await putArchive(ctx.engine, ctx.params.id, p, body, { noOverwriteDirNonDir: qbool(ctx.query, 'noOverwriteDirNonDir') });
  } catch (err) {
    ctx.req.unpipe(body);
    ctx.req.resume();
    throw err;
  }
  ctx.res.writeHead(200, { 'Content-Length': 0 });
  ctx.res.end();
}

export function topDocker(ctx: RouteContext): void {
  sendJson(ctx.res, 200, psEf(containerProcesses(ctx.engine, ctx.params.id).procs));
}

export function topLibpod(ctx: RouteContext): void {
  sendJson(ctx.res, 200, podmanTop(containerProcesses(ctx.engine, ctx.params.id).procs));
}

/** Docker's stats: one document (stream=false) or one per second. */
export async function statsDocker(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  const stream = qbool(ctx.query, 'stream', true);
  const oneShot = qbool(ctx.query, 'one-shot');
  if (!stream) {
    let prev: StatsSample | undefined;
    if (!oneShot) {
      prev = await sampleStats(rec);
      await sleep(500);
    }
    sendJson(ctx.res, 200, dockerStats(await sampleStats(ctx.engine.get(rec.id)), prev));
    return;
  }
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  let closed = false;
  ctx.res.on('close', () => (closed = true));
  let prev: StatsSample | undefined;
  while (!closed) {
    let cur: StatsSample;
    try {
      cur = await sampleStats(ctx.engine.get(rec.id));
    } catch {
      break; // removed
    }
    ctx.res.write(JSON.stringify(dockerStats(cur, prev)) + '\n');
    prev = cur;
    await sleep(1000);
  }
  ctx.res.end();
}

/** Podman's stats report for one container. */
export function libpodStatsEntry(cur: StatsSample, prev: StatsSample | undefined, startedAt: string) {
  const cpu = cpuPercent(cur, prev);
  const blk = blkioTotals(cur);
  const net = netTotals(cur);
  const used = memUsed(cur);
  return {
    AvgCPU: cpu,
    ContainerID: cur.id,
    Name: cur.name,
    PerCPU: null,
    CPU: cpu,
    CPUNano: Math.round(cur.cpuTotalNs),
    CPUSystemNano: Math.round(cur.cpuSystemNs),
    SystemNano: Date.now() * 1e6,
    MemUsage: used,
    MemLimit: cur.memLimit,
    MemPerc: cur.memLimit ? (used / cur.memLimit) * 100 : 0,
    NetInput: net.rx,
    NetOutput: net.tx,
    BlockInput: blk.read,
    BlockOutput: blk.write,
    PIDs: cur.pids,
    UpTime: startedAt ? (Date.now() - Date.parse(startedAt)) * 1e6 : 0,
    Duration: startedAt ? (Date.now() - Date.parse(startedAt)) * 1e6 : 0,
  };
}

/** GET /libpod/containers/stats?containers=...&stream= */
export async function statsLibpod(ctx: RouteContext): Promise<void> {
  const names = ctx.query.getAll('containers');
  const recs = () => (names.length > 0 ? names.map((n) => ctx.engine.get(n)) : ctx.engine.list().filter((c) => c.state.status === 'running'));
  const stream = qbool(ctx.query, 'stream', true);
  const interval = Math.max(1, Number(ctx.query.get('interval') ?? 5)) * 1000;
  let prev = new Map<string, StatsSample>();
  const round = async () => {
    const out = [];
    const next = new Map<string, StatsSample>();
    for (const r of recs()) {
      const cur = await sampleStats(r);
      next.set(r.id, cur);
      out.push(libpodStatsEntry(cur, prev.get(r.id), r.state.startedAt));
    }
    prev = next;
    return out;
  };
  if (!stream) {
    await round();
    await sleep(500);
    sendJson(ctx.res, 200, { Error: null, Stats: await round() });
    return;
  }
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  let closed = false;
  ctx.res.on('close', () => (closed = true));
  await round();
  await sleep(500);
  while (!closed) {
    try {
      ctx.res.write(JSON.stringify({ Error: null, Stats: await round() }) + '\n');
    } catch (err) {
      if (err instanceof EngineError) break;
      throw err;
    }
    await sleep(interval);
  }
  ctx.res.end();
}

export function dfDocker(ctx: RouteContext): void {
  const du = diskUsage(ctx.engine);
  sendJson(ctx.res, 200, {
    LayersSize: du.layersSize,
    Images: du.images.map((u) => ({
      Id: `sha256:${u.image.id}`,
      ParentId: '',
      RepoTags: u.image.names.length ? [...u.image.names] : ['<none>:<none>'],
      RepoDigests: [],
      Created: Math.floor(Date.parse(u.image.created) / 1000),
      Size: u.size,
      SharedSize: u.sharedSize,
      VirtualSize: u.size,
      Labels: {},
      Containers: u.containers,
    })),
    Containers: du.containers.map(({ ctr, sizeRw, sizeRootFs }) => {
      const state = publicStatus(ctr.state.status);
      return {
        Id: ctr.id,
        Names: [`/${ctr.name}`],
        Image: ctr.config.image,
        ImageID: `sha256:${ctr.imageId}`,
        Command: containerCommand(ctr, imageDefaultsOf(ctx.engine, ctr)).join(' '),
        Created: Math.floor(Date.parse(ctr.created) / 1000),
        Ports: [],
        SizeRw: sizeRw,
        SizeRootFs: sizeRootFs,
        Labels: ctr.config.labels,
        State: state,
        Status: psStatus(state, ctr.state.exitCode, ctr.state.startedAt ? Date.parse(ctr.state.startedAt) : null, ctr.state.finishedAt ? Date.parse(ctr.state.finishedAt) : null),
        HostConfig: { NetworkMode: ctr.config.network === 'private' ? 'bridge' : ctr.config.network },
        NetworkSettings: { Networks: {} },
        Mounts: [],
      };
    }),
    Volumes: volumeUsage(ctx.engine.paths, ctx.engine.store.read()).map((u) => dockerDfVolume(ctx.engine.paths, u)),
    BuildCache: [],
    BuilderSize: 0,
  });
}

export function dfLibpod(ctx: RouteContext): void {
  const du = diskUsage(ctx.engine);
  const repoTag = (n: string | undefined) => {
    if (!n) return ['<none>', '<none>'];
    const i = n.lastIndexOf(':');
    return i > n.lastIndexOf('/') ? [n.slice(0, i), n.slice(i + 1)] : [n, 'latest'];
  };
  sendJson(ctx.res, 200, {
    Images: du.images.map((u) => {
      const [Repository, Tag] = repoTag(u.image.names[0]);
      return { Repository, Tag, ImageID: u.image.id, Created: u.image.created, Size: u.size, SharedSize: u.sharedSize, UniqueSize: u.uniqueSize, Containers: u.containers };
    }),
    Containers: du.containers.map(({ ctr, sizeRw, sizeRootFs }) => ({
      ContainerID: ctr.id,
      Image: ctr.imageId,
      Command: containerCommand(ctr, imageDefaultsOf(ctx.engine, ctr)),
      LocalVolumes: 0,
      Size: sizeRootFs,
      RWSize: sizeRw,
      Created: ctr.created,
      Status: publicStatus(ctr.state.status),
      Names: ctr.name,
    })),
    Volumes: volumeUsage(ctx.engine.paths, ctx.engine.store.read()).map(libpodDfVolume),
  });
}
