// POST /libpod/images/scp/{name}?destination=CONNECTION::[NAME]: the service's
// image to a stored connection of the service's user (lib/image/scp). As
// Podman's: a failed transfer answers 500, a transfer between users 400.
import type { RouteContext } from '../router';
import { ApiError, apiErrorFrom, badRequest, sendJson } from '../http';
import { EngineError } from '../../lib/errors';
import { InProcessEngine } from '../../lib/engine/in-process';
import { planScp, transferImage } from '../../lib/image/scp';
import { connectionEngine } from '../../lib/remote/connections';

export async function scp(ctx: RouteContext): Promise<void> {
  // `quiet` is accepted and has nothing to do: the service prints nothing either way
  const destination = ctx.query.get('destination') ?? '';
  let plan;
  try {
    plan = planScp(ctx.params.name, destination);
  } catch (err) {
    throw err instanceof EngineError ? apiErrorFrom(err, 500, 'invalid argument') : err;
  }
  if (plan.source.user !== undefined || plan.dest.user !== undefined)
    throw badRequest('cannot use the user transfer function on the remote client: invalid argument');
  let names: string[];
  try {
    names = await transferImage(plan, { here: new InProcessEngine(ctx.engine), connection: connectionEngine });
  } catch (err) {
    throw err instanceof EngineError ? apiErrorFrom(err, 500, err.message) : new ApiError(500, (err as Error).message);
  }
  sendJson(ctx.res, 200, { Id: names[0] ?? '' });
}
