// Container commands: create, run, start, stop, kill, rm, ps, logs, wait, inspect, exec, ...
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { parsePullPolicy } from '../../image/pull-policy';
import { archiveTransport, loadForRun } from '../../image/transport-ref';
import { preparePodForCreate } from './pod';
import type { CliContext, CommandDef } from '../command';
import { err, forEachTarget, out, removalExitCode } from '../command';
import { CREATE_FLAGS, createRequest, parseEnvList } from '../create-options';
import { arr, bool, int, str, UsageError, type Parsed } from '../parse';
import { EngineError, exitCodeFor, invalidArgument } from '../../errors';
import { listenFdsFor, withoutListenEnv } from '../../activation/listen-fds';
import { signalNumber } from '../../container/signals';
import { dependentsOf, withDependents } from '../../container/dependents';
import { podOfInfra } from '../../pod/membership';
import type { StartOptions } from '../../container/engine';
import { INSPECT_INDENT, LIST_INDENT, inspectTemplateView, renderFormat, renderList, printJson } from '../output';
import { PODMAN_PS_FIELDS, PODMAN_PS_HEADERS, PODMAN_PS_ROW } from '../../format/gotemplate';
import { humanDuration } from '../../format/units';
import { portsColumn } from '../../network/ports';
import { currentWindowSize, userTerminal } from '../../terminal/user-terminal';
import { DEFAULT_DETACH_KEYS } from '../../terminal/detach-keys';
import { filterFlags } from '../../container/filters';
import { parseLogTime } from '../../container/logs';
import type { ContainerBrief, ContainerListEntry } from '../../engine/engine';
import { remoteSignalProxy } from '../../remote/signals';
import { recordAttachedCli } from '../../system/attached-cli';
import { bundleDir } from '../../storage/paths';
import { log } from '../log';

/**
 * Whether fd was handed to us. Node has already opened its own fds (epoll,
 * eventfd, pipes) at the lowest free numbers before any JavaScript runs, so an
 * fd that was not passed is usually one of Node's: the first of them is an
 * epoll instance, which nobody hands over.
 */
function inheritedFd(fd: number): boolean {
  try {
    return !fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:');
  } catch {
    return false;
  }
}

/**
 * The fds the container gets: systemd's activated sockets when LISTEN_PID is
 * ours, or --preserve-fds N. The activation variables are removed from our own
 * environment either way, as sd_listen_fds does.
 */
function inheritedFds(p: Parsed | undefined): StartOptions['fds'] {
  const listen = listenFdsFor(process.env, process.pid);
  const env = withoutListenEnv(process.env);
  for (const k of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) if (!(k in env)) delete process.env[k];
  const preserve = p ? int(p.flags['preserve-fds']) : undefined;
  if (preserve && preserve > 0) {
    for (let fd = 3; fd < 3 + preserve; fd++)
      if (!inheritedFd(fd))
        throw new EngineError('invalid-argument', `file descriptor ${fd} is not available - the preserve-fds option requires that file descriptors must be passed`);
    return { count: preserve, listen: false };
  }
  if (listen) {
    for (let fd = 3; fd < 3 + listen.count; fd++)
      if (!inheritedFd(fd)) throw new EngineError('invalid-argument', `LISTEN_FDS=${listen.count} but file descriptor ${fd} is not open`);
    return { count: listen.count, listen: true, names: listen.names };
  }
  return undefined;
}

/** Signals a foreground tspod passes on to its container (--sig-proxy). */
const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGALRM', 'SIGTSTP'];

/** Installs the proxy now; signals that arrive before the container runs are delivered once it does. */
export function signalProxy(enabled: boolean): { setPid(pid: number): void; stop(): void } {
  let pid = 0;
  const pending: NodeJS.Signals[] = [];
  const handler = (sig: NodeJS.Signals) => {
    if (!pid) {
      pending.push(sig);
      return;
    }
    try {
      process.kill(pid, sig);
    } catch {
      /* the container is gone; its exit ends us */
    }
  };
  if (enabled) for (const s of PROXIED_SIGNALS) process.on(s, handler);
  return {
    setPid(p: number) {
      pid = p;
      for (const s of pending.splice(0)) handler(s);
    },
    stop() {
      for (const s of PROXIED_SIGNALS) process.off(s, handler);
    },
  };
}

/** Runs a container attached to our stdio (and terminal, for -t); `detached` when the user typed the detach keys. */
async function runForeground(ctx: CliContext, rec: ContainerBrief, p: Parsed, opts: StartOptions, sigProxy: boolean, attach?: Set<string>): Promise<{ code: number; detached: boolean }> {
  // run -i / start -i: our stdin goes to a container that keeps one open
  const term = userTerminal({ tty: rec.tty, stdin: rec.stdin && bool(p.flags.interactive), detachKeys: str(p.flags['detach-keys']) ?? DEFAULT_DETACH_KEYS });
  // run --attach: the streams not named are read and dropped (they still reach the log)
  if (attach && !attach.has('stdout')) term.streams.stdout = discardStream();
  if (attach && !attach.has('stderr')) term.streams.stderr = discardStream();
  // remote: the service's kill endpoint gets the signals
  const proxy = ctx.remote ? remoteSignalProxy(ctx.client, rec.id, sigProxy) : signalProxy(sigProxy);
  // Once the start is recorded: the container's first output can arrive before the store says it
  // runs, and leaving then would leave a running container recorded as created.
  let started = false;
  let leaveWith: number | undefined;
  if (!sigProxy) {
    // Podman's own handler when not proxying: TERM exits 0, INT exits 1; the container keeps running.
    const leave = (code: number) => (started ? process.exit(code) : (leaveWith ??= code));
    process.on('SIGTERM', () => leave(0));
    process.on('SIGINT', () => leave(1));
  }
  try {
    const exit = ctx.client.startAttached(rec.id, term.streams, {
      ...opts,
      consoleSize: rec.tty ? currentWindowSize() : undefined,
      onRunning: (pid) => {
        proxy.setPid(pid);
        if (!ctx.remote) recordAttachedCli(bundleDir(ctx.engine.paths, rec.id)); // for `tspod tree`
        started = true;
        if (leaveWith !== undefined) process.exit(leaveWith);
      },
    });
    return await Promise.race([exit.then((code) => ({ code, detached: false })), term.detached.then(() => ({ code: 0, detached: true }))]);
  } finally {
    term.restore();
    proxy.stop();
  }
}

function discardStream(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/** run --attach/-a: the streams named (stdin, stdout, stderr); undefined when not given (all of them). */
function attachStreams(p: Parsed): Set<string> | undefined {
  const names = arr(p.flags.attach);
  if (!names.length) return undefined;
  for (const n of names)
    if (!['stdin', 'stdout', 'stderr'].includes(n.toLowerCase()))
      throw invalidArgument(`invalid stream "${n}" for --attach - must be one of stdin, stdout, or stderr`);
  return new Set(names.map((n) => n.toLowerCase()));
}

/** run --rmi: the image goes too, unless another container still uses it (as Podman, that is no error). */
async function removeRunImage(ctx: CliContext, image: string): Promise<void> {
  try {
    await ctx.client.removeImage(image, false);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'image-in-use') return;
    err(`Error: ${(e as Error).message}\n`);
  }
}

function writeCidfile(file: string | undefined, id: string): void {
  if (!file) return;
  if (fs.existsSync(file)) throw new EngineError('invalid-argument', `container id file exists. Ensure another container is not using it or delete ${file}`);
  fs.writeFileSync(file, id);
}

function checkCidfile(file: string | undefined): void {
  if (file && fs.existsSync(file))
    throw new EngineError('invalid-argument', `container id file exists. Ensure another container is not using it or delete ${file}`);
}

const RUN_FLAGS = [
  ...CREATE_FLAGS,
  { name: 'detach', short: 'd', type: 'bool' as const, help: 'Run container in background and print container ID' },
  { name: 'sig-proxy', type: 'bool' as const, default: true, help: 'Proxy received signals to the process' },
  { name: 'detach-keys', type: 'string' as const, help: 'Override the key sequence for detaching a container (default "ctrl-p,ctrl-q")' },
  { name: 'preserve-fds', type: 'int' as const, help: 'Pass a number of additional file descriptors into the container' },
  { name: 'attach', short: 'a', type: 'array' as const, help: 'Attach to STDIN, STDOUT or STDERR' },
  { name: 'rmi', type: 'bool' as const, help: 'Remove image unless used by other containers (with --rm)' },
];

export const runCommand: CommandDef = {
  name: 'run',
  usage: 'tspod run [options] IMAGE [COMMAND [ARG...]]',
  description: 'Run a command in a new container',
  flags: RUN_FLAGS,
  interspersed: false,
  minArgs: 1,
  async run(ctx, p) {
    if (bool(p.flags.tty) && bool(p.flags.interactive) && !process.stdin.isTTY)
      log('warn', 'The input device is not a TTY. The --tty and --interactive flags might not work properly');
    const fds = inheritedFds(p);
    const req = createRequest(p);
    const attach = attachStreams(p);
    if (bool(p.flags.rmi) && !bool(p.flags.rm)) throw invalidArgument('the --rmi option does not work without --rm');
    if (attach && bool(p.flags.detach)) throw invalidArgument('--attach and --detach cannot be used together');
    if (arr(p.flags.listen).length && !bool(p.flags.detach)) throw new EngineError('invalid-argument', '--listen needs --detach (-d): the container starts later, on its first connection');
    checkCidfile(str(p.flags.cidfile));
    await preparePodForCreate(ctx, req.config, str(p.flags['pod-id-file']));
    await imageForCreate(ctx, req, p);
    const rec = await ctx.client.create(req);
    writeCidfile(str(p.flags.cidfile), rec.id);
    if (bool(p.flags.detach)) {
      try {
        await ctx.client.start(rec.id, { fds });
      } catch (e) {
        if (rec.autoRemove) await ctx.client.remove(rec.id, { force: true, ignoreMissing: true });
        throw e;
      }
      out(`${rec.id}\n`);
      return 0;
    }
    let code: number;
    try {
      // As Podman: with neither stdout nor stderr attached, the container's id tells which one ran
      if (attach && !attach.has('stdout') && !attach.has('stderr')) out(`${rec.id}\n`);
      const r = await runForeground(ctx, rec, p, { fds }, bool(p.flags['sig-proxy']), attach);
      if (r.detached) return 0; // still running: --rm is left to its monitor's cleanup
      code = r.code;
    } catch (e) {
      if (rec.autoRemove) await ctx.client.remove(rec.id, { force: true, ignoreMissing: true });
      throw e;
    }
    if (rec.autoRemove) await ctx.client.remove(rec.id, { force: true, ignoreMissing: true });
    if (bool(p.flags.rmi)) await removeRunImage(ctx, req.image);
    return code;
  },
};

/** The image for run/create: a transport reference (docker-archive:PATH...) is loaded, a name pulled by --pull's policy. */
async function imageForCreate(ctx: CliContext, req: { image: string }, p: Parsed): Promise<void> {
  if (bool(p.flags.rootfs)) {
    if (ctx.remote) throw new EngineError('invalid-argument', '--rootfs is not supported by the remote client');
    return; // a directory, not an image
  }
  if (archiveTransport(req.image)) {
    if (ctx.remote) throw new EngineError('invalid-argument', `${req.image}: the remote client does not take archive references`);
    const loaded = await loadForRun(ctx.engine.store, req.image, bool(p.flags.quiet) ? undefined : (line) => err(`${line}\n`));
    if (!loaded) throw new EngineError('invalid-argument', `${req.image}: the archive holds no image`);
    req.image = loaded;
    return;
  }
  await ctx.client.ensureImage(req.image, parsePullPolicy(str(p.flags.pull)));
}

export const createCommand: CommandDef = {
  name: 'create',
  usage: 'tspod create [options] IMAGE [COMMAND [ARG...]]',
  description: 'Create but do not start a container',
  flags: CREATE_FLAGS,
  interspersed: false,
  minArgs: 1,
  async run(ctx, p) {
    checkCidfile(str(p.flags.cidfile));
    const req = createRequest(p);
    await preparePodForCreate(ctx, req.config, str(p.flags['pod-id-file']));
    await imageForCreate(ctx, req, p);
    const rec = await ctx.client.create(req);
    writeCidfile(str(p.flags.cidfile), rec.id);
    out(`${rec.id}\n`);
    return 0;
  },
};

export const startCommand: CommandDef = {
  name: 'start',
  usage: 'tspod start [options] CONTAINER [CONTAINER...]',
  description: 'Start one or more containers',
  flags: [
    { name: 'attach', short: 'a', type: 'bool', help: 'Attach container\'s STDOUT and STDERR' },
    { name: 'interactive', short: 'i', type: 'bool', help: 'Make STDIN available to the contained process' },
    { name: 'sig-proxy', type: 'bool', help: 'Proxy received signals to the process (default true if attaching, false otherwise)' },
    { name: 'detach-keys', type: 'string', help: 'Select the key sequence for detaching a container (default "ctrl-p,ctrl-q")' },
    { name: 'all', type: 'bool', help: 'Start all containers regardless of their state or configuration' },
    { name: 'filter', type: 'array', help: 'Filter output based on conditions given' },
  ],
  async run(ctx, p) {
    if (bool(p.flags.all) || arr(p.flags.filter).length > 0) return startSelected(ctx, p);
    if (p.args.length === 0) throw new UsageError('requires at least 1 arg(s), only received 0');
    const attach = bool(p.flags.attach);
    if (p.given.has('sig-proxy') && !attach) throw invalidArgument('you cannot use sig-proxy without --attach');
    const sigProxy = p.given.has('sig-proxy') ? bool(p.flags['sig-proxy']) : attach;
    if (attach && p.args.length > 1) throw invalidArgument('you cannot start and attach multiple containers at once');
    const fds = inheritedFds(undefined);
    if (attach) {
      const rec = await ctx.client.brief(p.args[0]);
      if (rec.running) throw new EngineError('already-running', `container ${rec.id} is already running`);
      try {
        return (await runForeground(ctx, rec, p, { fds }, sigProxy)).code;
      } catch (e) {
        throw startError(p.args[0], e);
      }
    }
    return startEach(ctx, p.args.map((name) => ({ name, id: name })), fds);
  },
};

/** Starts each container, printing the name it was given by; every failure is reported, exit 125. */
async function startEach(ctx: CliContext, targets: { name: string; id: string }[], fds: StartOptions['fds']): Promise<number> {
  let code = 0;
  for (const { name, id } of targets) {
    try {
      await ctx.client.start(id, { fds });
      out(`${name}\n`);
    } catch (e) {
      err(`Error: ${startError(name, e).message}\n`);
      code = 125;
    }
  }
  return code;
}

/**
 * `start --all` (every container not running) and `start --filter` (the named
 * ones, or all, that match): --all prints IDs, named containers print as given.
 */
async function startSelected(ctx: CliContext, p: Parsed): Promise<number> {
  const all = bool(p.flags.all);
  if (all && p.args.length > 0) throw new EngineError('invalid-argument', 'either start all containers or the container(s) provided in the arguments');
  if (!all && p.args.length === 0) throw new UsageError('requires at least 1 arg(s), only received 0');
  if (bool(p.flags.attach)) throw invalidArgument('--all and --filter cannot be used with --attach');
  const filters = filterFlags(arr(p.flags.filter));
  for (const v of filters.get('restart-policy') ?? [])
    if (!['', 'no', 'none', 'always', 'on-failure', 'unless-stopped'].includes(v)) throw new EngineError('invalid-argument', `${v} invalid restart policy`);
  const matching = (await ctx.client.listContainers({ all: true, filters })).reverse();
  const chosen = all
    ? matching.filter((c) => c.State !== 'running').map((c) => ({ name: c.Id, id: c.Id }))
    : p.args.flatMap((arg) => {
        const c = matching.find((m) => m.Id === arg || m.Names.includes(arg) || (arg.length >= 3 && m.Id.startsWith(arg)));
        return c && c.State !== 'running' ? [{ name: arg, id: c.Id }] : [];
      });
  return startEach(ctx, chosen, inheritedFds(undefined));
}

/** `start` reports every failure as an engine error (125), prefixed like Podman's. */
function startError(name: string, e: unknown): Error {
  if (e instanceof EngineError && (e.kind === 'cmd-not-found' || e.kind === 'cmd-cannot-invoke'))
    return new EngineError('runtime', `unable to start container "${name}": ${e.message}`);
  return e as Error;
}

/** The id a --cidfile holds; a missing file is no error with --ignore (units' ExecStopPost). */
function readCidfile(file: string, ignore: boolean): string[] {
  try {
    return [fs.readFileSync(file, 'utf8').trim()];
  } catch (e) {
    if (ignore && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new EngineError('invalid-argument', `reading CIDFile: open ${file}: no such file or directory`);
  }
}

/** The containers a command acts on: its arguments, or with --all every (running) container. */
async function targets(ctx: CliContext, p: Parsed, runningOnly: boolean): Promise<string[]> {
  // --latest: the container created last (Podman's -l), whatever its state
  if (bool(p.flags.latest)) {
    if (bool(p.flags.all) || p.args.length) throw invalidArgument('--all, --latest and containers cannot be used together');
    const latest = (await ctx.client.listContainers({ all: true, filters: new Map() }))[0];
    if (!latest) throw new EngineError('no-such-container', 'no containers to act on: no such container');
    return [latest.Id];
  }
  if (!bool(p.flags.all)) {
    const names = [...p.args, ...arr(p.flags.cidfile).flatMap((f) => readCidfile(f, bool(p.flags.ignore)))];
    if (!names.length && !arr(p.flags.cidfile).length) throw new UsageError('you must provide at least one container name or id');
    return names;
  }
  return (await ctx.client.listContainers({ all: !runningOnly, filters: new Map() })).reverse().map((c) => c.Id);
}

export const stopCommand: CommandDef = {
  name: 'stop',
  usage: 'tspod stop [options] CONTAINER [CONTAINER...]',
  description: 'Stop one or more containers',
  flags: [
    { name: 'time', short: 't', type: 'uint', help: 'Seconds to wait for stop before killing the container' },
    { name: 'timeout', type: 'int', hidden: true },
    { name: 'all', short: 'a', type: 'bool', help: 'Stop all running containers' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container tspod is aware of' },
    { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified container is missing' },
    { name: 'cidfile', type: 'array', help: 'Read the container ID from the file' },
  ],
  async run(ctx, p) {
    const names = await targets(ctx, p, true);
    let code = 0;
    await Promise.all(
      names.map(async (name) => {
        try {
          const r = await ctx.client.stop(name, int(p.flags.time) ?? int(p.flags.timeout));
          if (r.warning) err(`WARN[0000] ${r.warning}\n`);
          out(`${name}\n`);
        } catch (e) {
          if (bool(p.flags.ignore) && e instanceof EngineError && e.kind === 'no-such-container') return;
          err(`Error: ${(e as Error).message}\n`);
          code = exitCodeFor(e);
        }
      }),
    );
    return code;
  },
};

export const killCommand: CommandDef = {
  name: 'kill',
  usage: 'tspod kill [options] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers with a specific signal',
  flags: [
    { name: 'signal', short: 's', type: 'string', default: 'KILL', help: 'Signal to send to the container' },
    { name: 'all', short: 'a', type: 'bool', help: 'Signal all running containers' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container tspod is aware of' },
  ],
  async run(ctx, p) {
    const sig = signalNumber(str(p.flags.signal) ?? 'KILL');
    return forEachTarget(await targets(ctx, p, true), async (name) => {
      await ctx.client.kill(name, sig);
      return name;
    });
  },
};

export const rmCommand: CommandDef = {
  name: 'rm',
  usage: 'tspod rm [options] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'Force removal of a running or unusable container' },
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all containers' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container tspod is aware of' },
    { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified container is missing' },
    { name: 'time', short: 't', type: 'uint', help: 'Seconds to wait for stop before killing the container' },
    { name: 'volumes', short: 'v', type: 'bool', help: 'Remove anonymous volumes associated with the container' },
    { name: 'cidfile', type: 'array', help: 'Read the container ID from the file' },
    { name: 'depend', type: 'bool', help: 'Remove container and all containers that depend on it' },
  ],
  async run(ctx, p) {
    // As Podman: --force also ignores containers that do not exist; those print nothing.
    const opts = { force: bool(p.flags.force), ignoreMissing: bool(p.flags.ignore) || bool(p.flags.force), timeout: int(p.flags.time), volumes: bool(p.flags.volumes) };
    let names = await targets(ctx, p, false);
    // Containers that join a target's namespaces go first with --depend, else they keep it (local store only).
    const db = ctx.remote ? undefined : ctx.engine.store.read();
    const infraPod = (id: string | undefined) => (db && id ? podOfInfra(db, id) : undefined);
    const idOf = (name: string): string | undefined => {
      try {
        return db && ctx.engine.lookup(db, name).id;
      } catch {
        return undefined; // the removal reports it
      }
    };
    // --all: infra containers last, each taking its (by then empty) pod with it
    if (bool(p.flags.all)) names = [...names.filter((n) => !infraPod(idOf(n))), ...names.filter((n) => infraPod(idOf(n)))];
    const targetIds = new Set(names.map(idOf));
    return forEachTarget(
      names,
      async (name) => {
        const id = idOf(name);
        const pod = infraPod(id);
        const withPod = pod !== undefined && (bool(p.flags.depend) || bool(p.flags.all));
        if (pod && !withPod) return (await ctx.client.remove(name, opts)) === undefined ? undefined : name; // refused: the infra goes with its pod
        if (db && id) {
          if (bool(p.flags.depend)) {
            for (const dep of withDependents(db, id).slice(0, -1)) if ((await ctx.client.remove(dep, opts)) !== undefined) out(`${dep}\n`);
          } else {
            const blocking = dependentsOf(db, id).filter((d) => !targetIds.has(d));
            if (blocking.length)
              throw new EngineError('ctr-exists', `container ${id} has dependent containers which must be removed before it: ${blocking.join(',')}: container already exists`);
          }
        }
        if (pod && withPod) return (await ctx.client.removePod(pod, opts)) === undefined ? undefined : name;
        return (await ctx.client.remove(name, opts)) === undefined ? undefined : name;
      },
      removalExitCode,
    );
  },
};

const PS_SORT_KEYS: Record<string, (c: ContainerListEntry) => string | number> = {
  command: (c) => c.Command.join(' '),
  created: (c) => Date.parse(c.Created),
  id: (c) => c.Id,
  image: (c) => c.Image,
  names: (c) => c.Names[0] ?? '',
  runningfor: (c) => -Date.parse(c.Created),
  status: (c) => c.State,
};

/** `ps --sort KEY`, as Podman sorts (created: oldest first; runningfor: shortest first). */
function sortContainers(recs: ContainerListEntry[], key: string): ContainerListEntry[] {
  const get = PS_SORT_KEYS[key];
  if (!get) throw new EngineError('invalid-argument', `invalid option for --sort, options are: ${Object.keys(PS_SORT_KEYS).join(', ')}`);
  return [...recs].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** One `ps` row, with Podman's field names for --format. */
function psRow(c: ContainerListEntry, noTrunc: boolean) {
  const command = c.Command.join(' ');
  const created = Date.parse(c.Created);
  return {
    AutoRemove: c.AutoRemove,
    Command: noTrunc || command.length <= 17 ? command : `${command.slice(0, 17)}...`,
    CommandArray: c.Command,
    Created: Math.floor(created / 1000),
    CreatedAt: new Date(created).toString(),
    CreatedHuman: `${humanDuration(Date.now() - created)} ago`,
    RunningFor: humanDuration(Date.now() - created),
    Exited: c.Exited,
    ExitedAt: c.ExitedAt,
    ExitCode: c.ExitCode,
    ID: noTrunc ? c.Id : c.Id.slice(0, 12),
    Id: c.Id,
    Image: c.Image,
    ImageID: c.ImageID,
    IsInfra: c.IsInfra,
    Labels: c.Labels,
    Mounts: c.Mounts,
    Names: c.Names[0] ?? '',
    NamesArray: c.Names,
    Namespaces: c.Namespaces,
    Networks: c.Networks,
    Pid: c.Pid,
    Pod: noTrunc ? c.Pod : c.Pod.slice(0, 12), // Podman truncates it as the ID
    PodName: c.PodName,
    Ports: portsColumn((c.Ports ?? []).map((p) => ({ hostIp: p.host_ip, hostPort: p.host_port, containerPort: p.container_port, protocol: p.protocol as 'tcp' | 'udp' }))),
    Size: null,
    StartedAt: c.StartedAt,
    State: c.State,
    Status: c.Status,
  };
}

export const psCommand: CommandDef = {
  name: 'ps',
  aliases: ['list', 'ls'],
  usage: 'tspod ps [options]',
  description: 'List containers',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all the containers, default is only running containers' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Print the numeric IDs of the containers only' },
    { name: 'format', type: 'string', help: 'Pretty-print containers to JSON or using a Go template' },
    { name: 'no-trunc', type: 'bool', help: 'Display the extended information' },
    { name: 'last', short: 'n', type: 'int', help: 'Print the n last created containers (all states)' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' },
    { name: 'filter', short: 'f', type: 'array', help: 'Filter output based on conditions given' },
    { name: 'noheading', type: 'bool', help: 'Do not print headers' },
    { name: 'pod', short: 'p', type: 'bool', help: 'Print the ID and name of the pod the containers are associated with' },
    // Podman lists containers that other tools (buildah) left in its storage; every container
    // in tspod's store is tspod's own, so there is nothing more to show.
    { name: 'external', type: 'bool', help: 'Show containers in storage not controlled by tspod (there are none)' },
    { name: 'sort', type: 'string', help: 'Sort output by: command, created, id, image, names, runningfor, status' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const all = bool(p.flags.all) || int(p.flags.last) !== undefined || bool(p.flags.latest);
    const filters = filterFlags(arr(p.flags.filter));
    // As Podman 4.3.1: without --all only running ones, unless a status filter says which; the
    // newest N with --last (the newest with --latest); shown oldest first, unless --sort says otherwise.
    const created = (c: ContainerListEntry) => Date.parse(c.Created);
    let recs = (await ctx.client.listContainers({ all: all || filters.has('status'), filters })).sort((a, b) => created(b) - created(a));
    const last = bool(p.flags.latest) ? 1 : int(p.flags.last);
    if (last !== undefined && last >= 0) recs = recs.slice(0, last);
    recs.reverse();
    const sort = str(p.flags.sort);
    if (sort !== undefined) recs = sortContainers(recs, sort);
    const noTrunc = bool(p.flags['no-trunc']);
    const rows = recs.map((c) => psRow(c, noTrunc));
    const format = str(p.flags.format);
    if (bool(p.flags.quiet)) {
      for (const r of rows) out(`${r.ID}\n`);
      return 0;
    }
    if (format === 'json') {
      printJson(rows.map(({ ID: _id, CommandArray, NamesArray, CreatedHuman: _c, RunningFor: _r, ...rest }) => ({ ...rest, Command: CommandArray, Names: NamesArray })), LIST_INDENT);
      return 0;
    }
    const defaultRow = bool(p.flags.pod) ? `${PODMAN_PS_ROW}\t{{.Pod}}\t{{.PodName}}` : PODMAN_PS_ROW;
    renderList({ name: 'ps', headers: PODMAN_PS_HEADERS, fields: PODMAN_PS_FIELDS, defaultRow }, format, rows, bool(p.flags.noheading));
    return 0;
  },
};


export const logsCommand: CommandDef = {
  name: 'logs',
  usage: 'tspod logs [options] CONTAINER [CONTAINER...]',
  description: 'Fetch the logs of one or more containers',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output' },
    { name: 'tail', type: 'int', default: -1, help: 'Output the specified number of LINES at the end of the logs' },
    { name: 'timestamps', short: 't', type: 'bool', help: 'Output the timestamps in the log' },
    { name: 'names', short: 'n', type: 'bool', help: 'Output the container name in the log' },
    { name: 'since', type: 'string', help: 'Show logs since TIMESTAMP (Unix time, duration such as 10m, or RFC 3339)' },
    { name: 'until', type: 'string', help: 'Show logs until TIMESTAMP (Unix time, duration such as 10m, or RFC 3339)' },
  ],
  minArgs: 1,
  async run(ctx, p) {
    await printLogs(ctx, p, p.args, p.args.length > 1);
    return 0;
  },
};

/**
 * The logs of the containers, with `logs`' flags; with `several` (or -n), as
 * Podman, each line carries the container's short ID (or name with -n) and
 * followed logs are printed as they come. Also `pod logs`.
 */
export async function printLogs(ctx: CliContext, p: Parsed, names: string[], several: boolean): Promise<void> {
  const sinceSpec = str(p.flags.since);
  const untilSpec = str(p.flags.until);
  const req = {
    follow: bool(p.flags.follow),
    tail: int(p.flags.tail) ?? -1,
    timestamps: bool(p.flags.timestamps),
    since: sinceSpec === undefined ? undefined : parseLogTime(sinceSpec, 'since'),
    until: untilSpec === undefined ? undefined : parseLogTime(untilSpec, 'until'),
  };
  const one = async (name: string) => {
    const b = several || bool(p.flags.names) ? await ctx.client.brief(name) : undefined;
    const prefix = b ? `${bool(p.flags.names) ? b.name : b.id.slice(0, 12)} ` : '';
    await ctx.client.logs(name, req, (stream, text) => (stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix}${text}`));
  };
  if (req.follow && several) await Promise.all(names.map(one));
  else for (const name of names) await one(name);
}


export const waitCommand: CommandDef = {
  name: 'wait',
  usage: 'tspod wait [options] CONTAINER [CONTAINER...]',
  description: 'Block on one or more containers',
  flags: [
    { name: 'condition', type: 'array', help: 'Condition to wait on' },
    { name: 'interval', short: 'i', type: 'string', default: '250ms', help: 'Time Interval to wait before polling for completion' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' },
  ],
  minArgs: 0,
  async run(ctx, p) {
    const { waitInterval } = await import('../../container/wait-condition');
    const intervalMs = waitInterval(str(p.flags.interval) ?? '250ms');
    const latest = bool(p.flags.latest);
    if (!latest && p.args.length === 0) throw new UsageError(`"${ctx.commandPath}" requires a name, id, or the "--latest" flag`);
    if (latest && p.args.length > 0) throw new UsageError('--latest and containers cannot be used together');
    // --condition a,b as Podman's string slice
    const conditions = ((p.flags.condition as string[] | undefined) ?? []).flatMap((c) => c.split(',')).filter(Boolean);
    const names = latest ? (await ctx.client.listContainers({ all: true, filters: new Map() })).slice(0, 1).map((c) => c.Id) : p.args;
    for (const name of names) out(`${await ctx.client.wait(name, { conditions, intervalMs })}\n`);
    return 0;
  },
};

export const inspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod inspect [options] CONTAINER [CONTAINER...]',
  description: 'Display the configuration of object denoted by ID',
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Format the output to a Go template or json' },
    { name: 'type', short: 't', type: 'string', default: 'all', help: 'Specify inspect-object type' },
    { name: 'size', short: 's', type: 'bool', help: 'Display total file size' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' },
  ],
  minArgs: 0,
  async run(ctx, p) {
    const names = bool(p.flags.latest) ? (await ctx.client.listContainers({ all: true, filters: new Map() })).slice(0, 1).map((c) => c.Id) : p.args;
    if (!names.length) throw new UsageError('no names or ids specified');
    const results: unknown[] = [];
    let code = 0;
    const type = str(p.flags.type) ?? 'all';
    for (const name of names) {
      try {
        results.push(await ctx.client.inspectContainer(name));
      } catch (e) {
        if (type !== 'container' && e instanceof EngineError && e.kind === 'no-such-container') {
          const img = await inspectImageOrUndefined(ctx, name);
          if (img) {
            results.push(img);
            continue;
          }
          err(`Error: ${type === 'all' ? `inspecting object: no such object: "${name}"` : (e as Error).message}\n`);
        } else err(`Error: ${(e as Error).message}\n`);
        code = 125;
      }
    }
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, results.map(inspectTemplateView));
    else printJson(results, INSPECT_INDENT);
    return code;
  },
};

async function inspectImageOrUndefined(ctx: CliContext, name: string): Promise<unknown> {
  try {
    return await ctx.client.inspectImage(name);
  } catch {
    return undefined;
  }
}

export const execCommand: CommandDef = {
  name: 'exec',
  usage: 'tspod exec [options] CONTAINER COMMAND [ARG...]',
  description: 'Run a process in a running container',
  flags: [
    { name: 'env', short: 'e', type: 'array', help: 'Set environment variables' },
    { name: 'env-file', type: 'array', help: 'Read in a file of environment variables' },
    { name: 'workdir', short: 'w', type: 'string', help: 'Working directory inside the container' },
    { name: 'user', short: 'u', type: 'string', help: 'Sets the username or UID used' },
    { name: 'tty', short: 't', type: 'bool', help: 'Allocate a pseudo-TTY' },
    { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
    { name: 'detach', short: 'd', type: 'bool', help: 'Run the exec session in detached mode (backgrounded)' },
    { name: 'privileged', type: 'bool', help: 'Give the process extended Linux capabilities' },
    { name: 'preserve-fds', type: 'int', help: 'Pass N additional file descriptors to the container' },
    { name: 'detach-keys', type: 'string', help: 'Select the key sequence for detaching a container (default "ctrl-p,ctrl-q")' },
  ],
  interspersed: false,
  minArgs: 2,
  async run(ctx, p) {
    const [name, ...command] = p.args;
    const req = {
      command,
      env: parseEnvList(arr(p.flags.env)),
      workdir: str(p.flags.workdir),
      user: str(p.flags.user),
      tty: bool(p.flags.tty),
      interactive: bool(p.flags.interactive),
      preserveFds: int(p.flags['preserve-fds']),
      detachKeys: str(p.flags['detach-keys']),
    };
    if (bool(p.flags.detach)) {
      out(`${await ctx.client.execDetached(name, req)}\n`);
      return 0;
    }
    return ctx.client.exec(name, req);
  },
};

export const existsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod container exists CONTAINER',
  description: 'Check if a container exists in local storage',
  flags: [{ name: 'external', type: 'bool', hidden: true }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return (await ctx.client.exists(p.args[0])) ? 0 : 1;
  },
};

export const renameCommand: CommandDef = {
  name: 'rename',
  usage: 'tspod rename CONTAINER NAME',
  description: "Rename an existing container",
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    await ctx.client.rename(p.args[0], p.args[1]);
    return 0;
  },
};

export const cleanupCommand: CommandDef = {
  name: 'cleanup',
  usage: 'tspod container cleanup [options] CONTAINER',
  description: 'Clean up network and mountpoints of one or more containers',
  flags: [
    { name: 'rm', type: 'bool', help: 'After cleanup, remove the container entirely' },
    { name: 'rmi', type: 'bool', hidden: true },
    { name: 'exec', type: 'string', hidden: true },
    { name: 'run-id', type: 'string', hidden: true }, // from a monitor: clean up only that run
  ],
  minArgs: 1,
  async run(ctx, p) {
    for (const name of p.args) await ctx.engine.cleanup(name, bool(p.flags.rm), str(p.flags['run-id']));
    return 0;
  },
};

export const CONTAINER_COMMANDS = [
  runCommand,
  createCommand,
  startCommand,
  stopCommand,
  killCommand,
  rmCommand,
  psCommand,
  logsCommand,
  waitCommand,
  inspectCommand,
  execCommand,
  renameCommand,
];

/** `tspod container ...`: the same commands, plus the ones that only live there. */
export const CONTAINER_GROUP = [...CONTAINER_COMMANDS, existsCommand, cleanupCommand];
