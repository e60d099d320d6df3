// Image building commands: build (a Containerfile) and commit (a container's changes).
import * as fs from 'node:fs';
import type { CliContext, CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { REMOTE_UNSUPPORTED } from '../../engine/engine';
import { parsePullPolicy } from '../../image/pull-policy';
import type { NetworkMode } from '../../storage/records';
import { defaultNetworkMode } from '../../network/container-config';
import { resolveInRoot } from '../../container/archive';

function localOnly(ctx: CliContext, command: string): void {
  if (ctx.remote) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED(command));
}

/** The flags Podman has that tspod does not implement: refused, never silently ignored. */
const UNSUPPORTED_BUILD_FLAGS = ['squash', 'secret', 'platform', 'format'];

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
    const { buildImage, RunStepError } = await import('../../build/builder');
    // `-` (stdin) or a tar file: unpacked into a private directory for the build.
    const archived = context === '-' || (fs.statSync(context, { throwIfNoEntry: false })?.isFile() ?? false);
    if (context === '-' && process.stdin.isTTY) throw new EngineError('invalid-argument', 'build -: cannot read the context from a terminal, use redirection');
    const unpacked = archived
      ? await (await import('../../build/context-archive')).unpackContext(ctx.engine.store, context === '-' ? process.stdin : fs.createReadStream(context))
      : undefined;
    try {
      let file = str(p.flags.file) ?? unpacked?.containerfile;
      if (unpacked && !unpacked.containerfile && file !== undefined) file = resolveInRoot(unpacked.dir, file, true); // -f names a file of the archive
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
    out(`${image.id}\n`);
    return 0;
  },
};

export const BUILD_COMMANDS: CommandDef[] = [buildCommand, commitCommand];
