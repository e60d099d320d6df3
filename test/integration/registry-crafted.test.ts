// Pull against a small crafted registry (a Node http server in the test): Docker
// manifest lists and OCI manifests with platform selection, Bearer token auth,
// resumed downloads, and registries that misbehave (wrong digest, truncated
// blob, malformed manifest), which must give a clear error and leave the store
// unchanged.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { FIXTURES, type Result, TspodEnv, cleanEnv } from '../helpers/tspod-env';

const sha = (b: Buffer | string) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

interface Blob {
  bytes: Buffer;
  digest: string;
}
const blob = (bytes: Buffer): Blob => ({ bytes, digest: sha(bytes) });

const tarBytes = fs.readFileSync(path.join(FIXTURES, 'echo-rootfs.tar'));
const layer = blob(zlib.gzipSync(tarBytes));
const diffId = sha(tarBytes);
const configFor = (arch: string) =>
  blob(Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: { Entrypoint: ['/usr/local/bin/echo-server'] }, rootfs: { type: 'layers', diff_ids: [diffId] } })));
const amd64Config = configFor('amd64');
const arm64Config = configFor('arm64');
const manifestFor = (config: Blob, mediaType: string, layerDigest = layer.digest) =>
  blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: { mediaType: mediaType === OCI_MANIFEST ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json', size: config.bytes.length, digest: config.digest },
        layers: [{ mediaType: mediaType === OCI_MANIFEST ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.bytes.length, digest: layerDigest }],
      }),
    ),
  );
const amd64Manifest = manifestFor(amd64Config, DOCKER_MANIFEST);
const arm64Manifest = manifestFor(arm64Config, DOCKER_MANIFEST);
const list = blob(
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [
        { mediaType: DOCKER_MANIFEST, size: arm64Manifest.bytes.length, digest: arm64Manifest.digest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: DOCKER_MANIFEST, size: amd64Manifest.bytes.length, digest: amd64Manifest.digest, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }),
  ),
);
const ociManifest = manifestFor(amd64Config, OCI_MANIFEST);

const TOKEN = 'tok-123';
let rangeRequests = 0;
let flakyFailures = 0;

/** The crafted registry: repositories by name, each with its own misbehaviour. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const host = req.headers.host;
  if (url.pathname === '/token') {
    const ok = req.headers.authorization === `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;
    if (!ok) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: TOKEN }));
    return;
  }
  if (url.pathname === '/v2/') {
    res.writeHead(200).end('{}');
    return;
  }
  const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const [, repo, kind, ref] = m;
  if (repo.startsWith('auth/') && req.headers.authorization !== `Bearer ${TOKEN}`) {
    res
      .writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token",service="crafted",scope="repository:${repo}:pull"` })
      .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return;
  }
  const send = (b: Buffer, type = 'application/octet-stream') => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': b.length, 'Docker-Content-Digest': sha(b) });
    res.end(req.method === 'HEAD' ? undefined : b);
  };
  const notFound = (): void => {
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  };
  if (kind === 'manifests') {
    if (repo === 'bad/manifest') return send(Buffer.from('{"schemaVersion": 2, "layers": [oops'), OCI_MANIFEST);
    if (repo === 'bad/manifest-digest' && ref.startsWith('sha256:')) return send(Buffer.from(amd64Manifest.bytes.toString().replace('"size"', ' "size"')), DOCKER_MANIFEST);
    if (repo === 'bad/manifest-digest') return send(list.bytes, DOCKER_LIST);
    if (repo === 'oci/img') return ref === 'latest' || ref === ociManifest.digest ? send(ociManifest.bytes, OCI_MANIFEST) : notFound();
    if (ref === 'latest') return send(list.bytes, DOCKER_LIST);
    if (ref === amd64Manifest.digest) return send(amd64Manifest.bytes, DOCKER_MANIFEST);
    if (ref === arm64Manifest.digest) return send(arm64Manifest.bytes, DOCKER_MANIFEST);
    return notFound();
  }
  // blobs
  if (ref === amd64Config.digest) return send(amd64Config.bytes);
  if (ref === arm64Config.digest) return send(arm64Config.bytes);
  if (ref !== layer.digest) {
    res.writeHead(404).end();
    return;
  }
  if (repo === 'bad/digest') {
    const wrong = Buffer.from(layer.bytes);
    wrong[Math.floor(wrong.length / 2)] ^= 0xff;
    return send(wrong);
  }
  if (repo === 'bad/truncated') {
    res.writeHead(200, { 'Content-Length': layer.bytes.length });
    res.write(layer.bytes.subarray(0, layer.bytes.length >> 1), () => res.destroy());
    return;
  }
  const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  if (repo === 'flaky/img' && !range && flakyFailures++ < 1) {
    res.writeHead(200, { 'Content-Length': layer.bytes.length });
    res.write(layer.bytes.subarray(0, layer.bytes.length >> 1), () => res.destroy());
    return;
  }
  if (range) {
    rangeRequests++;
    const start = Number(range[1]);
    res.writeHead(206, { 'Content-Length': layer.bytes.length - start, 'Content-Range': `bytes ${start}-${layer.bytes.length - 1}/${layer.bytes.length}` });
    res.end(layer.bytes.subarray(start));
    return;
  }
  send(layer.bytes);
}

function storeSnapshot(env: TspodEnv): string {
  const ls = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort().join(',') : '');
  const db = fs.existsSync(path.join(env.root, 'db.json')) ? fs.readFileSync(path.join(env.root, 'db.json'), 'utf8') : '';
  return JSON.stringify([db, ls(path.join(env.root, 'layers')), ls(path.join(env.root, 'blobs', 'sha256')), ls(path.join(env.root, 'images'))]);
}

/** tspod without blocking the event loop (the crafted registry runs in this process). */
function runAsync(env: TspodEnv, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = env.spawn(args, { env: cleanEnv(extra) });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 137, stdout, stderr }));
  });
}

describe('pull from a crafted registry', () => {
  const env = new TspodEnv('registry-crafted');
  let server: http.Server;
  let host: string;
  const pull = (ref: string, ...flags: string[]) =>
    runAsync(env, ['pull', '--tls-verify=false', ...flags, `${host}/${ref}`], { REGISTRY_AUTH_FILE: path.join(env.dir, 'auth.json') });

  before(async () => {
    server = http.createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    env.cleanup();
  });

  test('a Docker manifest list: linux/amd64 by default, --platform selects another', async () => {
    const r = await pull('good/img');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), amd64Config.digest.slice(7));
    const arm = await pull('good/img:latest', '--platform', 'linux/arm64');
    assert.equal(arm.code, 0, arm.stderr);
    assert.equal(arm.stdout.trim(), arm64Config.digest.slice(7));
    assert.match(arm.stderr, /skipped: already exists/, 'the shared layer is not fetched again');
    const none = await pull('good/img:latest', '--platform', 'linux/s390x');
    assert.equal(none.code, 125);
    assert.match(none.stderr, /no image found in manifest list for architecture linux\/s390x/);
  });

  test('an OCI manifest, stored as served (same digest)', async () => {
    env.ok(['rmi', '-a', '-f']);
    const r = await pull('oci/img');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(env.ok(['image', 'inspect', '--format', '{{.Digest}}', `${host}/oci/img`]).trim(), ociManifest.digest);
  });

  test('Bearer token auth from the WWW-Authenticate challenge', async () => {
    const denied = await pull('auth/img');
    assert.equal(denied.code, 125);
    assert.match(denied.stderr, /invalid username\/password|unauthorized|authenticat/i);
    const r = await pull('auth/img', '--creds', 'alice:wonderland');
    assert.equal(r.code, 0, r.stderr);
  });

  test('a download that breaks is resumed with a range request', async () => {
    env.ok(['rmi', '-a', '-f']);
    const before = rangeRequests;
    const r = await pull('flaky/img');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(rangeRequests > before, 'the rest was fetched with Range');
    assert.equal(env.ok(['run', '--rm', `${host}/flaky/img`, '--help']).length >= 0, true);
  });

  for (const [repo, pattern] of [
    ['bad/digest', /digest mismatch/],
    ['bad/truncated', /truncated/],
    ['bad/manifest', /malformed manifest: not valid JSON/],
    ['bad/manifest-digest', /manifest digest mismatch/],
  ] as const) {
    test(`${repo}: a clear error, and the store is unchanged`, async () => {
      env.ok(['rmi', '-a', '-f']);
      const snapshot = storeSnapshot(env);
      const r = await pull(repo);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(storeSnapshot(env), snapshot);
      assert.equal(env.ok(['images', '-q']), '');
    });
  }

  test('a truncated download is resumed by the next pull', async () => {
    // bad/truncated left a partial download in the cache; it serves only the first half, so a
    // pull of the same blob from a good repository fetches just the rest
    const partials = fs.readdirSync(path.join(env.root, 'tmp', 'pull-cache')).filter((f) => f.endsWith('.partial'));
    assert.equal(partials.length, 1);
    const before = rangeRequests;
    const r = await pull('good/img');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rangeRequests, before + 1);
    assert.deepEqual(fs.readdirSync(path.join(env.root, 'tmp', 'pull-cache')), []);
  });
});
