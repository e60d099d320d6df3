// HTTP(S) to one registry: keep-alive agents, the extra CA file (TSPOD_EXTRA_CA_CERTS,
// moved there from NODE_EXTRA_CA_CERTS by the dist wrapper), redirects, and for
// an insecure registry (--tls-verify=false, registries.conf `insecure`) TLS
// without verification and a fall back to plain HTTP, as containers/image does.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { Readable } from 'node:stream';
import { EngineError } from '../../errors';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** a Buffer, or a function making a fresh stream (called again on a redirect) */
  body?: Buffer | (() => Readable);
  /** headers (Authorization) to send only to the registry itself, not after a redirect to another host */
  authHeader?: string;
  timeoutMs?: number;
}

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

let extraCa: string | undefined | null = null;
function extraCaCerts(): string | undefined {
  if (extraCa === null) {
    const file = process.env.TSPOD_EXTRA_CA_CERTS || process.env.NODE_EXTRA_CA_CERTS;
    extraCa = undefined;
    if (file && process.env.NODE_EXTRA_CA_CERTS !== file) {
      try {
        extraCa = fs.readFileSync(file, 'utf8');
      } catch {
        extraCa = undefined;
      }
    }
  }
  return extraCa;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let verifyingAgent: https.Agent | undefined;
let insecureAgent: https.Agent | undefined;

function httpsAgent(verify: boolean): https.Agent {
  if (!verify) return (insecureAgent ??= new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }));
  if (!verifyingAgent) {
    const ca = extraCaCerts();
    verifyingAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}) });
  }
  return verifyingAgent;
}

/** Errors that mean "this endpoint does not speak TLS" (or speaks it badly), worth an HTTP retry when insecure. */
function isTlsFailure(err: NodeJS.ErrnoException): boolean {
  return (
    err.code === 'EPROTO' ||
    err.code === 'ECONNRESET' ||
    (err.code ?? '').startsWith('ERR_SSL') ||
    /SSL|TLS|wrong version/i.test(err.message)
  );
}

export class RegistryTransport {
  /** decided after the first successful connection */
  private scheme: 'https' | 'http' | undefined;

  constructor(
    readonly host: string,
    readonly insecure: boolean,
  ) {}

  baseUrl(): string {
    return `${this.scheme ?? 'https'}://${this.host}`;
  }

  /** Sends a request to path (on the registry) or to an absolute URL; follows redirects. */
  async request(target: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    if (/^https?:\/\//.test(target)) return this.follow(new URL(target), opts);
    if (this.scheme) return this.follow(new URL(`${this.scheme}://${this.host}${target}`), opts);
    try {
      const res = await this.follow(new URL(`https://${this.host}${target}`), opts);
      this.scheme = 'https';
      return res;
    } catch (err) {
      if (!this.insecure || !isTlsFailure(err as NodeJS.ErrnoException)) throw this.wrap(err);
      const res = await this.follow(new URL(`http://${this.host}${target}`), opts);
      this.scheme = 'http';
      return res;
    }
  }

  private wrap(err: unknown): Error {
    if (err instanceof EngineError) return err;
    const e = err as NodeJS.ErrnoException;
    const hint =
      !this.insecure && isTlsFailure(e) ? ` (if ${this.host} serves plain HTTP, use --tls-verify=false or mark it insecure in registries.conf)` : '';
    return new EngineError('internal', `pinging container registry ${this.host}: ${e.message}${hint}`);
  }

  private async follow(url: URL, opts: RequestOptions): Promise<http.IncomingMessage> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const sameHost = current.host === this.host;
      const headers: Record<string, string> = { 'User-Agent': 'tspod/0.1.0', ...(opts.headers ?? {}) };
      if (opts.authHeader && sameHost) headers.Authorization = opts.authHeader;
      const res = await send(current, opts.method ?? 'GET', headers, opts.body, this.insecure, opts.timeoutMs ?? IDLE_TIMEOUT_MS);
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (hop >= MAX_REDIRECTS) throw new EngineError('internal', `too many redirects fetching ${url.href}`);
        current = new URL(res.headers.location, current);
        if (status === 303) opts = { ...opts, method: 'GET', body: undefined };
        continue;
      }
      return res;
    }
  }
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: RequestOptions['body'],
  insecure: boolean,
  timeoutMs: number,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const h: Record<string, string> = { ...headers };
    if (Buffer.isBuffer(body)) h['Content-Length'] = String(body.length);
    else if (!body && method !== 'GET' && method !== 'HEAD') h['Content-Length'] ??= '0';
    const req = (isHttps ? https : http).request(url, {
      method,
      headers: h,
      agent: isHttps ? httpsAgent(!insecure) : httpAgent,
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs / 1000}s talking to ${url.host}`)));
    req.on('response', (res) => {
      // an idle response body also times out
      res.setTimeout?.(timeoutMs, () => res.destroy(new Error(`timeout after ${timeoutMs / 1000}s reading from ${url.host}`)));
      resolve(res);
    });
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else if (body) {
      const stream = body();
      stream.on('error', (e) => req.destroy(e));
      stream.pipe(req);
    } else req.end();
  });
}

/** Reads a whole response body, refusing more than limit bytes. */
export async function readBody(res: http.IncomingMessage, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new EngineError('internal', `response too large (more than ${limit} bytes)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
