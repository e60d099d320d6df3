// The public shapes of containers and images, built once from the store's
// records: the in-process engine returns them and the libpod API serves them,
// so local and remote commands print from the same data.
import type { LocalEngine } from '../container/engine';
import type { ContainerRecord } from '../storage/records';
import type { ContainerBrief, ContainerListEntry, ImageListEntry } from './engine';
import { EngineError } from '../errors';
import { publicStatus } from '../container/inspect';
import { isListening } from '../activation/listen';
import { containerCommand, type ImageDefaults } from '../oci/generate';
import { psStatus } from '../format/units';
import { psHealth } from '../container/healthcheck';
import { imageConfig, listImages, repoDigests } from '../image';

const GO_ZERO_UNIX = -62135596800;
const unixSeconds = (iso: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : GO_ZERO_UNIX);

/** The image's defaults (entrypoint, cmd, ...); empty when the image is gone. `cache`: per image, for lists. */
export function imageDefaultsOf(engine: LocalEngine, rec: ContainerRecord, cache?: Map<string, ImageDefaults>): ImageDefaults {
  const known = cache?.get(rec.imageId);
  if (known) return known;
  let defaults: ImageDefaults;
  try {
    defaults = (imageConfig(engine.paths, rec.imageId).config ?? {}) as ImageDefaults;
  } catch {
    defaults = {} as ImageDefaults;
  }
  cache?.set(rec.imageId, defaults);
  return defaults;
}

/** A pod's name; a list passes one cache, so the store is read once for all its entries, not once per entry. */
function podName(engine: LocalEngine, podId: string, names: Map<string, string>): string {
  if (!names.has(podId)) {
    for (const [id, pod] of Object.entries(engine.store.read().pods ?? {})) names.set(id, pod.name);
    if (!names.has(podId)) names.set(podId, ''); // gone meanwhile: not read again
  }
  return names.get(podId) as string;
}

/** One list entry; a list passes one `images` cache for all its entries (one image config read per image). */
export function containerListEntry(
  engine: LocalEngine,
  c: ContainerRecord,
  now = Date.now(),
  images = new Map<string, ImageDefaults>(),
  podNames = new Map<string, string>(),
): ContainerListEntry {
  const state = publicStatus(c.state.status, c.state.paused, isListening(c));
  return {
    AutoRemove: c.config.autoRemove,
    Command: c.config.isInfra ? [] : containerCommand(c, imageDefaultsOf(engine, c, images)), // Podman lists no command for an infra container
    Created: c.created,
    Exited: state === 'exited',
    ExitedAt: unixSeconds(c.state.finishedAt),
    ExitCode: c.state.exitCode,
    Id: c.id,
    Image: c.imageName,
    ImageID: c.imageId,
    IsInfra: c.config.isInfra === true,
    Labels: c.config.labels,
    Mounts: c.config.mounts.map((m) => m.destination),
    Names: [c.name],
    Namespaces: {},
    Networks: Object.keys(c.config.networks ?? {}),
    Pid: c.state.status === 'running' ? c.state.pid : 0,
    Pod: c.config.pod ?? '',
    PodName: c.config.pod ? podName(engine, c.config.pod, podNames) : '',
    Ports: c.config.ports?.length
      ? c.config.ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol }))
      : null,
    StartedAt: unixSeconds(c.state.startedAt),
    State: state,
    Status: psStatus(
      { state, exitCode: c.state.exitCode, startedAt: c.state.startedAt ? Date.parse(c.state.startedAt) : null, exitedAt: c.state.finishedAt ? Date.parse(c.state.finishedAt) : null, health: psHealth(engine.paths, c) },
      now,
    ),
  };
}

/**
 * Images as `images` lists them. Without `all`, intermediate images are left
 * out as Podman does: nameless images another image is built on (its layers
 * begin with theirs), such as the steps of a build.
 */
export function imageListEntries(engine: LocalEngine, opts: { all?: boolean } = {}): ImageListEntry[] {
  const db = engine.store.read();
  const used = new Map<string, number>();
  for (const c of Object.values(db.containers)) used.set(c.imageId, (used.get(c.imageId) ?? 0) + 1);
  let images = listImages(engine.store);
  if (!opts.all) {
    const isParent = (p: (typeof images)[number]) =>
      images.some((c) => c.id !== p.id && c.layers.length > p.layers.length && p.layers.every((l, i) => c.layers[i] === l));
    images = images.filter((img) => img.names.length > 0 || used.has(img.id) || !isParent(img));
  }
  return images.map((img) => ({
    Id: img.id,
    ParentId: '',
    RepoTags: img.names,
    RepoDigests: repoDigests(img),
    Created: Math.floor(Date.parse(img.created) / 1000),
    Size: img.size,
    SharedSize: 0,
    VirtualSize: img.size,
    Labels: imageLabels(engine, img.id),
    Containers: used.get(img.id) ?? 0,
    Names: img.names,
    History: img.namesHistory ?? img.names,
    Digest: img.digest,
    Dangling: img.names.length === 0,
  }));
}

export function containerBrief(rec: ContainerRecord): ContainerBrief {
  return {
    id: rec.id,
    name: rec.name,
    running: rec.state.status === 'running',
    tty: rec.config.tty,
    stdin: rec.config.stdin,
    autoRemove: rec.config.autoRemove,
    logDriver: rec.config.logDriver,
  };
}

/** Logs are read from the k8s-file log only; Podman's error for the other drivers. */
export function assertReadableLogs(rec: ContainerRecord): void {
  if (rec.config.logDriver !== 'k8s-file')
    throw new EngineError(
      'invalid-argument',
      `this container is using the '${rec.config.logDriver}' log driver, cannot read logs: this container is not logging to file`,
    );
}

/** An image's labels from its config (a read of one small file per image). */
function imageLabels(engine: LocalEngine, id: string): Record<string, string> {
  try {
    return imageConfig(engine.paths, id).config?.Labels ?? {};
  } catch {
    return {};
  }
}
