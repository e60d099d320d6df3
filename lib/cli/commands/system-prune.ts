// `tspod image prune`, `tspod system prune` and `tspod system reset`, with
// Podman 4.3's questions, output and exit codes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandDef } from '../command';
import { confirmed, err, out } from '../command';
import { arr, bool } from '../parse';
import { filterFlags } from '../../container/filters';
import { pruneImages, systemPrune } from '../../system/prune';
import { pruneNetworks } from '../../network/manage';
import { goUnitsHumanSize } from '../../format/units';
import { native } from '../../native';
import { EngineError, exitCodeFor } from '../../errors';

const MNT_DETACH = 2;

export const imagePruneCommand: CommandDef = {
  name: 'prune',
  usage: 'tspod image prune [options]',
  description: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all images not in use by containers, not just dangling ones' },
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'array', help: 'Provide filter values (e.g. \'label=<key>=<value>\')' },
    { name: 'external', type: 'bool', help: 'Remove images even when they are used by external containers (e.g., by build containers)' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const all = bool(p.flags.all);
    const question = all
      ? 'WARNING! This command removes all images without at least one container associated with them.\nAre you sure you want to continue? [y/N] '
      : 'WARNING! This command removes all dangling images.\nAre you sure you want to continue? [y/N] ';
    if (!bool(p.flags.force) && !confirmed(question)) return 0;
    for (const img of await pruneImages(ctx.client, all, filterFlags(arr(p.flags.filter)))) out(`${img.id}\n`);
    return 0;
  },
};

function section(title: string, names: string[]): void {
  if (names.length) out(`${title}\n${names.map((n) => `${n}\n`).join('')}`);
}

export const systemPruneCommand: CommandDef = {
  name: 'prune',
  usage: 'tspod system prune [options]',
  description: 'Remove unused data',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all unused data' },
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation.  The default is false' },
    { name: 'volumes', type: 'bool', help: 'Prune volumes' },
    { name: 'filter', type: 'array', help: 'Provide filter values (e.g. \'label=<key>=<value>\')' },
    { name: 'external', type: 'bool', help: 'Remove container data in storage not controlled by podman' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const all = bool(p.flags.all);
    const volumes = bool(p.flags.volumes);
    const question =
      'WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n' +
      (volumes ? '\t- all volumes not used by at least one container\n' : '') +
      (all ? '\t- all images without at least one container associated with them\n\t- all build cache\n' : '\t- all dangling images\n\t- all dangling build cache\n') +
      '\nAre you sure you want to continue? [y/N] ';
    if (!bool(p.flags.force) && !confirmed(question)) return 0;
    const r = await systemPrune(ctx.client, { all, volumes, filters: filterFlags(arr(p.flags.filter)) });
    let code = 0;
    for (const c of r.containers.filter((x) => x.err)) {
      err(`Error: ${c.err?.message}\n`);
      code = exitCodeFor(c.err);
    }
    section('Deleted Containers', r.containers.filter((x) => !x.err).map((x) => x.id));
    section('Deleted Networks', r.networks);
    if (volumes) section('Deleted Volumes', r.volumes.map((x) => x.id));
    section('Deleted Images', r.images.map((x) => x.id));
    const reclaimed = r.reclaimed;
    out(`Total reclaimed space: ${goUnitsHumanSize(reclaimed)}\n`);
    return code;
  },
};

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo). */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Deletes one of the store's directories. A recursive delete crosses mount
 * points, so every mount below it (a leftover rootfs, a bind-mounted volume)
 * is detached first, and nothing is deleted if one stays. "/" and top-level
 * directories are refused whatever --root says.
 */
function removeStoreDir(dir: string): void {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (real.split('/').filter(Boolean).length < 2) throw new EngineError('invalid-argument', `refusing to remove ${JSON.stringify(real)}: not a store directory`);
  for (const m of mountsUnder(real)) {
    try {
      native().umount(m, MNT_DETACH);
    } catch {
      /* checked below */
    }
  }
  const left = mountsUnder(real);
  if (left.length) throw new EngineError('internal', `cannot remove ${real}: ${left[0]} is still mounted`);
  fs.rmSync(real, { recursive: true, force: true });
}

export const systemResetCommand: CommandDef = {
  name: 'reset',
  usage: 'tspod system reset [options]',
  description: 'Reset tspod storage',
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' }],
  maxArgs: 0,
  async run(ctx, p) {
    if (ctx.remote) throw new EngineError('invalid-argument', 'system reset is not supported on the remote client');
    const { root, runroot } = ctx.engine.paths;
    const question =
      'WARNING! This will remove:\n        - all containers\n        - all pods\n        - all images\n        - all networks\n        - all build cache\n        - all machines\n        - all volumes\n' +
      `        - the graphRoot directory: ${JSON.stringify(path.resolve(root))}\n        - the runRoot directory: ${JSON.stringify(path.resolve(runroot))}\nAre you sure you want to continue? [y/N] `;
    if (!bool(p.flags.force) && !confirmed(question)) return 0;
    // Pods, then containers (stopping them unmounts their root filesystems and ends their monitors).
    for (const pod of await ctx.client.listPods()) {
      try {
        await ctx.client.removePod(pod.Id, { force: true, ignoreMissing: true, timeout: 0 });
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
      }
    }
    for (const c of await ctx.client.listContainers({ all: true, filters: new Map() })) {
      try {
        await ctx.client.remove(c.Id, { force: true, ignoreMissing: true, volumes: true, timeout: 0 });
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
      }
    }
    for (const img of await ctx.client.listImages({ all: true })) {
      try {
        await ctx.client.removeImage(img.Id, true);
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'no-such-image')) err(`Error: ${(e as Error).message}\n`);
      }
    }
    try {
      await pruneNetworks(ctx.engine);
    } catch (e) {
      err(`Error: ${(e as Error).message}\n`);
    }
    removeStoreDir(runroot);
    removeStoreDir(root);
    return 0;
  },
};
