// Registry client pieces without a network: WWW-Authenticate parsing,
// registries.conf, auth.json, manifest checks, platform selection, pull policies.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseChallenges } from '../lib/image/registry/auth';
import { parseManifest, parsePlatform, selectManifest } from '../lib/image/registry/manifests';
import { findRegistry, parseRegistriesConf, rewriteLocation } from '../lib/config/registries-conf';
import { lookupCredentials, removeCredentials, storeCredentials } from '../lib/config/auth-json';
import { parsePullPolicy } from '../lib/image/pull-policy';
import type { ImageIndex } from '../lib/oci/image-spec';

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('WWW-Authenticate', () => {
  test('Docker Hub style Bearer challenge', () => {
    const c = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    assert.deepEqual(c, [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });
  test('Basic, several challenges, quoted commas and escapes', () => {
    const c = parseChallenges(['Basic realm="a, \\"b\\""', 'Bearer realm="https://x/t",scope="repository:a:pull,push"']);
    assert.equal(c.length, 2);
    assert.equal(c[0].scheme, 'basic');
    assert.equal(c[0].params.realm, 'a, "b"');
    assert.equal(c[1].params.scope, 'repository:a:pull,push');
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('registries.conf', () => {
  const conf = parseRegistriesConf(`
unqualified-search-registries = [
  "registry.example:5000", # first
  "docker.io",
]
short-name-mode = "permissive"

[[registry]]
prefix = "example.com/foo"
location = "mirror.local:5000/bar"
insecure = true

[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
location = "evil.example"
blocked = true

[aliases]
"myimg" = "quay.io/me/myimg"
`);
  test('search list, aliases, entries', () => {
    assert.deepEqual(conf.unqualifiedSearch, ['registry.example:5000', 'docker.io']);
    assert.equal(conf.shortNameMode, 'permissive');
    assert.equal(conf.aliases.myimg, 'quay.io/me/myimg');
    assert.equal(conf.registries.length, 3);
  });
  test('prefix matching by whole components and location rewriting', () => {
    const e = findRegistry(conf, 'example.com/foo/app');
    assert.ok(e?.insecure);
    assert.equal(rewriteLocation(e, 'example.com/foo/app'), 'mirror.local:5000/bar/app');
    assert.equal(findRegistry(conf, 'example.com/foobar/app'), undefined);
    assert.ok(findRegistry(conf, '127.0.0.1:5000/x')?.insecure);
    assert.equal(findRegistry(conf, '127.0.0.1:50001/x'), undefined);
    assert.ok(findRegistry(conf, 'evil.example/x')?.blocked);
  });
  test('the v1 format', () => {
    const v1 = parseRegistriesConf('[registries.search]\nregistries = ["a.io"]\n[registries.insecure]\nregistries = ["b.io:5000"]\n');
    assert.deepEqual(v1.unqualifiedSearch, ['a.io']);
    assert.ok(findRegistry(v1, 'b.io:5000/x/y')?.insecure);
  });
});

describe('auth.json', () => {
  test('store, look up (most specific key first), remove', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-authjson-'));
    try {
      const file = path.join(dir, 'sub', 'auth.json');
      storeCredentials('reg.io', 'u1', 'p:1', file);
      storeCredentials('reg.io/team', 'u2', 'p2', file);
      assert.deepEqual(lookupCredentials('reg.io', 'other/app', file), { username: 'u1', password: 'p:1' });
      assert.deepEqual(lookupCredentials('reg.io', 'team/app', file), { username: 'u2', password: 'p2' });
      assert.equal(lookupCredentials('else.io', 'x', file), undefined);
      assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
      assert.ok(removeCredentials('reg.io/team', file));
      assert.ok(!removeCredentials('reg.io/team', file));
      assert.deepEqual(lookupCredentials('reg.io', 'team/app', file), { username: 'u1', password: 'p:1' });
      // Docker's config.json keys with scheme
      fs.writeFileSync(file, JSON.stringify({ auths: { 'https://reg2.io/v1/': { auth: Buffer.from('a:b').toString('base64') } } }));
      assert.deepEqual(lookupCredentials('reg2.io', undefined, file), { username: 'a', password: 'b' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('manifests', () => {
  const image = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 10, digest: D('a') },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 5, digest: D('b') }],
  };
  test('a valid image manifest', () => {
    const p = parseManifest(Buffer.from(JSON.stringify(image)), '', 'm');
    assert.equal(p.kind, 'image');
  });
  test('malformed or unsupported manifests are refused with a reason', () => {
    const bad = (doc: unknown, re: RegExp) => assert.throws(() => parseManifest(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), '', 'm'), re);
    bad('{oops', /malformed manifest: not valid JSON/);
    bad({ schemaVersion: 1, fsLayers: [] }, /schema 1/);
    bad({ ...image, layers: 'x' }, /no layers/);
    bad({ ...image, config: { ...image.config, digest: 'md5:abc' } }, /unsupported digest/);
    bad({ ...image, layers: [{ ...image.layers[0], size: -1 }] }, /valid size/);
    bad({ ...image, layers: [{ ...image.layers[0], mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }] }, /zstd/);
    bad({ ...image, config: { ...image.config, mediaType: 'application/vnd.cncf.helm.config.v1+json' } }, /not a container image/);
  });
  test('platform selection in an index', () => {
    const index: ImageIndex = {
      schemaVersion: 2,
      manifests: [
        { mediaType: 'x', size: 1, digest: D('1'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { mediaType: 'x', size: 1, digest: D('2'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'x', size: 1, digest: D('3'), platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'x', size: 1, digest: D('4'), platform: { os: 'windows', architecture: 'amd64' } },
      ],
    };
    assert.equal(selectManifest(index, parsePlatform('linux/amd64'), 'i').digest, D('3'));
    assert.equal(selectManifest(index, parsePlatform('linux/arm64'), 'i').digest, D('2'));
    assert.equal(selectManifest(index, parsePlatform('linux/arm64/v8'), 'i').digest, D('2'));
    assert.equal(selectManifest(index, parsePlatform('linux/arm/v7'), 'i').digest, D('1'));
    assert.equal(selectManifest(index, parsePlatform('windows/amd64'), 'i').digest, D('4'));
    assert.throws(() => selectManifest(index, parsePlatform('linux/arm/v6'), 'i'), /no image found in manifest list for architecture linux\/arm\/v6/);
    assert.deepEqual(parsePlatform(undefined).os, 'linux');
    assert.throws(() => parsePlatform('linux'), /invalid platform/);
  });
});

test('pull policies', () => {
  assert.equal(parsePullPolicy('always'), 'always');
  assert.equal(parsePullPolicy('Missing'), 'missing');
  assert.equal(parsePullPolicy(undefined), 'missing');
  assert.equal(parsePullPolicy('ifnewer'), 'newer');
  assert.equal(parsePullPolicy('false'), 'never');
  assert.throws(() => parsePullPolicy('sometimes'), /unsupported pull policy/);
});
