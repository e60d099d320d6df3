// Pulling over the API: Docker's `POST /images/create?fromImage=&tag=` with a
// JSON-lines progress stream, and libpod's `POST /libpod/images/pull`. The
// pull itself is the engine's (lib/image/pull.ts); errors after the stream
// began are reported in-band, as Docker does.
import type * as http from 'node:http';
import type { RouteContext } from '../router';
import { ApiError, badRequest, qbool } from '../http';
import { pullImage, type PullOptions } from '../../lib/image/pull';
import type { Progress } from '../../lib/image/registry/progress';
import type { Credentials } from '../../lib/config/auth-json';
import { pullImages } from '../../lib/image/pull-images';
import { archiveTransport } from '../../lib/image/transport-ref';
import { EngineError } from '../../lib/errors';

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** X-Registry-Auth: base64url JSON {username, password} or {identitytoken}; `e30=` ({}) means none. */
export function registryAuth(req: http.IncomingMessage): Credentials | undefined {
  const h = req.headers['x-registry-auth'];
  if (typeof h !== 'string' || !h) return undefined;
  try {
    const v = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, string>;
    if (v.identitytoken) return { username: v.username ?? '', password: '', identityToken: v.identitytoken };
    if (v.username) return { username: v.username, password: v.password ?? '' };
  } catch {
    /* unreadable: pull anonymously, as Docker does */
  }
  return undefined;
}

function jsonLines(res: http.ServerResponse): (o: unknown) => void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  return (o) => {
    if (!res.destroyed) res.write(`${JSON.stringify(o)}\n`);
  };
}

/** Docker's progress messages. */
function dockerProgress(send: (o: unknown) => void): Progress {
  const totals = new Map<string, { current: number; total: number; last: number }>();
  return {
    message: (text) => send({ status: text }),
    start: (kind, digest, size) => {
      if (kind !== 'blob') return;
      totals.set(digest, { current: 0, total: size, last: 0 });
      send({ status: 'Pulling fs layer', progressDetail: {}, id: short(digest) });
    },
    skipped: (digest) => send({ status: 'Already exists', progressDetail: {}, id: short(digest) }),
    advance: (digest, bytes) => {
      const t = totals.get(digest);
      if (!t) return;
      t.current += bytes;
      const now = Date.now();
      if (now - t.last < 100) return;
      t.last = now;
      send({ status: 'Downloading', progressDetail: { current: t.current, total: t.total }, id: short(digest) });
    },
    resumed: (digest, bytes) => {
      const t = totals.get(digest);
      if (t) t.current += bytes;
    },
    done: (digest) => {
      if (totals.has(digest)) send({ status: 'Download complete', progressDetail: {}, id: short(digest) });
    },
    finish: () => undefined,
  };
}

export async function dockerPull(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  if (q.get('fromSrc')) throw new ApiError(501, 'importing with fromSrc is not supported by tspod; use `tspod import`', 'not implemented');
  const from = q.get('fromImage');
  if (!from) throw badRequest('fromImage: an image name is required');
  const tag = q.get('tag');
  const ref = !tag ? from : tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`;
  const send = jsonLines(ctx.res);
  const opts: PullOptions = { credentials: registryAuth(ctx.req), platform: q.get('platform') || undefined, progress: dockerProgress(send) };
  try {
    const r = await pullImage(ctx.engine.store, ref, opts);
    send({ status: `Digest: ${r.image.digest}` });
    send({ status: `Status: Downloaded newer image for ${r.name}` });
  } catch (err) {
    const message = (err as Error).message;
    send({ errorDetail: { message }, error: message });
  }
  ctx.res.end();
}

/**
 * libpod's pull: `POST /libpod/images/pull?reference=&allTags=`, a registry
 * reference only (an archive path would be the service's file, not the
 * client's: Podman refuses other transports too). JSON lines: progress in
 * `stream` (none when quiet), then `images` and `id`, or `error` with the
 * engine error's `kind`.
 */
export async function libpodPull(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const ref = q.get('reference');
  if (!ref) throw badRequest('reference: an image reference is required');
  if (archiveTransport(ref)) throw badRequest(`unsupported transport in "${ref}": only the docker transport is supported`);
  const quiet = qbool(q, 'quiet');
  const send = jsonLines(ctx.res);
  const line = (text: string) => {
    if (!quiet) send({ stream: `${text}\n` });
  };
  const progress: Progress = {
    message: line,
    start: (kind, digest) => line(`Copying ${kind} ${digest}`),
    skipped: (digest) => line(`Copying blob ${digest} skipped: already exists`),
    advance: () => undefined,
    resumed: () => undefined,
    done: () => undefined,
    finish: () => undefined,
  };
  const tlsVerify = q.get('tlsVerify');
  try {
    const ids = await pullImages(ctx.engine.store, ref, {
      allTags: qbool(q, 'allTags'),
      credentials: registryAuth(ctx.req),
      platform: q.get('platform') || undefined,
      tlsVerify: tlsVerify === null ? undefined : qbool(q, 'tlsVerify'),
      progress,
    });
    send({ images: ids, id: ids[ids.length - 1] });
  } catch (err) {
    send({ error: (err as Error).message, ...(err instanceof EngineError ? { kind: err.kind } : {}) });
  }
  ctx.res.end();
}

/** Node's certificate errors as Go words them (clients and Podman's tests match on it). */
function goTlsWording(message: string): string {
  if (/self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate/i.test(message))
    return `${message}: x509: certificate signed by unknown authority`;
  return message;
}

/**
 * Docker's push: `POST /images/{name}/push?tag=` with a JSON-lines stream
 * ("The push refers to repository [...]", then "TAG: digest: D size: N").
 * An unknown image is a 404 before the stream; a failed push is reported in-band.
 */
export async function dockerPush(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const { lookupImage } = await import('../../lib/image/resolve');
  const { imageManifestBytes } = await import('../../lib/image/store');
  const { pushImage } = await import('../../lib/image/push');
  const tag = q.get('tag') || '';
  const name = tag ? `${ctx.params.name}:${tag}` : ctx.params.name;
  const match = lookupImage(ctx.engine.store.read(), name);
  if (!match) throw new ApiError(404, `An image does not exist locally with the tag: ${name}`, 'no such image');
  const tlsVerify = q.get('tlsVerify');
  const send = jsonLines(ctx.res);
  send({ status: `The push refers to repository [${name}]` });
  try {
    const r = await pushImage(ctx.engine.store, name, name, {
      credentials: registryAuth(ctx.req),
      tlsVerify: tlsVerify === null ? undefined : qbool(q, 'tlsVerify'),
    });
    const size = imageManifestBytes(ctx.engine.paths, match.image.id).length;
    const shown = tag || 'latest';
    send({ status: `${shown}: digest: ${r.digest} size: ${size}` });
    send({ progressDetail: {}, aux: { Tag: shown, Digest: r.digest, Size: size } });
  } catch (err) {
    const message = goTlsWording((err as Error).message);
    send({ errorDetail: { message }, error: message });
  }
  ctx.res.end();
}

/**
 * libpod's push (podman-remote push): `POST /libpod/images/{name}/push?destination=`
 * with the client's credentials in X-Registry-Auth. An unknown image is a 404
 * before anything is pushed; then JSON lines: progress in `stream` (none when
 * quiet), the pushed manifest's digest in `manifestdigest` (Podman 5's
 * field), or `error` with the engine error's `kind`.
 */
export async function libpodPush(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const { lookupImage } = await import('../../lib/image/resolve');
  const { pushImage } = await import('../../lib/image/push');
  const { LineProgress } = await import('../../lib/image/registry/progress');
  const { noSuchImage } = await import('../../lib/errors');
  const name = ctx.params.name;
  const destination = q.get('destination') || undefined;
  if (destination && archiveTransport(destination))
    throw badRequest(`unsupported transport in "${destination}": only the docker transport is supported (an archive is the client's to write)`);
  if (!lookupImage(ctx.engine.store.read(), name)) throw noSuchImage(name);
  const tlsVerify = q.get('tlsVerify');
  const quiet = qbool(q, 'quiet', true); // Podman 4.3's default
  const send = jsonLines(ctx.res);
  try {
    const r = await pushImage(ctx.engine.store, name, destination, {
      credentials: registryAuth(ctx.req),
      tlsVerify: tlsVerify === null ? undefined : qbool(q, 'tlsVerify'),
      progress: quiet ? undefined : new LineProgress((text) => send({ stream: text })),
    });
    send({ manifestdigest: r.digest });
  } catch (err) {
    // the message as the local push gives it; the kind keeps the exit code
    send({ error: (err as Error).message, ...(err instanceof EngineError ? { kind: err.kind } : {}) });
  }
  ctx.res.end();
}
