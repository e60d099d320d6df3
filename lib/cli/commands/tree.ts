// `tspod tree [CONTAINER...] [--format json]`: who holds which socket: each
// container's attached CLI, monitor and processes with their socket fds.
import type { CommandDef } from '../command';
import { err, out } from '../command';
import { str, UsageError } from '../parse';
import { exitCodeFor } from '../../errors';
import { printJson } from '../output';
import { renderTree, type ContainerTree } from '../../system/tree';

export const treeCommand: CommandDef = {
  name: 'tree',
  usage: 'tspod tree [options] [CONTAINER...]',
  description: 'Show the processes of containers (attached CLI, monitor, container) and the sockets each holds',
  flags: [{ name: 'format', type: 'string', help: 'Output format: json (default: a tree as text)' }],
  async run(ctx, p) {
    const format = str(p.flags.format);
    if (format !== undefined && format !== 'json') throw new UsageError(`unknown --format "${format}": tree prints text or json`);
    // no arguments: every running container
    const targets = p.args.length ? p.args : (await ctx.client.listContainers({ all: false, filters: new Map() })).map((c) => c.Id);
    const trees: ContainerTree[] = [];
    let code = 0;
    for (const target of targets) {
      try {
        trees.push(await ctx.client.tree(target));
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
        code = exitCodeFor(e);
      }
    }
    if (format === 'json') printJson(trees);
    else out(trees.map(renderTree).join('\n'));
    return code;
  },
};

export const TREE_COMMANDS: CommandDef[] = [treeCommand];
