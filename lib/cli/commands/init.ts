// `init`: makes containers in the runtime (mounts, namespaces, network, the
// monitor) without starting their processes; `start` then only starts them.
import type { CommandDef } from '../command';
import { forEachTarget } from '../command';
import { UsageError } from '../parse';

export const initCommand: CommandDef = {
  name: 'init',
  usage: 'tspod init [options] CONTAINER [CONTAINER...]',
  description: 'Initialize one or more containers',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Initialize all containers' }],
  async run(ctx, p) {
    let targets = p.args;
    if (p.flags.all === true) targets = (await ctx.client.listContainers({ all: true, filters: new Map() })).filter((c) => c.State === 'created').map((c) => c.Id);
    else if (!targets.length) throw new UsageError('you must provide at least one container name or id');
    return forEachTarget(targets, async (target) => {
      await ctx.client.init(target);
      return target;
    });
  },
};
