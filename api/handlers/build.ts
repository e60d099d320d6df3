// Building and committing over the API: Docker's `POST /build` (a tar context
// in the body, JSON-lines progress, the id in an `aux` message) and libpod's
// `POST /libpod/build`; Docker's `POST /commit` and libpod's `POST
// /libpod/commit`. The work is the engine's (lib/build, lib/image/commit.ts):
// these handlers only translate shapes. Errors after the stream began are
// reported in-band, as Docker does.
import type * as http from 'node:http';
import { Writable } from 'node:stream';
import type { RouteContext } from '../router';
import { ApiError, badRequest, qbool, readBody, sendJson } from '../http';
import { EngineError } from '../../lib/errors';
import { parsePullPolicy, type PullPolicy } from '../../lib/image/pull-policy';
import { BuildStepFailed, type BuildRequest, localBuild, localCommit } from '../../lib/engine/build';
import { defaultNetworkMode } from '../../lib/network/container-config';
import type { NetworkMode } from '../../lib/storage/records';

/** The 200 of a JSON-lines answer: sent once the context is read; later errors are reported in-band. */
function startJsonLines(res: http.ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
}

function jsonLines(res: http.ServerResponse): (o: unknown) => void {
  return (o) => {
    startJsonLines(res);
    if (!res.destroyed) res.write(`${JSON.stringify(o)}\n`);
  };
}

/** libpod's `dockerfile`: a JSON list (podman-remote sends one), or a plain path as Docker's. */
function dockerfileOf(q: URLSearchParams): string | undefined {
  const raw = q.get('dockerfile');
  if (!raw) return undefined;
  if (raw.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw badRequest(`failed to parse query parameter 'dockerfile': not JSON`);
    }
    if (!Array.isArray(v) || v.length !== 1 || typeof v[0] !== 'string') throw badRequest("dockerfile: one Containerfile is supported");
    return v[0] as string;
  }
  return raw;
}

/** A JSON object of strings from a query parameter (buildargs, labels). */
function qmap(q: URLSearchParams, name: string): Map<string, string> {
  const raw = q.get(name);
  const out = new Map<string, string>();
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw badRequest(`failed to parse query parameter '${name}': not JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`failed to parse query parameter '${name}': not a JSON object`);
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) if (typeof val === 'string') out.set(k, val);
  return out;
}

function pullPolicyOf(q: URLSearchParams): PullPolicy {
  const policy = q.get('pullpolicy'); // libpod
  if (policy) return parsePullPolicy(policy.toLowerCase().replace(/^pull/, '') || 'missing');
  const pull = q.get('pull');
  if (pull === null || pull === '') return parsePullPolicy('missing');
  if (['always', 'missing', 'never', 'newer'].includes(pull)) return parsePullPolicy(pull);
  return parsePullPolicy(qbool(q, 'pull') ? 'always' : 'missing');
}

function networkOf(q: URLSearchParams): NetworkMode {
  const m = q.get('networkmode');
  if (!m || m === 'default') return defaultNetworkMode();
  if (['host', 'none', 'private', 'bridge'].includes(m)) return m as NetworkMode;
  throw badRequest(`networkmode: unsupported mode "${m}" (host, none, private, bridge)`);
}

/** libpod's `format` (oci|docker); Docker's builder makes Docker images. */
function formatOf(q: URLSearchParams, docker: boolean): 'oci' | 'docker' {
  const f = q.get('format') || (docker ? 'docker' : 'oci');
  if (f !== 'oci' && f !== 'docker') throw badRequest(`format: unrecognized image type "${f}" (oci or docker)`);
  return f;
}

async function build(ctx: RouteContext, docker: boolean): Promise<void> {
  const q = ctx.query;
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim();
  if (!docker && type === 'application/json') { // Podman's libpod refuses it; its compat tree (and Docker) take the body as the tar anyway
    const why = 'Content-Type: application/json is not supported. Should be "application/x-tar"';
    throw new ApiError(400, why, why);
  }
  const remote = q.get('remote');
  if (remote) throw badRequest(`remote "${remote}": remote build contexts are not supported by tspod (no downloads during builds)`);
  if (q.get('outputs')) throw new EngineError('invalid-argument', 'build outputs: not supported by tspod yet');
  const tags = q.getAll('t').filter((t) => t !== '');
  const buildArgs = qmap(q, 'buildargs');
  const labels = [...qmap(q, 'labels')].map(([k, v]) => `${k}=${v}`);
  const quiet = qbool(q, 'q') || qbool(q, 'quiet');
  const req: BuildRequest = {
    context: { archive: ctx.req },
    file: dockerfileOf(q),
    tags,
    buildArgs,
    target: q.get('target') || undefined,
    noCache: qbool(q, 'nocache'),
    layers: qbool(q, 'layers', true),
    labels,
    pull: pullPolicyOf(q),
    network: networkOf(q),
    quiet,
    squashAll: qbool(q, 'squash') || qbool(q, 'squashall'),
    secrets: [], // the API carries no secrets (podman-remote's travel in the context)
    format: formatOf(q, docker),
  };
  const send = jsonLines(ctx.res);
  const streamed = (o: string) => {
    if (!quiet) send({ stream: o });
  };
  const sink = () =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        streamed(chunk.toString('utf8'));
        done();
      },
    });
  try {
    const id = await localBuild(ctx.engine, req, { log: (line) => streamed(`${line}\n`), stdout: sink(), stderr: sink(), started: () => startJsonLines(ctx.res) });
    // As Podman: with q, the id is all that is streamed (bare, on both trees; Docker's own daemon prefixes sha256:).
    if (quiet) send({ stream: `${id}\n` });
    if (docker) {
      send({ aux: { ID: `sha256:${id}` } });
      streamed(`Successfully built ${id.slice(0, 12)}\n`);
    } else if (!quiet) send({ stream: `${id}\n` });
  } catch (err) {
    if (!ctx.res.headersSent) throw err; // nothing streamed yet (the context could not be read): a plain error answer
    const message = (err as Error).message;
    const code = err instanceof BuildStepFailed ? err.exitCode : undefined;
    send({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
  }
  ctx.res.end();
}

export const dockerBuild = (ctx: RouteContext) => build(ctx, true);
export const libpodBuild = (ctx: RouteContext) => build(ctx, false);

/** `changes`: Docker takes one newline-separated string, libpod repeats the parameter. */
function changesOf(q: URLSearchParams): string[] {
  return q.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '');
}

async function commit(ctx: RouteContext, docker: boolean): Promise<void> {
  const q = ctx.query;
  const container = q.get('container');
  if (!container) throw badRequest('container: a container name or id is required');
  const repo = q.get('repo') ?? '';
  const tag = q.get('tag') ?? '';
  if (!repo && tag) throw badRequest('tag: a tag needs a repository');
  const name = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
  if (docker) await readBody(ctx.req); // the container config Docker sends: its defaults come from the container itself
  const { imageFormat } = await import('../../lib/image/commit');
  // Docker's commit makes Docker images; libpod's takes `format` (oci by default).
  const format = docker ? 'docker' : imageFormat(q.get('format') ?? undefined);
  const id = await localCommit(ctx.engine, container, {
    format,
    dockerHub: docker,
    changes: changesOf(q),
    message: q.get('comment') || undefined,
    author: q.get('author') || undefined,
    pause: qbool(q, 'pause', true),
    name,
  }).catch((err: unknown) => {
    if (docker && err instanceof EngineError && err.kind === 'no-such-container') throw new ApiError(404, `No such container: ${container}`, 'no such container');
    // Podman's libpod commit answers every other failure with a 500.
    if (!docker && !(err instanceof EngineError && err.kind === 'no-such-container')) throw new ApiError(500, (err as Error).message, err instanceof EngineError ? (err.cause_ ?? (err as Error).message) : (err as Error).message);
    throw err;
  });
  sendJson(ctx.res, docker ? 201 : 200, { Id: id }); // Podman's compat commit answers the bare id too
}

export const dockerCommit = (ctx: RouteContext) => commit(ctx, true);
export const libpodCommit = (ctx: RouteContext) => commit(ctx, false);
