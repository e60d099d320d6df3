// Where the libpod tree differs from the Docker-compatible one: Podman-shaped
// documents, exists endpoints, wait answering a bare exit code.
import type { RouteContext } from '../router';
import { readJson, sendEmpty, sendJson } from '../http';
import { libpodCreateRequest } from './create-body';
import { listContainers } from './containers';
import { imageDefaults } from './docker-shapes';
import { waitCondition } from './container-ops';
import { inspectContainer, publicStatus } from '../../lib/container/inspect';
import { containerCommand } from '../../lib/oci/generate';
import { psStatus } from '../../lib/format/units';
import { listImages, repoDigests } from '../../lib/image';

export function listContainersLibpod(ctx: RouteContext): void {
  sendJson(
    ctx.res,
    200,
    listContainers(ctx).map((c) => {
      const state = publicStatus(c.state.status);
      return {
        AutoRemove: c.config.autoRemove,
        Command: containerCommand(c, imageDefaults(ctx.engine, c)),
        Created: c.created,
        Exited: state === 'exited',
        ExitedAt: c.state.finishedAt ? Math.floor(Date.parse(c.state.finishedAt) / 1000) : -62135596800,
        ExitCode: c.state.exitCode,
        Id: c.id,
        Image: c.imageName,
        ImageID: c.imageId,
        IsInfra: false,
        Labels: c.config.labels,
        Mounts: c.config.mounts.map((m) => m.destination),
        Names: [c.name],
        Namespaces: {},
        Networks: [],
        Pid: c.state.status === 'running' ? c.state.pid : 0,
        Pod: '',
        PodName: '',
        Ports: null,
        StartedAt: c.state.startedAt ? Math.floor(Date.parse(c.state.startedAt) / 1000) : -62135596800,
        State: state,
        Status: psStatus(state, c.state.exitCode, c.state.startedAt ? Date.parse(c.state.startedAt) : null, c.state.finishedAt ? Date.parse(c.state.finishedAt) : null),
      };
    }),
  );
}

export async function createLibpod(ctx: RouteContext): Promise<void> {
  const rec = ctx.engine.create(libpodCreateRequest(await readJson(ctx.req)));
  sendJson(ctx.res, 201, { Id: rec.id, Warnings: [] });
}

export function inspectLibpod(ctx: RouteContext): void {
  const rec = ctx.engine.get(ctx.params.id);
  sendJson(ctx.res, 200, inspectContainer(ctx.engine.paths, rec, imageDefaults(ctx.engine, rec), ctx.engine.runtimeName()));
}

export function existsLibpod(ctx: RouteContext): void {
  sendEmpty(ctx.res, ctx.engine.exists(ctx.params.id) ? 204 : 404);
}

export async function waitLibpod(ctx: RouteContext): Promise<void> {
  const condition = ctx.query.getAll('condition')[0] || 'stopped';
  ctx.engine.get(ctx.params.id);
  let gone = false;
  ctx.res.on('close', () => {
    gone = true;
  });
  const code = await waitCondition(ctx.engine, ctx.service, ctx.params.id, condition, () => gone);
  if (code !== undefined) sendJson(ctx.res, 200, code);
}

export async function removeLibpod(ctx: RouteContext): Promise<void> {
  const force = ['1', 'true'].includes((ctx.query.get('force') ?? '').toLowerCase());
  const id = await ctx.engine.removeAsync(ctx.params.id, { force, timeout: Number(ctx.query.get('timeout') ?? 0) || 0 });
  sendJson(ctx.res, 200, [{ Id: id ?? ctx.params.id, Err: null }]);
}

export function listImagesLibpod(ctx: RouteContext): void {
  const used = new Map<string, number>();
  for (const c of Object.values(ctx.engine.store.read().containers)) used.set(c.imageId, (used.get(c.imageId) ?? 0) + 1);
  sendJson(
    ctx.res,
    200,
    listImages(ctx.engine.store).map((img) => ({
      Id: img.id,
      ParentId: '',
      RepoTags: img.names,
      RepoDigests: repoDigests(img),
      Created: Math.floor(Date.parse(img.created) / 1000),
      Size: img.size,
      SharedSize: 0,
      VirtualSize: img.size,
      Labels: {},
      Containers: used.get(img.id) ?? 0,
      Names: img.names,
      Digest: img.digest,
      Dangling: img.names.length === 0,
    })),
  );
}
