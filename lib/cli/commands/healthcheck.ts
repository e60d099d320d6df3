// `healthcheck run CONTAINER`: runs the container's health check once, as
// Podman's: nothing printed and exit 0 when it passed, "unhealthy" and exit 1
// when it failed (the container's status follows its retries and start period).
import type { CommandDef } from '../command';
import { out } from '../command';

export const healthcheckRunCommand: CommandDef = {
  name: 'run',
  usage: 'tspod healthcheck run CONTAINER',
  description: 'Run the health check of a container',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    const r = await ctx.client.runHealthcheck(p.args[0]);
    if (r.Status === 'healthy') return 0;
    out(`${r.Status}\n`);
    return 1;
  },
};

export const HEALTHCHECK_GROUP: CommandDef[] = [healthcheckRunCommand];
