// tspod-conmon --listen: holds a --listen container's sockets (fds 3..) while it
// is scaled to zero, as systemd holds a .socket unit's. On a pending connection it
// runs `tspod start` with them as LISTEN_FDS (the systemd path: the container
// accepts on these very sockets, no proxy). The sockets stay open here all along,
// so a connection made while the container is stopped, stopping or starting
// waits in the backlog instead of being refused. Kept tiny: it lives as long as
// the container exists (fs, child_process and the addon's poll only).
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { native } from '../lib/native';
import type { ListenMonitorConfig } from '../lib/activation/listen';
import { execWithOwnListenPid, listenFdNumbers } from '../lib/activation/listen-fds';
import { establishedConnections } from '../lib/activation/listen-idle';
import { freezeContainer } from '../lib/activation/freeze';

const cfg = JSON.parse(process.argv[3]) as ListenMonitorConfig;
const addon = native();
const fds = listenFdNumbers(cfg.sockets.length);
const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
const logFd = fs.openSync(cfg.logFile, 'a', 0o600);
const say = (msg: string) => fs.writeSync(logFd, `${new Date().toISOString()} ${msg}\n`);
process.on('uncaughtException', (err) => {
  say(`listener: ${err.stack ?? err}`);
  shutdown(1);
});

/** armed: waiting for a connection; starting/stopping: a tspod child runs; running: watching for idleness and exit. */
let phase: 'armed' | 'starting' | 'running' | 'stopping' = 'armed';
let ending = false;
/** Failed starts back off (the pending connection would retrigger at once). */
let retryDelayMs = 0;

function shutdown(code: number): void {
  ending = true;
  for (const fd of fds) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
  }
  for (const s of cfg.sockets) if (s.kind === 'unix' && fs.lstatSync(s.path, { throwIfNoEntry: false })?.isSocket()) fs.rmSync(s.path, { force: true });
  process.exit(code);
}
// stop/rm end us; a signal while a child runs waits for nothing: the CLI that sent it handles the container.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => shutdown(0));

function runTspod(args: string[], withSockets: boolean, done: (ok: boolean) => void): void {
  const argv = withSockets ? execWithOwnListenPid([...cfg.tspod, ...args]) : [...cfg.tspod, ...args];
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'ignore', logFd, ...(withSockets ? fds : [])],
    env: withSockets ? { ...env, LISTEN_FDS: String(fds.length) } : env,
  });
  child.on('error', (err) => {
    say(`tspod ${args[0]}: ${err.message}`);
    done(false);
  });
  child.on('exit', (code) => done(code === 0));
}

/** Blocks in poll(2) up to half a second at a time; signals interrupt it. */
function waitForConnection(): void {
  if (ending || phase !== 'armed') return;
  if (addon.pollReadable(fds, 500) < 0) {
    setImmediate(waitForConnection); // through the event loop: signal handlers run
    return;
  }
  phase = 'starting';
  runTspod(['start', cfg.id], true, (ok) => {
    if (ending) return;
    if (!ok) {
      retryDelayMs = Math.min(Math.max(retryDelayMs * 2, 500), 10_000);
      say(`start failed; next try in ${retryDelayMs} ms`);
      phase = 'armed';
      setTimeout(waitForConnection, retryDelayMs);
      return;
    }
    retryDelayMs = 0;
    phase = 'running';
    lastBusy = Date.now();
  });
}

// --- while running: did it exit on its own (re-arm), is it idle (stop it)?
let lastBusy = Date.now();
const tickMs = cfg.idleTimeout > 0 ? Math.min(500, Math.max(100, (cfg.idleTimeout * 1000) / 4)) : 500;
setInterval(() => {
  if (ending || phase !== 'running') return;
  if (fs.existsSync(cfg.exitFile)) {
    rearm();
    return;
  }
  if (cfg.idleTimeout <= 0) return;
  if (establishedConnections(cfg.sockets) > 0) {
    lastBusy = Date.now();
    return;
  }
  if (Date.now() - lastBusy < cfg.idleTimeout * 1000) return;
  idleStop();
}, tickMs);

function rearm(): void {
  phase = 'armed';
  setImmediate(waitForConnection);
}

/**
 * The container is frozen, its connections looked at once more, and the stop
 * signal sent before it thaws: a connection that came after the idle sample is
 * then either seen (it keeps running) or waits in our backlog for the next
 * start, never accepted by a dying server. Without a usable freezer (rootless
 * on cgroup v1), the signal follows the sample at once. `tspod stop` then
 * waits, escalates after the stop timeout and records the exit.
 */
function idleStop(): void {
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(cfg.pidFile, 'utf8').trim());
  } catch {
    /* gone already: stop records it */
  }
  const thaw = pid > 1 ? freezeContainer(pid, cfg.id) : undefined;
  if (thaw && establishedConnections(cfg.sockets) > 0) {
    thaw();
    lastBusy = Date.now();
    return;
  }
  phase = 'stopping';
  try {
    if (pid > 1) process.kill(pid, cfg.stopSignal);
  } catch {
    /* gone already */
  }
  thaw?.();
  runTspod(['stop', cfg.id], false, (ok) => {
    if (ending) return;
    if (!ok) say('idle stop failed');
    rearm();
  });
}

waitForConnection();
