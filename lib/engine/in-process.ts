// The Engine interface over the local engine: the work is done in this
// process. A thin wrapper: every operation is LocalEngine's (or the image
// library's), shaped by views.ts like the libpod API shapes it.
import * as path from 'node:path';
import type { LocalEngine } from '../container/engine';
import type { ContainerBrief, ContainerListEntry, Engine, ListQuery, ExecRequest, ImageListEntry, LogRequest, PullPolicy, PullRequest, RemoveRequest, WaitOptions, ServerVersion, StartOptions, AttachStreams, CreateRequest } from './engine';
import type { RemoveReport } from '../image/remove';
import { assertReadableLogs, containerBrief, containerListEntry, imageDefaultsOf, imageListEntries } from './views';
import { ensureImage } from '../image/pull-policy';
import { stderrProgress } from '../image/registry/progress';
import { inspectContainer, podNamespacesOf } from '../container/inspect';
import { inspectImage, removeImage, resolveImage, tagImage, untagImage } from '../image';
import type { HistoryRow } from '../image/history';
import { EngineError } from '../errors';
import { execDetached, execInContainer } from '../container/exec';
import { emitLog, rfc3339Nano, type LogLine } from '../container/logs';
import { waitForExit } from '../container/state';
import { containerDir } from '../storage/paths';
import { systemInfo } from '../system/info';
import { type ContainerTree, containerTree } from '../system/tree';
import { filterContainers } from '../container/filters';
import type { ImageDefaults } from '../oci/generate';
import { type ResourceUpdate, updateContainer } from '../container/update';
import type { GenerateRequest, PlayReport, PlayRequest, PodAction, PodCreateRequest, PodInspect, PodListEntry } from './engine';
import { createPod, forceRemoveContainer, getPod, killPod, listPods, pausePod, removePod, startPod, stopPod } from '../pod/pods';
import { inspectPod, podListEntry } from '../pod/views';
import { type PodStatsEntry, type PodTopTable, podStats, podsForStats, podTop } from '../pod/observe';
import { LocalVolumes } from './volumes';
import { attachRunning } from '../container/attach';
import { LocalNetworks } from './networks';
import { LocalObserve } from './observe';
import { LocalGenerate } from './generate';
import { LocalSecrets } from './secrets';
import { LocalTransfer } from './transfer';
import { LocalManifests } from './manifests';
import { LocalImageMounts } from './image-mounts';
import { LocalContainerMounts } from './container-mounts';
import { type BuildOutput, type BuildRequest, type CommitRequest, localBuild, localCommit } from './build';

export class InProcessEngine implements Engine {
  readonly remote = false;
  readonly volumes: LocalVolumes;
  readonly networks: LocalNetworks;
  readonly observe: LocalObserve;
  readonly generate: LocalGenerate;
  readonly secrets: LocalSecrets;
  readonly transfer: LocalTransfer;
  readonly manifests: LocalManifests;
  readonly imageMounts: LocalImageMounts;
  readonly containerMounts: LocalContainerMounts;

  constructor(readonly local: LocalEngine) {
    this.volumes = new LocalVolumes(local);
    this.networks = new LocalNetworks(local);
    this.observe = new LocalObserve(local);
    this.generate = new LocalGenerate(local);
    this.secrets = new LocalSecrets(local);
    this.transfer = new LocalTransfer(local);
    this.manifests = new LocalManifests(local);
    this.imageMounts = new LocalImageMounts(local);
    this.containerMounts = new LocalContainerMounts(local);
  }

  async ensureImage(ref: string, policy: PullPolicy): Promise<void> {
    await ensureImage(this.local.store, ref, policy, { progress: stderrProgress(false) });
  }

  async create(req: CreateRequest): Promise<ContainerBrief> {
    return containerBrief(this.local.create(req));
  }

  async brief(idOrName: string): Promise<ContainerBrief> {
    return containerBrief(this.local.get(idOrName));
  }

  async exists(idOrName: string): Promise<boolean> {
    return this.local.exists(idOrName);
  }

  async start(idOrName: string, opts: StartOptions = {}): Promise<void> {
    await this.local.start(idOrName, opts);
  }

  startAttached(idOrName: string, streams: AttachStreams, opts: StartOptions & { onRunning?: (pid: number) => void } = {}): Promise<number> {
    return this.local.startAttached(idOrName, streams, opts);
  }

  async wait(idOrName: string, opts: WaitOptions = {}): Promise<number> {
    const conditions = opts.conditions ?? [];
    const { PODMAN_WAIT_STATES, checkWaitConditions, waitForCondition, waitsForState } = await import('../container/wait-condition');
    checkWaitConditions(conditions, PODMAN_WAIT_STATES);
    if (!waitsForState(conditions)) return this.local.wait(idOrName); // on the exit itself, not a poll
    const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    return (await waitForCondition(this.local, idOrName, conditions, { pause, removedExitCode: (_id, last) => last }, opts.intervalMs)) ?? -1;
  }

  attach(idOrName: string, streams: AttachStreams): Promise<number | undefined> {
    return attachRunning(this.local, idOrName, streams);
  }

  async stop(idOrName: string, timeout?: number): Promise<{ warning?: string }> {
    const r = await this.local.stop(idOrName, timeout);
    return { warning: r.warning };
  }

  async kill(idOrName: string, signal: number): Promise<void> {
    this.local.kill(idOrName, signal);
  }

  async runHealthcheck(idOrName: string): Promise<{ Status: 'healthy' | 'unhealthy' }> {
    const { runHealthcheck } = await import('../container/healthcheck');
    return { Status: (await runHealthcheck(this.local, idOrName)).ok ? 'healthy' : 'unhealthy' };
  }

  async init(idOrName: string): Promise<void> {
    await this.local.initContainer(idOrName);
  }

  async setPaused(idOrName: string, paused: boolean): Promise<void> {
    await this.local.setPaused(idOrName, paused);
  }

  remove(idOrName: string, opts: RemoveRequest): Promise<string | undefined> {
    return this.local.removeAsync(idOrName, opts);
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    this.local.rename(idOrName, newName);
  }

  async update(idOrName: string, resources: ResourceUpdate): Promise<ContainerBrief> {
    return containerBrief(updateContainer(this.local, idOrName, resources));
  }

  async listContainers(query: ListQuery): Promise<ContainerListEntry[]> {
    const now = Date.now();
    const images = new Map<string, ImageDefaults>();
    const podNames = new Map<string, string>();
    const everything = this.local.list();
    const recs = query.all ? everything : everything.filter((c) => c.state.status === 'running');
    return filterContainers(recs, query.filters, everything, this.local.paths)
      .reverse()
      .map((c) => containerListEntry(this.local, c, now, images, podNames));
  }

  async inspectContainer(idOrName: string): Promise<Record<string, unknown>> {
    const rec = this.local.get(idOrName);
    const pod = podNamespacesOf(() => this.local.store.read(), rec);
    return inspectContainer(this.local.paths, rec, imageDefaultsOf(this.local, rec), this.local.runtimeName(), pod) as unknown as Record<string, unknown>;
  }

  async logs(idOrName: string, req: LogRequest, write: (stream: 'stdout' | 'stderr', text: string) => void): Promise<void> {
    const rec = this.local.get(idOrName);
    assertReadableLogs(rec);
    const file = path.join(containerDir(this.local.paths, rec.id), 'ctr.log');
    const print = (l: LogLine) => write(l.stream === 'stderr' ? 'stderr' : 'stdout', `${req.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}`);
    const follow = req.follow && rec.state.status === 'running' ? waitForExit(this.local.paths, rec) : undefined;
    await emitLog(file, { tail: req.tail, since: req.since, until: req.until, follow }, print);
  }

  exec(idOrName: string, req: ExecRequest): Promise<number> {
    return execInContainer(this.local, idOrName, req);
  }

  execDetached(idOrName: string, req: ExecRequest): Promise<string> {
    return execDetached(this.local, idOrName, req);
  }

  build(req: BuildRequest, out: BuildOutput): Promise<string> {
    return localBuild(this.local, req, out);
  }

  commit(idOrName: string, req: CommitRequest): Promise<string> {
    return localCommit(this.local, idOrName, req);
  }

  async listImages(opts: { all?: boolean } = {}): Promise<ImageListEntry[]> {
    return imageListEntries(this.local, opts);
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      resolveImage(this.local.store, ref);
      return true;
    } catch (e) {
      if (e instanceof EngineError && e.kind === 'no-such-image') return false;
      throw e;
    }
  }

  async inspectImage(ref: string): Promise<Record<string, unknown>> {
    return inspectImage(this.local.store, ref) as unknown as Record<string, unknown>;
  }

  async imageHistory(ref: string): Promise<HistoryRow[]> {
    return (await import('../image/history')).imageHistory(this.local.store, ref);
  }

  async pull(ref: string, req: PullRequest): Promise<string[]> {
    const { pullImages } = await import('../image/pull-images');
    const { quiet, ...opts } = req;
    return pullImages(this.local.store, ref, { ...opts, progress: stderrProgress(!!quiet) });
  }

  async removeImage(ref: string, force: boolean): Promise<RemoveReport> {
    return removeImage(this.local.store, ref, force, (id) => forceRemoveContainer(this.local, id));
  }

  async untagImage(ref: string, names: string[]): Promise<void> {
    untagImage(this.local.store, ref, names);
  }

  async tagImage(ref: string, name: string): Promise<void> {
    tagImage(this.local.store, ref, name);
  }

  async info(): Promise<Record<string, unknown>> {
    return systemInfo(this.local, false) as unknown as Record<string, unknown>;
  }

  async tree(idOrName: string): Promise<ContainerTree> {
    return containerTree(this.local, idOrName);
  }

  async serverVersion(): Promise<ServerVersion | undefined> {
    return undefined;
  }

  // ---- Kubernetes YAML (loaded on first use: the yaml package is not paid for at start-up)
  async kubeGenerate(req: GenerateRequest): Promise<string> {
    return (require('../kube/generate') as typeof import('../kube/generate')).generateKubeYaml(this.local, req);
  }

  kubePlay(req: PlayRequest): Promise<PlayReport> {
    return (require('../kube/play') as typeof import('../kube/play')).playKube(this.local, req);
  }

  kubeDown(yaml: string): Promise<PlayReport> {
    return (require('../kube/play') as typeof import('../kube/play')).downKube(this.local, yaml);
  }

  // ---- pods
  async createPod(req: PodCreateRequest): Promise<string> {
    return (await createPod(this.local, req)).id;
  }

  async listPods(): Promise<PodListEntry[]> {
    return listPods(this.local).map((p) => podListEntry(this.local, p));
  }

  async inspectPod(ref: string): Promise<PodInspect> {
    return inspectPod(this.local, getPod(this.local, ref));
  }

  async podExists(ref: string): Promise<boolean> {
    try {
      getPod(this.local, ref);
      return true;
    } catch (err) {
      if (err instanceof EngineError && err.kind === 'no-such-object') return false;
      throw err;
    }
  }

  async podAction(ref: string, action: PodAction, opts: { timeout?: number; signal?: number } = {}): Promise<string> {
    switch (action) {
      case 'start':
        return (await startPod(this.local, ref)).id;
      case 'stop':
        return (await stopPod(this.local, ref, opts.timeout)).id;
      case 'restart':
        await stopPod(this.local, ref, opts.timeout);
        return (await startPod(this.local, ref)).id;
      case 'kill':
        return (await killPod(this.local, ref, opts.signal ?? 9)).id;
      case 'pause':
      case 'unpause':
        return (await pausePod(this.local, ref, action === 'pause')).id;
    }
  }

  removePod(ref: string, opts: { force?: boolean; timeout?: number; ignoreMissing?: boolean }): Promise<string | undefined> {
    return removePod(this.local, ref, opts);
  }

  async podTop(ref: string, psArgs?: string): Promise<PodTopTable> {
    return podTop(this.local, ref, psArgs);
  }

  podStats(refs: string[], all: boolean): Promise<PodStatsEntry[]> {
    return podStats(this.local, podsForStats(this.local, refs, all));
  }
}
