// --listen addresses (systemd-socket-activate's -l syntax) and the API fields that carry them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { listenConfig, parseListenAddress } from '../lib/activation/listen-address';
import { dockerCreateRequest, libpodCreateRequest } from '../api/handlers/create-body';
import { EngineError } from '../lib/errors';

test('accepted forms', () => {
  assert.deepEqual(parseListenAddress('8080'), { kind: 'tcp', port: 8080 });
  assert.deepEqual(parseListenAddress('127.0.0.1:80'), { kind: 'tcp', host: '127.0.0.1', port: 80 });
  assert.deepEqual(parseListenAddress('[::1]:65535'), { kind: 'tcp', host: '::1', port: 65535 });
  assert.deepEqual(parseListenAddress('/run/echo.sock'), { kind: 'unix', path: '/run/echo.sock' });
});

test('refused forms are invalid-argument errors naming the address', () => {
  for (const a of ['', '0', '65536', '080000', 'x', ':80', '::1:80', '[::1]80', '256.1.1.1:80', 'host:80', '/a/../b', '/dir/', 'rel.sock'])
    assert.throws(() => parseListenAddress(a), (e: unknown) => e instanceof EngineError && e.kind === 'invalid-argument' && e.message.includes(`"${a}"`), a);
  assert.throws(() => listenConfig(['80'], '1.5', false), /--idle-timeout/);
  assert.throws(() => listenConfig(['80'], undefined, true), /--rm/);
  assert.deepEqual(listenConfig([], undefined, false), {});
});

test('Docker HostConfig.TspodListen and libpod listen/idle_timeout', () => {
  const d = dockerCreateRequest({ Image: 'echo', HostConfig: { TspodListen: ['8080', '/tmp/e.sock'], TspodIdleTimeout: 30 } }, undefined);
  assert.deepEqual([d.config.listen, d.config.idleTimeout], [['8080', '/tmp/e.sock'], 30]);
  const l = libpodCreateRequest({ image: 'echo', listen: ['[::1]:9000'], idle_timeout: 5 });
  assert.deepEqual([l.config.listen, l.config.idleTimeout], [['[::1]:9000'], 5]);
  assert.equal(dockerCreateRequest({ Image: 'echo' }, undefined).config.listen, undefined);
  assert.throws(() => dockerCreateRequest({ Image: 'echo', HostConfig: { TspodListen: ['nope'] } }, undefined), /invalid --listen address/);
});
