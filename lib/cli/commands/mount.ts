// `mount` / `unmount` (`umount`) of containers: the root filesystem mounted on
// the host for the user, counted as Podman counts them, until unmounted.
import type { CliContext, CommandDef } from '../command';
import { forEachTarget, out } from '../command';
import type { Parsed } from '../parse';
import { bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { printJson } from '../output';

/** The arguments; with --latest the container created last; with --all every container. */
async function targets(ctx: CliContext, p: Parsed): Promise<string[]> {
  const all = bool(p.flags.all);
  const latest = bool(p.flags.latest);
  if ((all || latest) && p.args.length) throw new UsageError(`--all, --latest and containers cannot be used together`);
  if (all && latest) throw new UsageError('--all and --latest cannot be used together');
  if (!all && !latest) return p.args;
  const list = await ctx.client.listContainers({ all: true, filters: new Map() });
  if (latest && !list.length) throw new EngineError('no-such-container', 'no containers to act on: no such container');
  return latest ? [list[0].Id] : list.map((c) => c.Id);
}

export const mountCommand: CommandDef = {
  name: 'mount',
  usage: 'tspod mount [options] [CONTAINER...]',
  description: "Mount a working container's root filesystem",
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Mount all containers' },
    { name: 'format', type: 'string', help: 'Print the mounted containers in specified format (json)' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container tspod is aware of' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
    { name: 'notruncate', type: 'bool', help: 'Do not truncate output' },
  ],
  async run(ctx, p) {
    const names = await targets(ctx, p);
    if (names.length || bool(p.flags.all) || bool(p.flags.latest)) return forEachTarget(names, (name) => ctx.client.containerMounts.mount(name));
    // No container named: what is mounted now
    const format = str(p.flags.format) ?? '';
    if (format !== '' && format !== 'json') throw new EngineError('invalid-argument', `unknown --format argument: "${format}"`);
    const mounted = await ctx.client.containerMounts.list();
    if (format === 'json') printJson(mounted.map((m) => ({ id: m.id, Names: m.names, mountpoint: m.mountpoint })), ' '); // Podman's keys and indent
    else {
      const full = bool(p.flags['no-trunc']) || bool(p.flags.notruncate);
      for (const m of mounted) out(`${full ? m.id : m.id.slice(0, 12)}\t${m.mountpoint}\n`);
    }
    return 0;
  },
};

export const unmountCommand: CommandDef = {
  name: 'unmount',
  aliases: ['umount'],
  usage: 'tspod unmount [options] CONTAINER [CONTAINER...]',
  description: "Unmount working container's root filesystem",
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Unmount all of the currently mounted containers' },
    { name: 'force', short: 'f', type: 'bool', help: 'Force the complete unmount of the specified mounted containers' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container tspod is aware of' },
  ],
  async run(ctx, p) {
    let names = await targets(ctx, p);
    if (!names.length) throw new UsageError('you must provide at least one container name or id');
    // --all: the mounted ones only (as Podman's, which skips "not mounted")
    if (bool(p.flags.all)) {
      const mounted = new Set((await ctx.client.containerMounts.list()).map((m) => m.id));
      names = names.filter((n) => mounted.has(n));
    }
    return forEachTarget(names, (name) => ctx.client.containerMounts.unmount(name, bool(p.flags.force)));
  },
};

export const MOUNT_COMMANDS: CommandDef[] = [mountCommand, unmountCommand];
