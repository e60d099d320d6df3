// Volume endpoints: Docker's /volumes tree and libpod's /libpod/volumes tree,
// over the same lib/volume operations the CLI uses.
import type { RouteContext } from '../router';
import { ApiError, apiErrorFrom, optString, optStringMap, qbool, qfiltersGo, readFirstJson, readJson, sendEmpty, sendJson, withBody } from '../http';
import { pipeline } from 'node:stream/promises';
import { LocalVolumes } from '../../lib/engine/volumes';
import { createVolume, dirSize, getVolume, listVolumes, pruneVolumes, removeVolume, volumeMountpoint, volumeUsers } from '../../lib/volume/volumes';
import { dockerVolume, filterVolumes, inspectVolume, untilTime } from '../../lib/volume/inspect';
import { EngineError } from '../../lib/errors';

/** Docker's wording: `get NAME: no such volume` (404) and `remove NAME: volume is in use - [ids]` (409). */
function dockerErrors(ctx: RouteContext, err: unknown): never {
  if (err instanceof EngineError && err.kind === 'no-such-object') throw new ApiError(404, `get ${ctx.params.name}: no such volume`, 'no such volume');
  if (err instanceof EngineError && err.kind === 'state-improper') throw new ApiError(409, `remove ${ctx.params.name}: volume is in use - ${err.message}`, 'volume is in use');
  throw err;
}

function filtered(ctx: RouteContext) {
  const db = ctx.engine.store.read();
  const filters = qfiltersGo(ctx.query);
  const until = filters.get('until');
  filters.delete('until');
  return { db, vols: createdBefore(filterVolumes(db, listVolumes(ctx.engine.store), filters), until) };
}

function createdBefore(vols: ReturnType<typeof listVolumes>, until: string[] | undefined) {
  if (!until?.length) return vols;
  const limits = until.map(untilTime);
  return vols.filter((v) => limits.every((t) => Date.parse(v.created) < t));
}

/** Prune takes label, label! and until only (Podman: other list filters are an error, 500). */
export function pruneFilters(ctx: RouteContext): Map<string, string[]> {
  const filters = qfiltersGo(ctx.query);
  for (const k of filters.keys())
    if (!['label', 'label!', 'until'].includes(k)) throw new ApiError(500, `"${k}" is an invalid volume filter`, `"${k}" is an invalid volume filter`);
  return filters;
}

export function pruneSelection(ctx: RouteContext): { vols: ReturnType<typeof listVolumes> } {
  const filters = pruneFilters(ctx);
  const until = filters.get('until');
  filters.delete('until');
  const db = ctx.engine.store.read();
  return { vols: createdBefore(filterVolumes(db, listVolumes(ctx.engine.store), filters), until) };
}

export function list(ctx: RouteContext): void {
  const { vols } = filtered(ctx);
  sendJson(ctx.res, 200, { Volumes: vols.map((v) => dockerVolume(ctx.engine.paths, v)), Warnings: [] });
}

/** Create is idempotent in Docker: an existing name answers with that volume. */
export async function create(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const name = optString(body, 'Name') || undefined;
  const driver = optString(body, 'Driver') || 'local';
  const v = createVolume(ctx.engine.store, { name, driver, labels: optStringMap(body, 'Labels') ?? {}, options: optStringMap(body, 'DriverOpts') ?? {} }, 'return');
  sendJson(ctx.res, 201, dockerVolume(ctx.engine.paths, v));
}

export function inspect(ctx: RouteContext): void {
  try {
    sendJson(ctx.res, 200, dockerVolume(ctx.engine.paths, getVolume(ctx.engine.store, ctx.params.name)));
  } catch (e) {
    dockerErrors(ctx, e);
  }
}

export async function remove(ctx: RouteContext): Promise<void> {
  try {
    await removeUsersFirst(ctx);
    removeVolume(ctx.engine.store, ctx.params.name, {
      force: qbool(ctx.query, 'force'),
      removeContainer: (id) => ctx.engine.remove(id, { force: true, ignoreMissing: true }),
    });
  } catch (e) {
    // Docker: force on a missing volume is no error
    if (qbool(ctx.query, 'force') && e instanceof EngineError && e.kind === 'no-such-object') return sendEmpty(ctx.res, 204);
    dockerErrors(ctx, e);
  }
  sendEmpty(ctx.res, 204);
}

export function prune(ctx: RouteContext): void {
  const { vols } = pruneSelection(ctx);
  const wanted = new Set(vols.map((v) => v.name));
  const sizes = new Map(vols.map((v) => [v.name, dirSize(volumeMountpoint(ctx.engine.paths, v.name))]));
  const removed = pruneVolumes(ctx.engine.store, (v) => !wanted.has(v.name));
  sendJson(ctx.res, 200, { VolumesDeleted: removed, SpaceReclaimed: removed.reduce((n, name) => n + (sizes.get(name) ?? 0), 0) });
}

// ---- libpod

export function libpodList(ctx: RouteContext): void {
  const { db, vols } = filtered(ctx);
  sendJson(ctx.res, 200, vols.map((v) => inspectVolume(ctx.engine.paths, db, v)));
}

/** Podman's libpod wording: cause `no such volume` (404), `volume already exists` (500). */
function libpodErrors(err: unknown): never {
  if (err instanceof EngineError && err.kind === 'no-such-object') throw apiErrorFrom(err, 404, 'no such volume');
  if (err instanceof EngineError && err.kind === 'name-in-use') throw apiErrorFrom(err, 500, 'volume already exists');
  throw err;
}

/** Go decodes field names case-insensitively (name, Name, NAME); Podman's create body says Label, not Labels. */
function field(body: Record<string, unknown>, ...names: string[]): string | undefined {
  const wanted = names.map((n) => n.toLowerCase());
  return Object.keys(body).find((k) => wanted.includes(k.toLowerCase()));
}

/** libpod's create fails on an existing name, as `podman volume create` does. */
export async function libpodCreate(ctx: RouteContext): Promise<void> {
  const body = await readFirstJson(ctx.req);
  const key = (...n: string[]) => field(body, ...n) ?? n[0];
  try {
    const v = createVolume(ctx.engine.store, {
      name: optString(body, key('Name')) || undefined,
      driver: optString(body, key('Driver')) || 'local',
      labels: optStringMap(body, key('Label', 'Labels')) ?? {},
      options: optStringMap(body, key('Options')) ?? {},
    });
    sendJson(ctx.res, 201, inspectVolume(ctx.engine.paths, ctx.engine.store.read(), v));
  } catch (e) {
    libpodErrors(e);
  }
}

export function libpodInspect(ctx: RouteContext): void {
  try {
    sendJson(ctx.res, 200, inspectVolume(ctx.engine.paths, ctx.engine.store.read(), getVolume(ctx.engine.store, ctx.params.name)));
  } catch (e) {
    libpodErrors(e);
  }
}

export function libpodExists(ctx: RouteContext): void {
  try {
    getVolume(ctx.engine.store, ctx.params.name);
    sendEmpty(ctx.res, 204);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'no-such-object') return sendEmpty(ctx.res, 404);
    throw e;
  }
}

export async function libpodRemove(ctx: RouteContext): Promise<void> {
  try {
    await removeUsersFirst(ctx);
    removeVolume(ctx.engine.store, ctx.params.name, {
      force: qbool(ctx.query, 'force'),
      removeContainer: (id) => ctx.engine.remove(id, { force: true, ignoreMissing: true }),
    });
  } catch (e) {
    libpodErrors(e);
  }
  sendEmpty(ctx.res, 204);
}

export function libpodPrune(ctx: RouteContext): void {
  const { vols } = pruneSelection(ctx);
  const wanted = new Set(vols.map((v) => v.name));
  const sizes = new Map(vols.map((v) => [v.name, dirSize(volumeMountpoint(ctx.engine.paths, v.name))]));
  const removed = pruneVolumes(ctx.engine.store, (v) => !wanted.has(v.name));
  sendJson(ctx.res, 200, removed.map((name) => ({ Id: name, Err: null, Size: sizes.get(name) ?? 0 })));
}


/** GET /libpod/volumes/{name}/export: the volume's content as a tar, streamed (podman-remote volume export). */
export async function libpodExport(ctx: RouteContext): Promise<void> {
  const tar = await new LocalVolumes(ctx.engine).exportVolume(ctx.params.name);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await pipeline(tar, ctx.res);
}

/** POST /libpod/volumes/{name}/import: a tar in the body, extracted into the volume; 204. */
export async function libpodImport(ctx: RouteContext): Promise<void> {
  const volumes = new LocalVolumes(ctx.engine);
  await withBody(ctx.req, (body) => volumes.importVolume(ctx.params.name, body));
  sendEmpty(ctx.res, 204);
}

/**
 * With force, the containers using the volume go first, in the engine workers (a container's
 * lock may be held there: waiting for it here would hold the event loop). removeVolume's own
 * removal then only meets a container created meanwhile.
 */
async function removeUsersFirst(ctx: RouteContext): Promise<void> {
  if (!qbool(ctx.query, 'force')) return;
  for (const c of volumeUsers(ctx.engine.store.read(), ctx.params.name)) await ctx.ops.removeAsync(c.id, { force: true, ignoreMissing: true, timeout: 0 });
}
