// Image endpoints: list, inspect, exists, tag, remove, prune (both trees).
import type { RouteContext } from '../router';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ApiError, badRequest, qbool, qfiltersGo, qGoBool, sendEmpty, sendJson, withBody } from '../http';
import { imageListEntries } from '../../lib/engine/views';
import type { ImageListEntry } from '../../lib/engine/engine';
import { filterImages } from '../../lib/image/filters';
import { parseLogTime } from '../../lib/container/logs';
import { EngineError } from '../../lib/errors';
import { imageHistory } from '../../lib/image/history';
import { imageTree } from '../../lib/image/tree';
import { SAVE_FORMATS, saveImages, type SaveFormat } from '../../lib/image/save';
import { LocalTransfer } from '../../lib/engine/transfer';
import { packTar } from '../../lib/container/archive';
import { storageTmpDir } from '../../lib/storage/paths';
import { forceRemoveContainer } from '../../lib/pod/pods';
import { inspectImage, listImages, lookupImage, removeImage, tagImage, untagImage, type RemoveReport } from '../../lib/image';
import { imageInspectDocker, imageListItem } from './docker-shapes';

function usage(ctx: RouteContext): Map<string, number> {
  const n = new Map<string, number>();
  for (const c of Object.values(ctx.engine.store.read().containers)) n.set(c.imageId, (n.get(c.imageId) ?? 0) + 1);
  return n;
}

/** The list filters of both trees (Podman's keys, lib/image/filters); bad JSON or a bad filter is a 500 as in Podman. */
function filteredEntries(ctx: RouteContext, all: boolean): ImageListEntry[] {
  const filters = qfiltersGo(ctx.query);
  // API 1.24's `filter` is a reference filter
  const legacy = ctx.query.get('filter');
  if (legacy) filters.set('reference', [...(filters.get('reference') ?? []), legacy]);
  const entries = imageListEntries(ctx.engine, { all });
  if (filters.size === 0) return entries;
  const resolve = (ref: string): ImageListEntry => {
    const id = lookupImage(ctx.engine.store.read(), ref)?.image.id;
    const hit = entries.find((e) => e.Id === id);
    if (!hit) throw new EngineError('no-such-image', `${ref}: image not known`);
    return hit;
  };
  try {
    return filterImages(entries, filters, resolve, (spec) => parseLogTime(spec, 'filter until'));
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'invalid-argument') throw new ApiError(500, err.message, err.message);
    throw err;
  }
}

export function list(ctx: RouteContext): void {
  const used = usage(ctx);
  const ids = new Set(filteredEntries(ctx, qbool(ctx.query, 'all')).map((e) => e.Id));
  // Docker's list has no manifest lists (Podman leaves them out of the compat endpoint)
  const images = listImages(ctx.engine.store).filter((img) => ids.has(img.id) && !img.manifestList);
  sendJson(ctx.res, 200, images.map((img) => imageListItem(img, used.get(img.id) ?? 0)));
}

export function libpodList(ctx: RouteContext): void {
  // Manifest lists after the images: Podman's API lists in store order, where a list
  // is stored after the images it is made from.
  const db = ctx.engine.store.read();
  const entries = filteredEntries(ctx, qbool(ctx.query, 'all'));
  const isList = (e: { Id: string }) => db.images[e.Id]?.manifestList === true;
  sendJson(ctx.res, 200, [...entries.filter((e) => !isList(e)), ...entries.filter(isList)]);
}

export function inspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, imageInspectDocker(ctx.engine, ctx.params.name));
}

export function libpodInspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, inspectImage(ctx.engine.store, ctx.params.name));
}

export function exists(ctx: RouteContext): void {
  const ref = ctx.params.name;
  if (!lookupImage(ctx.engine.store.read(), ref)) throw new EngineError('no-such-image', `failed to find image ${ref}: ${ref}: image not known`, `failed to find image ${ref}`);
  sendEmpty(ctx.res, 204);
}

export function tag(ctx: RouteContext): void {
  const repo = ctx.query.get('repo');
  if (!repo) throw badRequest('repo: a repository name is required');
  const t = ctx.query.get('tag') || 'latest';
  tagImage(ctx.engine.store, ctx.params.name, `${repo}:${t}`);
  sendEmpty(ctx.res, 201);
}

/** libpod untag: the name repo:tag (tag defaults to latest), or every name when repo is not given. */
export function untag(ctx: RouteContext): void {
  const repo = ctx.query.get('repo');
  const names = repo ? [`${repo}:${ctx.query.get('tag') || 'latest'}`] : [];
  untagImage(ctx.engine.store, ctx.params.name, names);
  sendEmpty(ctx.res, 201);
}

function removeOne(ctx: RouteContext, ref: string, force: boolean): RemoveReport {
  return removeImage(ctx.engine.store, ref, force, (id) => forceRemoveContainer(ctx.engine, id));
}

export function remove(ctx: RouteContext): void {
  const r = removeOne(ctx, ctx.params.name, qbool(ctx.query, 'force'));
  sendJson(ctx.res, 200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: `sha256:${d}` }))]);
}

export function libpodRemove(ctx: RouteContext): void {
  const r = removeOne(ctx, ctx.params.name, qbool(ctx.query, 'force'));
  sendJson(ctx.res, 200, { Untagged: r.untagged, Deleted: r.deleted, Errors: [], ExitCode: 0 });
}

/**
 * Removes the images no container uses: dangling ones (no names), or all of
 * them with `all`; `filters` narrows (dangling, label, until, ...). Bad input
 * is a 500, as in Podman.
 */
async function pruneImages(ctx: RouteContext, all: boolean): Promise<{ id: string; size: number }[]> {
  const used = usage(ctx);
  const filters = qfiltersGo(ctx.query);
  const dangling = filters.get('dangling');
  if (dangling) filters.delete('dangling');
  const danglingOnly = dangling ? dangling.some((v) => ['true', '1'].includes(v.toLowerCase())) : !all;
  const candidates = new Set(filteredEntriesFrom(ctx, filters).map((e) => e.Id));
  const done: { id: string; size: number }[] = [];
  for (const img of listImages(ctx.engine.store)) {
    if (!candidates.has(img.id) || used.has(img.id) || (danglingOnly && img.names.length > 0)) continue;
    try {
      // force only lets an image with several names go; a container made meanwhile still stops it
      const r = removeImage(ctx.engine.store, img.id, img.names.length > 1, (id) => {
        throw new EngineError('image-in-use', `image ${img.id} is in use by container ${id}`);
      });
      for (const d of r.deleted) done.push({ id: d, size: d === img.id ? img.size : 0 });
    } catch {
      /* in use meanwhile */
    }
    await new Promise((r) => setImmediate(r)); // other requests between removals
  }
  return done;
}

function filteredEntriesFrom(ctx: RouteContext, filters: Map<string, string[]>): ImageListEntry[] {
  const entries = imageListEntries(ctx.engine, { all: true });
  try {
    return filterImages(entries, filters, () => {
      throw new EngineError('invalid-argument', 'before/since: not a prune filter');
    }, (spec) => parseLogTime(spec, 'filter until'));
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'invalid-argument') throw new ApiError(500, err.message, err.message);
    throw err;
  }
}

export async function prune(ctx: RouteContext): Promise<void> {
  const done = await pruneImages(ctx, false);
  sendJson(ctx.res, 200, { ImagesDeleted: done.map((d) => ({ Deleted: `sha256:${d.id}` })), SpaceReclaimed: done.reduce((n, d) => n + d.size, 0) });
}

/** libpod's prune: `all` as Go parses it, a report per removed image. */
export async function libpodPrune(ctx: RouteContext): Promise<void> {
  const all = qGoBool(ctx.query, 'all', ctx.req.url, false, 500);
  const done = await pruneImages(ctx, all);
  sendJson(ctx.res, 200, done.map((d) => ({ Id: d.id, Err: null, Size: d.size })));
}

/** GET /images/{name}/history: newest first (Podman's shape; the compat one prefixes the id). */
export function history(ctx: RouteContext, docker: boolean): void {
  const rows = imageHistory(ctx.engine.store, ctx.params.name);
  sendJson(
    ctx.res,
    200,
    rows.map((r) => ({
      Id: docker && r.id !== '<missing>' ? `sha256:${r.id}` : r.id,
      Created: r.created ? Math.floor(Date.parse(r.created) / 1000) : 0,
      CreatedBy: r.createdBy,
      Tags: null,
      Size: r.size,
      Comment: r.comment,
    })),
  );
}

const ARCHIVE_FORMATS = ['docker-archive', 'oci-archive'];

/** GET /images/{name}/get and /images/get?names=: the images as one archive, streamed. */
export async function get(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  qGoBool(q, 'compress', ctx.req.url); // accepted (archives are not compressed), a bad value is a 400
  const refs = ctx.params.name ? [ctx.params.name] : q.getAll('names').flatMap((n) => n.split(',')).filter(Boolean);
  if (refs.length === 0) throw badRequest('names: at least one image is required');
  // Podman's words on both APIs (its compat handler too says "image not known")
  for (const ref of refs) if (!lookupImage(ctx.engine.store.read(), ref)) throw new EngineError('no-such-image', `failed to find image ${ref}: ${ref}: image not known`, 'image not known');
  const format = q.get('format') || 'docker-archive';
  if (!ARCHIVE_FORMATS.includes(format)) throw new ApiError(500, `unsupported format "${format}" (one of ${ARCHIVE_FORMATS.join(', ')})`, 'unsupported format');
  ctx.res.setHeader('Content-Type', 'application/octet-stream'); // Podman's type
  await saveImages(ctx.engine.store, refs, { format: format as SaveFormat, output: '-', stream: ctx.res });
}

/** POST /images/load: an archive in the body; the names loaded in Docker's stream shape. */
export async function load(ctx: RouteContext, docker: boolean): Promise<void> {
  const names = await withBody(ctx.req, (body) => new LocalTransfer(ctx.engine).loadImages(body));
  if (docker) sendJson(ctx.res, 200, { stream: `Loaded image: ${names.join(',')}\n` });
  else sendJson(ctx.res, 200, { Names: names });
}

/** GET /libpod/images/{name}/tree: Podman's tree text in `Tree`. */
export function tree(ctx: RouteContext): void {
  sendJson(ctx.res, 200, { Tree: imageTree(ctx.engine.store, ctx.params.name) });
}

/**
 * GET /libpod/images/export?references=&format=: the images saved as one
 * archive, streamed (podman-remote save). The dir formats are saved into the
 * store's temporary directory and sent as a tar of the directory, which the
 * client unpacks.
 */
export async function libpodExport(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const refs = q.getAll('references').flatMap((n) => n.split(',')).filter(Boolean);
  if (refs.length === 0) throw badRequest('references: at least one image is required');
  const format = (q.get('format') || 'docker-archive') as SaveFormat;
  if (!SAVE_FORMATS.includes(format)) throw new EngineError('invalid-argument', `unknown format option "${format}"`);
  const uncompressed = qbool(q, 'ociAcceptUncompressedLayers');
  // tspod's client: `save IMAGE TAG...` without -m (more names of the one image)
  const additionalTags = q.getAll('additionalTags').filter(Boolean);
  if (format === 'docker-archive' || format === 'oci-archive') {
    ctx.res.setHeader('Content-Type', 'application/x-tar');
    await saveImages(ctx.engine.store, refs, { format, output: '-', stream: ctx.res, uncompressed, additionalTags });
    return;
  }
  const dir = path.join(storageTmpDir(ctx.engine.paths), `export-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  try {
    await saveImages(ctx.engine.store, refs, { format, output: dir, uncompressed });
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeline(packTar(dir, '.'), ctx.res);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * POST /libpod/images/import?reference=&changes=&message=[&url=]: a root file
 * system tarball in the body, or fetched from an http(s) URL; answers {Id}.
 */
export async function libpodImport(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const url = q.get('url');
  const req = { reference: q.get('reference') || undefined, changes: q.getAll('changes'), message: q.get('message') || undefined };
  const transfer = new LocalTransfer(ctx.engine);
  let id: string;
  if (url) {
    ctx.req.resume();
    // only a URL: a path would name a file of the service's machine
    if (!/^https?:\/\//i.test(url)) throw badRequest(`url ${JSON.stringify(url)}: only http and https URLs can be imported`);
    id = await transfer.importImage(url, req);
  } else id = await withBody(ctx.req, (body) => transfer.importImage(body, req));
  sendJson(ctx.res, 200, { Id: id });
}
