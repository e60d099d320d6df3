// `tspod volume create|ls|inspect|rm|prune|exists|export|import|mount|unmount`, in Podman's formats and exit codes.
import { keyValues } from '../parse';
import type { CommandDef } from '../command';
import { confirmed, err, forEachTarget, out, removalExitCode } from '../command';
import { arr, bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { INSPECT_INDENT, LIST_INDENT, printJson, renderFormat, renderList } from '../output';
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getVolume, mountVolumeDevice, unmountVolume, volumeMountpoint, volumeUsers } from '../../volume/volumes';
import { filterFlags } from '../../container/filters';

export const volumeCreateCommand: CommandDef = {
  name: 'create',
  usage: 'tspod volume create [options] [NAME]',
  description: 'Create a new volume',
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'local', help: 'Specify volume driver name' },
    { name: 'label', short: 'l', type: 'array', help: 'Set metadata for a volume (e.g. --label mykey=value)' },
    { name: 'opt', short: 'o', type: 'array', help: 'Set driver specific options' },
    { name: 'ignore', type: 'bool', help: "Don't fail if volume already exists" },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    const v = await ctx.client.volumes.createVolume(
      { name: p.args[0], driver: str(p.flags.driver), labels: keyValues(arr(p.flags.label)), options: keyValues(arr(p.flags.opt)) },
      bool(p.flags.ignore),
    );
    out(`${v.Name}\n`);
    return 0;
  },
};

export const volumeLsCommand: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  usage: 'tspod volume ls [options]',
  description: 'List volumes',
  flags: [
    { name: 'filter', short: 'f', type: 'array', help: 'Filter volume output' },
    { name: 'format', type: 'string', help: 'Format volume output using Go template' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Print volume output in quiet mode' },
    { name: 'noheading', type: 'bool', help: 'Do not print headers' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const rows = await ctx.client.volumes.listVolumes(filterFlags(arr(p.flags.filter)));
    if (bool(p.flags.quiet)) {
      for (const r of rows) out(`${r.Name}\n`);
      return 0;
    }
    const format = str(p.flags.format);
    if (format === 'json') {
      printJson(rows, LIST_INDENT);
      return 0;
    }
    renderList(
      { name: 'volume ls', headers: { Name: 'volume name' }, fields: ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'MountCount'], defaultRow: '{{.Driver}}\t{{.Name}}' },
      format,
      rows,
      bool(p.flags.noheading),
    );
    return 0;
  },
};

export const volumeInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod volume inspect [options] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Format volume output using JSON or a Go template' },
    { name: 'all', short: 'a', type: 'bool', help: 'Inspect all volumes' },
  ],
  async run(ctx, p) {
    const all = bool(p.flags.all);
    if (!all && p.args.length === 0) throw new UsageError('provide one or more volume names or use --all');
    const volumes = ctx.client.volumes;
    const names = all ? (await volumes.listVolumes(new Map())).map((v) => v.Name) : p.args;
    const docs: unknown[] = [];
    let code = 0;
    for (const name of names) {
      try {
        docs.push(await volumes.inspectVolume(name));
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'no-such-object')) throw e;
        err(`Error: inspecting object: no such volume ${name}\n`);
        code = 125;
      }
    }
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, docs);
    else printJson(docs, INSPECT_INDENT);
    return code;
  },
};

export const volumeRmCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'tspod volume rm [options] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all volumes' },
    { name: 'force', short: 'f', type: 'bool', help: 'Remove a volume by force, even if it is being used by a container' },
    { name: 'time', short: 't', type: 'int', hidden: true },
  ],
  async run(ctx, p) {
    const all = bool(p.flags.all);
    if (!all && p.args.length === 0) throw new UsageError('choose either one or more volumes or all');
    if (all && p.args.length) throw new UsageError('choose either one or more volumes or all');
    const volumes = ctx.client.volumes;
    const names = all ? (await volumes.listVolumes(new Map())).map((v) => v.Name) : p.args;
    const force = bool(p.flags.force);
    return forEachTarget(
      names,
      async (name) => {
        try {
          await volumes.removeVolume(name, force);
        } catch (e) {
          // As Podman: --force also ignores volumes that do not exist, silently
          if (force && e instanceof EngineError && e.kind === 'no-such-object') return undefined;
          throw e;
        }
        return name;
      },
      removalExitCode,
    );
  },
};

export const volumePruneCommand: CommandDef = {
  name: 'prune',
  usage: 'tspod volume prune [options]',
  description: 'Remove all unused volumes',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'array', help: 'Provide filter values (e.g. label=<key>=<value>)' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const volumes = ctx.client.volumes;
    const filters = filterFlags(arr(p.flags.filter));
    if (!bool(p.flags.force)) {
      const unused = await volumes.listVolumes(new Map([...filters, ['dangling', ['true']]]));
      const question = `WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n${unused.map((v) => `${v.Name}\n`).join('')}Are you sure you want to continue? [y/N] `;
      if (!confirmed(question)) return 0;
    }
    for (const r of await volumes.pruneVolumes(filters)) out(`${r.Id}\n`);
    return 0;
  },
};

export const volumeExistsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod volume exists VOLUME',
  description: 'Check if volume exists',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return (await ctx.client.volumes.volumeExists(p.args[0])) ? 0 : 1;
  },
};

export const volumeExportCommand: CommandDef = {
  name: 'export',
  usage: 'tspod volume export [options] VOLUME',
  description: 'Export volumes',
  flags: [{ name: 'output', short: 'o', type: 'string', help: 'Write to a specified file (default: stdout, which must be redirected)' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    const file = str(p.flags.output);
    if (!file && process.stdout.isTTY) throw new EngineError('invalid-argument', 'cannot write to terminal, use command-line redirection or the --output flag');
    const tar = await ctx.client.volumes.exportVolume(p.args[0]);
    await pipeline(tar, file ? fs.createWriteStream(file) : process.stdout);
    return 0;
  },
};

export const volumeImportCommand: CommandDef = {
  name: 'import',
  usage: 'tspod volume import VOLUME [SOURCE]',
  description: 'Import a tarball contents into a volume',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    const [name, source] = p.args;
    await ctx.client.volumes.inspectVolume(name); // the volume first, as Podman: no such volume before no such file
    if (source === '-' && process.stdin.isTTY) throw new EngineError('invalid-argument', 'cannot read from terminal, use command-line redirection');
    let input: NodeJS.ReadableStream;
    if (source === '-') input = process.stdin;
    else {
      try {
        input = fs.createReadStream('', { fd: fs.openSync(source, 'r') });
      } catch {
        throw new EngineError('no-such-object', `open ${source}: no such file or directory`);
      }
    }
    await ctx.client.volumes.importVolume(name, input as Readable);
    return 0;
  },
};

export const volumeMountCommand: CommandDef = {
  name: 'mount',
  usage: 'tspod volume mount VOLUME [VOLUME...]',
  description: 'Mount volume',
  flags: [],
  minArgs: 1,
  run(ctx, p) {
    return forEachTarget(p.args, (name) => {
      const v = getVolume(ctx.engine.store, name);
      mountVolumeDevice(ctx.engine.paths, v);
      return volumeMountpoint(ctx.engine.paths, v.name);
    });
  },
};

export const volumeUnmountCommand: CommandDef = {
  name: 'unmount',
  aliases: ['umount'],
  usage: 'tspod volume unmount VOLUME [VOLUME...]',
  description: 'Unmount volume',
  flags: [],
  minArgs: 1,
  run(ctx, p) {
    return forEachTarget(p.args, (name) => {
      const v = getVolume(ctx.engine.store, name);
      // a device volume stays mounted while a running container uses it
      const db = ctx.engine.store.read();
      if (!volumeUsers(db, v.name).some((c) => c.state.status === 'running')) unmountVolume(ctx.engine.paths, v.name);
      return v.name;
    });
  },
};

export const VOLUME_GROUP = [
  volumeCreateCommand,
  volumeLsCommand,
  volumeInspectCommand,
  volumeRmCommand,
  volumePruneCommand,
  volumeExistsCommand,
  volumeExportCommand,
  volumeImportCommand,
  volumeMountCommand,
  volumeUnmountCommand,
];
