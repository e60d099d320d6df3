// GET /libpod/containers/{name}/healthcheck: runs the container's health check
// once (Podman's HealthCheckResults: healthy when the check passed); 409 when
// the container has no health check or is not running.
import type { RouteContext } from '../router';
import { sendJson } from '../http';
import { InProcessEngine } from '../../lib/engine/in-process';

export async function runLibpod(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await new InProcessEngine(ctx.engine).runHealthcheck(ctx.params.id));
}
