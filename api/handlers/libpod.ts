// Where the libpod tree differs from the Docker-compatible one: Podman-shaped
// documents (built by lib/engine/views.ts, the same the in-process engine
// returns, so `tspod --remote` prints what a local command prints), exists
// endpoints, wait answering a bare exit code, Podman's error messages.
import { createWarnings } from '../../lib/oci/resources';
import type { RouteContext } from '../router';
import { badRequest, foldKeys, optBool, optObject, optString, qGoBool, qint, readJson, sendEmpty, sendJson } from '../http';
import { libpodCreateRequest } from './create-body';
import { listContainers, logs } from './containers';
import { create as execCreate } from './exec';
import { execNeedsRunning } from '../../lib/container/exec';
import { serviceWaitHooks } from './container-ops';
import { DOCKER_WAIT_CONDITIONS, PODMAN_WAIT_STATES, checkWaitConditions, waitForCondition, waitInterval } from '../../lib/container/wait-condition';
import { InProcessEngine } from '../../lib/engine/in-process';
import { signalNumber } from '../../lib/container/signals';
import { assertReadableLogs, containerListEntry } from '../../lib/engine/views';
import { EngineError } from '../../lib/errors';
import type { CreateRequest } from '../../lib/container/engine';
import type { ContainerConfig, MountSpec } from '../../lib/storage/records';
import type { ImageDefaults } from '../../lib/oci/generate';

export function listContainersLibpod(ctx: RouteContext): void {
  qGoBool(ctx.query, 'all', ctx.req.url, false, 500); // Podman answers a bad `all` with a 500
  const now = Date.now();
  const images = new Map<string, ImageDefaults>();
  const podNames = new Map<string, string>();
  sendJson(
    ctx.res,
    200,
    listContainers(ctx).map((c) => containerListEntry(ctx.engine, c, now, images, podNames)),
  );
}

/** SpecGenerator `mounts` (an OCI mount list: destination, type, source, options with ro/rw). */
function specMounts(body: Record<string, unknown>): MountSpec[] | undefined {
  const raw = body.mounts;
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw badRequest('json: cannot unmarshal mounts: must be an array');
  return raw.map((m: unknown) => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw badRequest('mounts: each mount must be an object');
    const o = m as Record<string, unknown>;
    const destination = optString(o, 'destination') ?? optString(o, 'Destination');
    if (!destination?.startsWith('/')) throw badRequest('mounts: destination must be an absolute path');
    const type = optString(o, 'type') ?? optString(o, 'Type') ?? 'bind';
    if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw badRequest(`mounts: unknown mount type "${type}"`);
    const options = (o.options ?? o.Options ?? []) as unknown;
    if (!Array.isArray(options) || options.some((x) => typeof x !== 'string')) throw badRequest('mounts: options must be a list of strings');
    return {
      type,
      source: optString(o, 'source') ?? optString(o, 'Source') ?? '',
      destination,
      rw: !options.includes('ro'),
      options: (options as string[]).filter((x) => x !== 'ro' && x !== 'rw'),
    };
  });
}

/** SpecGenerator `image_volumes` ([{Source, Destination, ReadWrite}], Go's field names) as image mounts after the others. */
function withImageVolumes(mounts: MountSpec[] | undefined, body: Record<string, unknown>): MountSpec[] | undefined {
  const raw = body.image_volumes;
  if (raw === undefined || raw === null) return mounts;
  if (!Array.isArray(raw)) throw badRequest('json: cannot unmarshal image_volumes: must be an array');
  const images = raw.map((v: unknown): MountSpec => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest('image_volumes: each must be an object');
    const o = v as Record<string, unknown>;
    const source = optString(o, 'Source') ?? optString(o, 'source');
    const destination = optString(o, 'Destination') ?? optString(o, 'destination');
    if (!source) throw badRequest('image_volumes: Source is required');
    if (!destination?.startsWith('/')) throw badRequest('image_volumes: Destination must be an absolute path');
    return { type: 'image', source, destination, rw: (o.ReadWrite ?? o.readWrite) === true, options: [] };
  });
  return [...(mounts ?? []), ...images];
}

const oneOf = <T extends string>(v: string | undefined, allowed: readonly T[], what: string): T | undefined => {
  if (v === undefined || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw badRequest(`${what}: invalid value "${v}"`);
  return v as T;
};

/** libpod's create: the SpecGenerator fields create-body.ts reads, plus the ones the remote CLI sends. */
export function libpodSpecRequest(raw: Record<string, unknown>): CreateRequest {
  const body = foldKeys(raw);
  const req = libpodCreateRequest(body);
  const extra: Partial<ContainerConfig> = {
    mounts: withImageVolumes(specMounts(body), body),
    logDriver: oneOf(optString(optObject(body, 'log_configuration') ?? {}, 'driver'), ['k8s-file', 'passthrough', 'none'] as const, 'log_configuration.driver'),
    sdnotify: oneOf(optString(body, 'sdnotifyMode'), ['container', 'conmon', 'ignore'] as const, 'sdnotifyMode'),
    systemd: oneOf(optString(body, 'systemd'), ['true', 'false', 'always'] as const, 'systemd'),
    init: optBool(body, 'init'),
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (req.config as Record<string, unknown>)[k] = v;
  return req;
}

export async function createLibpod(ctx: RouteContext): Promise<void> {
  const rec = await ctx.ops.create(libpodSpecRequest(await readJson(ctx.req)));
  sendJson(ctx.res, 201, { Id: rec.id, Warnings: createWarnings(rec.config.resources) });
}

/** GET /libpod/containers/{id}/json: the engine contract's inspect, as the CLI's. */
export async function inspectLibpod(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, await new InProcessEngine(ctx.engine).inspectContainer(ctx.params.id));
}

export function existsLibpod(ctx: RouteContext): void {
  sendEmpty(ctx.res, ctx.engine.exists(ctx.params.id) ? 204 : 404);
}

export async function waitLibpod(ctx: RouteContext): Promise<void> {
  // libpod's states, any of several (Docker's conditions too); Podman's default: until it exits
  const given = ctx.query.getAll('condition').filter(Boolean);
  const conditions = given.length ? given : ['stopped', 'exited'];
  checkWaitConditions(conditions, [...PODMAN_WAIT_STATES, ...DOCKER_WAIT_CONDITIONS]);
  const intervalMs = waitInterval(ctx.query.get('interval') || '250ms');
  try {
    ctx.engine.get(ctx.params.id);
  } catch (err) {
    // A `--rm` container this service ran and removed: its exit code is still known.
    const seen = ctx.service.exitCodes.get(ctx.params.id);
    if (seen !== undefined && err instanceof EngineError && err.kind === 'no-such-container') return sendJson(ctx.res, 200, seen);
    throw err;
  }
  let gone = false;
  ctx.res.on('close', () => {
    gone = true;
  });
  const code = await waitForCondition(ctx.engine, ctx.params.id, conditions, serviceWaitHooks(ctx.engine, ctx.service, () => gone), intervalMs);
  if (code !== undefined) sendJson(ctx.res, 200, code);
}

export async function removeLibpod(ctx: RouteContext): Promise<void> {
  const force = ['1', 'true'].includes((ctx.query.get('force') ?? '').toLowerCase());
  const volumes = ['1', 'true'].includes((ctx.query.get('v') ?? '').toLowerCase());
  const id = await ctx.ops.removeAsync(ctx.params.id, { force, timeout: qint(ctx.query, 'timeout'), volumes }); // no timeout: the container's stop timeout, as Podman's
  sendJson(ctx.res, 200, [{ Id: id ?? ctx.params.id, Err: null }]);
}

/** libpod kill: the engine's own refusal of a container that is not running (409 with Podman's message). */
export async function killLibpod(ctx: RouteContext): Promise<void> {
  await ctx.ops.kill(ctx.params.id, signalNumber(ctx.query.get('signal') || 'SIGKILL'));
  sendEmpty(ctx.res, 204);
}

/** libpod logs: Podman's error for a log driver that cannot be read, then the shared log stream. */
export async function logsLibpod(ctx: RouteContext): Promise<void> {
  assertReadableLogs(ctx.engine.get(ctx.params.id));
  await logs(ctx);
}

/** libpod exec create: Podman's error for a container that is not running. */
export async function execCreateLibpod(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.state.status !== 'running') throw execNeedsRunning();
  await execCreate(ctx);
}

/** POST /libpod/containers/{id}/init: 204, or 304 when it already was (Podman's statuses). */
export async function initLibpod(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.state.initialized || rec.state.status === 'running') return sendEmpty(ctx.res, 304);
  await ctx.engine.initContainer(rec.id);
  sendEmpty(ctx.res, 204);
}
