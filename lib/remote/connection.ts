// Where the remote client connects and how it talks: the service URI
// (--url, CONTAINER_HOST, else the default socket), JSON requests under the
// libpod prefix, errors from the service's JSON error body, streamed and
// hijacked (upgraded) responses.
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { EngineError, type ErrorKind } from '../errors';
import { isRootless } from '../rootless/identity';
import { userRuntimeDir } from '../rootless/runtime-dir';

export type ServiceAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** The libpod API version this client speaks (as podman-remote 4 does). */
export const LIBPOD_PREFIX = '/v4.0.0/libpod';

export function defaultServiceSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (!isRootless()) return '/run/tspod/tspod.sock';
  return path.join(userRuntimeDir(env), 'tspod', 'tspod.sock');
}

/** `unix:///path` or `tcp://host:port`; ssh is not supported. */
export function parseServiceUri(uri: string): ServiceAddress {
  const m = /^([a-z+]+):\/\/(.*)$/.exec(uri);
  if (!m) throw new EngineError('invalid-argument', `invalid URL "${uri}": expected unix:///path or tcp://host:port: invalid argument`);
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
  throw new EngineError('invalid-argument', `"${scheme}" is not a supported schema (unix, tcp): invalid argument`);
}

/** The engine error a service's error body stands for: kind from its cause (or status), message as is. */
export function errorFromBody(status: number, text: string): EngineError {
  let body: { message?: unknown; cause?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    /* not JSON: a proxy's or a router's text */
  }
  const message = typeof body.message === 'string' ? body.message : text.trim() || `the service answered ${status}`;
  const cause = typeof body.cause === 'string' ? body.cause : '';
  return new EngineError(kindFor(status, cause), message, cause || undefined);
}

const KINDS_BY_CAUSE: Record<string, ErrorKind> = {
  'no such container': 'no-such-container',
  'image not known': 'no-such-image',
  'no such image': 'no-such-image',
  'no such object': 'no-such-object',
  'no such pod': 'no-such-object',
  'pod already exists': 'name-in-use',
  'name is in use': 'name-in-use',
  'container state improper': 'state-improper',
  'invalid argument': 'invalid-argument',
  'image is in use by a container': 'image-in-use',
};

const ERROR_KINDS: ErrorKind[] = ['no-such-container', 'no-such-image', 'no-such-object', 'name-in-use', 'invalid-argument', 'state-improper', 'already-running', 'not-running', 'ctr-exists', 'image-in-use', 'cmd-not-found', 'cmd-cannot-invoke', 'runtime', 'internal'];

function kindFor(status: number, cause: string): ErrorKind {
  if (KINDS_BY_CAUSE[cause]) return KINDS_BY_CAUSE[cause];
  if ((ERROR_KINDS as string[]).includes(cause)) return cause as ErrorKind;
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

  constructor(
    readonly uri: string,
    readonly address: ServiceAddress,
  ) {}

  private options(method: string, pathAndQuery: string, headers: Record<string, string> = {}): http.RequestOptions {
    const base: http.RequestOptions = { method, path: `${LIBPOD_PREFIX}${pathAndQuery}`, headers: { Host: 'd', ...headers }, agent: this.agent };
    return this.address.kind === 'unix' ? { ...base, socketPath: this.address.path } : { ...base, host: this.address.host, port: this.address.port };
  }

  private connectError(e: NodeJS.ErrnoException): EngineError {
    const where = this.address.kind === 'unix' ? `dial unix ${this.address.path}` : `dial tcp ${this.address.host}:${this.address.port}`;
    const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'EACCES' ? 'permission denied' : e.message;
    return new EngineError('internal', `unable to connect to tspod socket: ${where}: connect: ${why}`);
  }

  /** Sends a request; resolves with the response once its headers arrived. */
  open(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const h = text === undefined ? headers : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers };
    return new Promise((resolve, reject) => {
      const req = http.request(this.options(method, pathAndQuery, h), resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EHOSTUNREACH'].includes(e.code) ? this.connectError(e) : e));
      req.end(text);
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
  upgrade(method: string, pathAndQuery: string, body?: unknown): Promise<{ socket: net.Socket; head: Buffer }> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) };
    return new Promise((resolve, reject) => {
      const req = http.request({ ...this.options(method, pathAndQuery, headers), agent: false });
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
