// `run/create --listen`: scale to zero. The engine opens the listening sockets
// and hands them to a small listener (tspod-conmon --listen, conmon/listen-monitor.ts)
// that holds them as systemd would. On the first connection the listener runs
// `tspod start` with them as LISTEN_FDS: the very path systemd-activated sockets
// take, so the container accepts on the very socket, no proxy.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { ContainerRecord } from '../storage/records';
import type { Store } from '../storage/store';
import { type StoragePaths, bundleDir, containerDir, exitFile } from '../storage/paths';
import { entryScript, monitorNode, tspodCommand } from '../package-root';
import { MONITOR_NODE_FLAGS } from '../container/monitor';
import { EngineError } from '../errors';
import { type ListenAddress, parseListenAddresses } from './listen-address';
import { sleepSync } from '../sleep-sync';

/** What the listener is told (argv of tspod-conmon --listen). Its fds 3.. are the sockets, in --listen order. */
export interface ListenMonitorConfig {
  id: string;
  sockets: ListenAddress[];
  /** seconds without an established connection before the container is stopped; 0: never */
  idleTimeout: number;
  stopSignal: number;
  /** tspod with --root/--runroot/--runtime: the CLI the listener runs `start`/`stop` with */
  tspod: string[];
  exitFile: string;
  pidFile: string;
  logFile: string;
}

export const listenerPidFile = (paths: StoragePaths, id: string) => path.join(bundleDir(paths, id), 'listener.pid');

/** The listener process of a container, when one is alive (and really is ours: pids get reused). */
export function listenerAlive(state: ContainerRecord['state'], id: string): boolean {
  const pid = state.listenerPid;
  if (!pid) return false;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('\0--listen\0') || !cmd.includes(id)) return false;
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Status shown while the sockets are held and the container is not running. */
export const isListening = (rec: ContainerRecord): boolean => rec.state.status !== 'running' && listenerAlive(rec.state, rec.id);

/** Binds one socket; a unix socket is bound under a temporary name, linked into place by the caller. */
function bind(addr: ListenAddress, tmpPath: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = addr.kind === 'unix' ? addr.path : `${addr.host ?? '*'}:${addr.port}`;
      reject(new EngineError('invalid-argument', `cannot listen on ${where}: ${err.code ?? err.message}`));
    });
    // No accept ever happens here: the fd is handed over (spawn) before the event loop polls again.
    server.once('listening', () => resolve(server));
    if (addr.kind === 'unix') server.listen({ path: tmpPath, backlog: 511 });
    else server.listen({ port: addr.port, host: addr.host, backlog: 511, exclusive: true });
  });
}

const handleFd = (s: net.Server): number => (s as unknown as { _handle: { fd: number } })._handle.fd;

/**
 * Opens the sockets and starts the listener holding them. Unix sockets: a stale
 * socket file at the path is replaced, any other file is an error.
 */
export async function armListener(paths: StoragePaths, store: Store, rec: ContainerRecord, runtime: string | undefined): Promise<void> {
  if (listenerAlive(rec.state, rec.id)) return;
  const addrs = parseListenAddresses(rec.config.listen ?? []);
  const servers: net.Server[] = [];
  const tmpPaths: string[] = [];
  try {
    for (const a of addrs) {
      let tmp = '';
      if (a.kind === 'unix') {
        const st = fs.lstatSync(a.path, { throwIfNoEntry: false });
        if (st && !st.isSocket()) throw new EngineError('invalid-argument', `cannot listen on ${a.path}: a file that is not a socket is there`);
        tmp = path.join(path.dirname(a.path), `.tspod-listen-${process.pid}-${servers.length}`);
        tmpPaths.push(tmp);
      }
      servers.push(await bind(a, tmp));
      if (a.kind === 'unix') {
        fs.rmSync(a.path, { force: true }); // a stale socket (checked above)
        fs.linkSync(tmp, a.path); // the socket's inode under its real name; libuv unlinks tmp on close
      }
    }
    const cfg: ListenMonitorConfig = {
      id: rec.id,
      sockets: addrs,
      idleTimeout: rec.config.idleTimeout ?? 0,
      stopSignal: rec.config.stopSignal,
      tspod: [...tspodCommand(), '--root', paths.root, '--runroot', paths.runroot, ...(runtime ? ['--runtime', runtime] : [])],
      exitFile: exitFile(paths, rec.id),
      pidFile: path.join(bundleDir(paths, rec.id), 'pidfile'),
      logFile: path.join(containerDir(paths, rec.id), 'listen.log'),
    };
    const child = spawn(monitorNode(), [...MONITOR_NODE_FLAGS, entryScript('tspod-conmon'), '--listen', JSON.stringify(cfg)], {
      detached: true, // outlives the CLI, as the container's monitor does
      stdio: ['ignore', 'ignore', process.env.TSPOD_DEBUG ? 'inherit' : 'ignore', ...servers.map(handleFd)],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.unref();
    if (child.pid === undefined) throw new EngineError('internal', 'could not start the listener (tspod-conmon --listen)');
    store.update((db) => {
      const cur = db.containers[rec.id];
      if (cur) cur.state.listenerPid = child.pid;
    });
    // PIDFile= of a generated unit: the listener is the service's main process while scaled to zero
    fs.mkdirSync(bundleDir(paths, rec.id), { recursive: true, mode: 0o700 });
    fs.writeFileSync(listenerPidFile(paths, rec.id), String(child.pid));
  } catch (err) {
    for (const a of addrs) if (a.kind === 'unix' && servers.length) fs.rmSync(a.path, { force: true });
    throw err;
  } finally {
    for (const s of servers) s.close(); // the listener holds them now
    for (const t of tmpPaths) fs.rmSync(t, { force: true });
  }
}

/**
 * Ends the listener (it closes the sockets and removes unix socket files): the
 * port refuses from now on. Not when the caller is the listener itself (its idle stop).
 */
export function disarmListener(store: Store, rec: ContainerRecord): void {
  const pid = rec.state.listenerPid;
  if (!pid || process.ppid === pid) return;
  if (listenerAlive(rec.state, rec.id)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const deadline = Date.now() + 3000;
    while (listenerAlive(rec.state, rec.id) && Date.now() < deadline) sleepSync(20);
    if (listenerAlive(rec.state, rec.id)) process.kill(pid, 'SIGKILL');
  }
  store.update((db) => {
    const cur = db.containers[rec.id];
    if (cur) delete cur.state.listenerPid;
  });
}

/** A start through the listener (sockets inherited): counted in inspect's .State.Activations. */
export function countActivation(store: Store, id: string): void {
  store.update((db) => {
    const cur = db.containers[id];
    if (cur) cur.state.activations = (cur.state.activations ?? 0) + 1;
  });
}
