// `tspod restart`: stop (with the timeout) and start again, as Podman does;
// the user's stop does not count as a restart policy's restart.
import type { CommandDef } from '../command';
import { err, out } from '../command';
import { bool, int, UsageError } from '../parse';
import { exitCodeFor } from '../../errors';

export const restartCommand: CommandDef = {
  name: 'restart',
  usage: 'tspod restart [options] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  flags: [
    { name: 'time', short: 't', type: 'uint', help: 'Seconds to wait for stop before killing the container' },
    { name: 'all', short: 'a', type: 'bool', help: 'Restart all non-running containers' },
    { name: 'running', type: 'bool', help: 'Restart only running containers when --all is used' },
  ],
  async run(ctx, p) {
    const all = bool(p.flags.all);
    if (all && p.args.length) throw new UsageError('--all and containers cannot be given together');
    if (!all && !p.args.length) throw new UsageError('you must provide at least one container name or id');
    const names = all
      ? (await ctx.client.listContainers({ all: !bool(p.flags.running), filters: new Map() })).map((c) => c.Id).reverse()
      : p.args;
    let code = 0;
    for (const name of names) {
      try {
        const r = await ctx.client.stop(name, int(p.flags.time));
        if (r.warning) err(`WARN[0000] ${r.warning}\n`);
        await ctx.client.start(name);
        out(`${name}\n`);
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
        code = exitCodeFor(e);
      }
    }
    return code;
  },
};

export const RESTART_COMMANDS = [restartCommand];
