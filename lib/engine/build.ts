// The image-making part of the Engine contract: `build` (a Containerfile and
// its context) and `commit` (a container's changes). localBuild/localCommit
// are the one implementation: the in-process engine and the API's handlers
// (Docker's and libpod's /build and /commit) both call them; the remote side
// is lib/remote/build.ts.
import type { Readable } from 'node:stream';
import type { LocalEngine } from '../container/engine';
import type { PullPolicy } from '../image/pull-policy';
import type { NetworkMode } from '../storage/records';
import type { ImageFormat } from '../image/commit';
import { EngineError } from '../errors';

export interface BuildRequest {
  /** a directory of this host, or a tar (plain or compressed; not a tar: the Containerfile itself) */
  context: { dir: string } | { archive: Readable };
  /** -f: a host path with a directory context, a path inside the archive with an archive */
  file?: string;
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  layers: boolean;
  labels: string[];
  pull: PullPolicy;
  /** the RUN containers' network (undefined: as `run`'s default) */
  network?: NetworkMode;
  quiet: boolean;
  squashAll: boolean;
  /** --secret specs as the user wrote them (id=ID,src=PATH or env=VAR) */
  secrets: string[];
  format: ImageFormat;
}

/** Where a build's output goes: step lines, and what RUN prints. */
export interface BuildOutput {
  log(line: string): void;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** called once the context is read, before the build starts (the API's 200 goes then) */
  started?: () => void;
  /** aborts a local build: the running step's container is killed and removed, no step follows */
  signal?: AbortSignal;
}

/** A RUN that failed: the build ends with its exit code (Podman's), on either side. */
export class BuildStepFailed extends EngineError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super('runtime', message);
  }
}

export interface CommitRequest {
  changes: string[];
  message?: string;
  author?: string;
  pause: boolean;
  /** the new image's name (none: a nameless image) */
  name?: string;
  format: ImageFormat;
  /** a short name means docker.io's (Docker's API) rather than localhost/ */
  dockerHub?: boolean;
}

export interface BuildEngine {
  /** Builds; resolves with the image's id. A failing RUN rejects with BuildStepFailed. */
  build(req: BuildRequest, out: BuildOutput): Promise<string>;
  /** Commits the container's changes; resolves with the new image's id. */
  commit(idOrName: string, req: CommitRequest): Promise<string>;
}

/** The build, done here: an archive is unpacked into the store's scratch space first. */
export async function localBuild(local: LocalEngine, req: BuildRequest, out: BuildOutput): Promise<string> {
  const { buildImage, RunStepError } = await import('../build/builder');
  const { parseBuildSecret } = await import('../build/run-mounts');
  const { hostPathInRoot } = await import('../storage/in-root');
  const { defaultNetworkMode } = await import('../network/container-config');
  const secrets = new Map(req.secrets.map((s) => parseBuildSecret(s)).map((s) => [s.id, s]));
  const unpacked = 'archive' in req.context ? await (await import('../build/context-archive')).unpackContext(local.store, req.context.archive) : undefined;
  try {
    let file = req.file;
    out.started?.();
    if (unpacked) file = unpacked.containerfile ?? (file !== undefined ? hostPathInRoot(unpacked.dir, file, true) : undefined);
    const image = await buildImage(local, {
      contextDir: unpacked?.dir ?? (req.context as { dir: string }).dir,
      file,
      tags: req.tags,
      buildArgs: req.buildArgs,
      target: req.target,
      noCache: req.noCache,
      layers: req.layers,
      labels: req.labels,
      pull: req.pull,
      network: req.network ?? defaultNetworkMode(),
      quiet: req.quiet,
      squashAll: req.squashAll,
      secrets,
      format: req.format,
      signal: out.signal,
      log: out.log,
      stdout: out.stdout,
      stderr: out.stderr,
    });
    return image.id;
  } catch (e) {
    if (e instanceof RunStepError) throw new BuildStepFailed(e.message, e.exitCode);
    throw e;
  } finally {
    unpacked?.remove();
  }
}

export async function localCommit(local: LocalEngine, idOrName: string, req: CommitRequest): Promise<string> {
  const { commitContainer } = await import('../image/commit');
  return (await commitContainer(local, idOrName, req)).id;
}
