// `tspod system service`: the HTTP server around the router, on the endpoint
// chosen by listener.ts, with the inactivity timer, sd_notify, and signals.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import type { LocalEngine } from '../lib/container/engine';
import { native } from '../lib/native';
import { dispatch, type RouterOptions, type ServiceHooks } from './router';
import { compatRoutes, libpodRoutes } from './routes';
import { IdleTracker } from './idle';
import { describe, listenOn, resolveEndpoint } from './listener';
import { log, logLevel } from '../lib/cli/log';
import { EngineWorkers } from '../lib/engine/workers';
import { ChangeSignal, watchStore } from './change-signal';

export interface ServiceOptions {
  engine: LocalEngine;
  uri?: string;
  /** idle seconds before exiting; 0 = never */
  time: number;
  cors?: string;
  log: (msg: string) => void;
}

/** How long a client may take to send a request's headers; TSPOD_API_HEADERS_TIMEOUT (seconds) changes it. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;

/** When the engine workers start if no lifecycle request started them before. */
const WARM_WORKERS_AFTER_MS = 300;

/**
 * The service runs ahead of the containers. Every container's monitor (and conmon, for
 * Podman) is a session of its own, and the kernel weighs each session as much as the whole
 * service: under 100 clients starting containers on 2 cores a `/_ping` waited ~100 ms for a
 * CPU. The service's threads run at the lowest real-time priority (round-robin; their work
 * per request is short), all of them: the answering thread alone was held up to 300 ms in
 * pthread_cond_signal, waiting for a starved helper (libuv's file threads, V8's GC threads)
 * it was waking. So the file threads are made first, then every thread is raised; what they
 * start, threads and processes (engine workers, containers), gets the default priority
 * again (SCHED_RESET_ON_FORK). Without CAP_SYS_NICE (rootless) they stay as they are;
 * TSPOD_SERVICE_REALTIME=0 leaves them alone.
 */
function favorServiceThreads(env: NodeJS.ProcessEnv): void {
  if (env.TSPOD_SERVICE_REALTIME === '0') return;
  try {
    fs.access('/', () => undefined); // libuv makes its thread pool at the first request to it
    const got = new Set<string>();
    for (const tid of fs.readdirSync('/proc/self/task')) got.add(native().raiseThreadPriority(1, -10, Number(tid)));
    log('debug', `API service thread priority: ${[...got].join(', ')}`);
  } catch (err) {
    log('debug', `API service thread priority unchanged: ${(err as Error).message}`);
  }
}

function headersTimeoutMs(env: NodeJS.ProcessEnv): number {
  const v = Number(env.TSPOD_API_HEADERS_TIMEOUT);
  return env.TSPOD_API_HEADERS_TIMEOUT && Number.isFinite(v) && v > 0 ? Math.ceil(v * 1000) : DEFAULT_HEADERS_TIMEOUT_MS;
}

/** Serves until idle or signalled; resolves with the exit code. */
export async function runService(o: ServiceOptions): Promise<number> {
  const ep = resolveEndpoint(o.uri, process.env, process.pid);
  // Nothing we start (containers, monitors) may take these for its own.
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  favorServiceThreads(process.env);
  if (o.cors) log('debug', `CORS Headers were set to ${JSON.stringify(o.cors)}`); // Podman's %q
  if (ep.kind === 'tcp')
    o.log('WARNING: Using the API service with a TCP socket is not recommended: it is unauthenticated and unencrypted; prefer a unix socket\n');

  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => {
    finish = r;
  });

  // A request's headers must arrive within headersTimeout (a client trickling
  // header bytes is answered 408 and cut off, checked every second); once they
  // have, nothing bounds the request: attach, logs -f and events stream for as
  // long as they last (requestTimeout 0).
  const headersTimeout = headersTimeoutMs(process.env);
  const server = http.createServer({
    maxHeaderSize: 1024 * 1024,
    requestTimeout: 0,
    headersTimeout,
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  });
  server.keepAliveTimeout = Math.max(5000, o.time * 2000);
  const idle = new IdleTracker(o.time, () => {
    if (process.env.TSPOD_DEBUG) o.log(`API service(s) shutting down, idle for ${o.time}s\n`);
    shutdown(0);
  });
  const changes = new ChangeSignal();
  o.engine.store.ensureRoots();
  const unwatch = watchStore(o.engine.paths, changes);
  const service: ServiceHooks = {
    trackHijack(socket: net.Socket) {
      const end = idle.begin();
      socket.once('close', end);
    },
    exitCodes: new Map(),
    changes,
  };
  const workers = new EngineWorkers(
    o.engine,
    logLevel(),
    (err) => o.log(`API service: engine worker failed: ${err.stack ?? err.message}\n`),
    () => changes.notify(),
  );
  const routing: RouterOptions = { engine: o.engine, ops: workers.ops, compat: compatRoutes(), libpod: libpodRoutes(), cors: o.cors, service };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const end = idle.begin();
    res.once('close', end);
    void dispatch(routing, req, res);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const end = idle.begin();
    socket.once('close', end);
    socket.on('error', () => socket.destroy());
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.once('finish', () => {
      if (!(res as { hijacked?: boolean }).hijacked) socket.end();
    });
    void dispatch(routing, req, res, { socket, head });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable) return socket.destroy();
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  let removeSocket: () => void = () => undefined;
  let closing = false;
  function shutdown(code: number): void {
    if (closing) return;
    closing = true;
    idle.stop();
    server.close();
    server.closeAllConnections();
    removeSocket();
    finish(code);
  }

  // Handlers before listen(): a client may connect (and signal us) as soon as the kernel listens.
  const onTerm = () => shutdown(0);
  const onInt = () => shutdown(1);
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const remove = await listenOn(server, ep);
  if (closing) {
    server.close();
    remove();
  } else removeSocket = remove;
  const onCrash = (err: unknown) => o.log(`API service: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  if (process.env.NOTIFY_SOCKET) {
    try {
      native().dgramSend(process.env.NOTIFY_SOCKET, Buffer.from(`MAINPID=${process.pid}\nREADY=1`));
    } catch (err) {
      o.log(`WARNING: sd_notify: ${(err as Error).message}\n`);
    }
    delete process.env.NOTIFY_SOCKET;
  }
  if (process.env.TSPOD_DEBUG) o.log(`API service listening on ${describe(ep)}\n`);
  // After the first requests of a cold start: loading the engine's code takes a core for a while.
  const warm = setTimeout(() => workers.warm(), WARM_WORKERS_AFTER_MS);
  warm.unref();

  const code = await finished;
  clearTimeout(warm);
  unwatch();
  await workers.close();
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  return code;
}
