// libpod's /manifests endpoints (Podman 4.3, with the 3.x create/add/push
// forms the API tests still use), over the Engine contract's manifest part.
import type { RouteContext } from '../router';
import { ApiError, apiErrorFrom, badRequest, optBool, optString, optStringMap, optStrings, qbool, readJson, sendEmpty, sendJson } from '../http';
import { LocalManifests, type AddOptions, type InstanceOptions } from '../../lib/engine/manifests';
import { EngineError } from '../../lib/errors';

const manifests = (ctx: RouteContext) => new LocalManifests(ctx.engine);

/** tlsVerify from the query (absent: registries.conf decides). */
function tlsVerify(ctx: RouteContext): boolean | undefined {
  return ctx.query.has('tlsVerify') ? qbool(ctx.query, 'tlsVerify', true) : undefined;
}

/** The images named in the query, as `images=a&images=b` or `images=a,b` (and the 3.x `image=`). */
function queryImages(ctx: RouteContext): string[] {
  return [...ctx.query.getAll('images'), ...ctx.query.getAll('image')].flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/** Podman's ManifestAddOptions / ManifestModifyOptions fields. */
function instanceOptions(body: Record<string, unknown>): AddOptions {
  const annotations = optStringMap(body, 'annotation') ?? optStringMap(body, 'annotations');
  const skip = optBool(body, 'skip_tls_verify');
  return {
    all: optBool(body, 'all'),
    os: optString(body, 'os'),
    arch: optString(body, 'arch'),
    variant: optString(body, 'variant'),
    osVersion: optString(body, 'os_version'),
    features: optStrings(body, 'features'),
    osFeatures: optStrings(body, 'os_features'),
    annotations,
    ...(skip !== undefined ? { tlsVerify: !skip } : {}),
  };
}

async function createWith(ctx: RouteContext, name: string, status: number): Promise<void> {
  if (!name) throw badRequest('name is required');
  const id = await manifests(ctx).create(name, queryImages(ctx), { all: qbool(ctx.query, 'all'), tlsVerify: tlsVerify(ctx) });
  sendJson(ctx.res, status, { Id: id });
}

/** 3.x: POST /manifests/create?name=NAME -> 200. */
export const createV3 = (ctx: RouteContext) => createWith(ctx, ctx.query.get('name') ?? '', 200);

/** 4.x: POST /manifests/{name} -> 201. */
export const create = (ctx: RouteContext) => createWith(ctx, ctx.params.name, 201);

export async function exists(ctx: RouteContext): Promise<void> {
  let found: boolean;
  try {
    found = await manifests(ctx).exists(ctx.params.name);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'invalid-argument') found = false; // an image, not a list
    else throw e;
  }
  sendEmpty(ctx.res, found ? 204 : 404);
}

export async function inspect(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await manifests(ctx).inspect(ctx.params.name));
}

/** 3.x: POST /manifests/{name}/add with ManifestAddOptions. */
export async function addV3(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const images = optStrings(body, 'images') ?? [];
  if (images.length === 0) throw badRequest('images: at least one image is required');
  const opts = { ...instanceOptions(body), tlsVerify: tlsVerify(ctx) ?? instanceOptions(body).tlsVerify };
  let id = '';
  for (const image of images) id = await manifests(ctx).add(ctx.params.name, image, opts);
  sendJson(ctx.res, 200, { Id: id });
}

/** 4.x: PUT /manifests/{name} with an operation: update (add), remove or annotate. */
export async function modify(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const operation = optString(body, 'operation') ?? '';
  const images = optStrings(body, 'images') ?? [];
  const opts = { ...instanceOptions(body), tlsVerify: tlsVerify(ctx) ?? instanceOptions(body).tlsVerify };
  const m = manifests(ctx);
  let id = '';
  switch (operation.toLowerCase()) {
    case 'update':
      if (images.length === 0) throw badRequest('images: at least one image is required');
      for (const image of images) id = await m.add(ctx.params.name, image, opts);
      break;
    case 'remove':
      if (images.length === 0) throw badRequest('images: at least one digest is required');
      for (const digest of images) id = await m.remove(ctx.params.name, digest);
      break;
    case 'annotate': {
      if (images.length === 0) throw badRequest('images: at least one digest is required');
      const o: InstanceOptions = opts;
      for (const digest of images) id = await m.annotate(ctx.params.name, digest, o);
      break;
    }
    default:
      throw badRequest(`illegal operation "${operation}" for "${ctx.req.url ?? ''}"`);
  }
  sendJson(ctx.res, 200, { Id: id, images, files: null, errors: null });
}

/** Go's word for a certificate the client does not trust (what Podman's clients match). */
function pushError(e: unknown): unknown {
  if (!(e instanceof EngineError) && !(e instanceof Error)) return e;
  const msg = (e as Error).message;
  const x509 = /self[- ]signed|unable to verify|unable to get (local )?issuer|unknown authority/i.test(msg);
  const cause = x509 ? 'x509: certificate signed by unknown authority' : e instanceof EngineError ? (e.cause_ ?? e.kind) : 'push failed';
  // Podman answers every push failure with 400.
  if (e instanceof EngineError) return e.kind === 'no-such-image' ? e : apiErrorFrom(e, 400, cause);
  return new ApiError(400, msg, cause, 'internal');
}

async function pushTo(ctx: RouteContext, dest: string): Promise<void> {
  if (!dest) throw badRequest('destination is required');
  try {
    const digest = await manifests(ctx).push(ctx.params.name, dest, {
      all: qbool(ctx.query, 'all'),
      tlsVerify: tlsVerify(ctx),
      format: ctx.query.get('format') || undefined,
      rm: qbool(ctx.query, 'rm'),
      quiet: true,
    });
    sendJson(ctx.res, 200, { Id: digest });
  } catch (e) {
    throw pushError(e);
  }
}

/** 3.x: POST /manifests/{name}/push?destination=DEST. */
export const pushV3 = (ctx: RouteContext) => pushTo(ctx, ctx.query.get('destination') ?? '');

/** 4.x: POST /manifests/{name}/registry/{destination}. */
export const push = (ctx: RouteContext) => pushTo(ctx, ctx.params.destination);

/** DELETE /manifests/{name}: Podman's LibpodImagesRemoveReport. */
export async function remove(ctx: RouteContext): Promise<void> {
  const r = await manifests(ctx).rm(ctx.params.name);
  sendJson(ctx.res, 200, { Deleted: r.deleted, Untagged: r.untagged, Errors: [], ExitCode: 0 });
}
