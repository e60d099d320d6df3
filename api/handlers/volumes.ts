// Volume endpoints: Docker's /volumes tree and libpod's /libpod/volumes tree,
// over the same lib/volume operations the CLI uses.
import type { RouteContext } from '../router';
import { ApiError, optString, optStringMap, qbool, qfilters, readJson, sendEmpty, sendJson } from '../http';
import { createVolume, dirSize, getVolume, listVolumes, pruneVolumes, removeVolume, volumeMountpoint } from '../../lib/volume/volumes';
import { dockerVolume, filterVolumes, inspectVolume } from '../../lib/volume/inspect';
import { EngineError } from '../../lib/errors';

/** Docker's wording: `get NAME: no such volume` (404) and `remove NAME: volume is in use - [ids]` (409). */
function dockerErrors(ctx: RouteContext, err: unknown): never {
  if (err instanceof EngineError && err.kind === 'no-such-object') throw new ApiError(404, `get ${ctx.params.name}: no such volume`, 'no such volume');
  if (err instanceof EngineError && err.kind === 'state-improper') throw new ApiError(409, `remove ${ctx.params.name}: volume is in use - ${err.message}`, 'volume is in use');
  throw err;
}

function filtered(ctx: RouteContext) {
  const db = ctx.engine.store.read();
  return { db, vols: filterVolumes(db, listVolumes(ctx.engine.store), qfilters(ctx.query)) };
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

export function remove(ctx: RouteContext): void {
  try {
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
  const { vols } = filtered(ctx);
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

/** libpod's create fails on an existing name (409), as `podman volume create` does. */
export async function libpodCreate(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const v = createVolume(ctx.engine.store, {
    name: optString(body, 'Name') || undefined,
    driver: optString(body, 'Driver') || 'local',
    labels: optStringMap(body, 'Labels') ?? {},
    options: optStringMap(body, 'Options') ?? {},
  });
  sendJson(ctx.res, 201, inspectVolume(ctx.engine.paths, ctx.engine.store.read(), v));
}

export function libpodInspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, inspectVolume(ctx.engine.paths, ctx.engine.store.read(), getVolume(ctx.engine.store, ctx.params.name)));
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

export function libpodRemove(ctx: RouteContext): void {
  removeVolume(ctx.engine.store, ctx.params.name, {
    force: qbool(ctx.query, 'force'),
    removeContainer: (id) => ctx.engine.remove(id, { force: true, ignoreMissing: true }),
  });
  sendEmpty(ctx.res, 204);
}

export function libpodPrune(ctx: RouteContext): void {
  const { vols } = filtered(ctx);
  const wanted = new Set(vols.map((v) => v.name));
  const sizes = new Map(vols.map((v) => [v.name, dirSize(volumeMountpoint(ctx.engine.paths, v.name))]));
  const removed = pruneVolumes(ctx.engine.store, (v) => !wanted.has(v.name));
  sendJson(ctx.res, 200, removed.map((name) => ({ Id: name, Err: null, Size: sizes.get(name) ?? 0 })));
}

