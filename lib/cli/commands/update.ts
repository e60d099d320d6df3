// `tspod update`: change a container's cgroup limits, also while it runs.
import type { CommandDef } from '../command';
import { out } from '../command';
import type { FlagDef } from '../parse';
import { CREATE_FLAGS, resourceFlags } from '../create-options';

const UPDATABLE = ['memory', 'memory-reservation', 'memory-swap', 'cpus', 'cpu-shares', 'cpu-period', 'cpu-quota', 'cpuset-cpus', 'cpuset-mems', 'pids-limit', 'blkio-weight', 'oom-kill-disable'];

export const updateCommand: CommandDef = {
  name: 'update',
  usage: 'tspod update [options] CONTAINER',
  description: 'Update an existing container',
  flags: CREATE_FLAGS.filter((f) => UPDATABLE.includes(f.name)).map((f): FlagDef => ({ ...f, default: undefined })),
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    const { id } = await ctx.client.update(p.args[0], resourceFlags(p) ?? {});
    out(`${id}\n`);
    return 0;
  },
};

export const UPDATE_COMMANDS = [updateCommand];
