// Secret endpoints: Docker's /secrets tree and libpod's /libpod/secrets tree,
// over the same lib/secret operations the CLI uses.
import type { RouteContext } from '../router';
import { ApiError, badRequest, goJsonError, optString, optStringMap, qbool, readBody, readJson, sendEmpty, sendJson } from '../http';
import { createSecret, filterSecrets, getSecret, inspectSecret, listSecrets, MAX_SECRET_SIZE, removeSecret } from '../../lib/secret/secrets';
import type { SecretRecord } from '../../lib/storage/records';
import { EngineError } from '../../lib/errors';

/** The filters query; bad JSON and unknown keys are 500 in Podman's secret lists. */
function secretFilters(ctx: RouteContext): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = ctx.query.get('filters');
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new ApiError(500, `failed to parse filters for ${raw}: ${goJsonError(e as Error)}`, goJsonError(e as Error));
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(500, `failed to parse filters for ${raw}`, 'json: cannot unmarshal filters');
  for (const [k, vals] of Object.entries(v as Record<string, unknown>)) {
    if (!Array.isArray(vals)) throw new ApiError(500, `failed to parse filters for ${raw}`, 'json: cannot unmarshal filters');
    out.set(k, vals.map(String));
  }
  return out;
}

function listed(ctx: RouteContext): SecretRecord[] {
  const filters = secretFilters(ctx);
  try {
    return filterSecrets(listSecrets(ctx.engine.store), filters);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'invalid-argument') throw new ApiError(500, e.message, 'invalid filter');
    throw e;
  }
}

/** Docker's shape: libpod's plus a version. */
const dockerSecret = (s: SecretRecord) => ({ ...inspectSecret(s), Version: { Index: 1 } });

export function list(ctx: RouteContext): void {
  sendJson(ctx.res, 200, listed(ctx).map(dockerSecret));
}

export function libpodList(ctx: RouteContext): void {
  sendJson(ctx.res, 200, listed(ctx).map(inspectSecret));
}

/** Docker: a JSON body with the data in base64. */
export async function create(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const name = optString(body, 'Name') ?? '';
  const data = Buffer.from(optString(body, 'Data') ?? '', 'base64');
  const driver = body.Driver && typeof body.Driver === 'object' ? optString(body.Driver as Record<string, unknown>, 'Name') : undefined;
  const s = createSecret(ctx.engine.store, { name, data, driver, labels: optStringMap(body, 'Labels') ?? {} });
  sendJson(ctx.res, 200, { ID: s.id });
}

function jsonQueryMap(ctx: RouteContext, key: string): Record<string, string> {
  const raw = ctx.query.get(key);
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  } catch {
    /* below */
  }
  throw badRequest(`${key}: not a JSON object of strings`);
}

/** libpod: name and driver in the query, the raw data as the body. */
export async function libpodCreate(ctx: RouteContext): Promise<void> {
  const data = await readBody(ctx.req, MAX_SECRET_SIZE);
  const s = createSecret(ctx.engine.store, {
    name: ctx.query.get('name') ?? '',
    data,
    driver: ctx.query.get('driver') || undefined,
    driverOptions: jsonQueryMap(ctx, 'driveropts'),
    labels: jsonQueryMap(ctx, 'labels'),
  });
  sendJson(ctx.res, 200, { ID: s.id });
}

export function inspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, dockerSecret(getSecret(ctx.engine.store, ctx.params.name)));
}

export function libpodInspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, inspectSecret(getSecret(ctx.engine.store, ctx.params.name)));
}

export function libpodExists(ctx: RouteContext): void {
  getSecret(ctx.engine.store, ctx.params.name);
  sendEmpty(ctx.res, 204);
}

export function remove(ctx: RouteContext): void {
  removeSecret(ctx.engine.store, ctx.params.name);
  sendEmpty(ctx.res, 204);
}

/** libpod: `all=true` removes every secret (the name is then ignored). */
export function libpodRemove(ctx: RouteContext): void {
  if (qbool(ctx.query, 'all')) for (const s of listSecrets(ctx.engine.store)) removeSecret(ctx.engine.store, s.id);
  else removeSecret(ctx.engine.store, ctx.params.name);
  sendEmpty(ctx.res, 204);
}

export function update(): void {
  throw new ApiError(501, 'update is not implemented', 'not implemented');
}
