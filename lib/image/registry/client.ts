// The OCI distribution API client: manifests, blobs (download with ranges,
// monolithic upload, cross-repository mounts), tags, catalog, and the auth
// dance (401 -> challenge -> token or basic -> retry) with a token per scope.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import * as crypto from 'node:crypto';
import { EngineError } from '../../errors';
import type { Credentials } from '../../config/auth-json';
import { AuthError, type Challenge, basicHeader, fetchToken, parseChallenges } from './auth';
import { RegistryTransport, type RequestOptions, readBody } from './transport';
import { MANIFEST_ACCEPT } from './manifests';

export const MANIFEST_LIMIT = 4 << 20;

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of bytes */
  digest: string;
}

export interface ClientOptions {
  insecure: boolean;
  credentials?: Credentials;
}

/** Docker Hub's API host for the docker.io name. */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

/** The registry's error message from a JSON error body ({"errors":[{"code","message"}]}). */
function errorText(body: Buffer, res: IncomingMessage): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const msgs = (parsed.errors ?? []).map((e) => (e.message ?? e.code ?? '').toLowerCase()).filter(Boolean);
    if (msgs.length) return msgs.join('; ');
  } catch {
    // not JSON
  }
  return `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
}

export class RegistryClient {
  readonly transport: RegistryTransport;
  /** Authorization header per scope set */
  private readonly headers = new Map<string, string>();
  private challenge: Challenge | undefined;

  constructor(
    readonly registry: string,
    readonly opts: ClientOptions,
  ) {
    this.transport = new RegistryTransport(apiHost(registry), opts.insecure);
  }

  private authFor(scopes: string[]): string | undefined {
    const key = scopes.join(' ');
    const h = this.headers.get(key);
    if (h) return h;
    if (this.challenge?.scheme === 'basic' && this.opts.credentials) return basicHeader(this.opts.credentials);
    return undefined;
  }

  private async authenticate(res: IncomingMessage, scopes: string[]): Promise<string> {
    res.resume();
    const challenges = parseChallenges(res.headers['www-authenticate']);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = this.opts.credentials;
    let header: string;
    if (bearer) {
      this.challenge = bearer;
      header = `Bearer ${await fetchToken(this.transport, bearer, scopes, creds)}`;
    } else if (basic) {
      this.challenge = basic;
      if (!creds) throw new AuthError(`authentication required by ${this.registry}: no credentials (use tspod login)`);
      header = basicHeader(creds);
    } else throw new AuthError(`${this.registry} requires authentication with an unsupported scheme (${res.headers['www-authenticate'] ?? 'none'})`);
    this.headers.set(scopes.join(' '), header);
    return header;
  }

  /** A request with auth; a 401 is answered once by authenticating and retrying. */
  async call(path: string, scopes: string[], opts: RequestOptions = {}): Promise<IncomingMessage> {
    let res = await this.transport.request(path, { ...opts, authHeader: this.authFor(scopes) });
    if (res.statusCode !== 401) return res;
    const header = await this.authenticate(res, scopes);
    res = await this.transport.request(path, { ...opts, authHeader: header });
    if (res.statusCode === 401) {
      const body = await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
      throw new AuthError(`authenticating to ${this.registry}: ${errorText(body, res)}: invalid username/password or not authorized`);
    }
    return res;
  }

  /** Checks that the registry answers the v2 API and that our credentials (if any) are accepted. */
  async ping(): Promise<void> {
    const res = await this.transport.request('/v2/', {});
    if (res.statusCode === 200) return void res.resume();
    if (res.statusCode !== 401) {
      const body = await readBody(res, 1 << 20);
      throw new EngineError('internal', `${this.registry} does not speak the registry v2 API: ${errorText(body, res)}`);
    }
    const header = await this.authenticate(res, []);
    const again = await this.transport.request('/v2/', { authHeader: header });
    again.resume();
    if (again.statusCode !== 200)
      throw new AuthError(`logging in to ${this.registry}: invalid username/password (${again.statusCode})`);
  }

  private async fail(res: IncomingMessage, what: string): Promise<never> {
    const body = await readBody(res, 1 << 20).catch(() => Buffer.alloc(0));
    const text = errorText(body, res);
    if (res.statusCode === 404) throw new EngineError('no-such-image', `${what}: ${text}`);
    throw new EngineError('internal', `${what}: ${text}`);
  }

  async getManifest(repo: string, reference: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    const res = await this.call(`/v2/${repo}/manifests/${reference}`, [`repository:${repo}:pull`], {
      headers: { Accept: accept.join(', ') },
    });
    const what = `reading manifest ${reference} in ${this.registry}/${repo}`;
    if (res.statusCode !== 200) return this.fail(res, what);
    const bytes = await readBody(res, MANIFEST_LIMIT).catch((e: Error) => {
      throw new EngineError('internal', `${what}: ${e.message}`);
    });
    const digest = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.includes(':') && reference !== digest)
      throw new EngineError('invalid-argument', `${what}: manifest digest mismatch: expected ${reference}, got ${digest}`);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    return { bytes, mediaType, digest };
  }

  /** Manifest digest for a tag without its body (HEAD), undefined when the registry does not say. */
  async headManifest(repo: string, reference: string): Promise<string | undefined> {
    const res = await this.call(`/v2/${repo}/manifests/${reference}`, [`repository:${repo}:pull`], {
      method: 'HEAD',
      headers: { Accept: MANIFEST_ACCEPT.join(', ') },
    });
    res.resume();
    if (res.statusCode !== 200) return undefined;
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : undefined;
  }

  /** The blob's bytes from offset (a 206 when the registry honoured the range, else a 200 from the start). */
  async getBlob(repo: string, digest: string, offset = 0): Promise<IncomingMessage> {
    const res = await this.call(`/v2/${repo}/blobs/${digest}`, [`repository:${repo}:pull`], {
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      timeoutMs: 120_000,
    });
    if (res.statusCode === 200 || res.statusCode === 206) return res;
    if (res.statusCode === 416 && offset > 0) {
      res.resume();
      return this.getBlob(repo, digest, 0);
    }
    return this.fail(res, `fetching blob ${digest} from ${this.registry}/${repo}`);
  }

  async hasBlob(repo: string, digest: string, push = false): Promise<boolean> {
    const res = await this.call(`/v2/${repo}/blobs/${digest}`, [`repository:${repo}:${push ? 'pull,push' : 'pull'}`], { method: 'HEAD' });
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw new EngineError('internal', `checking blob ${digest} in ${this.registry}/${repo}: ${res.statusCode} ${res.statusMessage ?? ''}`);
  }

  /** Uploads a blob in one PUT (after trying a cross-repository mount from mountFrom). */
  async uploadBlob(repo: string, digest: string, size: number, open: () => Readable, mountFrom?: string): Promise<'uploaded' | 'mounted'> {
    const scopes = [`repository:${repo}:pull,push`, ...(mountFrom && mountFrom !== repo ? [`repository:${mountFrom}:pull`] : [])];
    const query = mountFrom && mountFrom !== repo ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await this.call(`/v2/${repo}/blobs/uploads/${query}`, scopes, { method: 'POST' });
    if (start.statusCode === 201) {
      start.resume();
      return 'mounted';
    }
    if (start.statusCode !== 202 || !start.headers.location) return this.fail(start, `starting an upload to ${this.registry}/${repo}`);
    start.resume();
    const location = new URL(start.headers.location, `${this.transport.baseUrl()}/`);
    location.searchParams.set('digest', digest);
    const target = location.host === this.transport.host ? `${location.pathname}${location.search}` : location.href;
    const put = await this.call(target, scopes, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body: open,
      timeoutMs: 300_000,
    });
    if (put.statusCode !== 201) return this.fail(put, `uploading blob ${digest} to ${this.registry}/${repo}`);
    put.resume();
    return 'uploaded';
  }

  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.call(`/v2/${repo}/manifests/${reference}`, [`repository:${repo}:pull,push`], {
      method: 'PUT',
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) return this.fail(res, `writing manifest to ${this.registry}/${repo}:${reference}`);
    res.resume();
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  }

  async tags(repo: string): Promise<string[]> {
    const res = await this.call(`/v2/${repo}/tags/list`, [`repository:${repo}:pull`]);
    if (res.statusCode !== 200) return this.fail(res, `listing tags of ${this.registry}/${repo}`);
    const parsed = JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null };
    return parsed.tags ?? [];
  }

  /** The repositories (the /v2/_catalog extension, which Docker's registry serves). */
  async catalog(limit = 1000): Promise<string[]> {
    const res = await this.call(`/v2/_catalog?n=${limit}`, ['registry:catalog:*']);
    if (res.statusCode !== 200) return this.fail(res, `searching ${this.registry}`);
    const parsed = JSON.parse((await readBody(res)).toString('utf8')) as { repositories?: string[] | null };
    return parsed.repositories ?? [];
  }
}
