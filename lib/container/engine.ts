// The local engine: the one implementation of every container operation,
// used by the CLI and by both APIs.
import type { MonitorConfig } from './monitor-config';
import { type HealthConfig, type HealthFlags, containerHealth } from './healthcheck';
import { chooseCgroupManager } from '../oci/cgroups';
import { log } from '../cli/log';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Store } from '../storage/store';
import type { ContainerConfig, ContainerRecord, Database, ImageRecord } from '../storage/records';
import { type StoragePaths, REMOVAL_MARKER, bundleDir, containerDir, dbFile, exitDir, exitFile, rootfsCopyDir, rootfsMountDir, runtimeStateDir } from '../storage/paths';
import { EngineError, invalidArgument, noSuchContainer, noSuchImage } from '../errors';
import { generateId } from './ids';
import { generateName, NAME_REGEX_ERROR, validateName } from './names';
import { imageConfig, layerPaths } from '../image';
import { lookupImage } from '../image/resolve';
import { bindRootfs, isMountPoint, mountRootfs, removeRootfsStorage, removeRootfsStorageAsync, unmountRootfs } from '../storage/rootfs';
import { generateSpec, type ImageDefaults } from '../oci/generate';
import { materializeSecrets, resolveSecretRefs } from '../secret/container-secrets';
import { ensureMtab, refreshSharedHosts, sharedNetworkOwner, writeEtcFiles } from './etc-files';
import { allocateEndpoints, connectEndpoints, prepareBridges, releaseEndpoints } from '../network/endpoints';
import { defaultNetworkMode, resolveNetworkConfig } from '../network/container-config';
import { hostPortConflict } from '../network/ports';
import { isUserMode, startUserNetwork, stopUserNetwork } from '../network/usermode';
import { prestartMonitor, type PendingMonitor } from './monitor';
import { armListener, countActivation, disarmListener } from '../activation/listen';
import { ContainerLocks } from './lifecycle-lock';
import { readExitFile, syncState, waitForExit } from './state';
import { detectRuntime, type RuntimeInfo } from '../../runtime/detect';
import { runRuntime, runRuntimeAsync, runtimeFlagArgs, type RuntimeTarget } from '../../runtime/oci-runtime';
import { entryScript, tspodCommand, tspodCommandEnv } from '../package-root';
import { emitEvent, labelAttributes } from '../events/journal';
import { connectAttach, pumpAttach, resizeContainerTerminal, type AttachStreams } from './attach';
import { signalName, signalNumber } from './signals';
import { loadContainersConf } from '../config/containers-conf';
import { native } from '../native';
import { listenFdNumbers } from '../activation/listen-fds';
import { anonymousVolumes, attachVolumes, prepareMounts } from '../volume/mounts';
import { dropVolume, volumeUsers } from '../volume/volumes';
import { parseRestartPolicy, shouldRestart } from './restart-policy';
import { defaultStopSignal } from '../systemd/container-mode';
import { unmountPodShm } from '../pod/shm';
import { resolveImageVolumes, unmountImageVolumes } from './image-volumes';
import { joinPod, podInfraToStart, podNamespacePaths } from '../pod/membership';
import { addKeepIdUser, chownToContainerRoot, openBundleForUserns, openPathForUserns, ownerShift, userLeftOut } from './idmap';
import { allocateAutoUserns, autoUsernsRequest } from './auto-userns';
import { sleepSync } from '../sleep-sync';

export interface EngineOptions {
  paths: StoragePaths;
  runtime?: string; // --runtime
  runtimeFlags?: string[]; // --runtime-flag, as given (without the "--")
  cgroupManager?: string; // --cgroup-manager
}

export interface CreateRequest {
  image: string;
  name?: string;
  command: string[];
  config: Partial<ContainerConfig>;
  replace?: boolean;
  /** the CLI's --health-* flags, applied over the image's HEALTHCHECK (an API gives config.healthcheck instead) */
  health?: HealthFlags;
}

export interface StartOptions {
  /** fds 3..3+n-1 of this process go to the container */
  fds?: { count: number; listen: boolean; names?: string };
  notifySocket?: string;
  /** The window size a container with a terminal starts with (the user's terminal). */
  consoleSize?: { rows: number; cols: number };
  /** A restart policy's start after the run with this id exited: dropped if the user stopped or started it meanwhile. */
  restartOf?: string;
}

export class LocalEngine {
  readonly store: Store;
  readonly paths: StoragePaths;
  /** Start, stop, rm and the monitor's cleanup of one container never overlap. */
  private readonly locks: ContainerLocks;
  private runtimeInfo?: RuntimeInfo;

  /** What it was made with (an engine worker of the API service makes its own from them). */
  get options(): EngineOptions {
    return this.opts;
  }

  constructor(private readonly opts: EngineOptions) {
    this.paths = opts.paths;
    this.store = new Store(opts.paths);
    this.locks = new ContainerLocks(this.store);
  }

  /** The id of a container, for taking its lock (the lookup is repeated under the lock). */
  private idOf(idOrName: string): string {
    return this.lookup(this.store.read(), idOrName).id;
  }

  /** Runs fn under the container's lifecycle lock with its state brought up to date. */
  private async withContainer<T>(idOrName: string, fn: (rec: ContainerRecord) => Promise<T>): Promise<T> {
    const id = this.idOf(idOrName);
    try {
      return await this.locks.with(id, () => fn(this.get(id)));
    } catch (err) {
      // removed while we waited: say so with the name the user gave
      if (err instanceof EngineError && err.kind === 'no-such-container' && err.message.includes(`"${id}"`)) throw noSuchContainer(idOrName);
      throw err;
    }
  }

  /** The runtime to drive; for a container created with --runtime, that one (while it can be found). */
  runtime(rec?: ContainerRecord): RuntimeTarget {
    const flags = this.opts.runtimeFlags?.length ? runtimeFlagArgs(this.opts.runtimeFlags) : undefined;
    const own = rec?.config.ociRuntime;
    if (own && own !== this.opts.runtime) {
      try {
        return { runtime: detectRuntime(this.paths.runroot, own), stateRoot: runtimeStateDir(this.paths), flags };
      } catch {
        /* gone since: the default one shares the state root */
      }
    }
    this.runtimeInfo ??= detectRuntime(this.paths.runroot, this.opts.runtime);
    return { runtime: this.runtimeInfo, stateRoot: runtimeStateDir(this.paths), flags };
  }

  /**
   * --runtime-flag: the runtime is asked once whether it takes these options, so
   * a bad one fails the start as Podman's does (126), not inside the monitor.
   */
  private checkRuntimeFlags(rec: ContainerRecord): void {
    if (!this.opts.runtimeFlags?.length) return;
    const target = this.runtime(rec);
    const r = runRuntime(target, ['--version']);
    if (r.status !== 0) throw runtimeStartError(target.runtime.name, r.stderr.trim() || r.stdout.split('\n')[0]);
  }

  runtimeName(): string {
    try {
      return this.runtime().runtime.name;
    } catch {
      return '';
    }
  }

  /**
   * Brings a record up to date with its exit file, inside a store update; whoever
   * records an exit first reports it, so `died` is emitted once per run.
   */
  private recordExit(cur: ContainerRecord | undefined): void {
    if (!cur || !syncState(this.paths, cur)) return;
    if (cur.state.oomKilled) emitEvent(this.paths, { Type: 'container', Status: 'oom', ID: cur.id, Name: cur.name, Image: cur.config.image, Attributes: labelAttributes(cur.config.labels) });
    emitEvent(this.paths, { Type: 'container', Status: 'died', ID: cur.id, Name: cur.name, Image: cur.config.image, ContainerExitCode: cur.state.exitCode, Attributes: labelAttributes(cur.config.labels) });
  }

  // ---- lookup

  /** Podman's order: full id, exact name, unique id prefix. */
  lookup(db: Database, idOrName: string): ContainerRecord {
    if (!idOrName) throw invalidArgument('container name or ID cannot be empty');
    const byId = db.containers[idOrName];
    if (byId) return byId;
    const all = Object.values(db.containers);
    const byName = all.find((c) => c.name === idOrName);
    if (byName) return byName;
    if (/^[0-9a-f]+$/.test(idOrName)) {
      const matches = all.filter((c) => c.id.startsWith(idOrName));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1)
        throw new EngineError('ctr-exists', `more than one result for container ID ${idOrName}: container already exists`);
    }
    throw noSuchContainer(idOrName);
  }

  /** The container with its state brought up to date (persisted if it changed). */
  get(idOrName: string): ContainerRecord {
    const rec = this.lookup(this.store.read(), idOrName);
    if (rec.state.status !== 'running') return rec;
    const copy = structuredClone(rec);
    if (!syncState(this.paths, copy)) return rec;
    return this.store.updateUnlessFull((db) => {
      const cur = db.containers[rec.id];
      this.recordExit(cur);
      return cur ?? copy;
    });
  }

  list(): ContainerRecord[] {
    const db = this.store.read();
    const recs = Object.values(db.containers);
    const stale = recs.filter((r) => r.state.status === 'running' && syncState(this.paths, structuredClone(r)));
    if (stale.length === 0) return recs.sort(byCreated);
    return Object.values(
      this.store.updateUnlessFull((db2) => {
        for (const r of Object.values(db2.containers)) this.recordExit(r);
        return db2.containers;
      }),
    ).sort(byCreated);
  }

  exists(idOrName: string): boolean {
    try {
      this.lookup(this.store.read(), idOrName);
      return true;
    } catch (err) {
      if (err instanceof EngineError && err.kind === 'no-such-container') return false;
      throw err;
    }
  }

  // ---- create

  create(req: CreateRequest): ContainerRecord {
    // --rootfs: a host directory and no image (so no image defaults)
    const rootfs = req.config.rootfs ? checkRootfsDir(req.config.rootfs) : undefined;
    const match = rootfs ? undefined : lookupImage(this.store.read(), req.image);
    if (!match && !rootfs) throw noSuchImage(req.image);
    const image = match?.image;
    const cfgImage = image ? (imageConfig(this.paths, image.id).config ?? {}) : {};
    if (req.name !== undefined && !validateName(req.name))
      throw invalidArgument(`running container create option: ${NAME_REGEX_ERROR}`);
    const id = generateId();
    const conf = loadContainersConf();
    const stopSignal =
      req.config.stopSignal ??
      (cfgImage.StopSignal
        ? signalNumber(cfgImage.StopSignal)
        : defaultStopSignal(req.config.systemd ?? 'true', { ...req.config, cmd: req.command }, cfgImage));
    const config: ContainerConfig = {
      image: req.image,
      entrypoint: [],
      entrypointSet: false,
      cmd: req.command,
      env: [],
      workdir: '',
      user: '',
      hostname: id.slice(0, 12),
      labels: { ...(cfgImage.Labels ?? {}) },
      annotations: {},
      mounts: [],
      network: defaultNetworkMode(),
      stopSignal,
      stopTimeout: conf.stopTimeout ?? 10,
      autoRemove: false,
      tty: false,
      stdin: false,
      logDriver: 'k8s-file',
      sdnotify: 'container',
      sdNotifySocket: '',
      preserveFds: 0,
      privileged: false,
      readOnly: false,
      systemd: 'true',
      capAdd: [],
      capDrop: [],
      init: false,
      restartPolicy: '',
      createCommand: process.argv.slice(1),
      ...stripUndefined(req.config),
      ...(rootfs ? { rootfs } : {}),
    };
    config.labels = { ...(cfgImage.Labels ?? {}), ...(req.config.labels ?? {}) };
    if (req.config.stopSignal === undefined) config.stopSignal = stopSignal;
    if (chooseCgroupManager(this.opts.cgroupManager ?? conf.cgroupManager, (m) => log('warn', m)) === 'systemd') config.cgroupManager = 'systemd';
    else delete config.cgroupManager;
    if (!req.config.hostname) config.hostname = id.slice(0, 12);
    if (this.opts.runtime) config.ociRuntime = this.opts.runtime; // as given: a full path stays one
    if (config.sdnotify !== 'ignore' && !config.sdNotifySocket) config.sdNotifySocket = process.env.NOTIFY_SOCKET ?? '';
    if (parseRestartPolicy(config.restartPolicy).name !== 'no' && config.autoRemove)
      throw invalidArgument('the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"');
    Object.assign(config, containerHealth(req, (cfgImage as { Healthcheck?: HealthConfig }).Healthcheck));
    for (const m of config.mounts) {
      if (m.type === 'bind' && !fs.existsSync(m.source))
        throw invalidArgument(`statfs ${m.source}: no such file or directory`);
    }

    // --userns=auto: the image scan and /etc/subuid now; only the choice of ids under the lock.
    const autoUserns = config.idMappings?.auto ? autoUsernsRequest(config.idMappings.auto, image ? layerPaths(this.paths, image) : config.rootfs ? [config.rootfs.path] : []) : undefined;
    const now = new Date().toISOString();
    const rec = this.store.update((db) => {
      const all = Object.values(db.containers);
      let name = req.name;
      if (name !== undefined) {
        const holder = all.find((c) => c.name === name);
        if (holder && !req.replace)
          throw new EngineError(
            'name-in-use',
            `creating container storage: the container name "${name}" is already in use by ${holder.id}. You have to remove that container to be able to reuse that name: that name is already in use`,
          );
      } else {
        name = generateName((n) => all.some((c) => c.name === n));
      }
      const record: ContainerRecord = {
        id,
        name,
        created: now,
        imageId: image?.id ?? '',
        imageName: image ? (match?.name ?? image.names[0] ?? image.id) : (rootfs?.path ?? ''), // the name it was created by, as Podman
        ...(image?.digest ? { imageDigest: image.digest } : {}),
        config,
        state: {
          status: 'created',
          pid: 0,
          conmonPid: 0,
          exitCode: 0,
          startedAt: '',
          finishedAt: '',
          error: '',
          restartCount: 0,
          mounted: false,
        },
      };
      if (req.replace && req.name !== undefined && all.some((c) => c.name === req.name)) {
        return { ...record, replaceFirst: true } as ContainerRecord & { replaceFirst?: boolean };
      }
      if (config.pod !== undefined) joinPod(db, config, req.config.hostname !== undefined); // the pod's infra container lends its namespaces and ports
      resolveNetworkConfig(this.paths, db, id, config, cfgImage.ExposedPorts); // networks checked, host ports chosen
      if (config.secrets?.length) config.secrets = resolveSecretRefs(db, config.secrets); // under the lock: rm cannot race
      // Named volumes are made on demand, the image's VOLUME paths get anonymous ones (last: they make directories).
      config.mounts = attachVolumes(db, this.paths, resolveImageVolumes(db, config.mounts), Object.keys(cfgImage.Volumes ?? {}));
      if (autoUserns && config.idMappings) Object.assign(config.idMappings, allocateAutoUserns(autoUserns, all));
      db.containers[id] = record;
      return record;
    });
    if ((rec as ContainerRecord & { replaceFirst?: boolean }).replaceFirst) {
      // --replace: the old container goes first, then the name is taken again (atomically).
      this.remove(req.name as string, { force: true, ignoreMissing: true });
      return this.create({ ...req, replace: false });
    }
    fs.mkdirSync(containerDir(this.paths, id), { recursive: true, mode: 0o700 });
    emitEvent(this.paths, { Type: 'container', Status: 'create', ID: id, Name: rec.name, Image: req.image, Attributes: labelAttributes(rec.config.labels) });
    return rec;
  }

  // ---- start

  /**
   * Creates the container in the runtime under a new monitor and returns once it
   * exists (not yet started), so a client can attach before any output is produced.
   */
  private async init(rec: ContainerRecord, opts: StartOptions): Promise<{ pid: number; conmonPid: number }> {
    try {
      return await this.initRun(rec, opts);
    } catch (err) {
      // No monitor runs for this run (or it was killed): undo the mount and the endpoints here. Idempotent.
      try {
        this.teardown(this.get(rec.id));
      } catch {
        /* the first error is the one to report */
      }
      throw err;
    }
  }

  private async initRun(rec: ContainerRecord, opts: StartOptions): Promise<{ pid: number; conmonPid: number }> {
    // A new run: from now on the previous run's cleanup (its monitor's exit command) leaves it alone.
    const runId = randomBytes(8).toString('hex');
    const claimed = this.store.update((db) => {
      const cur = db.containers[rec.id];
      if (!cur) return false;
      if (opts.restartOf !== undefined && (cur.state.stoppedByUser || (cur.state.runId ?? '') !== opts.restartOf || cur.state.status === 'running')) return false;
      const taken = hostPortConflict(db, cur.id, cur.config.ports ?? [], (other) => !readExitFile(this.paths, other.id));
      if (taken) throw taken;
      cur.state.runId = runId;
      cur.state.stoppedByUser = false;
      return true;
    });
    if (!claimed && opts.restartOf !== undefined)
      throw new EngineError('state-improper', `container ${rec.id} was stopped or started meanwhile: restart policy not applied`);
    this.cleanupRuntime(rec); // a previous run's leftovers
    this.checkRuntimeFlags(rec);
    const image = rec.config.rootfs ? undefined : this.imageOf(rec);
    // The monitor's Node starts now, while the mount and the spec are prepared; it gets its configuration below.
    const fdShape = opts.fds?.count ?? (rec.config.preserveFds > 0 ? rec.config.preserveFds : 0);
    const monitor = prestartMonitor({ fdCount: fdShape, logDriver: rec.config.logDriver });
    try {
      return await this.prepareAndStart(rec, opts, runId, image, monitor);
    } finally {
      monitor.cancel(); // no-op once started
    }
  }

  private async prepareAndStart(rec: ContainerRecord, opts: StartOptions, runId: string, image: ImageRecord | undefined, monitor: PendingMonitor): Promise<{ pid: number; conmonPid: number }> {
    const bundle = bundleDir(this.paths, rec.id);
    fs.mkdirSync(bundle, { recursive: true, mode: 0o700 });
    fs.rmSync(exitFile(this.paths, rec.id), { force: true });
    fs.mkdirSync(exitDir(this.paths), { recursive: true });
    const idm = rec.config.idMappings;
    const leftOut = userLeftOut(idm);
    if (idm) (leftOut ? chownToContainerRoot : (d: string, m: typeof idm) => openBundleForUserns(this.paths.runroot, d, m))(bundle, idm);
    const rootfs = this.mountRoot(rec);
    // The user's run-time directory is closed to such a container's root: the runtime takes its (id-shifted) copy in the store.
    const runtimeRootfs = leftOut && idm ? rootfsCopyDir(this.paths, rec.id) : rootfs;
    if (leftOut && idm) {
      // Search (never listing) down to containers/; the container's own directory belongs to its root (0700), as its bundle.
      openPathForUserns(this.paths.root, path.dirname(containerDir(this.paths, rec.id)), idm, 'its store');
      chownToContainerRoot(containerDir(this.paths, rec.id), idm);
    }
    ensureMtab(rootfs);
    if (rec.config.idMappings?.keepId && !rec.config.user) addKeepIdUser(rootfs, rec.config.idMappings.keepId);
    const c = rec.config;
    const notifySocket = c.sdnotify === 'container' ? c.sdNotifySocket || opts.notifySocket || '' : '';
    const fds = opts.fds ?? (c.preserveFds > 0 ? { count: c.preserveFds, listen: false } : undefined);
    const mounts = prepareMounts(this.store, rec, rootfs); // volumes: data directories, copied up when fresh
    const net = allocateEndpoints(this, rec.id); // addresses first: /etc/hosts lists them
    const bridges = prepareBridges(this, net.rec); // a cold network's bridge and NAT, while the monitor starts
    const secrets = materializeSecrets(this.store, c.secrets ?? [], bundle);
    const spec = generateSpec({
      ctr: { ...rec, config: { ...rec.config, mounts: [...mounts, ...secrets.mounts], env: [...rec.config.env, ...secrets.env] } },
      image: image ? (imageConfig(this.paths, image.id).config ?? ({} as ImageDefaults)) : ({} as ImageDefaults),
      rootfs: runtimeRootfs,
      etcFiles: writeEtcFiles(this.paths, net.rec, net.db),
      netnsPath: this.sharedNetns(rec),
      sharedNsPaths: podNamespacePaths(this.paths, this.store.read(), rec),
      listen: fds?.listen ? { count: fds.count, names: fds.names } : undefined,
      notifySocketDir: notifySocket ? path.join(bundle, 'notify') : undefined,
    });
    if (c.tty && opts.consoleSize && spec.process) spec.process.consoleSize = { height: opts.consoleSize.rows, width: opts.consoleSize.cols };
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    const runtime = this.runtime(rec);
    const logPath = path.join(containerDir(this.paths, rec.id), 'ctr.log');
    const started = await monitor.start({
      id: rec.id,
      bundle,
      runroot: this.paths.runroot,
      runtime: runtime.runtime.path,
      runtimeStateRoot: runtime.stateRoot,
      ...(runtime.flags ? { runtimeFlags: runtime.flags } : {}),
      runtimeScript: entryScript('tspod-runtime'),
      pidFile: path.join(bundle, 'pidfile'),
      runtimeLog: path.join(bundle, 'oci-log'),
      ...(c.cgroupManager === 'systemd' ? { systemdCgroup: true } : {}),
      exitFile: exitFile(this.paths, rec.id),
      logPath: c.logDriver === 'k8s-file' ? logPath : '',
      logDriver: c.logDriver,
      stdin: c.stdin,
      tty: c.tty,
      fdCount: fds?.count ?? 0,
      listen: fds?.listen ?? false,
      listenFdNames: fds?.names,
      notifySocket,
      exitCommand: this.exitCommand(rec, runId),
      commandEnv: tspodCommandEnv(),
      ...(c.healthcheck?.Interval ? { healthcheck: this.healthcheckTimer(rec) } : {}),
      ...(c.timeout ? { timeout: c.timeout } : {}),
      ...(c.logSizeMax ? { logSizeMax: c.logSizeMax } : {}),
    });
    if (started.report.error !== undefined || !started.report.pid) {
      this.cleanupRuntime(net.rec);
      throw runtimeStartError(this.runtime(rec).runtime.name, started.report.error ?? 'unknown runtime error');
    }
    try {
      await bridges;
      connectEndpoints(this, net.rec, started.report.pid); // the netns exists, the process has not started yet
      if (isUserMode(c.network)) await this.startUserNet(net.rec, started.report.pid);
    } catch (err) {
      this.killPid(started.report.pid, 9);
      this.cleanupRuntime(net.rec);
      throw err;
    }
    // The container holds the handed-over fds now; our copies would only keep the sockets alive.
    if (opts.fds) for (const fd of listenFdNumbers(opts.fds.count)) fs.closeSync(fd);
    // --conmon-pidfile: rewritten at each start, as Podman's conmon does
    if (c.conmonPidFile) fs.writeFileSync(c.conmonPidFile, `${started.conmonPid}`);
    return { pid: started.report.pid, conmonPid: started.conmonPid };
  }

  /** slirp4netns/pasta for this run, recorded so that cleanup ends it. */
  private async startUserNet(rec: ContainerRecord, pid: number): Promise<void> {
    const userNet = await startUserNetwork(this.paths, rec, pid);
    rec.state.userNet = userNet; // the caller's cleanup on a later failure finds it here
    this.store.update((db) => {
      const cur = db.containers[rec.id];
      if (cur) cur.state.userNet = userNet;
    });
  }


  /** tspod with this engine's store and runtime, for the commands a monitor runs later. */
  private tspodWithStore(): string[] {
    return [
      ...tspodCommand(),
      '--root',
      this.paths.root,
      '--runroot',
      this.paths.runroot,
      ...(this.paths.volumePath ? ['--volumepath', this.paths.volumePath] : []),
      ...(this.opts.runtime ? ['--runtime', this.opts.runtime] : []),
      ...(this.opts.runtimeFlags ?? []).flatMap((f) => ['--runtime-flag', f]),
    ];
  }

  /** What the monitor runs every health check interval (Podman: a systemd timer). */
  private healthcheckTimer(rec: ContainerRecord): MonitorConfig['healthcheck'] {
    const interval = rec.config.healthcheck?.Interval ?? 0;
    if (interval <= 0) return undefined;
    return { command: [...this.tspodWithStore(), 'healthcheck', 'run', rec.id], intervalMs: Math.round(interval / 1e6) };
  }

  private exitCommand(rec: ContainerRecord, runId: string): string[] {
    return [
      ...this.tspodWithStore(),
      'container',
      'cleanup',
      ...(rec.config.autoRemove ? ['--rm'] : []),
      '--run-id',
      runId,
      rec.id,
    ];
  }

  private async startRuntime(rec: ContainerRecord, pid: number, conmonPid: number): Promise<void> {
    const r = await runRuntimeAsync(this.runtime(rec), ['start', rec.id]);
    if (r.status !== 0) {
      this.killPid(pid, 9);
      throw runtimeStartError(this.runtime(rec).runtime.name, r.stderr.trim() || `runtime start exited with ${r.status}`);
    }
    const removed = this.store.update((db) => {
      const cur = db.containers[rec.id];
      if (!cur) return true;
      Object.assign(cur.state, {
        status: 'running',
        initialized: false,
        paused: false,
        stopping: false,
        mounted: true,
        pid,
        conmonPid,
        exitCode: 0,
        oomKilled: false,
        startedAt: new Date().toISOString(),
        finishedAt: '',
        error: '',
      });
      return false;
    });
    if (removed) {
      // removed while it was starting (a restart policy's start racing `rm -f`): it must not run on unrecorded
      this.killPid(pid, 9);
      throw noSuchContainer(rec.id);
    }
    emitEvent(this.paths, { Type: 'container', Status: 'start', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
  }

  private assertStartable(rec: ContainerRecord): void {
    if (rec.state.status === 'running')
      throw new EngineError('already-running', `container ${rec.id} is already running`);
  }

  /**
   * `init`: the container is made in the runtime (mounts, namespaces, network,
   * its monitor) without its process started; the next start only starts it.
   */
  async initContainer(idOrName: string): Promise<ContainerRecord> {
    const infra = podInfraToStart(this.store.read(), this.lookup(this.store.read(), idOrName));
    if (infra) await this.start(infra); // a pod's container joins its infra's namespaces
    return this.withContainer(idOrName, async (rec) => {
      if (rec.state.initialized) return rec; // Podman: a no-op
      if (rec.state.status === 'running')
        throw new EngineError('state-improper', `container ${rec.id} has already been created in runtime: container state improper`);
      if (rec.config.listen?.length) throw new EngineError('state-improper', `container ${rec.id} is started by its listener (--listen): container state improper`);
      const { pid, conmonPid } = await this.init(rec, {});
      this.store.update((db) => {
        const cur = db.containers[rec.id];
        if (cur) Object.assign(cur.state, { status: 'created', initialized: true, pid, conmonPid, mounted: true, error: '' });
      });
      emitEvent(this.paths, { Type: 'container', Status: 'init', ID: rec.id, Name: rec.name, Image: rec.config.image });
      return this.get(rec.id);
    });
  }

  /** Starts the process of an initialized container; on failure its runtime container is released. */
  private async startInitialized(rec: ContainerRecord): Promise<void> {
    try {
      await this.startRuntime(rec, rec.state.pid, rec.state.conmonPid);
    } catch (err) {
      this.teardown(this.get(rec.id), true);
      throw err;
    }
  }

  /** Starts a container detached. */
  async start(idOrName: string, opts: StartOptions = {}): Promise<ContainerRecord> {
    const infra = podInfraToStart(this.store.read(), this.lookup(this.store.read(), idOrName));
    if (infra) await this.start(infra); // a pod's container joins its infra's namespaces
    return this.withContainer(idOrName, async (rec) => {
      if (rec.state.paused) throw new EngineError('state-improper', `cannot start paused container ${rec.id}: container state improper`);
      if (rec.state.status === 'running') return rec; // Podman: starting a running container is a no-op
      if (rec.state.initialized) {
        await this.startInitialized(rec);
        this.sendNotify(rec, rec.state.conmonPid, opts);
        return this.get(rec.id);
      }
      if (rec.config.listen?.length && !opts.fds) {
        await armListener(this.paths, this.store, rec, this.opts.runtime); // scale to zero: started on a connection
        return this.get(rec.id);
      }
      const { pid, conmonPid } = await this.init(rec, opts);
      if (rec.config.listen?.length) countActivation(this.store, rec.id);
      await this.startRuntime(rec, pid, conmonPid);
      this.sendNotify(rec, conmonPid, opts);
      return this.get(rec.id);
    });
  }

  /**
   * Starts a container attached to the given streams and resolves with its exit
   * code once it exits. `onRunning` gets the pid (for signal proxying).
   */
  async startAttached(
    idOrName: string,
    streams: AttachStreams,
    opts: StartOptions & { onRunning?: (pid: number) => void } = {},
  ): Promise<number> {
    const infra = podInfraToStart(this.store.read(), this.lookup(this.store.read(), idOrName));
    if (infra) await this.start(infra); // a pod's container joins its infra's namespaces
    const { rec, pid, conmonPid, pump } = await this.withContainer(idOrName, async (rec) => {
      this.assertStartable(rec);
      const { pid, conmonPid } = rec.state.initialized ? rec.state : await this.init(rec, opts);
      const passthrough = rec.config.logDriver === 'passthrough';
      const sock = passthrough ? undefined : await connectAttach(bundleDir(this.paths, rec.id), conmonPid);
      // Read the attach socket before the runtime starts the process: a short-lived container's
      // output and the monitor's end of the socket may come while the start is awaited.
      const pump = sock ? pumpAttach(sock, streams) : undefined;
      try {
        await this.startRuntime(rec, pid, conmonPid);
      } catch (err) {
        sock?.destroy();
        throw err;
      }
      return { rec, pid, conmonPid, pump };
    });
    this.sendNotify(rec, conmonPid, opts);
    opts.onRunning?.(pid);
    if (rec.config.tty) streams.onTerminal?.((rows, cols) => resizeContainerTerminal(bundleDir(this.paths, rec.id), rows, cols));
    if (pump) await pump;
    const running = { ...rec, state: { ...rec.state, pid, conmonPid } };
    const exit = readExitFile(this.paths, rec.id) ?? (await waitForExit(this.paths, running));
    this.get(rec.id); // record the exit
    return exit?.code ?? -1;
  }

  /** sd_notify from the engine process: MAINPID (and READY for conmon mode), as Podman does. */
  private sendNotify(rec: ContainerRecord, conmonPid: number, opts: StartOptions): void {
    const mode = rec.config.sdnotify;
    if (mode === 'ignore') return;
    const target = rec.config.sdNotifySocket || opts.notifySocket || process.env.NOTIFY_SOCKET;
    if (!target) return;
    const msg = mode === 'conmon' ? `MAINPID=${conmonPid}\nREADY=1` : `MAINPID=${conmonPid}`;
    try {
      native().dgramSend(target, Buffer.from(msg));
    } catch {
      /* Podman only logs this */
    }
  }

  /** Sets the window size of a running container's terminal (no-op without one). */
  resizeTerminal(idOrName: string, rows: number, cols: number): void {
    const rec = this.get(idOrName);
    if (rec.state.status !== 'running') throw new EngineError('state-improper', `container ${rec.id} is not running: container state improper`);
    if (rec.config.tty) resizeContainerTerminal(bundleDir(this.paths, rec.id), rows, cols);
  }

  /** Waits for a running container to exit; returns its exit code. */
  async wait(idOrName: string): Promise<number> {
    const rec = this.get(idOrName);
    if (rec.state.status !== 'running') return rec.state.exitCode;
    const exit = await waitForExit(this.paths, rec);
    this.get(rec.id);
    return exit?.code ?? -1;
  }

  // ---- signals and stop

  private killPid(pid: number, sig: number): void {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }

  kill(idOrName: string, signal: number): ContainerRecord {
    const rec = this.get(idOrName);
    if (rec.state.status !== 'running')
      throw new EngineError('state-improper', `can only kill running containers. ${rec.id} is in state ${rec.state.status}: container state improper`);
    this.markStoppedByUser(rec.id);
    this.killPid(rec.state.pid, signal);
    if (signal === 9) this.thawAfterSignal(rec.id); // a frozen cgroup gets SIGKILL only once thawed
    emitEvent(this.paths, { Type: 'container', Status: 'kill', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
    return rec;
  }

  /** Thaws a paused container after a signal was queued for it (no-op otherwise). */
  private thawAfterSignal(id: string): void {
    if (!this.store.read().containers[id]?.state.paused) return;
    runRuntime(this.runtime(), ['resume', id]);
    this.store.updateUnlessFull((db) => {
      const cur = db.containers[id];
      if (cur) cur.state.paused = false;
    });
  }

  /** `pause` (freeze) or `unpause` (thaw) a running container through the runtime. */
  async setPaused(idOrName: string, paused: boolean): Promise<ContainerRecord> {
    return this.withContainer(idOrName, async (rec) => {
      const s = rec.state;
      const shown = s.status === 'stopped' ? 'exited' : s.status;
      // Podman 4.3's words: the state for "not running", the id otherwise
      if (!paused && !(s.status === 'running' && s.paused)) throw new EngineError('state-improper', `"${rec.id}" is not paused, can't unpause: container state improper`);
      if (paused && s.status === 'running' && s.paused) throw new EngineError('state-improper', `"${rec.id}" is already paused: container state improper`);
      if (paused && s.status !== 'running') throw new EngineError('state-improper', `"${shown}" is not running, can't pause: container state improper`);
      const r = runRuntime(this.runtime(rec), [paused ? 'pause' : 'resume', rec.id]);
      if (r.status !== 0) throw new EngineError('runtime', `${paused ? 'pausing' : 'unpausing'} container ${rec.id}: ${r.stderr.trim()}`);
      this.store.update((db) => {
        const cur = db.containers[rec.id];
        if (cur) cur.state.paused = paused;
      });
      emitEvent(this.paths, { Type: 'container', Status: paused ? 'pause' : 'unpause', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
      return this.get(rec.id);
    });
  }

  /** The user ended this run: restart policies leave it down (until the next start). */
  private markStoppedByUser(id: string): void {
    // not saved on a full disk: stop and rm must go on there (rm frees space)
    this.store.updateUnlessFull((db) => {
      const cur = db.containers[id];
      if (cur && !cur.state.stoppedByUser) cur.state.stoppedByUser = true;
    });
  }

  /** Sends the stop signal, then SIGKILL after the timeout; returns any warning to print. */
  async stop(idOrName: string, timeout?: number): Promise<{ rec: ContainerRecord; warning?: string }> {
    this.markStoppedByUser(this.idOf(idOrName)); // at once: also between a policy restart's exit and its start
    return this.withContainer(idOrName, (rec) => this.stopHeld(rec, timeout));
  }

  /** stop with the container's lock held. */
  private async stopHeld(rec: ContainerRecord, timeout?: number): Promise<{ rec: ContainerRecord; warning?: string }> {
    this.markStoppedByUser(rec.id);
    disarmListener(this.store, rec); // --listen: the port refuses from now on
    if (rec.state.status !== 'running') {
      this.teardown(rec); // an exit nobody has cleaned up after yet
      return { rec: this.get(rec.id) };
    }
    const t = timeout ?? rec.config.stopTimeout;
    let warning: string | undefined;
    const setStopping = (on: boolean) =>
      this.store.updateUnlessFull((db) => {
        const cur = db.containers[rec.id];
        if (cur && (cur.state.stopping ?? false) !== on) cur.state.stopping = on;
      });
    // "stopping" is shown while a stop timeout runs; with none (-t 0) there is nothing to show
    if (t > 0) setStopping(true);
    try {
      if (t > 0) {
        this.killPid(rec.state.pid, rec.config.stopSignal);
        this.thawAfterSignal(rec.id); // a paused container handles its stop signal once thawed
        const exit = await waitForExit(this.paths, rec, t * 1000);
        if (!exit) {
          warning = `StopSignal ${signalName(rec.config.stopSignal)} failed to stop container ${rec.name} in ${t} seconds, resorting to SIGKILL`;
        }
      }
      if (!readExitFile(this.paths, rec.id)) {
        this.killPid(rec.state.pid, 9);
        this.thawAfterSignal(rec.id);
        await waitForExit(this.paths, rec, 5000);
      }
    } finally {
      if (t > 0) setStopping(false);
    }
    await this.deleteRuntimeAsync(this.get(rec.id)); // off the event loop, before the record says stopped
    this.store.updateUnlessFull((db) => {
      const cur = db.containers[rec.id];
      this.recordExit(cur);
      if (cur) delete cur.state.stopping;
      if (cur && cur.state.status === 'exited') cur.state.status = 'stopped';
    });
    emitEvent(this.paths, { Type: 'container', Status: 'stop', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
    this.teardown(this.get(rec.id));
    return { rec: this.get(rec.id), warning };
  }

  // ---- cleanup and removal
  // Teardown happens under the container's lock only, by whoever finds the run
  // over first (stop, the monitor's cleanup, rm, the next start); every step is
  // idempotent, so a later one finds nothing left to do.

  /**
   * Releases what a run held: the runtime's container, the rootfs mount, network
   * endpoints. Idempotent. A run still going is left alone unless `force` (rm
   * after SIGKILL): runc's delete --force then ends it.
   */
  cleanupRuntime(rec: ContainerRecord, force = false): void {
    if (!force && rec.state.status === 'running' && !readExitFile(this.paths, rec.id)) return;
    const stateDir = path.join(runtimeStateDir(this.paths), rec.id);
    let failed: EngineError | undefined;
    if (fs.existsSync(stateDir)) {
      const r = runRuntime(this.runtime(rec), ['delete', '--force', rec.id]);
      if (r.status !== 0 && fs.existsSync(stateDir))
        failed = new EngineError('runtime', `removing the runtime's state of container ${rec.id}: ${r.stderr.trim() || `exit status ${r.status}`}`);
    }
    if (!this.store.read().containers[rec.id]?.state.userMounts) unmountRootfs(this.paths, rec.id); // `mount` keeps it for the user
    if (rec.config.isInfra) unmountPodShm(this.paths, rec.id);
    unmountImageVolumes(this.paths, rec.id);
    releaseEndpoints(this, rec);
    stopUserNetwork(this.paths, rec.id, rec.state.userNet);
    const owner = sharedNetworkOwner(rec);
    if (owner) this.store.locked(() => refreshSharedHosts(this.paths, this.store.read(), owner, { leaving: rec.id })); // its 127.0.0.1 line goes
    if (failed) throw failed; // after the rest is released: a retry (rm -f again) only has this left
  }

  /**
   * The runtime's delete, first and without blocking the event loop (the API service): the
   * cleanupRuntime that follows then finds nothing left for it there (and reports a delete
   * that failed, trying once more).
   */
  private async deleteRuntimeAsync(rec: ContainerRecord, force = false): Promise<void> {
    if (!force && rec.state.status === 'running' && !readExitFile(this.paths, rec.id)) return;
    if (fs.existsSync(path.join(runtimeStateDir(this.paths), rec.id))) await runRuntimeAsync(this.runtime(rec), ['delete', '--force', rec.id]);
  }

  /** cleanupRuntime, and the record says the rootfs is no longer mounted; with the container's lock held. */
  private teardown(rec: ContainerRecord, force = false): void {
    this.cleanupRuntime(rec, force);
    this.store.updateUnlessFull((db) => {
      const cur = db.containers[rec.id];
      if (cur && cur.state.mounted && cur.state.status !== 'running' && !cur.state.userMounts) cur.state.mounted = false;
      if (cur?.state.initialized) cur.state.initialized = false; // its runtime container is gone
      if (cur && cur.state.userNet && cur.state.status !== 'running') delete cur.state.userNet;
    });
  }

  /** `--network container:X`: X's network namespace, which X must be running to lend. */
  private sharedNetns(rec: ContainerRecord): string | undefined {
    if (!rec.config.network.startsWith('container:')) return undefined;
    const owner = this.get(rec.config.network.slice('container:'.length));
    if (owner.state.status !== 'running')
      throw new EngineError('state-improper', `cannot join the network namespace of container ${owner.id}: it is not running: container state improper`);
    return `/proc/${owner.state.pid}/ns/net`;
  }

  /** The monitor's exit command: record the exit, release resources, honour --rm and the restart policy. */
  async cleanup(idOrName: string, rm: boolean, runId?: string): Promise<void> {
    if (!fs.existsSync(dbFile(this.paths))) return; // the whole store is gone: nothing to clean, nothing to recreate
    let restart = false;
    let done: ContainerRecord | undefined;
    try {
      done = await this.withContainer(idOrName, async (rec) => {
        if (runId && rec.state.runId && rec.state.runId !== runId) return undefined; // a newer run owns it now
        if (rec.state.status === 'running') return undefined;
        this.teardown(rec);
        return this.store.update((db) => {
          const cur = db.containers[rec.id];
          if (!cur) return undefined;
          const s = cur.state;
          restart = shouldRestart(parseRestartPolicy(cur.config.restartPolicy), {
            exitCode: s.exitCode,
            stoppedByUser: s.stoppedByUser ?? false,
            restartCount: s.restartCount,
            autoRemove: rm,
          });
          if (restart) s.restartCount++;
          return structuredClone(cur);
        });
      });
    } catch (err) {
      if (err instanceof EngineError && err.kind === 'no-such-container') return; // already removed
      throw err;
    }
    if (!done) return;
    // a pod with exit policy "stop" stops when its last container exits (lib/pod)
    if (done.config.pod && !restart) await (require('../pod/pods') as typeof import('../pod/pods')).applyExitPolicy(this, done.config.pod);
    if (rm) await this.removeAsync(done.id, { force: true, ignoreMissing: true, volumes: true });
    if (rm) return;
    if (restart)
      try {
        const started = await this.start(done.id, { restartOf: done.state.runId ?? '' });
        if (started.state.stoppedByUser) await this.stop(done.id, 0); // the user's stop came while it was starting
      } catch (err) {
        if (!(err instanceof EngineError && (err.kind === 'state-improper' || err.kind === 'no-such-container'))) throw err;
      }
  }

  /** Refuses a running container without force. */
  private assertRemovable(rec: ContainerRecord, opts: { force?: boolean }): void {
    if (rec.state.status === 'running' && !opts.force)
      throw new EngineError(
        'state-improper',
        `cannot remove container ${rec.id} as it is running - running or paused containers cannot be removed without force: container state improper`,
      );
  }

  /**
   * The id of a container to remove (undefined when missing and that is fine). A
   * running one (with force) gets SIGKILL at once unless it is to be stopped
   * gracefully, before waiting for its lock: a stop holding the lock ends soon then.
   */
  private prepareRemoval(idOrName: string, opts: { force?: boolean; ignoreMissing?: boolean; timeout?: number; podRemoval?: boolean }): string | undefined {
    let rec: ContainerRecord;
    try {
      rec = this.get(idOrName);
    } catch (err) {
      if (opts.ignoreMissing && err instanceof EngineError && err.kind === 'no-such-container') return undefined;
      throw err;
    }
    if (rec.config.isService) {
      // it goes with the last of its pods (lib/pod removePod)
      const pods = Object.values(this.store.read().pods ?? {}).filter((p) => p.serviceContainer === rec.id);
      if (pods.length)
        throw new EngineError('ctr-exists', `container ${rec.id} is the service container of pod(s) ${pods.map((p) => p.id).join(', ')} and cannot be removed without removing the pod(s)`);
    }
    // The infra container holds the pod's namespaces: it goes only with its pod (lib/pod removePod), even with force.
    const pod = rec.config.isInfra && rec.config.pod ? this.store.read().pods?.[rec.config.pod] : undefined;
    if (pod && !opts.podRemoval)
      throw new EngineError('invalid-argument', `container ${rec.id} is the infra container of pod ${pod.id} and cannot be removed without removing the pod`);
    this.assertRemovable(rec, opts);
    // Also cancels a restart policy's pending start. A stopped container without a policy has
    // none to cancel (and a start resets the flag): one store write less for every `run --rm`.
    if (rec.state.status === 'running' || parseRestartPolicy(rec.config.restartPolicy).name !== 'no') this.markStoppedByUser(rec.id);
    if (rec.state.status === 'running' && opts.timeout === 0) {
      this.killPid(rec.state.pid, 9);
      this.thawAfterSignal(rec.id);
    }
    return rec.id;
  }

  /**
   * `rm`: a running container (with force) is stopped first as Podman's `rm -f`: its stop
   * signal, then SIGKILL after `timeout` seconds (the container's stop timeout when not given;
   * 0 kills at once, as Docker's `rm -f`).
   */
  async removeAsync(idOrName: string, opts: { force?: boolean; ignoreMissing?: boolean; timeout?: number; volumes?: boolean; podRemoval?: boolean }): Promise<string | undefined> {
    const id = this.prepareRemoval(idOrName, opts);
    if (!id) return undefined;
    try {
      return await this.withContainer(id, async (rec) => {
        this.assertRemovable(rec, opts);
        return await this.withRemovalMarker(rec, async () => {
          if (rec.state.status === 'running') await this.stopHeld(rec, opts.timeout);
          return await this.removeHeldAsync(rec, opts);
        });
      });
    } catch (err) {
      return removedMeanwhile(err, idOrName, opts);
    }
  }

  /** Removes a container (with `volumes`, its anonymous volumes too); a running one (with force) is killed first. */
  remove(idOrName: string, opts: { force?: boolean; ignoreMissing?: boolean; volumes?: boolean; podRemoval?: boolean }): string | undefined {
    const id = this.prepareRemoval(idOrName, opts);
    if (!id) return undefined;
    try {
      return this.locks.withSync(id, () => {
        const rec = this.get(id);
        this.assertRemovable(rec, opts);
        return this.withRemovalMarker(rec, () => {
          if (rec.state.status === 'running') {
            this.killPid(rec.state.pid, 9);
            this.thawAfterSignal(rec.id);
            const deadline = Date.now() + 5000;
            while (!readExitFile(this.paths, rec.id) && Date.now() < deadline) sleepSync(20);
          }
          return this.removeHeld(rec, opts);
        });
      });
    } catch (err) {
      return removedMeanwhile(err, idOrName, opts);
    }
  }

  /**
   * Runs a removal with the container's removal marker in its bundle: its monitor, seeing the
   * container die, then starts no `container cleanup` exit command (a whole tspod process per
   * rm, for work this removal does itself). A removal that fails takes the marker back, so the
   * container's next exit is cleaned up as usual.
   */
  private withRemovalMarker<T>(rec: ContainerRecord, removal: () => T): T {
    const marker = path.join(bundleDir(this.paths, rec.id), REMOVAL_MARKER);
    try {
      fs.writeFileSync(marker, '', { mode: 0o600 });
    } catch {
      /* no bundle (never started): no monitor to tell */
    }
    const takeBack = () => fs.rmSync(marker, { force: true });
    try {
      const result = removal();
      if (result instanceof Promise) return result.catch((err: unknown) => (takeBack(), Promise.reject(err))) as T;
      return result;
    } catch (err) {
      takeBack();
      throw err;
    }
  }

  /** The removal itself, with the container's lock held and its process gone (or killed). */
  private removeHeld(rec: ContainerRecord, opts: { volumes?: boolean }): string {
    this.beginRemoval(rec);
    // Slow work first, outside the store lock: the runtime, the mount, the network, the rootfs data
    // (no record write before the space is freed: the record goes anyway).
    this.cleanupRuntime(this.get(rec.id), true);
    removeRootfsStorage(this.paths, rec.id);
    this.assertUnmounted(rec);
    fs.rmSync(bundleDir(this.paths, rec.id), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    return this.finishRemoval(rec, opts);
  }

  /** removeHeld with the runtime call and the file removal off the event loop (rm through the API). */
  private async removeHeldAsync(rec: ContainerRecord, opts: { volumes?: boolean }): Promise<string> {
    this.beginRemoval(rec);
    await this.deleteRuntimeAsync(this.get(rec.id), true);
    this.cleanupRuntime(this.get(rec.id), true);
    await removeRootfsStorageAsync(this.paths, rec.id);
    this.assertUnmounted(rec);
    await fs.promises.rm(bundleDir(this.paths, rec.id), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    return this.finishRemoval(rec, opts);
  }

  private beginRemoval(rec: ContainerRecord): void {
    disarmListener(this.store, rec);
    this.store.updateUnlessFull((db) => this.recordExit(db.containers[rec.id])); // rm must go on (and free space) on a full disk
  }

  private assertUnmounted(rec: ContainerRecord): void {
    if (isMountPoint(rootfsMountDir(this.paths, rec.id)))
      throw new EngineError('internal', `the root filesystem of container ${rec.id} is still mounted: not removing its files`);
  }

  /** The exit file, the cidfile, then the record and its directory in one store transaction. */
  private finishRemoval(rec: ContainerRecord, opts: { volumes?: boolean }): string {
    fs.rmSync(exitFile(this.paths, rec.id), { force: true });
    removeCidfile(rec);
    // One transaction: the record and its directory (with the lock file) go together.
    this.store.locked(() => {
      const db = this.store.read();
      const cur = db.containers[rec.id];
      if (!cur) return;
      // rm -v, and always for --rm containers (Docker and Podman drop their anonymous volumes)
      const anonymous = opts.volumes || cur.config.autoRemove ? anonymousVolumes(db, cur) : [];
      delete db.containers[rec.id];
      for (const v of anonymous) if (volumeUsers(db, v).length === 0) dropVolume(db, this.paths, v);
      this.store.writeUnlocked(db, { freesSpace: true });
      fs.rmSync(containerDir(this.paths, rec.id), { recursive: true, force: true });
    });
    emitEvent(this.paths, { Type: 'container', Status: 'remove', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
    return rec.id;
  }

  rename(idOrName: string, newName: string): void {
    if (!validateName(newName)) throw invalidArgument(NAME_REGEX_ERROR);
    this.store.update((db) => {
      const rec = this.lookup(db, idOrName);
      const holder = Object.values(db.containers).find((c) => c.name === newName);
      if (holder && holder.id !== rec.id)
        throw new EngineError('name-in-use', `renaming container ${rec.id}: name ${newName} already in use, cannot rename container ${rec.id}: container already exists`); // Podman 4.3.1's words
      rec.name = newName;
    });
  }

  /** `mount`: the root filesystem mounted for the user, counted, until as many `unmount`s (or one forced). */
  async mountForUser(idOrName: string): Promise<string> {
    return this.withContainer(idOrName, async (rec) => {
      const dir = this.mountRoot(rec);
      this.store.update((db) => {
        const cur = db.containers[rec.id];
        if (!cur) return;
        cur.state.userMounts = (cur.state.userMounts ?? 0) + 1;
        cur.state.mounted = true;
      });
      emitEvent(this.paths, { Type: 'container', Status: 'mount', ID: rec.id, Name: rec.name, Image: rec.config.image });
      return dir;
    });
  }

  /**
   * `unmount`: one mount less (all with force); the rootfs goes when none is left and no run holds it.
   * Returns the id; undefined for a running container, which is left alone (as Podman's).
   */
  async unmountForUser(idOrName: string, force = false): Promise<string | undefined> {
    return this.withContainer(idOrName, async (rec) => {
      if (rec.state.status === 'running') return undefined;
      const left = force ? 0 : Math.max(0, (rec.state.userMounts ?? 0) - 1);
      const inUse = rec.state.initialized === true; // `init`: the runtime holds the rootfs
      if (left === 0 && !inUse) unmountRootfs(this.paths, rec.id);
      this.store.update((db) => {
        const cur = db.containers[rec.id];
        if (!cur) return;
        if (left) cur.state.userMounts = left;
        else delete cur.state.userMounts;
        if (left === 0 && !inUse) cur.state.mounted = false;
      });
      emitEvent(this.paths, { Type: 'container', Status: 'unmount', ID: rec.id, Name: rec.name, Image: rec.config.image });
      return rec.id;
    });
  }

  /** The containers whose root filesystem is mounted now (by a run or by `mount`), with where. */
  mountedContainers(): { id: string; name: string; mountpoint: string }[] {
    return Object.values(this.store.read().containers)
      .map((c) => ({ id: c.id, name: c.name, mountpoint: rootfsMountDir(this.paths, c.id) }))
      .filter((m) => isMountPoint(m.mountpoint));
  }

  /** The container's root filesystem, mounted: its image's layers, or its --rootfs directory. */
  mountRoot(rec: ContainerRecord): string {
    const dir = rec.config.rootfs;
    if (dir && !dir.overlay) return bindRootfs(this.paths, rec.id, dir.path);
    return mountRootfs(this.paths, rec.id, dir ? [dir.path] : layerPaths(this.paths, this.imageOf(rec)), ownerShift(rec.config));
  }

  /** The lower directories of the container's root filesystem (for diff). */
  lowerDirsOf(rec: ContainerRecord): string[] {
    return rec.config.rootfs ? [rec.config.rootfs.path] : layerPaths(this.paths, this.imageOf(rec));
  }

  imageOf(rec: ContainerRecord): ImageRecord {
    const img = this.store.read().images[rec.imageId];
    if (!img) throw new EngineError('no-such-image', `${rec.imageId}: image not known`);
    return img;
  }
}

/** --rootfs PATH: an existing directory, by its real path (overlay options and mounts take it as it is). */
function checkRootfsDir(r: { path: string; overlay: boolean }): { path: string; overlay: boolean } {
  if (!path.isAbsolute(r.path)) throw invalidArgument(`--rootfs ${r.path}: the path must be absolute`);
  let real: string;
  try {
    real = fs.realpathSync(r.path);
  } catch {
    throw invalidArgument(`--rootfs ${r.path}: no such file or directory`);
  }
  if (!fs.statSync(real).isDirectory()) throw invalidArgument(`--rootfs ${r.path}: not a directory`);
  if (real === '/') throw invalidArgument('--rootfs /: the host root cannot be a container root');
  return { path: real, overlay: r.overlay };
}

/** The --cidfile `create`/`run` wrote (annotation as Podman's), if it still names this container. */
function removeCidfile(rec: ContainerRecord): void {
  const file = rec.config.annotations?.['io.podman.annotations.cid-file'];
  if (!file) return;
  try {
    if (fs.readFileSync(file, 'utf8').trim() === rec.id) fs.rmSync(file, { force: true });
  } catch {
    /* gone already */
  }
}

function byCreated(a: ContainerRecord, b: ContainerRecord): number {
  return a.created < b.created ? -1 : a.created > b.created ? 1 : 0;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Classifies a runtime's start error as Podman does (127 not found, 126 cannot invoke), named after the runtime ("runc: ..."). */
export function runtimeStartError(runtimeName: string, error: string): EngineError {
  const msg = `${runtimeName}: ${error}`;
  if (/executable file not found in|no such file or directory/i.test(msg))
    return new EngineError('cmd-not-found', `${msg}: OCI runtime attempted to invoke a command that was not found`);
  if (/permission denied|operation not permitted/i.test(msg))
    return new EngineError('cmd-cannot-invoke', `${msg}: OCI permission denied`);
  return new EngineError('cmd-cannot-invoke', `${msg}: OCI runtime error`);
}

/**
 * A removal whose container went away while it waited for the lock: nothing
 * with ignoreMissing, else "no such container" under the name the user gave.
 */
function removedMeanwhile(err: unknown, idOrName: string, opts: { ignoreMissing?: boolean }): undefined {
  if (!(err instanceof EngineError && err.kind === 'no-such-container')) throw err;
  if (opts.ignoreMissing) return undefined;
  throw noSuchContainer(idOrName);
}
