// The libpod API's /pods endpoints, over the same pod operations as the CLI
// (lib/pod). Reports are Podman's: {Errs, Id} for actions, {Err, Id} for rm;
// 304 when a pod is already in the state asked for.
import type { RouteContext } from '../router';
import { ApiError, qbool, qfilters, qint, readJson, sendEmpty, sendJson } from '../http';
import { signalNumber } from '../../lib/container/signals';
import { createPod, getPod, killPod, listPods, pausePod, podMembers, removePod, startPod, stopPod } from '../../lib/pod/pods';
import { inspectPod, podListEntry } from '../../lib/pod/views';
import { filterPods } from '../../lib/pod/filters';
import { podRequestFromSpec } from '../../lib/pod/wire';
import { podStats, podsForStats, podTop } from '../../lib/pod/observe';

export async function create(ctx: RouteContext): Promise<void> {
  const pod = await createPod(ctx.engine, podRequestFromSpec(await readJson(ctx.req)));
  sendJson(ctx.res, 201, { Id: pod.id });
}

export function list(ctx: RouteContext): void {
  let filters: string[];
  try {
    filters = [...qfilters(ctx.query)].flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
  } catch {
    // Podman answers with Go's JSON decoder's complaint as the cause
    const raw = ctx.query.get('filters') ?? '';
    let why = 'unexpected end of JSON input';
    try {
      JSON.parse(raw);
    } catch (e) {
      const m = /Unexpected token '?(.)'?/.exec((e as Error).message);
      if (m) why = `invalid character '${m[1]}' looking for beginning of value`;
    }
    throw new ApiError(400, `failed to parse parameters for ${ctx.req.url}: ${why}`, why);
  }
  sendJson(ctx.res, 200, filterPods(listPods(ctx.engine).map((p) => podListEntry(ctx.engine, p)), filters));
}

export function inspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, inspectPod(ctx.engine, getPod(ctx.engine, ctx.params.name)));
}

export function exists(ctx: RouteContext): void {
  getPod(ctx.engine, ctx.params.name);
  sendEmpty(ctx.res, 204);
}

const running = (ctx: RouteContext) => podMembers(ctx.engine, getPod(ctx.engine, ctx.params.name)).filter((c) => c.state.status === 'running');

export async function start(ctx: RouteContext): Promise<void> {
  const pod = getPod(ctx.engine, ctx.params.name);
  const members = podMembers(ctx.engine, pod);
  if (members.length && members.every((c) => c.state.status === 'running')) return sendEmpty(ctx.res, 304);
  await startPod(ctx.engine, pod.id);
  sendJson(ctx.res, 200, { Errs: null, Id: pod.id });
}

/** ?t= as Podman's schema decoder takes it (its wording on a bad value). */
function stopTimeout(ctx: RouteContext): number | undefined {
  for (const key of ['t', 'timeout']) {
    const v = ctx.query.get(key);
    if (v === null || v === '') continue;
    if (!/^-?\d+$/.test(v)) {
      const why = `schema: error converting value for "${key}"`;
      throw new ApiError(400, `failed to parse parameters for ${ctx.req.url}: ${why}`, why);
    }
    return Number(v);
  }
  return undefined;
}

export async function stop(ctx: RouteContext): Promise<void> {
  const timeout = stopTimeout(ctx);
  const pod = getPod(ctx.engine, ctx.params.name);
  if (running(ctx).length === 0) return sendEmpty(ctx.res, 304);
  await stopPod(ctx.engine, pod.id, timeout);
  sendJson(ctx.res, 200, { Errs: null, Id: pod.id });
}

export async function restart(ctx: RouteContext): Promise<void> {
  const pod = getPod(ctx.engine, ctx.params.name);
  await stopPod(ctx.engine, pod.id, stopTimeout(ctx));
  await startPod(ctx.engine, pod.id);
  sendJson(ctx.res, 200, { Errs: null, Id: pod.id });
}

export async function kill(ctx: RouteContext): Promise<void> {
  const raw = ctx.query.get('signal');
  const signal = raw ? (/^\d+$/.test(raw) ? Number(raw) : signalNumber(raw)) : 9;
  const pod = await killPod(ctx.engine, ctx.params.name, signal);
  sendJson(ctx.res, 200, { Errs: null, Id: pod.id });
}

export async function pause(ctx: RouteContext): Promise<void> {
  const pod = await pausePod(ctx.engine, ctx.params.name, true);
  sendJson(ctx.res, 200, { Errs: null, Id: pod.id });
}

export async function unpause(ctx: RouteContext): Promise<void> {
  const pod = await pausePod(ctx.engine, ctx.params.name, false);
  sendJson(ctx.res, 200, { Errs: null, Id: pod.id });
}

export async function remove(ctx: RouteContext): Promise<void> {
  const id = await removePod(ctx.engine, ctx.params.name, { force: qbool(ctx.query, 'force'), timeout: qint(ctx.query, 'timeout') });
  sendJson(ctx.res, 200, { Err: null, Id: id });
}

export async function prune(ctx: RouteContext): Promise<void> {
  const reports = [];
  for (const pod of listPods(ctx.engine)) {
    const members = podMembers(ctx.engine, pod);
    if (members.some((c) => c.state.status === 'running')) continue;
    reports.push({ Err: null, Id: await removePod(ctx.engine, pod.id, { force: true, ignoreMissing: true }) });
  }
  sendJson(ctx.res, 200, reports);
}

/** The processes of every running container of the pod, in Podman's top table. */
export function top(ctx: RouteContext): void {
  sendJson(ctx.res, 200, podTop(ctx.engine, ctx.params.name, ctx.query.get('ps_args') ?? undefined));
}

/** GET /pods/stats?all=|namesOrIDs=: one record per container of the pods ("--" values for one that does not run). */
export async function stats(ctx: RouteContext): Promise<void> {
  const pods = podsForStats(ctx.engine, ctx.query.getAll('namesOrIDs'), qbool(ctx.query, 'all'));
  const round = () => podStats(ctx.engine, pods);
  if (!qbool(ctx.query, 'stream')) return sendJson(ctx.res, 200, await round());
  // stream: one array per delay until the client goes
  const delay = Math.max(1, qint(ctx.query, 'delay') ?? 5) * 1000;
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  let closed = false;
  ctx.res.on('close', () => (closed = true));
  while (!closed) {
    ctx.res.write(`${JSON.stringify(await round())}\n`);
    for (let waited = 0; waited < delay && !closed; waited += 100) await new Promise((r) => setTimeout(r, 100));
  }
}
