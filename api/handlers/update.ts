// Container updates: Docker's POST /containers/{id}/update (HostConfig's limit
// fields at the top level) and libpod's (OCI resources).
import type { RouteContext } from '../router';
import { readJson, sendJson } from '../http';
import { dockerResources, ociShapedResources } from './create-body';
import { updateContainer } from '../../lib/container/update';

export async function updateDocker(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  updateContainer(ctx.engine, ctx.params.id, dockerResources(body) ?? {});
  sendJson(ctx.res, 200, { Warnings: [] });
}

export async function updateLibpod(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const rec = updateContainer(ctx.engine, ctx.params.id, ociShapedResources(body));
  sendJson(ctx.res, 201, rec.id);
}
