// POST /libpod/containers/{id}/mount (200, the mount point as a JSON string),
// POST /libpod/containers/{id}/unmount (204) and GET /libpod/containers/showmounted
// (id -> mount point), as Podman's.
import type { RouteContext } from '../router';
import { sendEmpty, sendJson } from '../http';

export async function mount(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await ctx.engine.mountForUser(ctx.params.id));
}

export async function unmount(ctx: RouteContext): Promise<void> {
  await ctx.engine.unmountForUser(ctx.params.id);
  sendEmpty(ctx.res, 204);
}

export function showMounted(ctx: RouteContext): void {
  sendJson(ctx.res, 200, Object.fromEntries(ctx.engine.mountedContainers().map((m) => [m.id, m.mountpoint])));
}
