// The container monitor: one per container, in its own session, outliving the CLI.
// It starts the container through tspod-runtime, reports the pid, holds the
// container's stdio (log file, attach socket), reaps it as a subreaper, writes
// the exit file and runs the exit command (cleanup, --rm).
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { native } from '../lib/native';
import { K8sLogWriter } from './k8s-log';
import { encodeFrame, STREAM_STDERR, STREAM_STDOUT } from '../lib/container/attach-protocol';
import type { MonitorConfig, MonitorReport } from '../lib/container/monitor-config';
import { execWithOwnListenPid, listenFdNumbers } from '../lib/activation/listen-fds';
import { recordActivatedSockets } from '../lib/activation/activated-sockets';
import { REMOVAL_MARKER } from '../lib/storage/paths';
import { createArgs, runtimeErrorFromLog } from '../runtime/oci-runtime';
import { NotifyProxy } from './notify-proxy';
import type { ContainerTerminal } from './terminal';
import { readMonitorConfig } from './monitor-input';

const cfg: MonitorConfig = readMonitorConfig(process.argv.slice(2));
// Our own stdio is /dev/null: a monitor that fails says why in the bundle, and tells the CLI.
process.on('uncaughtException', (err) => {
  try {
    fs.appendFileSync(`${cfg.bundle}/conmon.log`, `${new Date().toISOString()} ${err.stack ?? err}\n`);
  } catch {
    /* nowhere to write */
  }
  report({ error: `tspod-conmon: ${err.message}` });
  process.exit(1);
});
const addon = native();
addon.setSubreaper();
addon.setCloexec(cfg.syncFd, true); // the runtime must not hold the report channel
process.chdir(cfg.bundle);
fs.writeFileSync('conmon.pid', String(process.pid)); // PIDFile= of generated units

/** How long an attached CLI gets to clean up before the exit command backs it up. */
const EXIT_COMMAND_DELAY_MS = 1000;
const clients = new Set<net.Socket>();
const log = cfg.logDriver === 'k8s-file' ? new K8sLogWriter(cfg.logPath, cfg.logSizeMax) : undefined;
let containerPid = 0;
let runtimeChild: ReturnType<typeof spawn> | undefined;
let exited = false;

function report(r: MonitorReport): void {
  try {
    fs.writeSync(cfg.syncFd, `${JSON.stringify(r)}\n`);
    fs.closeSync(cfg.syncFd);
  } catch {
    /* the CLI is gone (killed): nobody to tell */
  }
}

// --- stdio pipes: the container writes into them, we read, log and broadcast.
// With a terminal (-t) there are none: the pty master carries both directions.
const tty = cfg.tty === true;
const passthrough = cfg.logDriver === 'passthrough';
const outPipe = passthrough || tty ? undefined : addon.pipe();
const errPipe = passthrough || tty ? undefined : addon.pipe();
const inPipe = cfg.stdin && !tty ? addon.pipe() : undefined;
let stdinWriter: net.Socket | undefined;
const openStreams = new Set<string>();

function readStream(fd: number, name: 'stdout' | 'stderr', id: number): void {
  readSocket(new net.Socket({ fd, readable: true, writable: false }), name, id);
}

function readSocket(s: net.Socket, name: 'stdout' | 'stderr', id: number): void {
  openStreams.add(name);
  s.on('data', (chunk: Buffer) => {
    log?.write(name, chunk);
    if (clients.size) {
      const frame = encodeFrame(id, chunk);
      for (const c of clients) c.write(frame);
    }
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    openStreams.delete(name);
    if (exited && openStreams.size === 0) finish();
    else reap(); // EOF usually means the container just exited; SIGCHLD may still be on its way
  });
}

// --- attach socket, bound relative to the bundle (absolute paths can exceed 108 bytes).
const server = net.createServer({ allowHalfOpen: true }, (sock) => {
  clients.add(sock);
  sock.on('data', (d: Buffer) => stdinWriter?.write(d));
  // The client is done sending (EOF on its stdin): the container's stdin closes, but the
  // client still gets the output until the container exits.
  // With a terminal, Ctrl-D is a byte like any other and one client's EOF closes nothing.
  sock.on('end', () => {
    if (cfg.stdin && stdinWriter && !tty) stdinWriter.end();
  });
  sock.on('error', () => undefined);
  sock.on('close', () => clients.delete(sock));
});
try {
  fs.unlinkSync('attach');
} catch {
  /* not there */
}
server.listen('attach');
server.unref();

// --- sd_notify proxy for --sdnotify=container
const notify = cfg.notifySocket ? new NotifyProxy(cfg.bundle, cfg.notifySocket) : undefined;

// --- start the runtime: tspod-runtime execs runc/crun create.
const fds = listenFdNumbers(cfg.fdCount);
if (fds.length) recordActivatedSockets(cfg.bundle, fds); // for `tspod tree`
let terminal: ContainerTerminal | undefined;
// The terminal code is loaded only for containers that have one.
if (tty) void (require('./terminal') as typeof import('./terminal')).openContainerTerminal().then(startRuntime, fail);
else startRuntime();

function fail(err: Error): void {
  report({ error: err.message });
  process.exit(1);
}

function startRuntime(term?: ContainerTerminal): void {
  terminal = term;
  const runtimeCmd = [
    process.execPath,
    cfg.runtimeScript,
    ...(cfg.runtime ? ['--runtime', cfg.runtime] : []),
    '--root',
    cfg.runtimeStateRoot,
    '--runroot',
    cfg.runroot,
    ...(cfg.runtimeFlags ?? []),
    ...createArgs({
      id: cfg.id,
      bundle: cfg.bundle,
      pidFile: cfg.pidFile,
      logFile: cfg.runtimeLog,
      preserveFds: cfg.listen ? 0 : cfg.fdCount,
      consoleSocket: term?.consoleSocketPath,
      systemdCgroup: cfg.systemdCgroup,
    }),
  ];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  let argv = runtimeCmd;
  if (cfg.listen && cfg.fdCount > 0) {
    env.LISTEN_FDS = String(cfg.fdCount);
    if (cfg.listenFdNames !== undefined) env.LISTEN_FDNAMES = cfg.listenFdNames;
    argv = execWithOwnListenPid(runtimeCmd);
  }
  const child = spawn(argv[0], argv.slice(1), {
    stdio: [inPipe ? inPipe[0] : 'ignore', outPipe ? outPipe[1] : tty ? 'ignore' : 1, errPipe ? errPipe[1] : tty ? 'ignore' : 2, ...fds],
    env,
  });
  runtimeChild = child;
  // The child holds its ends now; ours would keep the pipes from ever reaching EOF.
  for (const fd of [outPipe?.[1], errPipe?.[1], inPipe?.[0]]) if (fd !== undefined) fs.closeSync(fd);
  if (outPipe) readStream(outPipe[0], 'stdout', STREAM_STDOUT);
  if (errPipe) readStream(errPipe[0], 'stderr', STREAM_STDERR);
  if (inPipe) stdinWriter = new net.Socket({ fd: inPipe[1], readable: false, writable: true }).on('error', () => undefined);

  child.on('error', (err) => {
    report({ error: `starting the runtime: ${err.message}` });
    process.exit(1);
  });
  if (term) {
    term.ready.then((master) => {
      if (cfg.stdin) stdinWriter = master;
      master.on('error', () => undefined); // EIO once the container's side is closed: that is its EOF
      readSocket(master, 'stdout', STREAM_STDOUT);
    }, fail);
  }
  child.on('exit', (code, signal) => {
    // Only the container may keep the activated sockets open, not the monitor.
    for (const fd of fds) fs.closeSync(fd);
    if (code !== 0) {
      let msg = `runtime exited with ${code ?? signal}`;
      try {
        msg = runtimeErrorFromLog(fs.readFileSync(cfg.runtimeLog, 'utf8')) ?? msg;
      } catch {
        /* no log */
      }
      report({ error: msg });
      process.exit(1);
    }
    containerPid = Number(fs.readFileSync(cfg.pidFile, 'utf8').trim());
    // Attaching makes sense only once we hold the terminal: report after it arrived.
    const reported = () => {
      report({ pid: containerPid });
      if (cfg.timeout) setTimeout(killForTimeout, cfg.timeout * 1000).unref(); // keepAlive holds us while the container lives
      if (cfg.healthcheck) startHealthTimer(cfg.healthcheck);
      reap();
    };
    if (term) term.ready.then(reported, fail);
    else reported();
  });
}

// --- reaping: the container is re-parented to us (subreaper) when the runtime exits.
function reap(): void {
  if (!containerPid || exited) return;
  let r;
  try {
    r = addon.waitpid(containerPid, true);
  } catch {
    r = { pid: containerPid, code: -1 }; // not our child after all: status unknown
  }
  if (!r) return;
  exited = true;
  exitCode = timedOut ? -1 : r.code !== undefined ? r.code : 128 + (r.signal ?? 0);
  // Output still in the pipes is drained first; the pid namespace is gone, so EOF is near.
  if (openStreams.size === 0) finish();
  else setTimeout(finish, 2000).unref();
}
let exitCode = -1;
let timedOut = false;

/** run --timeout: the time is up; Podman's conmon kills the container and records -1. */
function killForTimeout(): void {
  if (!containerPid || exited) return;
  timedOut = true;
  try {
    process.kill(containerPid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
process.on('SIGCHLD', reap);
// Signal handlers do not keep Node's loop alive, and a missed SIGCHLD must not leave a zombie:
// this timer holds the monitor until the container is reaped.
const keepAlive = setInterval(reap, 1000);

for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (containerPid && !exited) {
      try {
        process.kill(containerPid, sig);
      } catch {
        /* already gone */
      }
    } else if (!containerPid) runtimeChild?.kill(sig);
  });
}

// --- health checks: `tspod healthcheck run` every interval, one at a time, while the container runs.
let healthTimer: NodeJS.Timeout | undefined;
function startHealthTimer(hc: { command: string[]; intervalMs: number }): void {
  let running = false;
  healthTimer = setInterval(() => {
    if (running || exited) return;
    running = true;
    const check = spawn(hc.command[0], hc.command.slice(1), { stdio: 'ignore', env: cfg.commandEnv });
    check.on('error', () => (running = false));
    check.on('exit', () => (running = false));
  }, hc.intervalMs);
  healthTimer.unref(); // keepAlive holds the monitor while the container lives
}

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  // read before the exit file exists: a remover waiting for it may delete the bundle next
  const removing = fs.existsSync(REMOVAL_MARKER);
  clearInterval(keepAlive);
  if (healthTimer) clearInterval(healthTimer);
  log?.close();
  const tmp = `${cfg.exitFile}.tmp`;
  fs.writeFileSync(tmp, String(exitCode));
  fs.renameSync(tmp, cfg.exitFile);
  notify?.close();
  terminal?.close();
  try {
    fs.unlinkSync('attach');
  } catch {
    /* gone */
  }
  // An attached CLI cleans up itself; the exit command then only backs it up (the CLI
  // may die), later, so it does not compete with the CLI for the CPU.
  const attached = clients.size > 0;
  for (const c of clients) c.end();
  server.close();
  if (removing) setImmediate(() => process.exit(0)); // the remover cleans up: no exit command
  else setTimeout(runExitCommand, attached ? EXIT_COMMAND_DELAY_MS : 0);
}


function runExitCommand(): void {
  if (cfg.exitCommand.length) {
    const cleanup = spawn(cfg.exitCommand[0], cfg.exitCommand.slice(1), {
      detached: true,
      stdio: 'ignore',
      env: cfg.commandEnv,
    });
    cleanup.on('error', () => undefined);
    cleanup.unref();
  }
  setImmediate(() => process.exit(0));
}
