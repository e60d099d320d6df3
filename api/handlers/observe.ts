// Looking into containers, for both trees: archive (cp), top, stats, and the
// disk usage of the store.
import { dockerDfVolume, volumeUsage } from '../../lib/volume/usage';
import { PassThrough } from 'node:stream';
import type { RouteContext } from '../router';
import { badRequest, qbool, sendJson } from '../http';
import { getArchive, putArchive, statContainerPath } from '../../lib/container/archive';
import { containerProcesses, podmanTop, psEf } from '../../lib/container/top';
import { dockerStats, sampleStats, statsReports, type StatsSample } from '../../lib/container/stats';
import { diskUsage, libpodDf } from '../../lib/container/df';
import { containerCommand } from '../../lib/oci/generate';
import { imageDefaultsOf } from '../../lib/engine/views';
import { publicStatus } from '../../lib/container/inspect';
import { psStatus } from '../../lib/format/units';
import { EngineError } from '../../lib/errors';
import { LocalObserve } from '../../lib/engine/observe';
import { exportContainer, exportTarget } from '../../lib/container/export';

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

/** GET /containers/{id}/export (both APIs): the container's root file system as a tar. */
export async function exportGet(ctx: RouteContext): Promise<void> {
  const rec = exportTarget(ctx.engine, ctx.params.id); // a missing container answers 404 before any output
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await exportContainer(ctx.engine, rec, ctx.res);
}

/** Podman's `rename` query (a JSON map old -> new name of the archive's top component); tspod renames one. */
function renameParam(ctx: RouteContext): { rebase?: { from: string; to: string } } {
  const raw = ctx.query.get('rename');
  if (!raw) return {};
  let map: unknown;
  try {
    map = JSON.parse(raw);
  } catch {
    throw badRequest(`rename: ${JSON.stringify(raw)} is not a JSON object`);
  }
  const entries = map && typeof map === 'object' && !Array.isArray(map) ? Object.entries(map as Record<string, unknown>) : [];
  if (entries.length !== 1 || typeof entries[0][1] !== 'string' || entries[0][0].includes('/') || entries[0][0] === '') throw badRequest('rename: one top-level name to rename is supported');
  return { rebase: { from: entries[0][0], to: entries[0][1] as string } };
}

/** PUT /containers/{id}/archive */
export async function archivePut(ctx: RouteContext): Promise<void> {
  const p = pathParam(ctx);
  // The extraction may stop early: it must not take the connection down with the body.
  const body = new PassThrough();
  ctx.req.pipe(body);
  try {
    await putArchive(ctx.engine, ctx.params.id, p, body, { noOverwriteDirNonDir: qbool(ctx.query, 'noOverwriteDirNonDir'), ...renameParam(ctx) });
  } catch (err) {
    ctx.req.unpipe(body);
    ctx.req.resume();
    throw err;
  }
  ctx.res.writeHead(200, { 'Content-Length': 0 });
  ctx.res.end();
}

/** GET /containers/{id}/changes (both trees): Docker's [{Path, Kind}]. */
export async function changes(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await new LocalObserve(ctx.engine).changes(ctx.params.id));
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

/**
 * GET /libpod/containers/stats?containers=...&stream=
 * As Podman's: a container that cannot be read (unknown, removed, not
 * running) is a report with its error, `{"Error":{...},"Stats":null}`, after
 * which the stream ends; the status stays 200 (Podman's handler writes the
 * header before it looks at the reports).
 */
export async function statsLibpod(ctx: RouteContext): Promise<void> {
  const names = ctx.query.getAll('containers').flatMap((n) => n.split(',')).filter((n) => n !== '');
  const stream = qbool(ctx.query, 'stream', true);
  // tspod's remote `stats --all`: the stopped containers it names are reported too, not refused
  const all = qbool(ctx.query, 'all', false);
  const intervalMs = Math.max(1, Number(ctx.query.get('interval') ?? 5) || 5) * 1000;
  // the engine's stats loop (lib/container/stats.ts), its reports in Podman's envelope
  const reports = statsReports(ctx.engine, names, { stream, intervalMs, all });
  /** One report: the stats, or the error that ends the stream (undefined: the loop ended). */
  const next = async (): Promise<{ Error: unknown; Stats: unknown } | undefined> => {
    try {
      const r = await reports.next();
      return r.done ? undefined : { Error: null, Stats: r.value };
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      return { Error: { message: err.message }, Stats: null };
    }
  };
  const first = (await next()) ?? { Error: null, Stats: [] }; // at once: its CPU % is the average since the start, as Podman's
  if (!stream || first.Error !== null) {
    await reports.return(undefined);
    return sendJson(ctx.res, 200, first);
  }
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  let closed = false;
  ctx.res.on('close', () => (closed = true));
  ctx.res.write(JSON.stringify(first) + '\n');
  while (!closed) {
    const r = await next();
    if (!r || closed) break;
    ctx.res.write(JSON.stringify(r) + '\n');
    if (r.Error !== null) break;
  }
  await reports.return(undefined);
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
  sendJson(ctx.res, 200, libpodDf(ctx.engine));
}
