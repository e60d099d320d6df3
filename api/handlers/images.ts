// Image endpoints: list, inspect, exists, tag, remove, prune (both trees).
import type { RouteContext } from '../router';
import { badRequest, qbool, qfilters, sendEmpty, sendJson } from '../http';
import { inspectImage, listImages, lookupImage, removeImage, tagImage, untagImage, type RemoveReport } from '../../lib/image';
import { imageInspectDocker, imageListItem } from './docker-shapes';
import type { ImageRecord } from '../../lib/storage/records';

function usage(ctx: RouteContext): Map<string, number> {
  const n = new Map<string, number>();
  for (const c of Object.values(ctx.engine.store.read().containers)) n.set(c.imageId, (n.get(c.imageId) ?? 0) + 1);
  return n;
}

function filtered(ctx: RouteContext): ImageRecord[] {
  let imgs = listImages(ctx.engine.store);
  for (const [key, vals] of qfilters(ctx.query)) {
    if (vals.length === 0) continue;
    imgs = imgs.filter((img) =>
      vals.some((v) => {
        switch (key) {
          case 'dangling':
            return (img.names.length === 0) === ['true', '1'].includes(v.toLowerCase());
          case 'reference':
            return img.names.some((n) => n === v || n.includes(v));
          case 'id':
            return img.id.startsWith(v.replace(/^sha256:/, ''));
          case 'label':
            return false;
          default:
            throw badRequest(`invalid filter "${key}"`);
        }
      }),
    );
  }
  return imgs;
}

export function list(ctx: RouteContext): void {
  const used = usage(ctx);
  sendJson(ctx.res, 200, filtered(ctx).map((img) => imageListItem(img, used.get(img.id) ?? 0)));
}

export function inspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, imageInspectDocker(ctx.engine, ctx.params.name));
}

export function libpodInspect(ctx: RouteContext): void {
  sendJson(ctx.res, 200, inspectImage(ctx.engine.store, ctx.params.name));
}

export function exists(ctx: RouteContext): void {
  sendEmpty(ctx.res, lookupImage(ctx.engine.store.read(), ctx.params.name) ? 204 : 404);
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
  return removeImage(ctx.engine.store, ref, force, (id) => ctx.engine.remove(id, { force: true, ignoreMissing: true }));
}

export function remove(ctx: RouteContext): void {
  const r = removeOne(ctx, ctx.params.name, qbool(ctx.query, 'force'));
  sendJson(ctx.res, 200, [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: `sha256:${d}` }))]);
}

export function libpodRemove(ctx: RouteContext): void {
  const r = removeOne(ctx, ctx.params.name, qbool(ctx.query, 'force'));
  sendJson(ctx.res, 200, { Untagged: r.untagged, Deleted: r.deleted, Errors: [], ExitCode: 0 });
}

/** Removes dangling images (no names) that no container uses. */
export function prune(ctx: RouteContext): void {
  const used = usage(ctx);
  const deleted: { Deleted: string }[] = [];
  let space = 0;
  for (const img of listImages(ctx.engine.store)) {
    if (img.names.length > 0 || used.has(img.id)) continue;
    try {
      const r = removeOne(ctx, img.id, false);
      for (const d of r.deleted) deleted.push({ Deleted: `sha256:${d}` });
      space += img.size;
    } catch {
      /* in use meanwhile */
    }
  }
  sendJson(ctx.res, 200, { ImagesDeleted: deleted, SpaceReclaimed: space });
}
