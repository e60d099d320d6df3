// `pull`: an image from a registry into the store. Short names are resolved
// through registries.conf; manifest lists / indexes select a platform. Every
// blob is checked (digest and size) before anything is stored; layers go
// through a download cache in the store's scratch space (verified files and
// resumable partial ones), so a failed pull leaves the store as it was and the
// next attempt does not fetch again what already arrived. Layers already
// stored are not fetched at all. Downloads run in parallel.
import { emitImageEvent } from '../events/journal';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/records';
import { blobFile, layersRoot, storageTmpDir } from '../storage/paths';
import { addLayerBlob, digestHex, layerExists, storeLayer } from '../storage/layer';
import { Readable } from 'node:stream';
import { EngineError } from '../errors';
import type { Descriptor, ImageConfig } from '../oci/image-spec';
import { type Credentials, lookupCredentials } from '../config/auth-json';
import { findRegistry, loadRegistriesConf, registriesConfFiles, rewriteLocation } from '../config/registries-conf';
import { type ImageReference, formatReference, parseReference, repositoryName, withDefaultTag } from './reference';
import { commitImages, dropUnusedLayers, layerRemovedError } from './store';
import { RegistryClient } from './registry/client';
import { parseManifest, parsePlatform, selectManifest, formatPlatform } from './registry/manifests';
import { checkDiffIds } from './digests';
import { type Progress, silentProgress } from './registry/progress';

export interface RegistryOptions {
  /** false: no TLS verification (and plain HTTP allowed); undefined: registries.conf decides */
  tlsVerify?: boolean;
  authfile?: string;
  /** --creds user:password, used instead of auth.json */
  credentials?: Credentials;
}

export interface PullOptions extends RegistryOptions {
  /** os/arch[/variant]; default this host */
  platform?: string;
  progress?: Progress;
  /** parallel blob downloads (default 6, as containers/image) */
  parallel?: number;
}

export interface PullResult {
  image: ImageRecord;
  /** the fully qualified name it was pulled as */
  name: string;
}

const CONFIG_LIMIT = 16 << 20;
const DOWNLOAD_ATTEMPTS = 4;
const COMMIT_ATTEMPTS = 3;

/** Where a registry name leads: the client to use and the repository there. */
export interface Endpoint {
  client: RegistryClient;
  repository: string;
  registry: string;
}

/** The client for ref's repository, after registries.conf (location rewrite, insecure, blocked) and auth.json. */
export function endpointFor(ref: ImageReference, opts: RegistryOptions): Endpoint {
  const conf = loadRegistriesConf();
  const name = repositoryName(ref);
  const entry = findRegistry(conf, name);
  if (entry?.blocked) throw new EngineError('invalid-argument', `registry ${ref.registry} is blocked in registries.conf`);
  const rewritten = rewriteLocation(entry, name);
  const slash = rewritten.indexOf('/');
  const registry = rewritten.slice(0, slash);
  const repository = rewritten.slice(slash + 1);
  const insecure = opts.tlsVerify === undefined ? (entry?.insecure ?? false) : !opts.tlsVerify;
  const credentials = opts.credentials ?? lookupCredentials(registry, repository, opts.authfile) ?? lookupCredentials(ref.registry, ref.repository, opts.authfile);
  return { client: new RegistryClient(registry, { insecure, credentials }), repository, registry };
}

/**
 * The fully qualified references to try for what the user typed: itself when
 * it names a registry, else an alias, else each unqualified-search registry.
 */
export function pullCandidates(ref: string): ImageReference[] {
  const parsed = parseReference(ref);
  if (parsed.explicitRegistry) return [parsed];
  const conf = loadRegistriesConf();
  const bare = ref.replace(/[:@].*$/, '');
  const alias = conf.aliases[bare];
  if (alias) {
    const target = parseReference(alias);
    return [{ ...target, tag: parsed.tag ?? target.tag, digest: parsed.digest ?? target.digest }];
  }
  if (conf.unqualifiedSearch.length === 0)
    throw new EngineError(
      'invalid-argument',
      `short-name "${ref}" did not resolve to an alias and no unqualified-search registries are defined in "${registriesConfFiles()[0]}"`,
    );
  return conf.unqualifiedSearch.map((registry) => parseReference(ref, registry));
}

/** Pulls ref (trying each candidate for a short name) and returns the stored image. */
export async function pullImage(store: Store, ref: string, opts: PullOptions = {}): Promise<PullResult> {
  const candidates = pullCandidates(ref);
  const progress = opts.progress ?? silentProgress;
  const errors: string[] = [];
  for (const [i, candidate] of candidates.entries()) {
    const full = withDefaultTag(candidate);
    progress.message(`Trying to pull ${formatReference(full)}...`);
    try {
      const r = await pullReference(store, full, opts);
      emitImageEvent(store.paths, 'pull', r.image.id, ref); // the name as the user gave it
      return r;
    } catch (err) {
      const last = i === candidates.length - 1;
      if (candidates.length === 1) throw err;
      errors.push(`* "${formatReference(full)}": ${(err as Error).message}`);
      if (last) throw new EngineError('no-such-image', `${ref}: unable to pull image: tried:\n${errors.join('\n')}`);
    }
  }
  throw new EngineError('no-such-image', `${ref}: unable to pull image`);
}

interface LayerPlan {
  desc: Descriptor;
  diffId: string;
}

/** Pulls one fully qualified reference. */
export async function pullReference(store: Store, ref: ImageReference, opts: PullOptions = {}): Promise<PullResult> {
  const progress = opts.progress ?? silentProgress;
  const { client, repository, registry } = endpointFor(ref, opts);
  const what = `${registry}/${repository}`;
  const wanted = parsePlatform(opts.platform);
  // containers/image names the source in its first error: "initializing source docker://REF: ..."
  let fetched = await client.getManifest(repository, ref.digest ?? ref.tag ?? 'latest').catch((err: unknown) => {
    if (!(err instanceof Error)) throw err;
    const kind = err instanceof EngineError ? err.kind : 'internal';
    throw new EngineError(kind, `initializing source docker://${formatReference(ref)}: ${err.message}`);
  });
  let parsed = parseManifest(fetched.bytes, fetched.mediaType, `manifest of ${what}`);
  if (parsed.kind === 'index') {
    const desc = selectManifest(parsed.index, wanted, `${what}`);
    fetched = await client.getManifest(repository, desc.digest);
    if (fetched.bytes.length !== desc.size)
      throw new EngineError('invalid-argument', `manifest ${desc.digest} of ${what} has ${fetched.bytes.length} bytes, the index says ${desc.size}`);
    parsed = parseManifest(fetched.bytes, desc.mediaType, `manifest ${desc.digest} of ${what}`);
    if (parsed.kind !== 'image') throw new EngineError('invalid-argument', `manifest ${desc.digest} of ${what}: nested indexes are not supported`);
  }
  const manifest = parsed.manifest;
  progress.message('Getting image source signatures');

  // The config: small, read into memory and checked.
  const configBytes = await fetchSmallBlob(client, repository, manifest.config, CONFIG_LIMIT);
  let config: ImageConfig;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new EngineError('invalid-argument', `config ${manifest.config.digest} of ${what} is not valid JSON`);
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (Array.isArray(diffIds)) checkDiffIds(diffIds, `config ${manifest.config.digest} of ${what}`);
  if (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length)
    throw new EngineError('invalid-argument', `config ${manifest.config.digest} of ${what} lists ${diffIds?.length ?? 'no'} layers, the manifest ${manifest.layers.length}`);
  if (opts.platform && (config.os !== wanted.os || config.architecture !== wanted.architecture))
    throw new EngineError('invalid-argument', `image ${what} is for ${config.os}/${config.architecture}, not ${formatPlatform(wanted)}`);

  sweepDeadExtractions(store);
  const layers: LayerPlan[] = manifest.layers.map((desc, i) => ({ desc, diffId: diffIds[i] }));
  const created: string[] = [];
  const cache = cacheDir(store);
  const name = formatReference(ref.digest && !ref.tag ? { ...ref, tag: undefined } : withDefaultTag(ref));
  try {
    let only: Set<string> | undefined;
    for (let attempt = 1; ; attempt++) {
      await runParallel(
        dedupe(layers).filter((l) => !only || only.has(l.diffId)),
        opts.parallel ?? 6,
        async (l) => {
          if (layerExists(store.paths, l.diffId) && fs.existsSync(blobFile(store.paths, digestHex(l.desc.digest)))) {
            progress.skipped(l.desc.digest);
            return;
          }
          progress.start('blob', l.desc.digest, l.desc.size);
          const stored = await fetchLayer(store, client, repository, l, cache, progress, what);
          if (stored) created.push(l.diffId);
          progress.done(l.desc.digest);
        },
      );
      if (attempt === 1) {
        progress.start('config', manifest.config.digest, manifest.config.size);
        progress.done(manifest.config.digest);
      }
      progress.message('Writing manifest to image destination');
      const result = commitImages(store, [{ configBytes, manifestBytes: fetched.bytes, names: [name] }]);
      if (result.missingLayers.length === 0) {
        for (const l of layers) fs.rmSync(path.join(cache, digestHex(l.desc.digest)), { force: true });
        progress.finish();
        return { image: result.records[0], name };
      }
      if (attempt >= COMMIT_ATTEMPTS) throw layerRemovedError(result.missingLayers);
      only = new Set(result.missingLayers);
    }
  } catch (err) {
    progress.finish();
    dropUnusedLayers(store, created);
    throw err;
  }
}

function dedupe(layers: LayerPlan[]): LayerPlan[] {
  const seen = new Set<string>();
  return layers.filter((l) => {
    if (seen.has(l.desc.digest)) return false;
    seen.add(l.desc.digest);
    return true;
  });
}

/** Runs fn on every item, at most n at a time; the first failure wins (the others are waited for). */
export async function runParallel<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function cacheDir(store: Store): string {
  store.ensureRoots();
  const dir = path.join(storageTmpDir(store.paths), 'pull-cache');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Downloads a layer blob and extracts it in one pass: the bytes go to the
 * extraction (which checks digest and diff id before anything becomes
 * visible) and to a partial file in the cache, which becomes the stored blob
 * on success and is resumed by a later attempt on failure. Returns whether
 * the layer was created.
 */
async function fetchLayer(
  store: Store,
  client: RegistryClient,
  repo: string,
  l: LayerPlan,
  cache: string,
  progress: Progress,
  what: string,
): Promise<boolean> {
  const state: StreamState = { complete: false };
  const source = streamBlob(client, repo, l.desc, cache, progress, state);
  let stored;
  try {
    stored = await storeLayer(store.paths, Readable.from(source), {
      expectedDigest: l.desc.digest,
      expectedDiffId: l.diffId,
      sourceChecksDigest: true, // streamBlob fails before the end on a wrong digest
    });
  } catch (err) {
    await source.return(undefined).catch(() => {}); // let the download put its partial file back
    if (state.networkError) throw state.error ?? err;
    // Bad bytes or a bad layer: tell a wrong blob (digest) from a bad layer with the right digest.
    if (!state.complete && !(err instanceof EngineError && /digest mismatch/.test(err.message))) {
      const file = await downloadBlob(client, repo, l.desc, cache, silentProgress); // throws on a wrong digest or size
      fs.rmSync(file, { force: true });
    }
    fs.rmSync(path.join(cache, digestHex(l.desc.digest)), { force: true });
    if (err instanceof EngineError && /digest mismatch/.test(err.message))
      throw new EngineError('invalid-argument', `fetching blob ${l.desc.digest} from ${what}: digest mismatch: ${err.message}`);
    throw new EngineError('invalid-argument', `storing layer ${l.desc.digest} of ${what}: ${(err as Error).message}`);
  }
  // Keep the verified blob (so save and push reproduce the digest): a rename within the store's file system.
  const kept = blobFile(store.paths, digestHex(l.desc.digest));
  const done = path.join(cache, digestHex(l.desc.digest));
  fs.mkdirSync(path.dirname(kept), { recursive: true });
  try {
    if (fs.existsSync(kept)) fs.rmSync(done, { force: true });
    else fs.renameSync(done, kept);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // a concurrent pull took it
  }
  addLayerBlob(store.paths, l.diffId, { digest: l.desc.digest, size: l.desc.size, mediaType: l.desc.mediaType });
  return stored.created;
}

interface StreamState {
  /** all bytes arrived with the right size and digest */
  complete: boolean;
  /** the download failed for good (network) */
  networkError?: boolean;
  error?: Error;
}

/** The blob's bytes (a cached or partial download first, then the network, resumed with ranges on failures). */
async function* streamBlob(
  client: RegistryClient,
  repo: string,
  desc: Descriptor,
  cache: string,
  progress: Progress,
  state: StreamState,
): AsyncGenerator<Buffer> {
  const hex = digestHex(desc.digest);
  const done = path.join(cache, hex);
  const shared = path.join(cache, `${hex}.partial`);
  const mine = `${shared}.${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  adoptPartial(cache, hex, shared, mine, done);
  let keepPartial = true;
  const hash = crypto.createHash('sha256');
  let size = 0;
  try {
    if (fs.statSync(mine).size > desc.size) fs.truncateSync(mine, 0);
    for await (const chunk of fs.createReadStream(mine, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      progress.resumed(desc.digest, chunk.length);
      yield chunk;
    }
    let lastError: Error | undefined;
    for (let attempt = 1; size < desc.size && attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
      const before = size;
      let res;
      try {
        res = await client.getBlob(repo, desc.digest, size);
      } catch (err) {
        if (err instanceof EngineError) throw err;
        lastError = err as Error;
        await sleep(200 * attempt);
        continue;
      }
      // a registry that ignores the range sends everything again: skip what we have
      let skip = res.statusCode === 200 ? size : 0;
      // Written directly: a write stream's thread-pool trip for every piece (about 64 KB)
      // costs several times the write itself.
      let fd: number | undefined;
      try {
        fd = fs.openSync(mine, 'a');
        for await (let chunk of res as AsyncIterable<Buffer>) {
          if (skip > 0) {
            const n = Math.min(skip, chunk.length);
            skip -= n;
            chunk = chunk.subarray(n);
            if (chunk.length === 0) continue;
          }
          if (size + chunk.length > desc.size) {
            res.destroy();
            keepPartial = false;
            throw new EngineError('invalid-argument', `fetching blob ${desc.digest}: size mismatch: the registry sent more than ${desc.size} bytes`);
          }
          for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off, chunk.length - off);
          hash.update(chunk);
          size += chunk.length;
          progress.advance(desc.digest, chunk.length);
          yield chunk;
        }
      } catch (err) {
        if (err instanceof EngineError) throw err;
        lastError = err as Error;
      } finally {
        if (fd === undefined) res.destroy();
        else fs.closeSync(fd);
      }
      if (size < desc.size && !lastError) lastError = new Error(`the registry sent ${size} of ${desc.size} bytes`);
      if (size === before) await sleep(200 * attempt);
    }
    if (size < desc.size) {
      state.networkError = true;
      state.error = new EngineError('internal', `fetching blob ${desc.digest}: truncated: ${lastError?.message ?? `got ${size} of ${desc.size} bytes`}`);
      throw state.error;
    }
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== desc.digest) {
      keepPartial = false;
      throw new EngineError('invalid-argument', `fetching blob ${desc.digest}: digest mismatch: got ${got}`);
    }
    fs.renameSync(mine, done);
    keepPartial = false;
    state.complete = true;
  } finally {
    if (fs.existsSync(mine)) {
      if (keepPartial) fs.renameSync(mine, shared);
      else fs.rmSync(mine, { force: true });
    }
  }
}

/** Removes the private extraction directories (layers/.new.tmp-<pid>-*) of pulls that were killed. */
function sweepDeadExtractions(store: Store): void {
  const root = layersRoot(store.paths);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\.new\.tmp-(\d+)-[0-9a-f]+$/.exec(n);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) fs.rmSync(path.join(root, n), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes over an earlier partial download of the blob as the file mine: the
 * shared one, else one a killed process left under its own name; else starts empty.
 */
function adoptPartial(cache: string, hex: string, shared: string, mine: string, done?: string): void {
  const candidates = done ? [done, shared] : [shared];
  for (const f of fs.readdirSync(cache)) {
    const m = new RegExp(`^${hex}\\.partial\\.(\\d+)-[0-9a-f]+$`).exec(f);
    if (m && !alive(Number(m[1]))) candidates.push(path.join(cache, f));
  }
  for (const c of candidates) {
    try {
      fs.renameSync(c, mine);
      return;
    } catch {
      // gone meanwhile, or never there
    }
  }
  fs.writeFileSync(mine, '');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchSmallBlob(client: RegistryClient, repo: string, desc: Descriptor, limit: number): Promise<Buffer> {
  if (desc.size > limit) throw new EngineError('invalid-argument', `blob ${desc.digest} is too large (${desc.size} bytes)`);
  const res = await client.getBlob(repo, desc.digest);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > desc.size) {
        res.destroy();
        break;
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw new EngineError('internal', `reading blob ${desc.digest}: ${(err as Error).message}`);
  }
  const bytes = Buffer.concat(chunks);
  if (size !== desc.size) throw new EngineError('invalid-argument', `blob ${desc.digest}: size mismatch: expected ${desc.size} bytes, got ${size}`);
  const got = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  if (got !== desc.digest) throw new EngineError('invalid-argument', `blob ${desc.digest}: digest mismatch: got ${got}`);
  return bytes;
}

/**
 * Downloads a blob into the cache and returns the verified file. A partial
 * file from an earlier attempt is resumed with a Range request; a network
 * failure is retried from where it stopped; a wrong digest or size is not.
 */
async function downloadBlob(client: RegistryClient, repo: string, desc: Descriptor, cache: string, progress: Progress): Promise<string> {
  const hex = digestHex(desc.digest);
  const done = path.join(cache, hex);
  if (fs.existsSync(done) && fs.statSync(done).size === desc.size) {
    progress.resumed(desc.digest, desc.size);
    return done;
  }
  // a private partial file per process, renamed to the shared name when we stop, so a later pull can resume it
  const shared = path.join(cache, `${hex}.partial`);
  const mine = `${shared}.${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  adoptPartial(cache, hex, shared, mine);
  let keepPartial = true;
  try {
    const hash = crypto.createHash('sha256');
    let size = 0;
    if (fs.statSync(mine).size > desc.size) fs.truncateSync(mine, 0);
    for await (const chunk of fs.createReadStream(mine) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    if (size > 0) progress.resumed(desc.digest, size);
    let lastError: Error | undefined;
    for (let attempt = 1; size < desc.size && attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
      const before = size;
      const res = await client.getBlob(repo, desc.digest, size);
      let restart = false;
      if (res.statusCode === 200 && size > 0) restart = true; // the registry ignored the range
      const fh = await fs.promises.open(mine, restart ? 'w' : 'a');
      const h = restart ? crypto.createHash('sha256') : hash;
      let n = restart ? 0 : size;
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          if (n + chunk.length > desc.size) {
            res.destroy();
            keepPartial = false;
            throw new EngineError('invalid-argument', `fetching blob ${desc.digest}: size mismatch: the registry sent more than ${desc.size} bytes`);
          }
          await fh.write(chunk);
          h.update(chunk);
          n += chunk.length;
          progress.advance(desc.digest, chunk.length);
        }
      } catch (err) {
        if (err instanceof EngineError) throw err;
        lastError = err as Error;
      } finally {
        await fh.close();
      }
      if (restart) {
        // continue with the restarted hash
        return await finishRestart(mine, done, desc, h, n, client, repo, progress);
      }
      size = n;
      if (size < desc.size && !lastError) lastError = new Error(`the registry sent ${size} of ${desc.size} bytes`);
      if (size === before) await new Promise((r) => setTimeout(r, 200 * attempt));
    }
    if (size < desc.size)
      throw new EngineError('internal', `fetching blob ${desc.digest}: truncated: ${lastError?.message ?? `got ${size} of ${desc.size} bytes`}`);
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== desc.digest) {
      keepPartial = false;
      throw new EngineError('invalid-argument', `fetching blob ${desc.digest}: digest mismatch: got ${got}`);
    }
    fs.renameSync(mine, done);
    keepPartial = false;
    return done;
  } finally {
    if (fs.existsSync(mine)) {
      if (keepPartial) fs.renameSync(mine, shared);
      else fs.rmSync(mine, { force: true });
    }
  }
}

/** After a registry restarted a ranged download from byte 0: the rest of the checks, without resuming again. */
async function finishRestart(
  mine: string,
  done: string,
  desc: Descriptor,
  hash: crypto.Hash,
  size: number,
  _client: RegistryClient,
  _repo: string,
  _progress: Progress,
): Promise<string> {
  if (size !== desc.size) throw new EngineError('internal', `fetching blob ${desc.digest}: truncated: got ${size} of ${desc.size} bytes`);
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== desc.digest) {
    fs.rmSync(mine, { force: true });
    throw new EngineError('invalid-argument', `fetching blob ${desc.digest}: digest mismatch: got ${got}`);
  }
  fs.renameSync(mine, done);
  return done;
}

/** The registry's manifest digest for ref (its tag, or the digest it names); undefined when the registry does not say. */
export async function remoteDigest(ref: string, opts: RegistryOptions = {}): Promise<string | undefined> {
  const c = withDefaultTag(pullCandidates(ref)[0]);
  const { client, repository } = endpointFor(c, opts);
  return c.digest ?? (await client.headManifest(repository, c.tag ?? 'latest'));
}

/** `--pull newer` for an image we have: pulls when the registry's digest differs (an unreachable registry keeps ours). */
export async function pullIfNewer(store: Store, ref: string, local: ImageRecord, opts: PullOptions = {}): Promise<void> {
  try {
    const remote = await remoteDigest(ref, opts);
    if (!remote || remote === local.digest) return;
  } catch {
    return;
  }
  await pullImage(store, ref, opts);
}
