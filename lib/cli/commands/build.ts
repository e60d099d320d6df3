// Image building commands: build (a Containerfile), commit (a container's changes),
// and the two views of the same layers: diff (a container's changes) and history.
import * as fs from 'node:fs';
import type { CliContext, CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { REMOTE_UNSUPPORTED } from '../../engine/engine';
import { parsePullPolicy } from '../../image/pull-policy';
import type { NetworkMode } from '../../storage/records';
import { defaultNetworkMode } from '../../network/container-config';
import { hostPathInRoot } from '../../storage/in-root';

function localOnly(ctx: CliContext, command: string): void {
  if (ctx.remote) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED(command));
}

/** The flags Podman has that tspod does not implement: refused, never silently ignored. */
const UNSUPPORTED_BUILD_FLAGS = ['secret', 'platform'];

export const buildCommand: CommandDef = {
  name: 'build',
  usage: 'tspod build [options] [CONTEXT]',
  description: 'Build an image using instructions from Containerfiles',
  flags: [
    { name: 'tag', short: 't', type: 'array', help: 'tagged name to apply to the built image' },
    { name: 'file', short: 'f', type: 'string', help: 'name of the Containerfile' },
    { name: 'build-arg', type: 'array', help: 'argument=value to supply to the builder' },
    { name: 'target', type: 'string', help: 'set the target build stage to build' },
    { name: 'no-cache', type: 'bool', help: 'do not use existing cached images for the container build' },
    { name: 'layers', type: 'bool', default: true, help: 'cache intermediate layers during build' },
    { name: 'label', type: 'array', help: 'set metadata for an image (default [])' },
    { name: 'iidfile', type: 'string', help: 'file to write the image ID to' },
    { name: 'pull', type: 'string', default: 'missing', help: 'pull base images: always, missing, never, newer' },
    { name: 'network', type: 'string', help: 'network mode of RUN containers: bridge, host, none, private' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'refrain from announcing build instructions' },
    { name: 'format', type: 'string', help: 'format of the built image manifest and metadata: oci (default) or docker' },
    { name: 'squash', type: 'bool', help: 'squash the image into a single layer (as buildah: the base layers included)' },
    { name: 'squash-all', type: 'bool', help: "squash all of the image's layers into a single layer" },
    ...UNSUPPORTED_BUILD_FLAGS.map((name) => ({ name, type: 'string' as const, hidden: true })),
  ],
  maxArgs: 1,
  async run(ctx, p) {
    localOnly(ctx, 'build');
    for (const f of UNSUPPORTED_BUILD_FLAGS)
      if (p.given.has(f)) throw new EngineError('invalid-argument', `build --${f} is not supported by tspod yet`);
    const context = p.args[0] ?? '.';
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@'))
      throw new EngineError('invalid-argument', `build context "${context}": remote contexts are not supported by tspod build (no downloads during builds)`);
    const buildArgs = new Map<string, string>();
    for (const a of arr(p.flags['build-arg'])) {
      const eq = a.indexOf('=');
      if (eq > 0) buildArgs.set(a.slice(0, eq), a.slice(eq + 1));
      else if (process.env[a] !== undefined) buildArgs.set(a, process.env[a] as string); // `--build-arg NAME` takes the environment's
    }
    const networkFlag = str(p.flags.network);
    let network: NetworkMode = defaultNetworkMode(); // as `run`: RUN containers are isolated like any other
    if (networkFlag !== undefined) {
      if (!['host', 'none', 'private', 'bridge'].includes(networkFlag)) throw new UsageError(`build --network: unsupported mode "${networkFlag}" (host, none, private, bridge)`);
      network = networkFlag as NetworkMode;
    }
    const quiet = bool(p.flags.quiet);
    const format = (str(p.flags.format) ?? process.env.BUILDAH_FORMAT ?? 'oci').toLowerCase();
    if (format !== 'oci' && format !== 'docker') throw new UsageError(`build --format ${format}: unrecognized image type (oci or docker)`);
    const { buildImage, RunStepError } = await import('../../build/builder');
    // `-` (stdin) or a tar file: unpacked into a private directory for the build.
    const archived = context === '-' || (fs.statSync(context, { throwIfNoEntry: false })?.isFile() ?? false);
    if (context === '-' && process.stdin.isTTY) throw new EngineError('invalid-argument', 'build -: cannot read the context from a terminal, use redirection');
    const unpacked = archived
      ? await (await import('../../build/context-archive')).unpackContext(ctx.engine.store, context === '-' ? process.stdin : fs.createReadStream(context))
      : undefined;
    try {
      let file = str(p.flags.file) ?? unpacked?.containerfile;
      if (unpacked && !unpacked.containerfile && file !== undefined) file = hostPathInRoot(unpacked.dir, file, true); // -f names a file of the archive
      const image = await buildImage(ctx.engine, {
        contextDir: unpacked?.dir ?? context,
        file,
        tags: arr(p.flags.tag),
        buildArgs,
        target: str(p.flags.target),
        noCache: bool(p.flags['no-cache']),
        layers: p.flags.layers !== false,
        labels: arr(p.flags.label),
        pull: parsePullPolicy(str(p.flags.pull)),
        network,
        quiet,
        squashAll: bool(p.flags.squash) || bool(p.flags['squash-all']),
        format,
        log: (line) => out(`${line}\n`),
        stdout: process.stdout,
        stderr: process.stderr,
      });
      const iidfile = str(p.flags.iidfile);
      if (iidfile) fs.writeFileSync(iidfile, `sha256:${image.id}`);
      out(`${image.id}\n`);
      return 0;
    } catch (e) {
      if (e instanceof RunStepError) {
        err(`Error: ${e.message}\n`);
        return e.exitCode;
      }
      throw e;
    } finally {
      unpacked?.remove();
    }
  },
};

export const commitCommand: CommandDef = {
  name: 'commit',
  usage: 'tspod commit [options] CONTAINER [IMAGE]',
  description: 'Create new image based on the changed container',
  flags: [
    { name: 'change', short: 'c', type: 'array', help: 'Apply the following possible instructions to the created image' },
    { name: 'message', short: 'm', type: 'string', help: 'Set commit message for imported image' },
    { name: 'author', short: 'a', type: 'string', help: 'Set the author for the image committed' },
    { name: 'pause', short: 'p', type: 'bool', help: 'Pause container during commit' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output' },
    { name: 'iidfile', type: 'string', help: 'file to write the image ID to' },
    { name: 'format', short: 'f', type: 'string', default: 'oci', help: '`format` of the image manifest and metadata (oci)' },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, p) {
    localOnly(ctx, 'commit');
    const format = str(p.flags.format);
    if (format !== 'oci') throw new EngineError('invalid-argument', `commit --format ${format}: only the oci format is supported by tspod`);
    const { commitContainer } = await import('../../image/commit');
    const image = await commitContainer(ctx.engine, p.args[0], {
      changes: arr(p.flags.change),
      message: str(p.flags.message),
      author: str(p.flags.author),
      pause: bool(p.flags.pause),
      name: p.args[1],
    });
    const iidfile = str(p.flags.iidfile);
    if (iidfile) fs.writeFileSync(iidfile, `sha256:${image.id}`);
    out(`${image.id}\n`);
    return 0;
  },
};


export const diffCommand: CommandDef = {
  name: 'diff',
  usage: 'tspod diff [options] CONTAINER',
  description: "Inspect changes to the container's file systems",
  flags: [{ name: 'format', type: 'string', help: 'Change the output format (json)' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    localOnly(ctx, 'diff');
    const format = str(p.flags.format);
    if (format !== undefined && format !== 'json') throw new EngineError('invalid-argument', `diff --format ${format}: only json is supported`);
    const { containerChanges } = await import('../../storage/container-diff');
    const { layerPaths } = await import('../../image/store');
    const rec = ctx.engine.get(p.args[0]);
    const changes = containerChanges(ctx.engine.paths, rec.id, layerPaths(ctx.engine.paths, ctx.engine.imageOf(rec)));
    if (format === 'json') {
      const pick = (k: string) => changes.filter((c) => c.kind === k).map((c) => c.path);
      out(`${JSON.stringify({ changed: pick('C'), added: pick('A'), deleted: pick('D') }, null, 4)}\n`);
    } else for (const c of changes) out(`${c.kind} ${c.path}\n`);
    return 0;
  },
};

export const historyCommand: CommandDef = {
  name: 'history',
  usage: 'tspod history [options] IMAGE',
  description: 'Show history of a specified image',
  flags: [
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Display the numeric IDs only' },
    { name: 'human', short: 'H', type: 'bool', default: true, help: 'Display sizes and dates in human readable format' },
    { name: 'format', type: 'string', hidden: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    localOnly(ctx, 'history');
    if (p.given.has('format')) throw new EngineError('invalid-argument', 'history --format is not supported by tspod yet');
    const { resolveImage } = await import('../../image/resolve');
    const { imageConfig } = await import('../../image/store');
    const { readLayerInfo } = await import('../../storage/layer');
    const { humanSize, imageCreatedAgo } = await import('../../format/units');
    const image = resolveImage(ctx.engine.store, p.args[0]);
    const config = imageConfig(ctx.engine.paths, image.id);
    const noTrunc = bool(p.flags['no-trunc']);
    const layers = [...config.rootfs.diff_ids];
    // Newest first; a history entry with a layer takes the next diff id from the bottom up.
    const rows = (config.history ?? []).map((h) => ({ h, size: h.empty_layer ? 0 : (readLayerInfo(ctx.engine.paths, layers.shift() ?? '')?.size ?? 0) })).reverse();
    const id = (i: number) => (i === 0 ? (noTrunc ? image.id : image.id.slice(0, 12)) : '<missing>');
    if (bool(p.flags.quiet)) {
      for (let i = 0; i < rows.length; i++) out(`${id(i)}\n`);
      return 0;
    }
    const table = rows.map(({ h, size }, i) => {
      const by = h.created_by ?? '';
      return [
        id(i),
        h.created ? (p.flags.human === false ? h.created : imageCreatedAgo(Date.parse(h.created))) : '',
        noTrunc || by.length <= 45 ? by : `${by.slice(0, 42)}...`,
        p.flags.human === false ? String(size) : humanSize(size),
        h.comment ?? '',
      ];
    });
    const all = [['ID', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...table];
    const widths = all[0].map((_, c) => Math.max(...all.map((r) => r[c].length)));
    for (const r of all) out(`${r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] + 2))).join('').trimEnd()}\n`);
    return 0;
  },
};

export const BUILD_COMMANDS: CommandDef[] = [buildCommand, commitCommand, diffCommand, historyCommand];
