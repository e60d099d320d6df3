// Image commands: import, load, images, rmi, tag, image inspect/exists.
import type { CliContext, CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, str, UsageError } from '../parse';
import { EngineError, exitCodeFor } from '../../errors';
import { INSPECT_INDENT, inspectTemplateView, printJson, renderFormat, renderList } from '../output';
import { PODMAN_IMAGES_FIELDS, PODMAN_IMAGES_HEADERS, PODMAN_IMAGES_ROW } from '../../format/gotemplate';
import { humanSize, imageCreatedAgo } from '../../format/units';
import type { ImageListEntry } from '../../engine/engine';
import { filterFlags } from '../../container/filters';
import { filterImages } from '../../image/filters';
import { parseLogTime } from '../../container/logs';

export const importCommand: CommandDef = {
  name: 'import',
  usage: 'tspod import [options] PATH [REFERENCE]',
  description: 'Import a tarball to create a filesystem image',
  flags: [
    { name: 'change', short: 'c', type: 'array', help: 'Apply the following possible instructions to the created image' },
    { name: 'message', short: 'm', type: 'string', help: 'Set commit message for imported image' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output' },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, p) {
    const id = await ctx.client.transfer.importImage(p.args[0], { reference: p.args[1], changes: arr(p.flags.change), message: str(p.flags.message) });
    out(`sha256:${id}\n`);
    return 0;
  },
};

export const loadCommand: CommandDef = {
  name: 'load',
  usage: 'tspod load [options]',
  description: 'Load image(s) from a tar archive',
  flags: [
    { name: 'input', short: 'i', type: 'string', help: 'Read from specified archive file (default: stdin)' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the output' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const file = str(p.flags.input) ?? '-';
    if (file === '-' && process.stdin.isTTY) throw new EngineError('invalid-argument', 'cannot read from terminal, use command-line redirection or the --input flag');
    const names = await ctx.client.transfer.loadImages(file);
    out(loadedReport(names));
    return 0;
  },
};

/** What load (and image scp) print: a line per image name loaded. */
const loadedReport = (names: string[]) => `Loaded image: ${names.join('\nLoaded image: ')}\n`;

function repoTag(name: string): [string, string] {
  const at = name.indexOf('@');
  if (at >= 0) return [name.slice(0, at), '<none>'];
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return [name.slice(0, colon), name.slice(colon + 1)];
  return [name, 'latest'];
}

function imageRows(images: ImageListEntry[], noTrunc: boolean) {
  const rows = [];
  for (const img of images) {
    // Podman's rows: one per tagged name; a name by digest (pull repo@sha256:...) is a digest of
    // the image, not a row of its own, unless the image has no tag (then its repository, <none>)
    const tagged = img.Names.filter((n) => !n.includes('@'));
    const digested = [...new Set(img.Names.filter((n) => n.includes('@')).map((n) => `${repoTag(n)[0]}@`))];
    const names = tagged.length ? tagged : digested.length ? digested : ['<none>:<none>'];
    for (const n of names) {
      const [repo, tag] = n === '<none>:<none>' ? ['<none>', '<none>'] : repoTag(n);
      const created = img.Created * 1000;
      rows.push({
        ID: noTrunc ? `sha256:${img.Id}` : img.Id.slice(0, 12),
        Repository: repo,
        Tag: tag,
        ParentId: '',
        RepoTags: img.Names,
        RepoDigests: img.Digest ? img.Names.map((n) => `${repoTag(n)[0]}@${img.Digest}`) : [],
        Digest: img.Digest,
        Created: imageCreatedAgo(created),
        CreatedAt: new Date(created),
        Size: humanSize(img.Size),
        SharedSize: 0,
        VirtualSize: img.Size,
        Labels: img.Labels,
        Containers: img.Containers,
        ReadOnly: false,
        Dangling: img.Names.length === 0,
        Names: img.Names,
        // Podman's images --format {{.History}}: the names history joined
        History: (img.History ?? img.Names).join(', '),
      });
    }
  }
  return rows;
}

const IMAGE_SORT_KEYS: Record<string, (r: ReturnType<typeof imageRows>[number]) => string | number> = {
  created: (r) => -r.CreatedAt.getTime(),
  id: (r) => r.ID,
  repository: (r) => r.Repository,
  size: (r) => r.VirtualSize,
  tag: (r) => r.Tag,
};

/** `images --sort`: Podman's keys; created is newest first, the others ascending. */
function sortImageRows<T extends ReturnType<typeof imageRows>[number]>(rows: T[], key: string | undefined): T[] {
  if (key === undefined || key === 'created') return rows;
  const get = IMAGE_SORT_KEYS[key];
  if (!get) throw new EngineError('invalid-argument', `invalid option for --sort, options are: ${Object.keys(IMAGE_SORT_KEYS).join(', ')}`);
  return [...rows].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export const imagesCommand: CommandDef = {
  name: 'images',
  usage: 'tspod images [options] [IMAGE]',
  description: 'List images in local storage',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all images' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Display only image IDs' },
    { name: 'format', type: 'string', help: "Change the output format to JSON or a Go template" },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
    { name: 'noheading', short: 'n', type: 'bool', help: 'Do not print column headings' },
    { name: 'filter', short: 'f', type: 'array', help: 'Filter output based on conditions provided' },
    { name: 'digests', type: 'bool', help: 'Show digests' },
    { name: 'sort', type: 'string', help: 'Sort by created, id, repository, size or tag (default created)' },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    let images = await ctx.client.listImages({ all: bool(p.flags.all) }); // newest first
    if (p.args[0]) {
      const want = await ctx.client.inspectImage(p.args[0]);
      images = images.filter((i) => i.Id === want.Id);
    }
    const filters = filterFlags(arr(p.flags.filter));
    if (filters.size > 0) {
      // before/after/since name images: resolve them as every command does
      const byRef = new Map<string, ImageListEntry>();
      for (const key of ['before', 'after', 'since'])
        for (const ref of filters.get(key) ?? []) {
          const id = (await ctx.client.inspectImage(ref)).Id;
          const hit = images.find((i) => i.Id === id);
          if (hit) byRef.set(ref, hit);
        }
      const resolve = (ref: string): ImageListEntry => {
        const hit = byRef.get(ref);
        if (!hit) throw new EngineError('no-such-image', `${ref}: image not known`);
        return hit;
      };
      images = filterImages(images, filters, resolve, (spec) => parseLogTime(spec, 'filter until'));
    }
    const format = str(p.flags.format);
    if (bool(p.flags.quiet)) {
      const seen = new Set<string>();
      for (const img of images) if (!seen.has(img.Id)) {
        seen.add(img.Id);
        out(`${bool(p.flags['no-trunc']) ? `sha256:${img.Id}` : img.Id.slice(0, 12)}\n`);
      }
      return 0;
    }
    if (format === 'json') {
      printJson(
        images.map((img) => ({
          Id: img.Id,
          ParentId: '',
          RepoTags: img.Names,
          RepoDigests: img.Digest ? img.Names.map((n) => `${repoTag(n)[0]}@${img.Digest}`) : [],
          Size: img.Size,
          SharedSize: 0,
          VirtualSize: img.Size,
          Labels: img.Labels,
          Containers: img.Containers,
          Names: img.Names,
          Digest: img.Digest,
          History: img.History ?? img.Names,
          Created: img.Created,
          CreatedAt: new Date(img.Created * 1000).toISOString().replace(/\.000Z$/, 'Z'),
        })),
      );
      return 0;
    }
    const rows = sortImageRows(imageRows(images, bool(p.flags['no-trunc'])), str(p.flags.sort));
    renderList({ name: 'images', headers: PODMAN_IMAGES_HEADERS, fields: PODMAN_IMAGES_FIELDS, defaultRow: PODMAN_IMAGES_ROW }, format, rows, bool(p.flags.noheading));
    return 0;
  },
};


export const rmiCommand: CommandDef = {
  name: 'rmi',
  usage: 'tspod rmi [options] IMAGE [IMAGE...]',
  description: 'Remove one or more images from local storage',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'Force Removal of the image' },
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all images' },
    { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors if a specified image does not exist' },
  ],
  async run(ctx, p) {
    // --all: oldest first, as Podman walks its store
    const refs = bool(p.flags.all) ? (await ctx.client.listImages({ all: true })).map((i) => i.Id).reverse() : p.args;
    if (!refs.length && !bool(p.flags.all)) throw new UsageError('image name or ID must be specified');
    let code = 0;
    const untagged: string[] = [];
    const deleted: string[] = [];
    const errors: string[] = [];
    for (const ref of refs) {
      try {
        const r = await ctx.client.removeImage(ref, bool(p.flags.force));
        untagged.push(...r.untagged);
        deleted.push(...r.deleted);
      } catch (e) {
        // --force also ignores images that do not exist, as Podman's does.
        if ((bool(p.flags.ignore) || bool(p.flags.force)) && e instanceof EngineError && e.kind === 'no-such-image') continue;
        errors.push((e as Error).message);
        // Podman: 1 when an image is missing, 2 when it is in use
        code = e instanceof EngineError && e.kind === 'no-such-image' ? 1 : e instanceof EngineError && e.kind === 'image-in-use' ? 2 : exitCodeFor(e);
      }
    }
    // Podman's report: every untagged name, then every deleted id, then the errors (several as one list)
    for (const u of untagged) out(`Untagged: ${u}\n`);
    for (const d of deleted) out(`Deleted: ${d}\n`);
    if (errors.length === 1) err(`Error: ${errors[0]}\n`);
    else if (errors.length > 1) err(`Error: ${errors.length} errors occurred:\n${errors.map((m) => `\t* ${m}\n`).join('')}`);
    return code;
  },
};

export const tagCommand: CommandDef = {
  name: 'tag',
  usage: 'tspod tag IMAGE TARGET_NAME [TARGET_NAME...]',
  description: 'Add an additional name to a local image',
  flags: [],
  minArgs: 2,
  async run(ctx, p) {
    for (const name of p.args.slice(1)) await ctx.client.tagImage(p.args[0], name);
    return 0;
  },
};

export const untagCommand: CommandDef = {
  name: 'untag',
  usage: 'tspod untag IMAGE [IMAGE...]',
  description: 'Remove a name from a local image',
  flags: [],
  minArgs: 1,
  async run(ctx, p) {
    await ctx.client.untagImage(p.args[0], p.args.slice(1));
    return 0;
  },
};

export const imageInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod image inspect [options] IMAGE [IMAGE...]',
  description: 'Display the configuration of an image',
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Format the output to a Go template or json' }],
  minArgs: 1,
  async run(ctx: CliContext, p) {
    const results: unknown[] = [];
    let code = 0;
    for (const ref of p.args) {
      try {
        results.push(await ctx.client.inspectImage(ref));
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
        code = 125;
      }
    }
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, results.map(inspectTemplateView));
    else printJson(results, INSPECT_INDENT);
    return code;
  },
};

export const imageExistsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod image exists IMAGE',
  description: 'Check if an image exists in local storage',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return (await ctx.client.imageExists(p.args[0])) ? 0 : 1;
  },
};

export const scpCommand: CommandDef = {
  name: 'scp',
  usage: 'tspod image scp [options] IMAGE [CONNECTION::[NAME]]',
  description: 'Securely copy images between this engine and stored connections (CONNECTION::IMAGE)',
  flags: [{ name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the output' }],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, p) {
    const { planScp, transferImage } = await import('../../image/scp');
    const { connectionEngine } = await import('../../remote/connections');
    const names = await transferImage(planScp(p.args[0], p.args[1]), { here: ctx.client, connection: connectionEngine });
    if (!bool(p.flags.quiet)) out(loadedReport(names));
    return 0;
  },
};

export const IMAGE_COMMANDS = [importCommand, loadCommand, imagesCommand, rmiCommand, tagCommand, untagCommand];

export const IMAGE_GROUP = [
  importCommand,
  loadCommand,
  { ...imagesCommand, name: 'list', aliases: ['ls'] },
  { ...rmiCommand, name: 'rm' },
  tagCommand,
  untagCommand,
  imageInspectCommand,
  imageExistsCommand,
  scpCommand,
];
