// Routing: the version prefix (/v1.41, /v3.0.0/libpod, none), the route
// tables of the Docker-compatible and libpod trees, the headers every matched
// route carries, CORS, and the one place where a handler's error becomes a
// JSON error response.
import type * as http from 'node:http';
import type * as net from 'node:net';
import type { LocalEngine } from '../lib/container/engine';
import type { EngineOps } from '../lib/engine/workers';
import type { ChangeSignal } from './change-signal';
import { ApiError, sendError } from './http';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';
export const LIBPOD_API_VERSION = '4.3.1';
export const SERVER_VERSION = '0.1.0';

/** What a handler gets. `upgrade` is set when the client asked to hijack the connection. */
export interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  engine: LocalEngine;
  /** create, start, stop, kill, rm: in the service's engine workers (lib/engine/workers), off its event loop */
  ops: EngineOps;
  service: ServiceHooks;
  upgrade?: { socket: net.Socket; head: Buffer };
}

/** What the server offers handlers: activity accounting for hijacked and long-lived streams. */
export interface ServiceHooks {
  /** Marks a hijacked connection as activity until it closes. */
  trackHijack(socket: net.Socket): void;
  /** Last exit codes seen by this service (kept after --rm removal). */
  exitCodes: Map<string, number>;
  /** wakes wait conditions when this service changed a container */
  changes: ChangeSignal;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

export class RouteTable {
  readonly routes: Route[] = [];

  /** `{x}` matches one path segment, `{x+}` one or more (image names contain slashes). */
  add(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const src = pattern.replace(/[.]/g, '\\.').replace(/\{(\w+)(\+?)\}/g, (_, k: string, plus: string) => {
      keys.push(k);
      return plus ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}$`), keys, handler });
    return this;
  }

  match(method: string, p: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(p);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]);
        } catch {
          throw new ApiError(400, `invalid escape in path: ${m[i + 1]}`, 'bad parameter');
        }
      });
      return { handler: r.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}

export interface RouterOptions {
  engine: LocalEngine;
  ops: EngineOps;
  compat: RouteTable;
  libpod: RouteTable;
  cors?: string;
  service: ServiceHooks;
}

const CORS_HEADERS = (origin: string): Record<string, string> => ({
  'Access-Control-Allow-Origin': origin,
  'Access-Control-Allow-Headers': 'Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth, Connection, Upgrade, X-Registry-Config',
  'Access-Control-Allow-Methods': 'HEAD, GET, POST, DELETE, PUT, OPTIONS',
});

/**
 * A browser names the page that sent a request in `Origin`; no API client
 * does. A state-changing request from a page `--cors` did not allow is refused
 * (a cross-site form or fetch must not create or start containers), whatever
 * the CORS headers would have let the page read back.
 */
export function checkOrigin(cors: string | undefined, method: string, origin: string | undefined): void {
  if (origin === undefined || method === 'GET' || method === 'HEAD') return;
  if (cors === '*' || (cors !== undefined && cors === origin)) return;
  throw new ApiError(403, `requests from origin ${JSON.stringify(origin)} are not allowed${cors ? '' : ' (the service allows other origins with --cors)'}`, 'forbidden');
}

/** Splits `/v1.41/x`, `/v3.0.0/libpod/x`, `/libpod/_ping` and `/x` into the tree and the path inside it. */
export function splitPath(pathname: string): { tree: 'compat' | 'libpod'; path: string } | undefined {
  const v = /^\/v([0-9][0-9A-Za-z.-]*)(\/.*)$/.exec(pathname);
  if (v) {
    const rest = v[2];
    if (rest === '/libpod' || rest.startsWith('/libpod/')) return { tree: 'libpod', path: rest.slice('/libpod'.length) || '/' };
    return { tree: 'compat', path: rest };
  }
  if (/^\/v[^/]*(\/|$)/.test(pathname) && !/^\/version$/.test(pathname)) return undefined; // /vfoo/...
  if (pathname === '/libpod/_ping') return { tree: 'libpod', path: '/_ping' };
  if (pathname.startsWith('/libpod/')) return undefined; // libpod routes are versioned only
  return { tree: 'compat', path: pathname };
}

/** The headers every matched route carries. */
const SERVICE_HEADERS = ['Api-Version', API_VERSION, 'Libpod-Api-Version', LIBPOD_API_VERSION, 'Server', `Libpod/${LIBPOD_API_VERSION} (linux)`];

/** What `/_ping` adds: the headers the docker CLI negotiates with, no caching. */
export const PING_HEADERS = [
  'Docker-Experimental',
  'true',
  'Ostype',
  'linux',
  'Builder-Version',
  '1',
  'Swarm',
  'inactive',
  'Cache-Control',
  'no-cache, no-store, must-revalidate',
  'Pragma',
  'no-cache',
];

const referenceId = (req: http.IncomingMessage) => String(req.headers['x-reference-id'] ?? `tspod-${req.socket.remotePort ?? 0}`);

/** `/_ping` of either tree, versioned or not, without a query. */
const PING_PATH = /^\/(?:v[0-9][0-9A-Za-z.-]*\/)?(?:libpod\/)?_ping$/;

/**
 * `/_ping` is what every client sends first and what health checks poll: it is
 * answered with one header block, without URL parsing or route matching.
 */
function answerPing(req: http.IncomingMessage, res: http.ServerResponse): void {
  const head = req.method === 'HEAD';
  res.writeHead(200, [
    ...SERVICE_HEADERS,
    'X-Reference-Id',
    referenceId(req),
    ...PING_HEADERS,
    ...(head ? ['Content-Length', '0'] : ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', '2']),
  ]);
  res.end(head ? undefined : 'OK');
}

function notFound(res: http.ServerResponse, status: 404 | 405): void {
  const text = status === 404 ? 'Not Found\n' : 'Method Not Allowed\n';
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Dispatches one request (plain or upgrade) to its handler. Never throws. */
export async function dispatch(opts: RouterOptions, req: http.IncomingMessage, res: http.ServerResponse, upgrade?: RouteContext['upgrade']): Promise<void> {
  try {
    if (!opts.cors && !upgrade && (req.method === 'GET' || req.method === 'HEAD') && PING_PATH.test(req.url ?? '')) return answerPing(req, res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://d');
    } catch {
      return notFound(res, 404);
    }
    const method = req.method ?? 'GET';
    const split = splitPath(url.pathname);
    if (opts.cors && method === 'OPTIONS' && split) {
      res.writeHead(204, CORS_HEADERS(opts.cors));
      res.end();
      return;
    }
    const table = split ? (split.tree === 'libpod' ? opts.libpod : opts.compat) : undefined;
    const m = table && split ? table.match(method, split.path.replace(/\/+$/, '') || '/') : undefined;
    if (!m || m === 'method') return notFound(res, m === 'method' ? 405 : 404);
    for (let i = 0; i < SERVICE_HEADERS.length; i += 2) res.setHeader(SERVICE_HEADERS[i], SERVICE_HEADERS[i + 1]);
    res.setHeader('X-Reference-Id', referenceId(req));
    if (opts.cors) for (const [k, v] of Object.entries(CORS_HEADERS(opts.cors))) res.setHeader(k, v);
    checkOrigin(opts.cors, method, req.headers.origin);
    await m.handler({ req, res, params: m.params, query: url.searchParams, engine: opts.engine, ops: opts.ops, service: opts.service, upgrade });
  } catch (err) {
    try {
      sendError(res, err);
    } catch {
      res.destroy();
    }
  }
}
