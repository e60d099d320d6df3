// Container commands: create, run, start, stop, kill, rm, ps, logs, wait, inspect, exec, ...
import * as fs from 'node:fs';
import { ensureImage, parsePullPolicy } from '../../image/pull-policy';
import { stderrProgress } from '../../image/registry/progress';
import type { CliContext, CommandDef } from '../command';
import { err, out } from '../command';
import { CREATE_FLAGS, createRequest, parseEnvList } from '../create-options';
import { arr, bool, int, str, UsageError, type Parsed } from '../parse';
import { EngineError, exitCodeFor, invalidArgument } from '../../errors';
import { listenFdsFor, withoutListenEnv } from '../../activation/listen-fds';
import { signalNumber } from '../../container/signals';
import type { StartOptions } from '../../container/engine';
import { execInContainer } from '../../container/exec';
import { followLog, readLogWithOffset, rfc3339Nano, type LogLine } from '../../container/logs';
import { inspectContainer, publicStatus } from '../../container/inspect';
import { imageConfig, inspectImage } from '../../image';
import { containerCommand } from '../../oci/generate';
import type { ContainerRecord } from '../../storage/records';
import { containerDir } from '../../storage/paths';
import { renderFormat, renderList, printJson } from '../output';
import { PODMAN_PS_FIELDS, PODMAN_PS_HEADERS, PODMAN_PS_ROW } from '../../format/gotemplate';
import { waitForExit } from '../../container/state';
import { humanDuration, psStatus } from '../../format/units';

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
function signalProxy(enabled: boolean): { setPid(pid: number): void; stop(): void } {
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

async function runForeground(ctx: CliContext, rec: ContainerRecord, p: Parsed, opts: StartOptions, sigProxy: boolean): Promise<number> {
  const proxy = signalProxy(sigProxy);
  if (!sigProxy) {
    // Podman's own handler when not proxying: TERM exits 0, INT exits 1; the container keeps running.
    process.on('SIGTERM', () => process.exit(0));
    process.on('SIGINT', () => process.exit(1));
  }
  try {
    return await ctx.engine.startAttached(
      rec.id,
      { stdout: process.stdout, stderr: process.stderr, stdin: rec.config.stdin ? process.stdin : undefined },
      { ...opts, onRunning: (pid) => proxy.setPid(pid) },
    );
  } finally {
    proxy.stop();
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
  { name: 'preserve-fds', type: 'int' as const, help: 'Pass a number of additional file descriptors into the container' },
];

export const runCommand: CommandDef = {
  name: 'run',
  usage: 'tspod run [options] IMAGE [COMMAND [ARG...]]',
  description: 'Run a command in a new container',
  flags: RUN_FLAGS,
  interspersed: false,
  minArgs: 1,
  async run(ctx, p) {
    const fds = inheritedFds(p);
    const req = createRequest(p);
    checkCidfile(str(p.flags.cidfile));
    await ensureImage(ctx.engine.store, req.image, parsePullPolicy(str(p.flags.pull)), { progress: stderrProgress(false) });
    const rec = ctx.engine.create(req);
    writeCidfile(str(p.flags.cidfile), rec.id);
    if (bool(p.flags.detach)) {
      try {
        await ctx.engine.start(rec.id, { fds });
      } catch (e) {
        if (rec.config.autoRemove) ctx.engine.remove(rec.id, { force: true, ignoreMissing: true });
        throw e;
      }
      out(`${rec.id}\n`);
      return 0;
    }
    let code: number;
    try {
      code = await runForeground(ctx, rec, p, { fds }, bool(p.flags['sig-proxy']));
    } catch (e) {
      if (rec.config.autoRemove) ctx.engine.remove(rec.id, { force: true, ignoreMissing: true });
      throw e;
    }
    if (rec.config.autoRemove) ctx.engine.remove(rec.id, { force: true, ignoreMissing: true });
    return code;
  },
};

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
    await ensureImage(ctx.engine.store, req.image, parsePullPolicy(str(p.flags.pull)), { progress: stderrProgress(false) });
    const rec = ctx.engine.create(req);
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
  ],
  minArgs: 1,
  async run(ctx, p) {
    const attach = bool(p.flags.attach);
    if (p.given.has('sig-proxy') && !attach) throw invalidArgument('you cannot use sig-proxy without --attach');
    const sigProxy = p.given.has('sig-proxy') ? bool(p.flags['sig-proxy']) : attach;
    if (attach && p.args.length > 1) throw invalidArgument('you cannot start and attach multiple containers at once');
    const fds = inheritedFds(undefined);
    if (attach) {
      const rec = ctx.engine.get(p.args[0]);
      if (rec.state.status === 'running') throw new EngineError('already-running', `container ${rec.id} is already running`);
      try {
        return await runForeground(ctx, rec, p, { fds }, sigProxy);
      } catch (e) {
        throw startError(p.args[0], e);
      }
    }
    let code = 0;
    for (const name of p.args) {
      try {
        await ctx.engine.start(name, { fds });
        out(`${name}\n`);
      } catch (e) {
        err(`Error: ${startError(name, e).message}\n`);
        code = 125;
      }
    }
    return code;
  },
};

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
function targets(ctx: CliContext, p: Parsed, runningOnly: boolean): string[] {
  if (!bool(p.flags.all)) {
    const names = [...p.args, ...arr(p.flags.cidfile).flatMap((f) => readCidfile(f, bool(p.flags.ignore)))];
    if (!names.length && !arr(p.flags.cidfile).length) throw new UsageError('you must provide at least one container name or id');
    return names;
  }
  return ctx.engine
    .list()
    .filter((c) => !runningOnly || c.state.status === 'running')
    .map((c) => c.id);
}

export const stopCommand: CommandDef = {
  name: 'stop',
  usage: 'tspod stop [options] CONTAINER [CONTAINER...]',
  description: 'Stop one or more containers',
  flags: [
    { name: 'time', short: 't', type: 'int', help: 'Seconds to wait for stop before killing the container' },
    { name: 'all', short: 'a', type: 'bool', help: 'Stop all running containers' },
    { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified container is missing' },
    { name: 'cidfile', type: 'array', help: 'Read the container ID from the file' },
  ],
  async run(ctx, p) {
    const names = targets(ctx, p, true);
    let code = 0;
    await Promise.all(
      names.map(async (name) => {
        try {
          const r = await ctx.engine.stop(name, int(p.flags.time));
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
  ],
  run(ctx, p) {
    const sig = signalNumber(str(p.flags.signal) ?? 'KILL');
    const names = targets(ctx, p, true);
    let code = 0;
    for (const name of names) {
      try {
        ctx.engine.kill(name, sig);
        out(`${name}\n`);
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
        code = exitCodeFor(e);
      }
    }
    return code;
  },
};

export const rmCommand: CommandDef = {
  name: 'rm',
  usage: 'tspod rm [options] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'Force removal of a running or unusable container' },
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all containers' },
    { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified container is missing' },
    { name: 'time', short: 't', type: 'int', help: 'Seconds to wait for stop before killing the container' },
    { name: 'volumes', short: 'v', type: 'bool', help: 'Remove anonymous volumes associated with the container' },
    { name: 'cidfile', type: 'array', help: 'Read the container ID from the file' },
  ],
  async run(ctx, p) {
    const names = targets(ctx, p, false);
    let code = 0;
    for (const name of names) {
      try {
        await ctx.engine.removeAsync(name, { force: bool(p.flags.force), ignoreMissing: bool(p.flags.ignore), timeout: int(p.flags.time) ?? 0 });
        out(`${name}\n`);
      } catch (e) {
        err(`Error: ${(e as Error).message}\n`);
        // Podman: 1 for a missing container, 2 for a running one without --force
        if (e instanceof EngineError && e.kind === 'no-such-container') code = code || 1;
        else if (e instanceof EngineError && e.kind === 'state-improper') code = 2;
        else code = exitCodeFor(e);
      }
    }
    return code;
  },
};

/** One `ps` row, with Podman's field names for --format. */
function psRow(ctx: CliContext, c: ContainerRecord, noTrunc: boolean) {
  let image = {};
  try {
    image = imageConfig(ctx.engine.paths, c.imageId).config ?? {};
  } catch {
    /* image removed */
  }
  const cmd = containerCommand(c, image);
  const command = cmd.join(' ');
  const created = Date.parse(c.created);
  const status = psStatus(publicStatus(c.state.status), c.state.exitCode, Date.parse(c.state.startedAt), Date.parse(c.state.finishedAt), Date.now());
  return {
    AutoRemove: c.config.autoRemove,
    Command: noTrunc || command.length <= 17 ? command : `${command.slice(0, 17)}...`,
    CommandArray: cmd,
    Created: Math.floor(created / 1000),
    CreatedAt: new Date(created).toString(),
    CreatedHuman: `${humanDuration(Date.now() - created)} ago`,
    RunningFor: humanDuration(Date.now() - created),
    Exited: c.state.status === 'exited' || c.state.status === 'stopped',
    ExitedAt: c.state.finishedAt ? Math.floor(Date.parse(c.state.finishedAt) / 1000) : -62135596800,
    ExitCode: c.state.exitCode,
    ID: noTrunc ? c.id : c.id.slice(0, 12),
    Id: c.id,
    Image: c.imageName,
    ImageID: c.imageId,
    IsInfra: false,
    Labels: c.config.labels,
    Mounts: c.config.mounts.map((m) => m.destination),
    Names: c.name,
    NamesArray: [c.name],
    Namespaces: {},
    Networks: [],
    Pid: c.state.status === 'running' ? c.state.pid : 0,
    Pod: '',
    PodName: '',
    Ports: '',
    Size: null,
    StartedAt: c.state.startedAt ? Math.floor(Date.parse(c.state.startedAt) / 1000) : -62135596800,
    State: publicStatus(c.state.status),
    Status: status,
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
  ],
  maxArgs: 0,
  run(ctx, p) {
    let recs = ctx.engine.list();
    const all = bool(p.flags.all) || int(p.flags.last) !== undefined || bool(p.flags.latest);
    if (!all) recs = recs.filter((c) => c.state.status === 'running');
    recs = applyFilters(recs, arr(p.flags.filter));
    recs = recs.reverse(); // newest first, as Podman lists
    const last = bool(p.flags.latest) ? 1 : int(p.flags.last);
    if (last !== undefined && last >= 0) recs = recs.slice(0, last);
    const noTrunc = bool(p.flags['no-trunc']);
    const rows = recs.map((c) => psRow(ctx, c, noTrunc));
    const format = str(p.flags.format);
    if (bool(p.flags.quiet)) {
      for (const r of rows) out(`${r.ID}\n`);
      return 0;
    }
    if (format === 'json') {
      printJson(rows.map(({ ID: _id, CommandArray, NamesArray, CreatedHuman: _c, RunningFor: _r, ...rest }) => ({ ...rest, Command: CommandArray, Names: NamesArray })));
      return 0;
    }
    renderList({ name: 'ps', headers: PODMAN_PS_HEADERS, fields: PODMAN_PS_FIELDS, defaultRow: PODMAN_PS_ROW }, format, rows, bool(p.flags.noheading));
    return 0;
  },
};


function applyFilters(recs: ContainerRecord[], filters: string[]): ContainerRecord[] {
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    recs = recs.filter((c) => {
      switch (key) {
        case 'name':
          return new RegExp(value).test(c.name);
        case 'id':
          return c.id.startsWith(value);
        case 'status':
          return publicStatus(c.state.status) === value;
        case 'label': {
          const [k, v] = value.split('=');
          return k in c.config.labels && (v === undefined || c.config.labels[k] === v);
        }
        case 'exited':
          return c.state.status !== 'running' && c.state.exitCode === Number(value);
        case 'ancestor':
          return c.imageName.includes(value) || c.imageId.startsWith(value);
        default:
          throw invalidArgument(`${key} is an invalid filter`);
      }
    });
  }
  return recs;
}

export const logsCommand: CommandDef = {
  name: 'logs',
  usage: 'tspod logs [options] CONTAINER [CONTAINER...]',
  description: 'Fetch the logs of one or more containers',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output' },
    { name: 'tail', type: 'int', default: -1, help: 'Output the specified number of LINES at the end of the logs' },
    { name: 'timestamps', short: 't', type: 'bool', help: 'Output the timestamps in the log' },
    { name: 'names', short: 'n', type: 'bool', help: 'Output the container name in the log' },
    { name: 'since', type: 'string', hidden: true },
  ],
  minArgs: 1,
  async run(ctx, p) {
    for (const name of p.args) {
      const rec = ctx.engine.get(name);
      if (rec.config.logDriver !== 'k8s-file')
        throw new EngineError('invalid-argument', `this container is using the '${rec.config.logDriver}' log driver, cannot read logs: this container is not logging to file`);
      const file = `${containerDir(ctx.engine.paths, rec.id)}/ctr.log`;
      const tail = int(p.flags.tail) ?? -1;
      const ts = bool(p.flags.timestamps);
      const prefix = bool(p.flags.names) ? `${rec.name} ` : '';
      const read = readLogWithOffset(file);
      const lines = tail < 0 ? read.lines : tail === 0 ? [] : read.lines.slice(-tail);
      const print = (l: LogLine) =>
        (l.stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix}${ts ? `${rfc3339Nano(l.time)} ` : ''}${l.text}`);
      lines.forEach(print);
      if (bool(p.flags.follow) && rec.state.status === 'running') await followLog(file, read.offset, print, waitForExit(ctx.engine.paths, rec));
    }
    return 0;
  },
};


export const waitCommand: CommandDef = {
  name: 'wait',
  usage: 'tspod wait [options] CONTAINER [CONTAINER...]',
  description: 'Block on one or more containers',
  flags: [{ name: 'condition', type: 'array', help: 'Condition to wait on' }],
  minArgs: 1,
  async run(ctx, p) {
    for (const name of p.args) out(`${await ctx.engine.wait(name)}\n`);
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
  run(ctx, p) {
    const names = bool(p.flags.latest) ? ctx.engine.list().slice(-1).map((c) => c.id) : p.args;
    if (!names.length) throw new UsageError('no names or ids specified');
    const results: unknown[] = [];
    let code = 0;
    const type = str(p.flags.type) ?? 'all';
    for (const name of names) {
      try {
        const rec = ctx.engine.get(name);
        let image = {};
        try {
          image = imageConfig(ctx.engine.paths, rec.imageId).config ?? {};
        } catch {
          /* image gone */
        }
        results.push(inspectContainer(ctx.engine.paths, rec, image, ctx.engine.runtimeName()));
      } catch (e) {
        if (type !== 'container' && e instanceof EngineError && e.kind === 'no-such-container') {
          const img = inspectImageOrUndefined(ctx, name);
          if (img) {
            results.push(img);
            continue;
          }
          err(`Error: ${type === 'all' ? `no such object: "${name}"` : (e as Error).message}\n`);
        } else err(`Error: ${(e as Error).message}\n`);
        code = 125;
      }
    }
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, results);
    else printJson(results);
    return code;
  },
};

function inspectImageOrUndefined(ctx: CliContext, name: string): unknown {
  try {
    return inspectImage(ctx.engine.store, name);
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
  ],
  interspersed: false,
  minArgs: 2,
  async run(ctx, p) {
    const [name, ...command] = p.args;
    return execInContainer(ctx.engine, name, {
      command,
      env: parseEnvList(arr(p.flags.env)),
      workdir: str(p.flags.workdir),
      user: str(p.flags.user),
      tty: bool(p.flags.tty),
      interactive: bool(p.flags.interactive),
      preserveFds: int(p.flags['preserve-fds']),
    });
  },
};

export const existsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod container exists CONTAINER',
  description: 'Check if a container exists in local storage',
  flags: [{ name: 'external', type: 'bool', hidden: true }],
  minArgs: 1,
  maxArgs: 1,
  run(ctx, p) {
    return ctx.engine.exists(p.args[0]) ? 0 : 1;
  },
};

export const renameCommand: CommandDef = {
  name: 'rename',
  usage: 'tspod rename CONTAINER NAME',
  description: "Rename an existing container",
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  run(ctx, p) {
    ctx.engine.rename(p.args[0], p.args[1]);
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
  run(ctx, p) {
    for (const name of p.args) ctx.engine.cleanup(name, bool(p.flags.rm), str(p.flags['run-id']));
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
