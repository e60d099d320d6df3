// The libpod API's Kubernetes endpoints: GET /generate/kube, POST and DELETE
// /kube/play (and Podman's older spelling /play/kube), over lib/kube.
import type { RouteContext } from '../router';
import { ApiError, badRequest, qbool, readBody, sendJson } from '../http';
import { generateKubeYaml } from '../../lib/kube/generate';
import { downKube, playKube } from '../../lib/kube/play';
import { parsePublish } from '../../lib/network/ports';

export function generate(ctx: RouteContext): void {
  const names = ctx.query.getAll('names');
  if (names.length === 0) throw badRequest('generate kube: at least one name is required (?names=)');
  const type = ctx.query.get('type') ?? 'pod';
  if (type !== 'pod' && type !== 'deployment') throw badRequest(`invalid type "${type}": pod or deployment`);
  const replicas = Number(ctx.query.get('replicas') ?? 1);
  const text = generateKubeYaml(ctx.engine, { names, service: qbool(ctx.query, 'service'), type, replicas: Number.isInteger(replicas) && replicas > 0 ? replicas : 1 });
  const body = Buffer.from(text);
  ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  ctx.res.end(body);
}

/**
 * The YAML body. A browser's cross-site "simple" request (text/plain,
 * form-encoded, multipart, or no type) cannot carry one: playing YAML runs containers.
 */
async function yamlBody(ctx: RouteContext): Promise<string> {
  const ct = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (['', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'].includes(ct))
    throw new ApiError(400, `Content-Type specified (${ct || 'none'}) is not accepted for Kubernetes YAML: use application/yaml`, 'bad parameter');
  const buf = await readBody(ctx.req);
  if (buf.length === 0) throw badRequest('the request body must be Kubernetes YAML');
  return buf.toString('utf8');
}

/** A JSON object or key=value list in a query parameter (annotations). */
function queryMap(q: URLSearchParams, name: string): Record<string, string> {
  const raw = q.get(name);
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  } catch {
    /* key=value list below */
  }
  return Object.fromEntries(
    q.getAll(name).map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

export async function play(ctx: RouteContext): Promise<void> {
  const yaml = await yamlBody(ctx);
  const q = ctx.query;
  const network = q.getAll('network').filter(Boolean);
  const report = await playKube(ctx.engine, {
    yaml,
    start: qbool(q, 'start', true),
    replace: qbool(q, 'replace'),
    network: network.length ? network.join(',') : undefined,
    annotations: queryMap(q, 'annotations'),
    logDriver: q.get('logDriver') || undefined,
    userns: q.get('userns') || undefined,
    publish: q.getAll('publishPorts').filter(Boolean).flatMap(parsePublish),
    build: false, // no build context reaches the service
  });
  sendJson(ctx.res, 200, report);
}

export async function down(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await downKube(ctx.engine, await yamlBody(ctx)));
}
