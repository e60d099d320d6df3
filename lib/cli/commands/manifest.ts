// `tspod manifest create|add|remove|annotate|inspect|exists|push|rm` and
// `tspod image mount|unmount`, in Podman's formats and exit codes.
import * as fs from 'node:fs';
import type { CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, keyValues, str, type FlagDef, type Parsed, UsageError } from '../parse';
import { EngineError, exitCodeFor } from '../../errors';
import { printJson } from '../output';
import type { InstanceOptions } from '../../engine/manifests';

const TLS_FLAG: FlagDef = { name: 'tls-verify', type: 'bool', default: true, help: 'Require HTTPS and verify certificates when accessing the registry' };
const AUTHFILE_FLAG: FlagDef = { name: 'authfile', type: 'string', help: 'Path of the authentication file' };
const CREDS_FLAG: FlagDef = { name: 'creds', type: 'string', help: 'Use `[username[:password]]` for accessing the registry' };
const CERT_DIR_FLAG: FlagDef = { name: 'cert-dir', type: 'string', hidden: true };

const INSTANCE_FLAGS: FlagDef[] = [
  { name: 'annotation', type: 'array', help: 'Set an annotation for the specified image' },
  { name: 'arch', type: 'string', help: 'Override the architecture of the specified image' },
  { name: 'features', type: 'array', help: 'Override the features of the specified image' },
  { name: 'os', type: 'string', help: 'Override the OS of the specified image' },
  { name: 'os-features', type: 'array', help: 'Override the OS features of the specified image' },
  { name: 'os-version', type: 'string', help: 'Override the OS version of the specified image' },
  { name: 'variant', type: 'string', help: 'Override the Variant of the specified image' },
];

const registry = (): typeof import('./registry') => require('./registry');

function instanceOptions(p: Parsed): InstanceOptions {
  return {
    os: str(p.flags.os),
    arch: str(p.flags.arch),
    variant: str(p.flags.variant),
    osVersion: str(p.flags['os-version']),
    features: arr(p.flags.features),
    osFeatures: arr(p.flags['os-features']),
    annotations: keyValues(arr(p.flags.annotation)),
  };
}

export const manifestCreateCommand: CommandDef = {
  name: 'create',
  usage: 'tspod manifest create [options] LIST [IMAGE...]',
  description: 'Create manifest list or image index',
  flags: [{ name: 'all', type: 'bool', help: 'add all of the lists\' images if the images to add are lists' }, TLS_FLAG, { name: 'amend', type: 'bool', hidden: true }],
  minArgs: 1,
  async run(ctx, p) {
    const [name, ...images] = p.args;
    const id = await ctx.client.manifests.create(name, images, { all: bool(p.flags.all), ...registry().registryOptions(p) });
    out(`${id}\n`);
    return 0;
  },
};

export const manifestAddCommand: CommandDef = {
  name: 'add',
  usage: 'tspod manifest add [options] LIST IMAGE',
  description: 'Add images to a manifest list or image index',
  flags: [{ name: 'all', type: 'bool', help: 'add all of the list\'s images if the image is a list' }, ...INSTANCE_FLAGS, TLS_FLAG, AUTHFILE_FLAG, CREDS_FLAG, CERT_DIR_FLAG],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    const id = await ctx.client.manifests.add(p.args[0], p.args[1], { ...instanceOptions(p), all: bool(p.flags.all), ...registry().registryOptions(p) });
    out(`${id}\n`);
    return 0;
  },
};

export const manifestAnnotateCommand: CommandDef = {
  name: 'annotate',
  usage: 'tspod manifest annotate [options] LIST IMAGE',
  description: 'Add or update information about an entry in a manifest list or image index',
  flags: INSTANCE_FLAGS,
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    out(`${await ctx.client.manifests.annotate(p.args[0], p.args[1], instanceOptions(p))}\n`);
    return 0;
  },
};

export const manifestRemoveCommand: CommandDef = {
  name: 'remove',
  usage: 'tspod manifest remove LIST DIGEST',
  description: 'Remove an entry from a manifest list or image index',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    out(`${await ctx.client.manifests.remove(p.args[0], p.args[1])}\n`);
    return 0;
  },
};

export const manifestInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod manifest inspect [options] IMAGE',
  description: 'Display the contents of a manifest list or image index',
  flags: [TLS_FLAG, AUTHFILE_FLAG, CERT_DIR_FLAG],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    printJson(await ctx.client.manifests.inspect(p.args[0]));
    return 0;
  },
};

export const manifestExistsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod manifest exists LIST',
  description: 'Check if a manifest list exists in local storage',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return (await ctx.client.manifests.exists(p.args[0])) ? 0 : 1;
  },
};

export const manifestPushCommand: CommandDef = {
  name: 'push',
  usage: 'tspod manifest push [options] LIST [DESTINATION]',
  description: 'Push a manifest list or image index to a registry',
  flags: [
    { name: 'all', type: 'bool', help: 'also push the images in the list' },
    { name: 'format', short: 'f', type: 'string', help: 'manifest type (oci or v2s2) to attempt to use when pushing the manifest list' },
    { name: 'rm', type: 'bool', help: 'remove the manifest list if push succeeds' },
    { name: 'quiet', short: 'q', type: 'bool', help: "don't output progress information when pushing lists" },
    { name: 'digestfile', type: 'string', help: 'after copying the image, write the digest of the resulting digest to the file' },
    { name: 'remove-signatures', type: 'bool', hidden: true },
    { name: 'sign-by', type: 'string', hidden: true },
    TLS_FLAG,
    AUTHFILE_FLAG,
    CREDS_FLAG,
    CERT_DIR_FLAG,
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, p) {
    const digest = await ctx.client.manifests.push(p.args[0], p.args[1] ?? p.args[0], {
      all: bool(p.flags.all),
      format: str(p.flags.format),
      rm: bool(p.flags.rm),
      quiet: bool(p.flags.quiet),
      tlsVerify: registry().registryOptions(p).tlsVerify,
    });
    const digestfile = str(p.flags.digestfile);
    if (digestfile) fs.writeFileSync(digestfile, digest);
    return 0;
  },
};

export const manifestRmCommand: CommandDef = {
  name: 'rm',
  usage: 'tspod manifest rm LIST [LIST...]',
  description: 'Remove manifest list or image index from local storage',
  flags: [],
  minArgs: 1,
  async run(ctx, p) {
    let code = 0;
    const errors: string[] = [];
    const untagged: string[] = [];
    const deleted: string[] = [];
    for (const ref of p.args) {
      try {
        const r = await ctx.client.manifests.rm(ref);
        untagged.push(...r.untagged);
        deleted.push(...r.deleted);
      } catch (e) {
        errors.push((e as Error).message);
        code = e instanceof EngineError && e.kind === 'no-such-image' ? 1 : exitCodeFor(e);
      }
    }
    for (const u of untagged) out(`Untagged: ${u}\n`);
    for (const d of deleted) out(`Deleted: ${d}\n`);
    if (errors.length === 1) err(`Error: ${errors[0]}\n`);
    else if (errors.length > 1) err(`Error: ${errors.length} errors occurred:\n${errors.map((m) => `\t* ${m}\n`).join('')}`);
    return code;
  },
};

export const MANIFEST_GROUP: CommandDef[] = [
  manifestCreateCommand,
  manifestAddCommand,
  manifestAnnotateCommand,
  manifestRemoveCommand,
  manifestInspectCommand,
  manifestExistsCommand,
  manifestPushCommand,
  manifestRmCommand,
];

// ---- image mount|unmount

export const imageMountCommand: CommandDef = {
  name: 'mount',
  usage: 'tspod image mount [options] [IMAGE...]',
  description: "Mount an image's root filesystem",
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Mount all images' },
    { name: 'format', type: 'string', help: 'Print the mounted images in specified format (json)' },
  ],
  async run(ctx, p) {
    const format = str(p.flags.format);
    if (format !== undefined && format !== '' && format !== 'json') throw new EngineError('invalid-argument', `unknown --format argument: "${format}"`);
    const all = bool(p.flags.all);
    if (all && p.args.length) throw new UsageError('when using the --all switch, you may not pass any images names or IDs');
    const listed = all ? await ctx.client.listImages({}) : [];
    const refs = all ? listed.map((i) => i.Id) : p.args;
    // -a shows each image by its first name, as Podman's table does
    const shown = (ref: string) => listed.find((i) => i.Id === ref)?.RepoTags?.find((t) => t !== '<none>:<none>') ?? ref;
    if (refs.length === 0 || format === 'json') {
      // Mount what was asked, then list what is mounted.
      for (const r of refs) await ctx.client.imageMounts.mount([r]);
      const mounts = await ctx.client.imageMounts.list();
      if (format === 'json')
        printJson(mounts.map((m) => ({ id: m.id, Names: [m.digest], Repositories: m.names, mountpoint: m.mountpoint })));
      else for (const m of mounts) out(`${m.names[0] ?? m.id}  ${m.mountpoint}\n`);
      return 0;
    }
    let code = 0;
    for (const ref of refs) {
      try {
        const [where] = await ctx.client.imageMounts.mount([ref]);
        out(all ? `${shown(ref)}  ${where}\n` : `${where}\n`);
      } catch (e) {
        if (all && /manifest list/.test((e as Error).message)) continue; // lists have no content to mount
        err(`Error: ${(e as Error).message}\n`);
        code = exitCodeFor(e);
      }
    }
    return code;
  },
};

export const imageUnmountCommand: CommandDef = {
  name: 'unmount',
  aliases: ['umount'],
  usage: 'tspod image unmount [options] IMAGE [IMAGE...]',
  description: "Unmount an image's root filesystem",
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Unmount all of the currently mounted images' },
    { name: 'force', short: 'f', type: 'bool', help: 'Force the complete unmount of the specified mounted images' },
  ],
  async run(ctx, p) {
    const all = bool(p.flags.all);
    if (all && p.args.length) throw new UsageError('when using the --all switch, you may not pass any images names or IDs');
    if (!all && p.args.length === 0) throw new UsageError('image name or ID must be specified');
    const refs = all ? (await ctx.client.imageMounts.list()).map((m) => m.id) : p.args;
    let code = 0;
    for (const ref of refs) {
      try {
        const [id] = await ctx.client.imageMounts.unmount([ref]);
        if (id) out(`${id}\n`);
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
        code = exitCodeFor(e);
      }
    }
    return code;
  },
};

export const IMAGE_MOUNT_COMMANDS: CommandDef[] = [imageMountCommand, imageUnmountCommand];
