// GET /libpod/containers/{id}/tree: `tspod tree` for one container (a tspod
// extension of the libpod API), 404 for an unknown one.
import type { RouteContext } from '../router';
import { sendJson } from '../http';
import { containerTree } from '../../lib/system/tree';

export function treeLibpod(ctx: RouteContext): void {
  sendJson(ctx.res, 200, containerTree(ctx.engine, ctx.params.id));
}
