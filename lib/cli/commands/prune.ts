// `tspod container prune`: removes every container that is not running (or
// paused), after Podman's question unless -f, and prints the removed IDs.
import type { CommandDef } from '../command';
import { confirmed, err, out } from '../command';
import { arr, bool } from '../parse';
import { filterFlags } from '../../container/filters';
import { EngineError, exitCodeFor } from '../../errors';

export const containerPruneCommand: CommandDef = {
  name: 'prune',
  usage: 'tspod container prune [options]',
  description: 'Remove all non running containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation.  The default is false' },
    { name: 'filter', type: 'array', help: 'Provide filter values (e.g. label=<key>=<value>)' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    if (!bool(p.flags.force) && !confirmed('WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ')) return 0;
    const all = await ctx.client.listContainers({ all: true, filters: filterFlags(arr(p.flags.filter)) });
    let code = 0;
    for (const c of all.filter((c) => c.State !== 'running' && c.State !== 'paused' && !c.IsInfra)) {  // infra containers go with their pods
      try {
        const id = await ctx.client.remove(c.Id, { ignoreMissing: true });
        if (id) out(`${c.Id}\n`);
      } catch (e) {
        if (e instanceof EngineError && e.kind === 'state-improper') continue; // started meanwhile
        err(`Error: ${(e as Error).message}\n`);
        code = exitCodeFor(e);
      }
    }
    return code;
  },
};
