// `pause` / `unpause`: freeze or thaw every process of running containers
// (runc pause/resume on the container's cgroup), as Podman does.
import type { CliContext, CommandDef } from '../command';
import { forEachTarget } from '../command';
import type { Parsed } from '../parse';
import { UsageError } from '../parse';

/** The arguments, or with --all every container in the state the command acts on. */
async function pauseTargets(ctx: CliContext, p: Parsed, state: 'running' | 'paused'): Promise<string[]> {
  if (p.flags.all === true) {
    const all = await ctx.client.listContainers({ all: true, filters: new Map() });
    return all.filter((c) => c.State === state).map((c) => c.Id);
  }
  if (!p.args.length) throw new UsageError('you must provide at least one container name or id');
  return p.args;
}

function pauseCommand(name: 'pause' | 'unpause'): CommandDef {
  const paused = name === 'pause';
  return {
    name,
    usage: `tspod ${name} [options] CONTAINER [CONTAINER...]`,
    description: paused ? 'Pause all the processes in one or more containers' : 'Unpause the processes in one or more containers',
    flags: [{ name: 'all', short: 'a', type: 'bool', help: paused ? 'Pause all running containers' : 'Unpause all paused containers' }],
    async run(ctx, p) {
      return forEachTarget(await pauseTargets(ctx, p, paused ? 'running' : 'paused'), async (target) => {
        await ctx.client.setPaused(target, paused);
        return target;
      });
    },
  };
}

export const PAUSE_COMMANDS: CommandDef[] = [pauseCommand('pause'), pauseCommand('unpause')];
