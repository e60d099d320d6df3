// Where the remote client connects and how it talks: the service URI
// (--url, CONTAINER_HOST, else the default socket), JSON requests under the
// libpod prefix, errors from the service's JSON error body, streamed and
// hijacked (upgraded) responses.
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { EngineError, isErrorKind, type ErrorKind } from '../errors';
import { isRootless } from '../rootless/identity';
import { userRuntimeDir } from '../rootless/runtime-dir';

export type ServiceAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | SshAddress;

/** ssh://user@host[:port]/path: the service's unix socket on another machine, reached through OpenSSH. */
export interface SshAddress {
  kind: 'ssh';
  user: string;
  host: string;
  port: number;
  path: string;
}

/** The libpod API version this client speaks (as podman-remote 4 does). */
export const LIBPOD_PREFIX = '/v4.0.0/libpod';

export function defaultServiceSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (!isRootless()) return '/run/tspod/tspod.sock';
  return path.join(userRuntimeDir(env), 'tspod', 'tspod.sock');
}

/** `unix:///path`, `tcp://host:port` or `ssh://[user@]host[:port][/path]`. */
export function parseServiceUri(uri: string): ServiceAddress {
  const m = /^([a-z+]+):\/\/(.*)$/.exec(uri);
  if (!m) throw new EngineError('invalid-argument', `invalid URL "${uri}": expected unix:///path, tcp://host:port or ssh://user@host[:port]/path: invalid argument`);
  const [, scheme, rest] = m;
  if (scheme === 'unix') {
    if (!rest.startsWith('/')) throw new EngineError('invalid-argument', `invalid URL "${uri}": a unix URL needs an absolute path: invalid argument`);
    return { kind: 'unix', path: rest };
  }
  if (scheme === 'tcp') {
    const hp = /^\[?([^\]/]*)\]?:(\d+)\/?$/.exec(rest);
    if (!hp || Number(hp[2]) > 65535) throw new EngineError('invalid-argument', `invalid URL "${uri}": expected tcp://host:port: invalid argument`);
    return { kind: 'tcp', host: hp[1] || 'localhost', port: Number(hp[2]) };
  }
  if (scheme === 'ssh') return parseSshUri(uri, rest);
  throw new EngineError('invalid-argument', `"${scheme}" is not a supported schema (unix, tcp, ssh): invalid argument`);
}

/**
 * The parts of an ssh URL, checked strictly: they become ssh's arguments
 * (never a shell's), so no part may start with "-" or hold a colon, a space
 * or a control character (ssh -L splits its spec at colons).
 */
function parseSshUri(uri: string, rest: string): SshAddress {
  const bad = (why: string) => new EngineError('invalid-argument', `invalid URL "${uri}": ${why}: invalid argument`);
  const m = /^(?:([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::(\d{1,5}))?(\/[^\s:\0-\x1f\x7f]*)?$/.exec(rest);
  if (!m) throw bad('expected ssh://user@host[:port]/path/to/tspod.sock');
  const [, userPart, hostPart, portPart, pathPart] = m;
  const port = portPart === undefined ? 22 : Number(portPart);
  if (port < 1 || port > 65535) throw bad(`port ${portPart} is out of range`);
  const user = userPart ?? require('node:os').userInfo().username;
  // as Podman's default: root's service socket (another user's is under its runtime directory)
  const sockPath = pathPart && pathPart !== '/' ? path.posix.normalize(pathPart) : user === 'root' ? '/run/tspod/tspod.sock' : undefined;
  if (!sockPath) throw bad(`give the service's socket path for user ${user} (ssh://${user}@host/run/user/UID/tspod/tspod.sock)`);
  return { kind: 'ssh', user, host: hostPart.replace(/^\[|\]$/g, ''), port, path: sockPath };
}

/** How an address is written in messages. */
export function addressText(a: ServiceAddress): string {
  if (a.kind === 'unix') return `unix ${a.path}`;
  if (a.kind === 'tcp') return `tcp ${a.host}:${a.port}`;
  return `ssh ${a.user}@${a.host}:${a.port}${a.path}`;
}

/**
 * The engine error a service's error body stands for: the kind from the body's
 * `kind` (tspod's stable error code), the message as is. A service that sends
 * no kind (Podman) is understood by its cause and status.
 */
export function errorFromBody(status: number, text: string): EngineError {
  let body: { message?: unknown; cause?: unknown; kind?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    /* not JSON: a proxy's or a router's text */
  }
  const message = typeof body.message === 'string' ? body.message : text.trim() || `the service answered ${status}`;
  const cause = typeof body.cause === 'string' ? body.cause : '';
  const kind = isErrorKind(body.kind) ? body.kind : podmanKind(status, cause);
  return new EngineError(kind, message, cause || undefined);
}

// Podman's causes (its libpod error values): only for services that send no kind
const PODMAN_CAUSES: Record<string, ErrorKind> = {
  'no such container': 'no-such-container',
  'image not known': 'no-such-image',
  'no such image': 'no-such-image',
  'no such object': 'no-such-object',
  'no such pod': 'no-such-object',
  'no such volume': 'no-such-object',
  'network not found': 'no-such-object',
  'pod already exists': 'name-in-use',
  'name is in use': 'name-in-use',
  'container state improper': 'state-improper',
  'invalid argument': 'invalid-argument',
  'image is in use by a container': 'image-in-use',
};

function podmanKind(status: number, cause: string): ErrorKind {
  if (PODMAN_CAUSES[cause]) return PODMAN_CAUSES[cause];
  if (status === 404) return 'no-such-object';
  if (status === 409) return 'state-improper';
  if (status === 400) return 'invalid-argument';
  return 'internal';
}

export interface Reply {
  status: number;
  body: Buffer;
}

/** An HTTP client for one service; requests share a keep-alive agent. */
export class ServiceConnection {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  /** where requests go: the address itself, or (ssh) the local end of the tunnel */
  private dialed?: Promise<{ kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number }>;

  constructor(
    readonly uri: string,
    readonly address: ServiceAddress,
    /** ssh: the key to log in with (--identity) */
    readonly identity?: string,
  ) {}

  private target(): Promise<{ kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number }> {
    const a = this.address;
    if (a.kind !== 'ssh') return Promise.resolve(a);
    this.dialed ??= (require('./ssh') as typeof import('./ssh')).openTunnel(a, this.identity).then((path) => ({ kind: 'unix' as const, path }));
    return this.dialed;
  }

  private async options(method: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<http.RequestOptions> {
    const base: http.RequestOptions = { method, path: `${LIBPOD_PREFIX}${pathAndQuery}`, headers: { Host: 'd', ...headers }, agent: this.agent };
    const t = await this.target();
    return t.kind === 'unix' ? { ...base, socketPath: t.path } : { ...base, host: t.host, port: t.port };
  }

  private connectError(e: NodeJS.ErrnoException): EngineError {
    const where = this.address.kind === 'unix' ? `dial unix ${this.address.path}` : this.address.kind === 'tcp' ? `dial tcp ${this.address.host}:${this.address.port}` : `dial ${addressText(this.address)}`;
    const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'EACCES' ? 'permission denied' : e.message;
    return new EngineError('internal', `unable to connect to tspod socket: ${where}: connect: ${why}`);
  }

  /** Sends a request; resolves with the response once its headers arrived. */
  async open(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    // a Buffer goes as it is (YAML for kube play), anything else as JSON
    const text = body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h = text === undefined ? headers : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers };
    const options = await this.options(method, pathAndQuery, h);
    return new Promise((resolve, reject) => {
      const req = http.request(options, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH'].includes(e.code) ? this.connectError(e) : e));
      req.end(text);
    });
  }

  /** Sends a streamed body (a tar); resolves with the response once its headers arrived. */
  async send(method: string, pathAndQuery: string, body: NodeJS.ReadableStream, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    const options = await this.options(method, pathAndQuery, { 'Transfer-Encoding': 'chunked', ...headers });
    return new Promise((resolve, reject) => {
      const req = http.request({ ...options, agent: false }, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH'].includes(e.code) ? this.connectError(e) : e));
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    });
  }

  /** A whole request; a 4xx/5xx (but not 304) becomes the engine error it carries. */
  async request(method: string, pathAndQuery: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
    const res = await this.open(method, pathAndQuery, body, headers);
    const buf = await readAll(res);
    const status = res.statusCode ?? 500;
    if (status >= 400) throw errorFromBody(status, buf.toString('utf8'));
    return { status, body: buf };
  }

  async json<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
    const r = await this.request(method, pathAndQuery, body);
    return JSON.parse(r.body.toString('utf8')) as T;
  }

  /** An upgraded (hijacked) connection: the raw socket after `101`, with any bytes that came with the headers. */
  async upgrade(method: string, pathAndQuery: string, body?: unknown): Promise<{ socket: net.Socket; head: Buffer }> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) };
    const options = await this.options(method, pathAndQuery, headers);
    return new Promise((resolve, reject) => {
      const req = http.request({ ...options, agent: false });
      req.on('upgrade', (_res, socket: net.Socket, head: Buffer) => resolve({ socket, head }));
      req.on('response', (res) => {
        void readAll(res).then((buf) => reject(errorFromBody(res.statusCode ?? 500, buf.toString('utf8'))), reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code && ['ENOENT', 'ECONNREFUSED', 'EACCES'].includes(e.code) ? this.connectError(e) : e));
      req.end(text);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function readAll(res: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** Splits Docker's multiplexed stream ([stream,0,0,0,len BE32] + payload) into frames. */
export class MuxDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const stream = this.buf[0] === 2 ? 'stderr' : 'stdout';
      this.onFrame(stream, this.buf.subarray(8, 8 + len));
      this.buf = this.buf.subarray(8 + len);
    }
  }
}
