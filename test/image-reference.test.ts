// Reference parsing and normalisation, as Podman spells names.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { normalizeLocalName, normalizeName, parseReference } from '../lib/image/reference';
import { EngineError } from '../lib/errors';

test('short names normalize to docker.io/library with :latest', () => {
  assert.equal(normalizeName('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeName('busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(normalizeName('foo/bar'), 'docker.io/foo/bar:latest');
  assert.equal(normalizeName('docker.io/busybox'), 'docker.io/library/busybox:latest');
});

test('registries: localhost, host:port, dotted hosts', () => {
  assert.equal(normalizeName('localhost/echo'), 'localhost/echo:latest');
  assert.equal(normalizeName('registry:5000/x:tag'), 'registry:5000/x:tag');
  assert.equal(normalizeName('quay.io/a/b/c'), 'quay.io/a/b/c:latest');
  assert.deepEqual(parseReference('registry:5000/x:tag'), {
    registry: 'registry:5000',
    repository: 'x',
    tag: 'tag',
    digest: undefined,
    explicitRegistry: true,
  });
  // no slash: the part after ':' is a tag, not a port
  assert.equal(normalizeName('registry:5000'), 'docker.io/library/registry:5000');
});

test('digests', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(normalizeName(`busybox@${d}`), `docker.io/library/busybox@${d}`);
  assert.equal(normalizeName(`localhost/x:1@${d}`), `localhost/x:1@${d}`);
  assert.throws(() => parseReference('busybox@sha256:abc'), EngineError);
});

test('names without a registry created locally go under localhost/', () => {
  assert.equal(normalizeLocalName('echo'), 'localhost/echo:latest');
  assert.equal(normalizeLocalName('foo/bar:2'), 'localhost/foo/bar:2');
  assert.equal(normalizeLocalName('docker.io/busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeLocalName('quay.io/x/y:z'), 'quay.io/x/y:z');
});

test('invalid references are invalid arguments', () => {
  for (const bad of ['', 'Busybox', 'a//b', 'a:', ':tag', 'a@', 'x/UPPER', 'x:-bad', ' a', 'a'.repeat(64)]) {
    assert.throws(
      () => parseReference(bad),
      (err: unknown) => err instanceof EngineError && err.kind === 'invalid-argument',
      `"${bad}" should be refused`,
    );
  }
  assert.throws(() => parseReference('Busybox'), /repository name must be lowercase/);
});
