// Image building commands: build (a Containerfile), commit (a container's changes),
// and the two views of the same layers: diff (a container's changes) and history.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { CliContext, CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { REMOTE_UNSUPPORTED } from '../../engine/engine';
import { parsePullPolicy } from '../../image/pull-policy';
import type { NetworkMode } from '../../storage/records';
import { BuildStepFailed } from '../../engine/build';

/** The flags Podman has that tspod does not implement: refused, never silently ignored. */
const UNSUPPORTED_BUILD_FLAGS = ['platform'];

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
    { name: 'secret', type: 'array', help: 'secret file to expose to the build: id=ID,src=PATH (or env=VAR)' },
    ...UNSUPPORTED_BUILD_FLAGS.map((name) => ({ name, type: 'string' as const, hidden: true })),
  ],
  maxArgs: 1,
  async run(ctx, p) {
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
    let network: NetworkMode | undefined; // undefined: as `run`, RUN containers are isolated like any other
    if (networkFlag !== undefined) {
      if (!['host', 'none', 'private', 'bridge'].includes(networkFlag)) throw new UsageError(`build --network: unsupported mode "${networkFlag}" (host, none, private, bridge)`);
      network = networkFlag as NetworkMode;
    }
    const format = (str(p.flags.format) ?? process.env.BUILDAH_FORMAT ?? 'oci').toLowerCase();
    if (format !== 'oci' && format !== 'docker') throw new UsageError(`build --format ${format}: unrecognized image type (oci or docker)`);
    // `-` (stdin) or a tar file: an archive (unpacked by the engine; -f then names a file of it)
    const archived = context === '-' || (fs.statSync(context, { throwIfNoEntry: false })?.isFile() ?? false);
    if (context === '-' && process.stdin.isTTY) throw new EngineError('invalid-argument', 'build -: cannot read the context from a terminal, use redirection');
    // A signal (timeout, ^C) aborts a local build: the running step's container is killed and
    // removed as for a failing RUN, then tspod exits 128+signal. A second signal (or any, remote) exits at once.
    const abort = new AbortController();
    let killedBy: NodeJS.Signals | undefined;
    const signalExit = (signal: NodeJS.Signals) => 128 + (os.constants.signals[signal] ?? 15);
    const onSignal = (signal: NodeJS.Signals) => {
      if (killedBy || ctx.remote) process.exit(signalExit(killedBy ?? signal));
      killedBy = signal;
      abort.abort(new EngineError('runtime', `build interrupted by ${signal}`));
    };
    for (const sig of BUILD_SIGNALS) process.on(sig, onSignal);
    try {
      const id = await ctx.client.build(
        {
          context: archived ? { archive: context === '-' ? process.stdin : fs.createReadStream(context) } : { dir: context },
          file: str(p.flags.file),
          tags: arr(p.flags.tag),
          buildArgs,
          target: str(p.flags.target),
          noCache: bool(p.flags['no-cache']),
          layers: p.flags.layers !== false,
          labels: arr(p.flags.label),
          pull: parsePullPolicy(str(p.flags.pull)),
          network,
          quiet: bool(p.flags.quiet),
          squashAll: bool(p.flags.squash) || bool(p.flags['squash-all']),
          secrets: arr(p.flags.secret),
          format,
        },
        { log: (line) => out(`${line}\n`), stdout: process.stdout, stderr: process.stderr, signal: abort.signal },
      );
      if (killedBy) return signalExit(killedBy);
      const iidfile = str(p.flags.iidfile);
      if (iidfile) fs.writeFileSync(iidfile, `sha256:${id}`);
      out(`${id}\n`);
      return 0;
    } catch (e) {
      if (killedBy) return signalExit(killedBy);
      if (e instanceof BuildStepFailed) {
        err(`Error: ${e.message}\n`);
        return e.exitCode;
      }
      throw e;
    } finally {
      for (const sig of BUILD_SIGNALS) process.removeListener(sig, onSignal);
    }
  },
};

const BUILD_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

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
    { name: 'format', short: 'f', type: 'string', default: 'oci', help: '`format` of the image manifest and metadata (oci, docker)' },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, p) {
    const { imageFormat } = await import('../../image/commit');
    const id = await ctx.client.commit(p.args[0], {
      format: imageFormat(str(p.flags.format)),
      changes: arr(p.flags.change),
      message: str(p.flags.message),
      author: str(p.flags.author),
      pause: bool(p.flags.pause),
      name: p.args[1],
    });
    const iidfile = str(p.flags.iidfile);
    if (iidfile) fs.writeFileSync(iidfile, `sha256:${id}`);
    out(`${id}\n`);
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
    const format = str(p.flags.format);
    if (format !== undefined && format !== 'json') throw new EngineError('invalid-argument', `diff --format ${format}: only json is supported`);
    const letter = ['C', 'A', 'D'];
    const changes = (await ctx.client.observe.changes(p.args[0])).map((c) => ({ kind: letter[c.Kind], path: c.Path }));
    if (format === 'json') {
      const pick = (k: string) => changes.filter((c) => c.kind === k).map((c) => c.path);
      out(`${JSON.stringify({ changed: pick('C'), added: pick('A'), deleted: pick('D') }, null, 4)}\n`);
    } else for (const c of changes) out(`${c.kind} ${c.path}\n`);
    return 0;
  },
};

const HISTORY_FIELDS = ['ID', 'Created', 'CreatedAt', 'CreatedSince', 'CreatedBy', 'Size', 'Comment'];
const HISTORY_ROW = '{{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const historyCommand: CommandDef = {
  name: 'history',
  usage: 'tspod history [options] IMAGE',
  description: 'Show history of a specified image',
  flags: [
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Display the numeric IDs only' },
    { name: 'human', short: 'H', type: 'bool', default: true, help: 'Display sizes and dates in human readable format' },
    { name: 'format', type: 'string', help: 'Change the output to JSON or a Go template' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    const { humanSize, imageCreatedAgo } = await import('../../format/units');
    const noTrunc = bool(p.flags['no-trunc']);
    const human = p.flags.human !== false;
    const rows = await ctx.client.imageHistory(p.args[0]);
    const id = (r: (typeof rows)[number]) => (r.id === '<missing>' || noTrunc ? r.id : r.id.slice(0, 12));
    if (bool(p.flags.quiet)) {
      for (const r of rows) out(`${id(r)}\n`);
      return 0;
    }
    // Podman's historyReporter: what the columns show, under the same names (-H=false changes only Created)
    const seconds = (iso: string) => (iso ? new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().replace('.000Z', 'Z') : '');
    const view = rows.map((r) => ({
      ID: id(r),
      Created: r.created ? (human ? imageCreatedAgo(Date.parse(r.created)) : seconds(r.created)) : '',
      CreatedAt: r.created ? `${seconds(r.created).replace('T', ' ').replace('Z', '')} +0000 UTC` : '',
      CreatedSince: r.created ? imageCreatedAgo(Date.parse(r.created)) : '',
      CreatedBy: noTrunc || r.createdBy.length <= 45 ? r.createdBy : `${r.createdBy.slice(0, 42)}...`,
      Size: humanSize(r.size),
      Comment: r.comment,
    }));
    const format = str(p.flags.format);
    if (format === 'json') {
      // Podman's JSON: the full id, the recorded time, and Created again to the second
      out(`${JSON.stringify(rows.map((r) => ({ id: r.id, created: r.created, CreatedBy: r.createdBy, size: r.size, comment: r.comment, Created: seconds(r.created) })))}\n`);
      return 0;
    }
    if (format) {
      const { renderList } = await import('../output');
      renderList({ name: 'history', headers: {}, fields: HISTORY_FIELDS, defaultRow: HISTORY_ROW }, format, view, false);
      return 0;
    }
    const table = view.map((v) => [v.ID, v.Created, v.CreatedBy, v.Size, v.Comment]);
    const all = [['ID', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...table];
    const widths = all[0].map((_, c) => Math.max(10, ...all.map((r) => r[c].length))); // Podman's tabwriter: min width 10, padding 2
    for (const r of all) out(`${r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] + 2))).join('').trimEnd()}\n`);
    return 0;
  },
};

export const BUILD_COMMANDS: CommandDef[] = [buildCommand, commitCommand, diffCommand, historyCommand];
