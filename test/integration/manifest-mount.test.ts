// Manifest lists (`manifest create|add|annotate|remove|inspect|exists|push|rm`,
// locally, with --remote and over the libpod API) against a real registry on
// loopback, and `image mount|unmount`: a read-only overlay of the image's layers.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { FIXTURES, TspodEnv } from '../helpers/tspod-env';
import { type Registry, haveRegistry, startRegistry } from '../helpers/registry';
import { ApiService } from '../helpers/api-service';

const env = new TspodEnv('manifest');
const sock = path.join(env.dir, 'api.sock');
const service = new ApiService(env, sock);
let registry: Registry | undefined;

before(async () => {
  env.importTestImages();
  if (haveRegistry) registry = await startRegistry(path.join(env.dir, 'registry'));
  await service.start();
});
after(async () => {
  await service.stop();
  await registry?.stop();
  env.run(['image', 'unmount', '--all']);
  env.cleanup();
});

const remote = (args: string[]) => env.run(['--remote', '--url', `unix://${sock}`, ...args]);

/** A registry document by HTTP (what a client pulling it would get). */
function getManifest(host: string, repo: string, ref: string): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const accept = 'application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json';
  return new Promise((resolve, reject) => {
    http
      .get(`http://${host}/v2/${repo}/manifests/${ref}`, { headers: { Accept: accept } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: JSON.parse(text) as Record<string, unknown> }));
      })
      .on('error', reject);
  });
}

/** A libpod API request on the service's socket. */
function api(method: string, p: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: sock, method, path: `/v4.0.0/libpod${p}`, headers: text ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data ? (JSON.parse(data) as unknown) : undefined }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const digestOf = (ref: string) => env.ok(['image', 'inspect', '--format', '{{.Digest}}', ref]).trim();

describe('manifest lists', () => {
  test('create, add a local image, annotate, inspect, exists, remove, rm', () => {
    const id = env.ok(['manifest', 'create', 'list1:v1']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    // an image of its own: listed, and the name is taken
    assert.match(env.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--no-trunc']), new RegExp(`localhost/list1:v1 sha256:${id}`));
    const again = env.run(['manifest', 'create', 'list1:v1']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /that name is already in use/);
    assert.deepEqual(JSON.parse(env.ok(['manifest', 'inspect', 'list1:v1'])), {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: null,
    });

    assert.equal(env.ok(['manifest', 'add', 'list1:v1', 'containers-storage:localhost/busybox']).trim(), id);
    const digest = digestOf('localhost/busybox');
    let doc = JSON.parse(env.ok(['manifest', 'inspect', 'list1:v1'])) as { manifests: { digest: string; size: number; platform: Record<string, unknown>; annotations?: Record<string, string> }[] };
    assert.equal(doc.manifests.length, 1);
    assert.equal(doc.manifests[0].digest, digest);
    assert.deepEqual(doc.manifests[0].platform, { architecture: 'amd64', os: 'linux' });

    env.ok(['manifest', 'annotate', '--arch', 'arm64', '--variant', 'v8', '--annotation', 'k=v', 'list1:v1', digest]);
    doc = JSON.parse(env.ok(['manifest', 'inspect', 'list1:v1']));
    assert.deepEqual(doc.manifests[0].platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
    assert.deepEqual(doc.manifests[0].annotations, { k: 'v' });

    assert.equal(env.run(['manifest', 'exists', 'list1:v1']).code, 0);
    assert.equal(env.run(['manifest', 'exists', 'nosuchlist']).code, 1);
    const notList = env.run(['manifest', 'exists', 'localhost/busybox']);
    assert.equal(notList.code, 125);
    assert.match(notList.stderr, /image is not a manifest list/);
    assert.equal(env.run(['manifest', 'inspect', 'localhost/busybox']).code, 125);

    const missing = env.run(['manifest', 'remove', 'list1:v1', `sha256:${'0'.repeat(64)}`]);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /no instance matching digest/);
    env.ok(['manifest', 'remove', 'list1:v1', digest]);
    assert.equal((JSON.parse(env.ok(['manifest', 'inspect', 'list1:v1'])) as { manifests: unknown }).manifests, null);

    // `manifest rm` refuses images; rmi takes lists
    assert.match(env.run(['manifest', 'rm', 'localhost/busybox']).stderr, /image is not a manifest list/);
    assert.equal(env.ok(['manifest', 'rm', 'list1:v1']), `Untagged: localhost/list1:v1\nDeleted: ${id}\n`);
    assert.equal(env.run(['manifest', 'exists', 'list1:v1']).code, 1);
    env.ok(['manifest', 'create', 'list2']);
    env.ok(['rmi', 'list2']);
    assert.equal(env.run(['manifest', 'exists', 'list2']).code, 1);
  });

  test('bad names, digests, options and transports are refused, nothing stored', () => {
    const before = env.ok(['images', '-q', '--no-trunc']);
    for (const args of [
      ['manifest', 'create', 'Bad//Name'],
      ['manifest', 'create', 'UPPER'],
      ['manifest', 'create', 'l3', 'oci:/tmp/x'],
    ]) {
      const r = env.run(args);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, /invalid|unsupported transport/, r.stderr);
    }
    assert.equal(env.run(['manifest', 'exists', 'l3']).code, 1, 'a failed create leaves no list');
    env.ok(['manifest', 'create', 'l4']);
    for (const args of [
      ['manifest', 'annotate', '--arch', 'x/../y', 'l4', `sha256:${'1'.repeat(64)}`],
      ['manifest', 'annotate', 'l4', 'sha256:nothex'],
      ['manifest', 'remove', 'l4', '../../etc'],
      ['manifest', 'add', 'l4', 'containers-storage:'],
      ['manifest', 'add', 'l4', 'containers-storage:nosuchimage'],
    ]) assert.equal(env.run(args).code, 125, args.join(' '));
    env.ok(['manifest', 'rm', 'l4']);
    assert.equal(env.ok(['images', '-q', '--no-trunc']), before);
  });

  test('push --all to a registry, add a registry list, push it on, pull it back', { skip: !haveRegistry }, async () => {
    const host = registry!.host;
    env.ok(['manifest', 'create', 'pushed', 'containers-storage:localhost/busybox', 'containers-storage:localhost/echo']);
    env.ok(['manifest', 'annotate', '--arch', 'arm64', 'pushed', digestOf('localhost/echo')]);
    env.ok(['manifest', 'push', '-q', '--all', '--tls-verify=false', 'pushed', `${host}/multi:1`]);
    const list = await getManifest(host, 'multi', '1');
    assert.equal(list.status, 200);
    assert.equal(list.type, 'application/vnd.docker.distribution.manifest.list.v2+json');
    const entries = list.body.manifests as { digest: string; platform: { architecture: string } }[];
    assert.deepEqual(entries.map((e) => e.platform.architecture), ['amd64', 'arm64']);
    for (const e of entries) assert.equal((await getManifest(host, 'multi', e.digest)).status, 200, e.digest);

    // a registry reference: every instance with --all, copied registry to registry at push, as an OCI index
    env.ok(['manifest', 'create', 'fromreg']);
    env.ok(['manifest', 'add', '--all', '--tls-verify=false', 'fromreg', `docker://${host}/multi:1`]);
    const added = JSON.parse(env.ok(['manifest', 'inspect', 'fromreg'])) as { manifests: { digest: string }[] };
    assert.deepEqual(added.manifests.map((m) => m.digest), entries.map((e) => e.digest));
    env.ok(['manifest', 'push', '-q', '--all', '--rm', '--format', 'oci', '--tls-verify=false', 'fromreg', `${host}/copy:2`]);
    assert.equal(env.run(['manifest', 'exists', 'fromreg']).code, 1, '--rm removed the list');
    const copy = await getManifest(host, 'copy', '2');
    assert.equal(copy.type, 'application/vnd.oci.image.index.v1+json');
    for (const e of entries) assert.equal((await getManifest(host, 'copy', e.digest)).status, 200, e.digest);

    // pulled back, the list resolves to this platform's image, which runs
    env.ok(['pull', '-q', '--tls-verify=false', `${host}/copy:2`]);
    assert.equal(env.ok(['run', '--rm', `${host}/copy:2`, 'echo', 'from-list']), 'from-list\n');
    env.ok(['rmi', '-f', `${host}/copy:2`]);
    env.ok(['manifest', 'rm', 'pushed']);

    // no --tls-verify=false: the registry speaks plain HTTP, the push fails cleanly
    env.ok(['manifest', 'create', 'tlslist']);
    assert.equal(env.run(['manifest', 'push', 'tlslist', `${host}/tls:1`]).code, 125);
    env.ok(['manifest', 'rm', 'tlslist']);
  });

  test('--remote prints what the local commands print', { skip: !haveRegistry }, async () => {
    const id = remote(['manifest', 'create', 'rlist']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(remote(['manifest', 'add', 'rlist', 'containers-storage:localhost/busybox']).stdout.trim(), id);
    assert.equal(remote(['manifest', 'inspect', 'rlist']).stdout, env.ok(['manifest', 'inspect', 'rlist']));
    const digest = digestOf('localhost/busybox');
    assert.equal(remote(['manifest', 'annotate', '--os-version', '10', 'rlist', digest]).code, 0);
    assert.match(env.ok(['manifest', 'inspect', 'rlist']), /"os\.version": "10"/);
    assert.equal(remote(['manifest', 'exists', 'rlist']).code, 0);
    assert.equal(remote(['manifest', 'exists', 'nolist']).code, 1);
    assert.equal(remote(['manifest', 'push', '--all', '--tls-verify=false', 'rlist', `${registry!.host}/remote:1`]).code, 0);
    assert.equal((await getManifest(registry!.host, 'remote', '1')).status, 200);
    assert.equal(remote(['manifest', 'remove', 'rlist', digest]).code, 0);
    assert.equal(remote(['manifest', 'rm', 'rlist']).stdout, `Untagged: localhost/rlist:latest\nDeleted: ${id}\n`);
    assert.equal(remote(['manifest', 'rm', 'rlist']).code, 1);
    const mount = remote(['image', 'mount', 'localhost/busybox']);
    assert.equal(mount.code, 125);
    assert.match(mount.stderr, /not supported by the remote client/);
  });

  test('libpod API: create (3.x and 4.x), modify operations, json, exists, push, delete', { skip: !haveRegistry }, async () => {
    const v3 = await api('POST', '/manifests/create?name=apiv3');
    assert.equal(v3.status, 200);
    const v4 = await api('POST', '/manifests/apiv4');
    assert.equal(v4.status, 201);
    const id4 = (v4.json as { Id: string }).Id;
    assert.equal((await api('POST', '/manifests/apiv4')).status, 409);
    assert.equal((await api('GET', `/manifests/${id4}/exists`)).status, 204);
    assert.equal((await api('GET', '/manifests/nosuch/exists')).status, 404);
    const upd = await api('PUT', `/manifests/${id4}`, { operation: 'update', images: ['containers-storage:localhost/echo'] });
    assert.equal(upd.status, 200, JSON.stringify(upd.json));
    const digest = digestOf('localhost/echo');
    assert.equal((await api('PUT', '/manifests/apiv4', { operation: 'annotate', images: [digest], annotation: { a: 'b' } })).status, 200);
    const doc = (await api('GET', '/manifests/apiv4/json')).json as { manifests: { digest: string; annotations: Record<string, string> }[] };
    assert.deepEqual(doc.manifests.map((m) => [m.digest, m.annotations]), [[digest, { a: 'b' }]]);
    assert.equal((await api('PUT', '/manifests/apiv4', { operation: 'bogus', images: [] })).status, 400);
    assert.equal((await api('POST', '/manifests/apiv3/add', { images: ['containers-storage:localhost/busybox'] })).status, 200);
    const push = await api('POST', `/manifests/apiv4/registry/${encodeURIComponent(`${registry!.host}/api:1`)}?all=true&tlsVerify=false`);
    assert.equal(push.status, 200, JSON.stringify(push.json));
    assert.match((push.json as { Id: string }).Id, /^sha256:[0-9a-f]{64}$/);
    const bad = await api('POST', `/manifests/apiv4/registry/${encodeURIComponent(`${registry!.host}/api:1`)}`);
    assert.equal(bad.status, 400);
    assert.equal((await api('POST', `/manifests/apiv3/push?destination=${encodeURIComponent(`${registry!.host}/api:3`)}&tlsVerify=false&all=true`)).status, 200);
    const del = await api('DELETE', '/manifests/apiv4');
    assert.equal(del.status, 200);
    assert.deepEqual((del.json as { Deleted: string[] }).Deleted, [id4]);
    assert.equal((await api('DELETE', '/manifests/apiv3')).status, 200);
    assert.equal((await api('DELETE', '/manifests/apiv3')).status, 404);
  });
});

describe('image mount', () => {
  test('mounts read-only, lists, unmounts; rmi of a mounted image unmounts it', () => {
    const where = env.ok(['image', 'mount', 'localhost/busybox']).trim();
    assert.ok(where.startsWith(env.root), where);
    assert.ok(fs.existsSync(path.join(where, 'bin', 'busybox')));
    assert.throws(() => fs.writeFileSync(path.join(where, 'x'), 'x'), /EROFS/);
    assert.equal(env.ok(['image', 'mount', 'localhost/busybox']).trim(), where, 'mounting again is the same mount');
    const echoAt = env.ok(['image', 'mount', 'localhost/echo']).trim();
    assert.ok(fs.existsSync(path.join(echoAt, 'usr', 'local', 'bin', 'echo-server')));

    assert.match(env.ok(['image', 'mount', '-a']), new RegExp(`^localhost/busybox:latest  ${where}$`, 'm'), '-a names each image');
    const listed = env.ok(['image', 'mount']).split('\n').filter(Boolean).sort();
    assert.deepEqual(listed, [`localhost/busybox:latest  ${where}`, `localhost/echo:latest  ${echoAt}`]);
    const json = JSON.parse(env.ok(['image', 'mount', '--format', 'json'])) as { id: string; Repositories: string[]; mountpoint: string }[];
    assert.deepEqual(json.map((m) => m.mountpoint).sort(), [where, echoAt].sort());
    assert.equal(env.run(['image', 'mount', '--format', '{{.ID}}']).code, 125);
    assert.equal(env.run(['image', 'mount', 'nosuchimage']).code, 125);

    // a container can run on the mounted tree (a copy-on-write overlay of it)
    assert.equal(env.ok(['run', '--rm', 'localhost/busybox', 'ls', '/bin/busybox']), '/bin/busybox\n');

    const id = env.ok(['image', 'inspect', '--format', '{{.Id}}', 'localhost/busybox']).trim();
    assert.equal(env.ok(['image', 'unmount', 'localhost/busybox']), `${id}\n`);
    assert.equal(env.ok(['image', 'unmount', 'localhost/busybox']), '', 'no longer mounted: nothing to report (as Podman)');
    assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(where), false);
    assert.equal(env.ok(['image', 'mount']).includes(where), false);

    // rmi takes the mount down with the image (Podman's rmi removes a mounted image too)
    env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/tomount']);
    const at = env.ok(['image', 'mount', 'localhost/tomount']).trim();
    env.ok(['rmi', 'localhost/tomount']);
    assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(at), false);
    assert.equal(env.ok(['image', 'mount']).includes(at), false);
    env.ok(['image', 'unmount', 'localhost/echo']);
    assert.equal(env.ok(['image', 'mount']), '');
  });

  test('a manifest list cannot be mounted; unmount --all', () => {
    env.ok(['manifest', 'create', 'mlist']);
    assert.match(env.run(['image', 'mount', 'mlist']).stderr, /cannot mount a manifest list/);
    env.ok(['manifest', 'rm', 'mlist']);
    env.ok(['image', 'mount', 'localhost/busybox']);
    env.ok(['image', 'unmount', '--all']);
    assert.equal(env.ok(['image', 'mount']), '');
  });
});

describe('run --rootfs', () => {
  test('on a mounted image with :O (the image stays unchanged), and on a directory itself', () => {
    const where = env.ok(['image', 'mount', 'localhost/busybox']).trim();
    try {
      const out = env.ok(['run', '--name', 'onrootfs', '--rootfs', `${where}:O`, 'sh', '-c', 'echo Hello world; echo x > /added; cat /added']);
      assert.equal(out, 'Hello world\nx\n');
      assert.equal(env.ok(['container', 'inspect', 'onrootfs', '--format', '{{.ImageDigest}}|{{.Image}}']), '|\n');
      assert.equal(fs.existsSync(path.join(where, 'added')), false, 'the overlay kept the directory unchanged');
      assert.match(env.ok(['diff', 'onrootfs']), /A \/added/);
      env.ok(['rm', '-f', '-t0', 'onrootfs']);
    } finally {
      env.run(['rm', '-f', '-t0', 'onrootfs']);
      env.ok(['image', 'unmount', 'localhost/busybox']);
    }

    // without :O the directory itself is the root (as Podman): writes land in it
    const dir = path.join(env.dir, 'exploded');
    fs.mkdirSync(dir);
    const at = env.ok(['image', 'mount', 'localhost/busybox']).trim();
    fs.cpSync(at, dir, { recursive: true, verbatimSymlinks: true });
    env.ok(['image', 'unmount', 'localhost/busybox']);
    env.ok(['run', '--rm', '--rootfs', dir, 'sh', '-c', 'echo direct > /written']);
    assert.equal(fs.readFileSync(path.join(dir, 'written'), 'utf8'), 'direct\n');
    assert.equal(env.ok(['system', 'check']).trim(), 'No problems found', 'a container without an image is no damage');

    for (const bad of ['relative/dir', '/no/such/dir:O', path.join(dir, 'written')]) {
      const r = env.run(['run', '--rm', '--rootfs', bad, 'true']);
      assert.equal(r.code, 125, bad);
      assert.match(r.stderr, /--rootfs/, r.stderr);
    }
  });
});
