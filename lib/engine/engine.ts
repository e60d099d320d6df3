// The Engine interface: what the CLI asks of a container engine, whether the
// work is done in this process (InProcessEngine over LocalEngine) or by a
// service over the libpod API (RemoteEngine). Results are the public shapes
// the libpod API serves, so both transports print the same thing.
import type { CreateRequest, StartOptions } from '../container/engine';
import type { AttachStreams } from '../container/attach';
import type { ExecRequest } from '../container/exec';
import type { PullPolicy } from '../image/pull-policy';
import type { RemoveReport } from '../image/remove';
import type { ResourceUpdate } from '../container/update';
import type { ContainerTree } from '../system/tree';

export type { ContainerTree };
import type { PodCreateRequest } from '../pod/pods';
import type { PodInspect, PodListEntry } from '../pod/views';
import type { GenerateRequest } from '../kube/generate';
import type { PlayReport, PlayRequest } from '../kube/play';

export type { GenerateRequest, PlayReport, PlayRequest };
import type { PodStatsEntry, PodTopTable } from '../pod/observe';
import type { VolumeEngine } from './volumes';
import type { NetworkEngine } from './networks';
import type { ObserveEngine } from './observe';
import type { GenerateEngine } from './generate';
import type { SecretEngine } from './secrets';
import type { TransferEngine } from './transfer';
import type { ManifestEngine } from './manifests';
import type { ImageMountEngine } from './image-mounts';
import type { ContainerMountEngine } from './container-mounts';
import type { BuildEngine } from './build';
import type { HistoryRow } from '../image/history';

export type { CreateRequest, StartOptions, AttachStreams, ExecRequest, PullPolicy, RemoveReport, PodCreateRequest, PodInspect, PodListEntry };

/** What `pod start|stop|restart|kill|pause|unpause` does to each container of the pod. */
export type PodAction = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';

/** One entry of `ps` / GET /libpod/containers/json (Podman's ListContainer). */
export interface ContainerListEntry {
  AutoRemove: boolean;
  Command: string[];
  Created: string; // RFC 3339
  Exited: boolean;
  ExitedAt: number; // unix seconds
  ExitCode: number;
  Id: string;
  Image: string;
  ImageID: string;
  IsInfra: boolean;
  Labels: Record<string, string>;
  Mounts: string[];
  Names: string[];
  Namespaces: Record<string, string>;
  Networks: string[];
  Pid: number;
  Pod: string;
  PodName: string;
  /** libpod's port mappings (null when none) */
  Ports: { host_ip: string; container_port: number; host_port: number; range: number; protocol: string }[] | null;
  StartedAt: number;
  State: string;
  Status: string;
}

/** One entry of `images` / GET /libpod/images/json (Podman's ImageSummary). */
export interface ImageListEntry {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number; // unix seconds
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
  Names: string[];
  /** every name the image had, the latest set first */
  History?: string[];
  Digest: string;
  Dangling: boolean;
}

/** What a command needs to know about a container to drive it. */
export interface ContainerBrief {
  id: string;
  name: string;
  running: boolean;
  tty: boolean;
  stdin: boolean;
  autoRemove: boolean;
  logDriver: string;
}

export interface LogRequest {
  follow: boolean;
  tail: number; // < 0: all
  timestamps: boolean;
  since?: number; // unix seconds
  until?: number; // unix seconds
}

export interface RemoveRequest {
  force?: boolean;
  ignoreMissing?: boolean;
  timeout?: number;
  /** also the container's anonymous volumes */
  volumes?: boolean;
}

/** Which containers `ps` lists: all or the running ones, and `--filter key=value` as key -> values. */
export interface ListQuery {
  all: boolean;
  filters: Map<string, string[]>;
}

export interface WaitOptions {
  /** libpod's states (running, paused, exited, ...); none: until it exits */
  conditions?: string[];
  /** how often to look (Podman's --interval, 250 ms) */
  intervalMs?: number;
}

export interface PullRequest {
  quiet?: boolean;
  /** every tag of the repository */
  allTags?: boolean;
  tlsVerify?: boolean;
  platform?: string;
  /** the client's auth file (remote: its credentials for the registry are sent, as Podman's client does) */
  authfile?: string;
  /** --creds */
  credentials?: { username: string; password: string };
}

export interface ServerVersion {
  APIVersion: string;
  Version: string;
  GoVersion: string;
  BuiltTime: string;
  Built: number;
  OsArch: string;
  Os: string;
}

/** build and commit: BuildEngine (lib/engine/build.ts) */
export interface Engine extends BuildEngine {
  /** true when the work is done by a service */
  readonly remote: boolean;
  /** volumes (lib/engine/volumes.ts) */
  readonly volumes: VolumeEngine;
  /** networks (lib/engine/networks.ts) */
  readonly networks: NetworkEngine;
  /** cp's archives, top (lib/engine/observe.ts) */
  readonly observe: ObserveEngine;
  /** generate systemd (lib/engine/generate.ts) */
  readonly generate: GenerateEngine;
  /** secrets (lib/engine/secrets.ts) */
  readonly secrets: SecretEngine;
  /** load, import, save, push (lib/engine/transfer.ts) */
  readonly transfer: TransferEngine;
  /** manifest lists (lib/engine/manifests.ts) */
  readonly manifests: ManifestEngine;
  /** image mount|unmount (lib/engine/image-mounts.ts) */
  readonly imageMounts: ImageMountEngine;
  /** mount|unmount of containers (lib/engine/container-mounts.ts) */
  readonly containerMounts: ContainerMountEngine;

  // ---- containers
  ensureImage(ref: string, policy: PullPolicy): Promise<void>;
  create(req: CreateRequest): Promise<ContainerBrief>;
  brief(idOrName: string): Promise<ContainerBrief>;
  exists(idOrName: string): Promise<boolean>;
  /** Starts detached; resolves once the container runs. */
  start(idOrName: string, opts?: StartOptions): Promise<void>;
  /** Starts attached to the streams; resolves with the exit code. `onRunning` gets the host pid (0 when unknown). */
  startAttached(idOrName: string, streams: AttachStreams, opts?: StartOptions & { onRunning?: (pid: number) => void }): Promise<number>;
  /** until it exits (its exit code), or until any of Podman's `--condition` states (-1) */
  wait(idOrName: string, opts?: WaitOptions): Promise<number>;
  /** Attaches to a running container; resolves with its exit code, or undefined when detached. */
  attach(idOrName: string, streams: AttachStreams): Promise<number | undefined>;
  stop(idOrName: string, timeout?: number): Promise<{ warning?: string }>;
  kill(idOrName: string, signal: number): Promise<void>;
  /** Makes the container in the runtime without starting its process (`init`); a no-op when it was. */
  init(idOrName: string): Promise<void>;
  /** Freezes (true) or thaws (false) a running container's processes. */
  setPaused(idOrName: string, paused: boolean): Promise<void>;
  /** `healthcheck run`: runs the container's health check once; healthy when the check passed (Podman's HealthCheckResults). */
  runHealthcheck(idOrName: string): Promise<{ Status: 'healthy' | 'unhealthy' }>;
  /** Removes (a running one with force is stopped first); undefined when missing and ignoreMissing. */
  remove(idOrName: string, opts: RemoveRequest): Promise<string | undefined>;
  rename(idOrName: string, newName: string): Promise<void>;
  /** New cgroup limits (applied at once to a running container). */
  update(idOrName: string, resources: ResourceUpdate): Promise<ContainerBrief>;
  /** The containers the query selects, newest first (as `ps` shows them). */
  listContainers(query: ListQuery): Promise<ContainerListEntry[]>;
  /** Podman's inspect document. */
  inspectContainer(idOrName: string): Promise<Record<string, unknown>>;
  /** Writes each log line (with its timestamp when asked) to its stream; with follow until the container exits. */
  logs(idOrName: string, req: LogRequest, write: (stream: 'stdout' | 'stderr', text: string) => void): Promise<void>;
  /** Runs a process in the container on this process's stdio; resolves with its exit code. */
  exec(idOrName: string, req: ExecRequest): Promise<number>;
  /** `exec -d`: starts the process and resolves with the exec session's ID. */
  execDetached(idOrName: string, req: ExecRequest): Promise<string>;

  // ---- images
  /** Without all, intermediate images (nameless parents of other images) are left out. */
  listImages(opts?: { all?: boolean }): Promise<ImageListEntry[]>;
  imageExists(ref: string): Promise<boolean>;
  inspectImage(ref: string): Promise<Record<string, unknown>>;
  /** `history`: the image's history records, newest first */
  imageHistory(ref: string): Promise<HistoryRow[]>;
  /** Pulls with progress on stderr; resolves with the image id. */
  /** a registry reference (remote: no archive transports, as Podman's API); the ids pulled, in order */
  pull(ref: string, req: PullRequest): Promise<string[]>;
  removeImage(ref: string, force: boolean): Promise<RemoveReport>;
  tagImage(ref: string, name: string): Promise<void>;
  /** Removes the given names from the image (all of its names when none are given). */
  untagImage(ref: string, names: string[]): Promise<void>;

  // ---- pods (lib/pod)
  /** Creates the pod (and its infra container); resolves with its id. */
  createPod(req: PodCreateRequest): Promise<string>;
  listPods(): Promise<PodListEntry[]>;
  inspectPod(ref: string): Promise<PodInspect>;
  podExists(ref: string): Promise<boolean>;
  /** Acts on every container of the pod (infra first up, last down); resolves with the pod's id. */
  podAction(ref: string, action: PodAction, opts?: { timeout?: number; signal?: number }): Promise<string>;
  /** Removes the pod and its containers (running ones only with force); undefined when missing and ignoreMissing. */
  removePod(ref: string, opts: { force?: boolean; timeout?: number; ignoreMissing?: boolean }): Promise<string | undefined>;
  /** The processes of the pod's running containers (psArgs: `-ef` or descriptors such as `pid,args`). */
  podTop(ref: string, psArgs?: string): Promise<PodTopTable>;
  /** One sample of every running container of the pods (all pods when refs is empty or all). */
  podStats(refs: string[], all: boolean): Promise<PodStatsEntry[]>;

  // ---- Kubernetes YAML (lib/kube)
  /** `kube generate`: the YAML text, header included. */
  kubeGenerate(req: GenerateRequest): Promise<string>;
  /** `kube play`: makes (and starts) the pods the YAML describes. */
  kubePlay(req: PlayRequest): Promise<PlayReport>;
  /** `kube down`: stops and removes the pods the YAML describes. */
  kubeDown(yaml: string): Promise<PlayReport>;

  // ---- system
  /** `tspod tree`: who holds which socket (the CLI, the monitor, the container's processes). */
  tree(idOrName: string): Promise<ContainerTree>;
  info(): Promise<Record<string, unknown>>;
  /** The service's version; undefined for the in-process engine. */
  serverVersion(): Promise<ServerVersion | undefined>;
}

/** The error a command without remote support gives (Podman: an engine error, 125). */
export const REMOTE_UNSUPPORTED = (command: string) => `${command} is not supported by the remote client (--remote, --url, CONTAINER_HOST)`;
