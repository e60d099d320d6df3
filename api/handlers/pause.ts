// POST /containers/{id}/pause|unpause (Docker and libpod): 204, or 409 with
// Podman's message when the container is not in a state to (un)pause.
import type { RouteContext } from '../router';
import { sendEmpty } from '../http';

export async function pause(ctx: RouteContext): Promise<void> {
  await ctx.engine.setPaused(ctx.params.id, true);
  sendEmpty(ctx.res, 204);
}

export async function unpause(ctx: RouteContext): Promise<void> {
  await ctx.engine.setPaused(ctx.params.id, false);
  sendEmpty(ctx.res, 204);
}
