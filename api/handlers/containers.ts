// Container endpoints of the Docker-compatible tree; the libpod tree reuses
// most of them (its differences are in handlers/libpod.ts).
import { createWarnings } from '../../lib/oci/resources';
import type { RouteContext } from '../router';
import { ApiError, badRequest, qbool, qfiltersGo, qint, readJson, sendEmpty, sendJson } from '../http';
import { dockerCreateRequest } from './create-body';
import { containerInspect, containerListItem } from './docker-shapes';
import type { ImageDefaults } from '../../lib/oci/generate';
import { serviceWaitHooks, startContainer } from './container-ops';
import { DOCKER_WAIT_CONDITIONS, waitForCondition } from '../../lib/container/wait-condition';
import { attachStream } from '../streams/attach';
import { hijack } from '../streams/hijack';
import { streamLogs } from '../streams/logs';
import { signalNumber } from '../../lib/container/signals';
import type { ContainerRecord } from '../../lib/storage/records';
import { EngineError } from '../../lib/errors';
import { filterContainers, pruneFilter } from '../../lib/container/filters';

/** Containers matching a query's `all`, `limit` and `filters` (both filter shapes). */
export function listContainers(ctx: RouteContext): ContainerRecord[] {
  const q = ctx.query;
  const filters = qfiltersGo(q);
  let recs = ctx.engine.list();
  // `last` is libpod's old name of `limit`; a limit lists stopped containers too (Docker's and Podman's rule).
  const limit = q.has('last') ? qint(q, 'last') : qint(q, 'limit');
  const all = qbool(q, 'all') || (limit !== undefined && limit > 0);
  if (!all && !filters.has('status')) recs = recs.filter((c) => c.state.status === 'running');
  try {
    recs = filterContainers(recs, filters, undefined, ctx.engine.paths);
  } catch (err) {
    // Podman's list handlers answer a filter they cannot use with a 500
    if (err instanceof EngineError && err.kind === 'invalid-argument') throw new ApiError(500, err.message, 'invalid argument');
    throw err;
  }
  recs = recs.reverse();
  if (limit !== undefined && limit > 0) recs = recs.slice(0, limit);
  return recs;
}

export function list(ctx: RouteContext): void {
  const list = listContainers(ctx);
  const db = ctx.engine.store.read();
  const images = new Map<string, ImageDefaults>();
  sendJson(ctx.res, 200, list.map((c) => containerListItem(ctx.engine, c, db, images)));
}

export async function create(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const rec = await ctx.ops.create(dockerCreateRequest(body, ctx.query.get('name') ?? undefined));
  sendJson(ctx.res, 201, { Id: rec.id, Warnings: createWarnings(rec.config.resources) });
}

export function inspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, containerInspect(ctx.engine, ctx.engine.get(ctx.params.id)));
}

export async function start(ctx: RouteContext): Promise<void> {
  const r = await startContainer(ctx, ctx.params.id);
  sendEmpty(ctx.res, r === 'already' ? 304 : 204);
}

export async function stop(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.state.status !== 'running') return sendEmpty(ctx.res, 304);
  await ctx.ops.stop(rec.id, qint(ctx.query, 't') ?? qint(ctx.query, 'timeout'));
  sendEmpty(ctx.res, 204);
}

export async function restart(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.state.status === 'running') await ctx.ops.stop(rec.id, qint(ctx.query, 't'));
  await startContainer(ctx, rec.id);
  sendEmpty(ctx.res, 204);
}

export async function kill(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.state.status !== 'running') throw new EngineError('state-improper', `container ${rec.id} is not running`);
  await ctx.ops.kill(rec.id, signalNumber(ctx.query.get('signal') || 'SIGKILL'));
  sendEmpty(ctx.res, 204);
}

export async function wait(ctx: RouteContext): Promise<void> {
  const condition = ctx.query.get('condition') || 'not-running';
  if (!DOCKER_WAIT_CONDITIONS.includes(condition)) throw badRequest(`invalid condition: "${condition}"`);
  ctx.engine.get(ctx.params.id); // 404 before the header goes out
  let gone = false;
  ctx.res.on('close', () => {
    gone = true;
  });
  // The CLI starts the container only once this header arrived.
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  try {
    const code = await waitForCondition(ctx.engine, ctx.params.id, [condition], serviceWaitHooks(ctx.engine, ctx.service, () => gone), 100);
    if (code !== undefined) ctx.res.end(`${JSON.stringify({ StatusCode: code, Error: null })}\n`);
  } catch (err) {
    ctx.res.end(`${JSON.stringify({ StatusCode: -1, Error: { Message: (err as Error).message } })}\n`);
  }
}

export async function remove(ctx: RouteContext): Promise<void> {
  // Docker's force kills at once (no stop signal first), unless a tspod client asks for a timeout
  await ctx.ops.removeAsync(ctx.params.id, { force: qbool(ctx.query, 'force'), timeout: qint(ctx.query, 't') ?? 0, volumes: qbool(ctx.query, 'v') });
  sendEmpty(ctx.res, 204);
}

export function rename(ctx: RouteContext): void {
  const name = ctx.query.get('name');
  if (!name) throw badRequest('name: a new name is required');
  ctx.engine.rename(ctx.params.id, name.replace(/^\//, ''));
  sendEmpty(ctx.res, 204);
}

export function resize(ctx: RouteContext): void {
  const h = qint(ctx.query, 'h') ?? 0;
  const w = qint(ctx.query, 'w') ?? 0;
  ctx.engine.resizeTerminal(ctx.params.id, h, w);
  sendEmpty(ctx.res, 200);
}

export async function logs(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const stdout = qbool(q, 'stdout');
  const stderr = qbool(q, 'stderr');
  if (!stdout && !stderr) throw badRequest('you must choose at least one stream');
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.config.logDriver !== 'k8s-file') throw badRequest(`configured logging driver does not support reading: ${rec.config.logDriver}`);
  const tail = q.get('tail');
  const num = (name: string) => {
    const v = q.get(name);
    if (!v) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw badRequest(`invalid value for "${name}": ${v}`);
    return n;
  };
  await streamLogs(ctx.engine, rec, ctx.res, {
    follow: qbool(q, 'follow'),
    tail: !tail || tail === 'all' ? -1 : /^-?\d+$/.test(tail) ? Number(tail) : -1,
    since: num('since'),
    until: num('until'),
    timestamps: qbool(q, 'timestamps'),
    stdout,
    stderr,
  });
}

export async function attach(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  const q = ctx.query;
  const raw = hijack(ctx);
  // No stream chosen means all of them (Podman's rule).
  const none = !qbool(q, 'stdin') && !qbool(q, 'stdout') && !qbool(q, 'stderr');
  await attachStream(ctx.engine, rec, raw, {
    stdin: none || qbool(q, 'stdin'),
    stdout: none || qbool(q, 'stdout'),
    stderr: none || qbool(q, 'stderr'),
    logs: qbool(q, 'logs'),
    stream: qbool(q, 'stream', !qbool(q, 'logs')),
    detachKeys: q.get('detachKeys') ?? undefined,
  });
}

/** The stopped containers prune's filters select; a bad filter is a 500 on both trees (Podman's handlers). */
async function pruneContainers(ctx: RouteContext): Promise<string[]> {
  const filters = qfiltersGo(ctx.query);
  let recs;
  try {
    recs = pruneFilter(ctx.engine.list(), filters, (c) => c.config.labels, (c) => Date.parse(c.created));
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'invalid-argument') throw new ApiError(500, err.message, err.message.replace(/: invalid argument$/, ''), err.kind);
    throw err;
  }
  const deleted: string[] = [];
  for (const c of recs) {
    if (c.state.status === 'running') continue;
    try {
      if (await ctx.ops.removeAsync(c.id, { ignoreMissing: true })) deleted.push(c.id);
    } catch {
      /* started meanwhile */
    }
  }
  return deleted;
}

export async function prune(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, { ContainersDeleted: await pruneContainers(ctx), SpaceReclaimed: 0 });
}

/** libpod's prune: a report per removed container. */
export async function prunePodman(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, (await pruneContainers(ctx)).map((Id) => ({ Id, Size: 0, Err: null })));
}
