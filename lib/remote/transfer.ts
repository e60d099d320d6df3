// Image transfers of the remote engine, as podman-remote does them: the client
// reads its own files (or stdin) and streams them up (POST /images/load,
// /images/import), streams archives down into its own files (GET
// /images/export; the dir formats come as a tar of the directory), and pushes
// with its own credentials in X-Registry-Auth (POST /images/{name}/push), and
// streams a container's export down (GET /containers/{name}/export).
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServiceConnection } from './connection';
import { errorFromBody, readAll } from './connection';
import { readLines } from './observe';
import { type ImportRequest, type PushRequest, type SaveRequest, type TransferEngine, saveTargets, writeClientOutput } from '../engine/transfer';
import { EngineError, isErrorKind } from '../errors';
import { openInput } from '../image/input';

const enc = encodeURIComponent;
const TAR = { 'Content-Type': 'application/x-tar' };
const isUrl = (s: string) => /^https?:\/\//i.test(s);

async function failed(res: IncomingMessage): Promise<never> {
  throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
}

async function jsonOf<T>(res: IncomingMessage): Promise<T> {
  if ((res.statusCode ?? 500) >= 400) return failed(res);
  return JSON.parse((await readAll(res)).toString('utf8')) as T;
}

/** A response body cut short (the service failed after it began) is an error, not a short file. */
function truncated(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  return new EngineError('internal', `the service ended the archive early: ${(e as Error).message}`);
}

export class RemoteTransfer implements TransferEngine {
  constructor(private readonly conn: ServiceConnection) {}

  async loadImages(input: string | Readable): Promise<string[]> {
    const body = typeof input === 'string' ? openInput(input) : input;
    const r = await jsonOf<{ Names?: string[] }>(await this.conn.send('POST', '/images/load', body, TAR));
    return r.Names ?? [];
  }

  async importImage(source: string | Readable, req: ImportRequest): Promise<string> {
    // what the service would refuse is refused before any input is read (as the local import)
    const { applyChanges } = await import('../image/changes');
    const { normalizeLocalName } = await import('../image/reference');
    applyChanges({}, req.changes);
    if (req.reference) normalizeLocalName(req.reference);
    const q = new URLSearchParams();
    if (req.reference) q.set('reference', req.reference);
    if (req.message) q.set('message', req.message);
    for (const c of req.changes) q.append('changes', c);
    let res: IncomingMessage;
    // a URL is fetched by the service (Podman's `url`); a file or stdin goes up as the body
    if (typeof source === 'string' && isUrl(source)) {
      q.set('url', source);
      res = await this.conn.open('POST', `/images/import?${q}`);
    } else res = await this.conn.send('POST', `/images/import?${q}`, typeof source === 'string' ? openInput(source) : source, TAR);
    return (await jsonOf<{ Id: string }>(res)).Id;
  }

  async saveImages(refs: string[], req: SaveRequest): Promise<void> {
    const q = new URLSearchParams({ format: req.format, ociAcceptUncompressedLayers: String(!!req.uncompressed) });
    // without -m the extra names go as `additionalTags` (tspod's; Podman's service saves every reference as an image)
    const t = saveTargets(refs, req);
    for (const r of t.refs) q.append('references', r);
    for (const tag of t.additionalTags ?? []) q.append('additionalTags', tag);
    const res = await this.conn.open('GET', `/images/export?${q}`);
    if (res.statusCode !== 200) return failed(res);
    const isDir = req.format === 'oci-dir' || req.format === 'docker-dir';
    const target = req.output;
    try {
      // the local save's checks, in its order (after the images were found)
      if (isDir && target === '-') throw new EngineError('invalid-argument', `format ${req.format} needs an output directory (-o)`);
      if (isDir && fs.existsSync(target) && fs.readdirSync(target).length > 0) throw new EngineError('invalid-argument', `${target}: the directory is not empty`);
    } catch (e) {
      res.destroy();
      throw e;
    }
    if (target === '-') {
      await pipeline(res, process.stdout).catch((e) => Promise.reject(truncated(e)));
      return;
    }
    // written under a temporary name, renamed once complete (as the local save)
    const tmp = `${target}.tspod-${process.pid}.tmp`;
    try {
      if (isDir) {
        fs.mkdirSync(tmp, { mode: 0o755 });
        const { extractTar } = await import('../container/archive');
        await extractTar(tmp, '/', res).catch((e) => Promise.reject(truncated(e)));
        fs.rmSync(target, { recursive: true, force: true });
      } else {
        await pipeline(res, fs.createWriteStream(tmp)).catch((e) => Promise.reject(truncated(e)));
      }
      fs.renameSync(tmp, target);
    } catch (e) {
      res.destroy();
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  async exportContainer(nameOrId: string, output: string): Promise<void> {
    const res = await this.conn.open('GET', `/containers/${enc(nameOrId)}/export`);
    if (res.statusCode !== 200) return failed(res);
    try {
      await writeClientOutput(output, (out) => pipeline(res, out).catch((e) => Promise.reject(truncated(e))));
    } finally {
      res.destroy();
    }
  }

  async pushImage(src: string, dest: string | undefined, req: PushRequest): Promise<string> {
    const { archiveTransport } = await import('../image/transport-ref');
    // an archive destination is the client's file, as with the local push: the service's save streamed down
    const archive = dest ? archiveTransport(dest) : undefined;
    if (archive) {
      await this.saveImages([src], { format: archive.format, output: archive.path });
      return '';
    }
    const q = new URLSearchParams({ quiet: String(!!req.quiet) });
    if (dest) q.set('destination', dest.replace(/^docker:\/\//, ''));
    if (req.tlsVerify !== undefined) q.set('tlsVerify', String(req.tlsVerify));
    const creds = req.credentials ?? (await this.clientCredentials(src, dest, req.authfile));
    // X-Registry-Auth as Podman's client encodes it (base64url JSON); none when there are no credentials
    const headers: Record<string, string> = creds ? { 'X-Registry-Auth': Buffer.from(JSON.stringify({ username: creds.username, password: creds.password })).toString('base64url') } : {};
    const res = await this.conn.open('POST', `/images/${enc(src)}/push?${q}`, undefined, headers);
    if ((res.statusCode ?? 500) >= 400) return failed(res);
    let digest = '';
    let error: EngineError | undefined;
    await readLines(res, (line) => {
      const m = JSON.parse(line) as { stream?: string; error?: string; kind?: unknown; manifestdigest?: string };
      if (m.stream && !req.quiet) process.stderr.write(m.stream);
      if (m.manifestdigest) digest = m.manifestdigest;
      if (m.error) error = new EngineError(isErrorKind(m.kind) ? m.kind : 'internal', m.error);
      return !error;
    });
    if (error) throw error;
    return digest;
  }

  /**
   * The credentials for the destination in the client's auth files (Podman's
   * client sends its own, the service has none of the user's): the
   * destination given, else the image's name as written, else its first name.
   */
  private async clientCredentials(src: string, dest: string | undefined, authfile: string | undefined) {
    const { lookupCredentials } = await import('../config/auth-json');
    const { parseReference } = await import('../image/reference');
    let name = dest?.replace(/^docker:\/\//, '');
    if (!name) {
      try {
        if (parseReference(src).explicitRegistry) name = src;
      } catch {
        /* an id or a short name: the image's own name below */
      }
    }
    if (!name) {
      const doc = await this.conn.json<{ RepoTags?: string[] }>('GET', `/images/${enc(src)}/json`);
      name = doc.RepoTags?.[0];
    }
    if (!name) return undefined;
    try {
      const ref = parseReference(name);
      return lookupCredentials(ref.registry, ref.repository, authfile);
    } catch {
      return undefined; // the service refuses the name with its own message
    }
  }
}
