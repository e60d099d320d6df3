// The Engine interface over the libpod API of a `tspod system service` (as
// podman-remote does): every operation is one or a few requests under
// /v4.0.0/libpod; the service does the work with its local engine, so
// results and errors (typed by the JSON error body's cause) are the ones a
// local command would have.
import type * as net from 'node:net';
import type { ContainerBrief, ContainerListEntry, CreateRequest, Engine, ListQuery, ExecRequest, ImageListEntry, LogRequest, PullPolicy, PullRequest, RemoveRequest, WaitOptions, ServerVersion, StartOptions, AttachStreams } from '../engine/engine';
import { REMOTE_UNSUPPORTED } from '../engine/engine';
import type { RemoveReport } from '../image/remove';
import type { HistoryRow } from '../image/history';
import { EngineError, isErrorKind } from '../errors';
import { MuxDecoder, errorFromBody, readAll, type ServiceConnection } from './connection';
import { libpodResourceLimits, specGenerator } from './spec-generator';
import type { ResourceUpdate } from '../container/update';
import type { ContainerTree } from '../system/tree';
import { RemotePods } from '../pod/remote';
import { RemoteVolumes } from './volumes';
import { RemoteNetworks } from './networks';
import { RemoteObserve, readLines } from './observe';
import { RemoteGenerate } from './generate';
import { RemoteSecrets } from './secrets';
import { RemoteTransfer } from './transfer';
import { RemoteManifests } from './manifests';
import { RemoteImageMounts } from '../engine/image-mounts';
import { RemoteContainerMounts } from '../engine/container-mounts';
import type { RemoteBuild } from './build';

const q = (params: Record<string, string | number | boolean | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};
const enc = encodeURIComponent;

interface InspectDoc {
  Id: string;
  Name: string;
  State: { Running: boolean };
  Config: { Tty: boolean; OpenStdin: boolean };
  HostConfig: { AutoRemove: boolean; LogConfig?: { Type?: string } };
}

/** Copies a hijacked stream's output to the streams until the service ends it. */
function pumpOutput(socket: net.Socket, head: Buffer, tty: boolean, streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<void> {
  return new Promise((resolve) => {
    const decoder = new MuxDecoder((stream, data) => (stream === 'stderr' ? streams.stderr : streams.stdout).write(data));
    const take = (d: Buffer) => (tty ? streams.stdout.write(d) : decoder.push(d));
    if (head.length) take(head);
    socket.on('data', take);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
  });
}

export class RemoteEngine implements Engine {
  /** pods: the libpod API's /pods endpoints (lib/pod/remote.ts) */
  private podsApi?: RemotePods;
  private pods = (): RemotePods => (this.podsApi ??= new RemotePods(this.conn));
  createPod: Engine['createPod'] = (req) => this.pods().createPod(req);
  listPods: Engine['listPods'] = () => this.pods().listPods();
  inspectPod: Engine['inspectPod'] = (ref) => this.pods().inspectPod(ref);
  podExists: Engine['podExists'] = (ref) => this.pods().podExists(ref);
  podAction: Engine['podAction'] = (ref, action, opts) => this.pods().podAction(ref, action, opts);
  removePod: Engine['removePod'] = (ref, opts) => this.pods().removePod(ref, opts);
  /** Kubernetes YAML: /generate/kube and /kube/play (lib/kube/remote.ts) */
  kubeGenerate: Engine['kubeGenerate'] = (req) => (require('../kube/remote') as typeof import('../kube/remote')).remoteGenerate(this.conn, req);
  kubePlay: Engine['kubePlay'] = (req) => (require('../kube/remote') as typeof import('../kube/remote')).remotePlay(this.conn, req);
  kubeDown: Engine['kubeDown'] = (yaml) => (require('../kube/remote') as typeof import('../kube/remote')).remoteDown(this.conn, yaml);
  podTop: Engine['podTop'] = (ref, psArgs) => this.pods().podTop(ref, psArgs);
  podStats: Engine['podStats'] = (refs, all) => this.pods().podStats(refs, all);

  /** build and commit: /build and /commit (lib/remote/build.ts) */
  private buildApi?: RemoteBuild;
  private builds = (): RemoteBuild => (this.buildApi ??= new (require('./build') as typeof import('./build')).RemoteBuild(this.conn));
  build: Engine['build'] = (req, out) => this.builds().build(req, out);
  commit: Engine['commit'] = (idOrName, req) => this.builds().commit(idOrName, req);

  readonly remote = true;
  private volumesApi?: RemoteVolumes;
  private networksApi?: RemoteNetworks;
  private observeApi?: RemoteObserve;
  private generateApi?: RemoteGenerate;
  private secretsApi?: RemoteSecrets;
  private transferApi?: RemoteTransfer;
  get transfer(): RemoteTransfer {
    return (this.transferApi ??= new RemoteTransfer(this.conn));
  }
  private manifestsApi?: RemoteManifests;
  get manifests(): RemoteManifests {
    return (this.manifestsApi ??= new RemoteManifests(this.conn));
  }
  readonly imageMounts = new RemoteImageMounts();
  readonly containerMounts = new RemoteContainerMounts();
  get secrets(): RemoteSecrets {
    return (this.secretsApi ??= new RemoteSecrets(this.conn));
  }
  get generate(): RemoteGenerate {
    return (this.generateApi ??= new RemoteGenerate(this.conn));
  }
  get observe(): RemoteObserve {
    return (this.observeApi ??= new RemoteObserve(this.conn));
  }
  get networks(): RemoteNetworks {
    return (this.networksApi ??= new RemoteNetworks(this.conn));
  }
  get volumes(): RemoteVolumes {
    return (this.volumesApi ??= new RemoteVolumes(this.conn));
  }

  constructor(readonly conn: ServiceConnection) {}

  async ensureImage(ref: string, policy: PullPolicy): Promise<void> {
    if (policy === 'never') return;
    if (policy === 'missing') {
      const r = await this.conn.open('GET', `/images/${enc(ref)}/exists`);
      r.resume();
      if (r.statusCode === 204) return;
    }
    await this.pull(ref, {});
  }

  async create(req: CreateRequest): Promise<ContainerBrief> {
    // --replace: the old container goes first (podman-remote does the same)
    if (req.replace && req.name) await this.remove(req.name, { force: true, ignoreMissing: true });
    const r = await this.conn.json<{ Id: string }>('POST', '/containers/create', specGenerator(req));
    return this.brief(r.Id);
  }

  async brief(idOrName: string): Promise<ContainerBrief> {
    const d = (await this.inspectContainer(idOrName)) as unknown as InspectDoc;
    return {
      id: d.Id,
      name: d.Name,
      running: d.State.Running,
      tty: d.Config.Tty,
      stdin: d.Config.OpenStdin,
      autoRemove: d.HostConfig.AutoRemove,
      logDriver: d.HostConfig.LogConfig?.Type ?? 'k8s-file',
    };
  }

  async exists(idOrName: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/containers/${enc(idOrName)}/exists`);
    r.resume();
    return r.statusCode === 204;
  }

  private refuseFds(opts: StartOptions): void {
    if (opts.fds) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('passing file descriptors (--preserve-fds, LISTEN_FDS)'));
  }

  async start(idOrName: string, opts: StartOptions = {}): Promise<void> {
    this.refuseFds(opts);
    await this.conn.request('POST', `/containers/${enc(idOrName)}/start`);
  }

  /** Attach first (the service parks it), then start: no output is lost; then the exit code. */
  async startAttached(idOrName: string, streams: AttachStreams, opts: StartOptions & { onRunning?: (pid: number) => void } = {}): Promise<number> {
    this.refuseFds(opts);
    const b = await this.brief(idOrName);
    if (b.running) throw new EngineError('already-running', `container ${b.id} is already running`);
    const withStdin = !!streams.stdin && b.stdin;
    const { socket, head } = await this.conn.upgrade('POST', `/containers/${b.id}/attach${q({ stdin: withStdin, stdout: true, stderr: true, stream: true })}`);
    const output = pumpOutput(socket, head, b.tty, streams);
    // stdin goes up the hijacked connection; its end half-closes it (the container sees EOF)
    if (withStdin) streams.stdin?.on('data', (d: Buffer) => socket.write(d)).on('end', () => socket.end());
    try {
      await this.conn.request('POST', `/containers/${b.id}/start`);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    if (b.tty) {
      // the window size: now, and whenever the user's terminal changes
      const resize = (rows: number, cols: number) => void this.conn.request('POST', `/containers/${b.id}/resize${q({ h: rows, w: cols })}`).catch(() => undefined);
      if (opts.consoleSize) resize(opts.consoleSize.rows, opts.consoleSize.cols);
      streams.onTerminal?.(resize);
    }
    await output;
    return this.wait(b.id);
  }

  /** Attached to a running container: its output until it ends (or the user detaches), then its exit code. */
  async attach(idOrName: string, streams: AttachStreams): Promise<number | undefined> {
    const b = await this.brief(idOrName);
    if (!b.running) throw new EngineError('state-improper', 'you can only attach to running containers');
    const withStdin = !!streams.stdin && b.stdin;
    const { socket, head } = await this.conn.upgrade('POST', `/containers/${b.id}/attach${q({ stdin: withStdin, stdout: true, stderr: true, stream: true })}`);
    if (withStdin) streams.stdin?.on('data', (d: Buffer) => socket.write(d)).on('end', () => socket.end());
    if (b.tty) streams.onTerminal?.((rows, cols) => void this.conn.request('POST', `/containers/${b.id}/resize${q({ h: rows, w: cols })}`).catch(() => undefined));
    await pumpOutput(socket, head, b.tty, streams);
    const now = await this.brief(b.id).catch(() => undefined);
    if (now?.running) return undefined; // the service ended the stream, the container runs on
    return this.wait(b.id);
  }

  async wait(idOrName: string, opts: WaitOptions = {}): Promise<number> {
    const query = new URLSearchParams();
    for (const c of opts.conditions ?? []) query.append('condition', c);
    if (opts.intervalMs !== undefined) query.set('interval', `${opts.intervalMs}ms`);
    const text = query.toString();
    return this.conn.json<number>('POST', `/containers/${enc(idOrName)}/wait${text ? `?${text}` : ''}`);
  }

  async stop(idOrName: string, timeout?: number): Promise<{ warning?: string }> {
    await this.conn.request('POST', `/containers/${enc(idOrName)}/stop${q({ timeout })}`);
    return {};
  }

  async kill(idOrName: string, signal: number): Promise<void> {
    await this.conn.request('POST', `/containers/${enc(idOrName)}/kill${q({ signal })}`);
  }

  async runHealthcheck(idOrName: string): Promise<{ Status: 'healthy' | 'unhealthy' }> {
    return this.conn.json('GET', `/containers/${enc(idOrName)}/healthcheck`);
  }

  async init(idOrName: string): Promise<void> {
    await this.conn.request('POST', `/containers/${enc(idOrName)}/init`); // 304 when it already was
  }

  async setPaused(idOrName: string, paused: boolean): Promise<void> {
    await this.conn.request('POST', `/containers/${enc(idOrName)}/${paused ? 'pause' : 'unpause'}`);
  }

  async remove(idOrName: string, opts: RemoveRequest): Promise<string | undefined> {
    try {
      const r = await this.conn.json<{ Id: string }[]>('DELETE', `/containers/${enc(idOrName)}${q({ force: !!opts.force, timeout: opts.timeout, v: opts.volumes || undefined })}`);
      return r[0]?.Id;
    } catch (e) {
      if (opts.ignoreMissing && e instanceof EngineError && e.kind === 'no-such-container') return undefined;
      throw e;
    }
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    await this.conn.request('POST', `/containers/${enc(idOrName)}/rename${q({ name: newName })}`);
  }

  /** libpod's update takes the OCI resources (as in the SpecGenerator's resource_limits). */
  async update(idOrName: string, resources: ResourceUpdate): Promise<ContainerBrief> {
    await this.conn.request('POST', `/containers/${enc(idOrName)}/update`, libpodResourceLimits(resources) ?? {});
    return this.brief(idOrName);
  }

  listContainers(query: ListQuery): Promise<ContainerListEntry[]> {
    const filters = query.filters.size ? JSON.stringify(Object.fromEntries(query.filters)) : undefined;
    return this.conn.json('GET', `/containers/json${q({ all: query.all, filters })}`);
  }

  inspectContainer(idOrName: string): Promise<Record<string, unknown>> {
    return this.conn.json('GET', `/containers/${enc(idOrName)}/json`);
  }

  async logs(idOrName: string, req: LogRequest, write: (stream: 'stdout' | 'stderr', text: string) => void): Promise<void> {
    const b = await this.brief(idOrName);
    const res = await this.conn.open('GET', `/containers/${b.id}/logs${q({ stdout: true, stderr: true, follow: req.follow, timestamps: req.timestamps, tail: req.tail < 0 ? 'all' : req.tail, since: req.since, until: req.until })}`);
    if ((res.statusCode ?? 500) >= 400) {
      throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
    }
    const decoder = new MuxDecoder((stream, data) => write(stream, data.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      res.on('data', (d: Buffer) => (b.tty ? write('stdout', d.toString('utf8')) : decoder.push(d)));
      res.on('end', resolve);
      res.on('error', reject);
    });
  }

  /** Creates the exec session on the service; attached or not. */
  private async createExec(idOrName: string, req: ExecRequest, attach: boolean): Promise<{ Id: string }> {
    if (req.preserveFds) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('exec --preserve-fds'));
    return this.conn.json<{ Id: string }>('POST', `/containers/${enc(idOrName)}/exec`, {
      Cmd: req.command,
      Env: req.env,
      WorkingDir: req.workdir,
      User: req.user,
      Tty: attach && !!req.tty,
      AttachStdin: attach && !!req.interactive,
      AttachStdout: attach,
      AttachStderr: attach,
    });
  }

  async exec(idOrName: string, req: ExecRequest): Promise<number> {
    const created = await this.createExec(idOrName, req, true);
    const { socket, head } = await this.conn.upgrade('POST', `/exec/${created.Id}/start`, { Detach: false, Tty: !!req.tty });
    if (req.interactive) process.stdin.on('data', (d: Buffer) => socket.write(d)).on('end', () => socket.end());
    await pumpOutput(socket, head, !!req.tty, { stdout: process.stdout, stderr: process.stderr });
    if (req.interactive) process.stdin.pause();
    const s = await this.conn.json<{ ExitCode: number }>('GET', `/exec/${created.Id}/json`);
    return s.ExitCode;
  }

  async execDetached(idOrName: string, req: ExecRequest): Promise<string> {
    const created = await this.createExec(idOrName, req, false);
    await this.conn.request('POST', `/exec/${created.Id}/start`, { Detach: true, Tty: false });
    return created.Id;
  }

  listImages(opts: { all?: boolean } = {}): Promise<ImageListEntry[]> {
    return this.conn.json('GET', `/images/json${q({ all: opts.all || undefined })}`);
  }

  async imageExists(ref: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/images/${enc(ref)}/exists`);
    const body = await readAll(r);
    if (r.statusCode === 204 || r.statusCode === 404) return r.statusCode === 204;
    throw errorFromBody(r.statusCode ?? 500, body.toString('utf8'));
  }

  inspectImage(ref: string): Promise<Record<string, unknown>> {
    return this.conn.json('GET', `/images/${enc(ref)}/json`);
  }

  async imageHistory(ref: string): Promise<HistoryRow[]> {
    const rows = await this.conn.json<{ Id: string; Created: number; CreatedBy: string; Size: number; Comment: string }[]>('GET', `/images/${enc(ref)}/history`);
    return rows.map((r) => ({ id: r.Id, created: r.Created ? new Date(r.Created * 1000).toISOString() : '', createdBy: r.CreatedBy, size: r.Size, comment: r.Comment }));
  }

  /** The service streams JSON lines: progress `stream`, then `images` (and `id`) or `error`. */
  async pull(given: string, req: PullRequest): Promise<string[]> {
    const { archiveTransport } = await import('../image/transport-ref');
    const archive = archiveTransport(given);
    if (archive) {
      // the archive is the client's file (as a push to one writes the client's file): streamed to the service's load
      if (req.allTags) throw new EngineError('invalid-argument', `pulling all tags is not supported for ${given.slice(0, given.indexOf(':'))} transport`);
      const names = await this.transfer.loadImages(archive.path);
      const ids: string[] = [];
      for (const name of names) ids.push(String((await this.inspectImage(name)).Id));
      return [...new Set(ids)];
    }
    const ref = given.replace(/^docker:\/\//, '');
    const creds = req.credentials ?? (await clientPullCredentials(ref, req.authfile));
    const headers: Record<string, string> = creds ? { 'X-Registry-Auth': Buffer.from(JSON.stringify({ username: creds.username, password: creds.password })).toString('base64url') } : {};
    const query = q({ reference: ref, quiet: !!req.quiet, tlsVerify: req.tlsVerify, platform: req.platform, allTags: req.allTags || undefined });
    const res = await this.conn.open('POST', `/images/pull${query}`, undefined, headers);
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
    let ids: string[] = [];
    let error: EngineError | undefined;
    await readLines(res, (text) => {
      const m = JSON.parse(text) as { stream?: string; id?: string; images?: string[]; error?: string; kind?: unknown };
      if (m.stream && !req.quiet) process.stderr.write(m.stream);
      if (m.images) ids = m.images;
      else if (m.id) ids = [m.id];
      if (m.error) error = new EngineError(isErrorKind(m.kind) ? m.kind : 'internal', m.error);
      return !error;
    });
    if (error) throw error;
    if (ids.length === 0) throw new EngineError('internal', `pulling ${ref}: the service gave no image id`);
    return ids;
  }

  async removeImage(ref: string, force: boolean): Promise<RemoveReport> {
    const r = await this.conn.json<{ Untagged?: string[]; Deleted?: string[] }>('DELETE', `/images/${enc(ref)}${q({ force })}`);
    return { untagged: r.Untagged ?? [], deleted: r.Deleted ?? [] };
  }

  async tagImage(ref: string, name: string): Promise<void> {
    await this.conn.request('POST', `/images/${enc(ref)}/tag${q(repoAndTag(name))}`);
  }

  async untagImage(ref: string, names: string[]): Promise<void> {
    if (names.length === 0) await this.conn.request('POST', `/images/${enc(ref)}/untag`);
    for (const name of names) await this.conn.request('POST', `/images/${enc(ref)}/untag${q(repoAndTag(name))}`);
  }

  info(): Promise<Record<string, unknown>> {
    return this.conn.json('GET', '/info');
  }

  async tree(idOrName: string): Promise<ContainerTree> {
    return this.conn.json<ContainerTree>('GET', `/containers/${enc(idOrName)}/tree`);
  }

  async serverVersion(): Promise<ServerVersion> {
    const v = await this.conn.json<{ Version: string; ApiVersion: string; GoVersion: string; BuildTime: string; Os: string; Arch: string; Components?: { Details?: { LibpodApiVersion?: string } }[] }>('GET', '/version');
    const built = Date.parse(v.BuildTime);
    return {
      APIVersion: v.Components?.[0]?.Details?.LibpodApiVersion ?? v.ApiVersion,
      Version: v.Version,
      GoVersion: v.GoVersion,
      BuiltTime: new Date(Number.isFinite(built) ? built : 0).toUTCString(),
      Built: Number.isFinite(built) ? Math.floor(built / 1000) : 0,
      OsArch: `${v.Os}/${v.Arch}`,
      Os: v.Os,
    };
  }
}

/** A name's repository and tag as the tag endpoints take them (tag latest when none is given). */
export function repoAndTag(name: string): { repo: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? { repo: name.slice(0, colon), tag: name.slice(colon + 1) } : { repo: name, tag: 'latest' };
}

/** The client's credentials for the registry of ref (its auth file or --authfile): the service has none of the user's. */
async function clientPullCredentials(ref: string, authfile: string | undefined) {
  const { lookupCredentials } = await import('../config/auth-json');
  const { parseReference } = await import('../image/reference');
  try {
    const parsed = parseReference(ref);
    return lookupCredentials(parsed.registry, parsed.repository, authfile);
  } catch {
    return undefined; // the service refuses the name with its own message
  }
}
