// Fast logic of the API service: path splitting and route matching, query
// parsing, endpoint resolution, stream frames, the idle timer.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RouteTable, splitPath } from '../api/router';
import { qbool, qfilters, qint } from '../api/http';
import { parseUri, resolveEndpoint, defaultSocketPath } from '../api/listener';
import { muxFrame, outputChunk } from '../api/streams/mux';
import { IdleTracker } from '../api/idle';
import { dockerCreateRequest } from '../api/handlers/create-body';

describe('splitPath', () => {
  test('version prefixes and trees', () => {
    assert.deepEqual(splitPath('/v1.41/containers/json'), { tree: 'compat', path: '/containers/json' });
    assert.deepEqual(splitPath('/v1.40/info'), { tree: 'compat', path: '/info' });
    assert.deepEqual(splitPath('/v3.0.0/libpod/info'), { tree: 'libpod', path: '/info' });
    assert.deepEqual(splitPath('/_ping'), { tree: 'compat', path: '/_ping' });
    assert.deepEqual(splitPath('/version'), { tree: 'compat', path: '/version' });
    assert.deepEqual(splitPath('/libpod/_ping'), { tree: 'libpod', path: '/_ping' });
    assert.equal(splitPath('/libpod/info'), undefined);
    assert.equal(splitPath('/vfoo/version'), undefined);
  });
});

describe('RouteTable', () => {
  const noop = () => undefined;
  const t = new RouteTable().add('GET', '/images/json', noop).add('GET', '/images/{name+}/json', noop).add('DELETE', '/images/{name+}', noop).add('GET', '/containers/{id}/json', noop);
  test('greedy image names with slashes and colons', () => {
    const m = t.match('GET', '/images/localhost:5000/echo:latest/json');
    assert.ok(m && m !== 'method');
    assert.deepEqual(m.params, { name: 'localhost:5000/echo:latest' });
    const d = t.match('DELETE', '/images/localhost/busybox');
    assert.ok(d && d !== 'method');
    assert.equal(d.params.name, 'localhost/busybox');
  });
  test('HEAD uses GET routes; a wrong method is told apart from no route', () => {
    assert.ok(t.match('HEAD', '/containers/abc/json'));
    assert.equal(t.match('POST', '/containers/abc/json'), 'method');
    assert.equal(t.match('GET', '/nope'), undefined);
  });
});

describe('query parsing', () => {
  test('booleans in every spelling', () => {
    const q = new URLSearchParams('a=1&b=true&c=True&d=0&e=False&f=no&g=&h=none&i=yes');
    assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'z'].map((k) => qbool(q, k)), [true, true, true, false, false, false, false, false, true, false]);
  });
  test('filters in map and list form', () => {
    const map = qfilters(new URLSearchParams({ filters: '{"label":{"app=test":true},"status":{"running":true}}' }));
    assert.deepEqual([...map], [['label', ['app=test']], ['status', ['running']]]);
    const list = qfilters(new URLSearchParams({ filters: '{"label":["a=b","c"]}' }));
    assert.deepEqual([...list], [['label', ['a=b', 'c']]]);
    assert.throws(() => qfilters(new URLSearchParams({ filters: 'nope' })), /invalid filter/);
  });
  test('integers', () => {
    assert.equal(qint(new URLSearchParams('t=5'), 't'), 5);
    assert.equal(qint(new URLSearchParams(''), 't'), undefined);
    assert.throws(() => qint(new URLSearchParams('t=x'), 't'));
  });
});

describe('endpoints', () => {
  test('URIs', () => {
    assert.deepEqual(parseUri('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
    assert.deepEqual(parseUri('tcp://127.0.0.1:8080'), { kind: 'tcp', host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseUri('tcp:localhost:1'), { kind: 'tcp', host: 'localhost', port: 1 });
    assert.throws(() => parseUri('http://x'), /not supported/);
    assert.throws(() => parseUri('tcp://nohost'), /host:port/);
  });
  test('socket activation only when LISTEN_PID is ours and no URI is given', () => {
    const env = { LISTEN_PID: '42', LISTEN_FDS: '1' };
    assert.deepEqual(resolveEndpoint(undefined, env, 42), { kind: 'fd', fd: 3 });
    assert.deepEqual(resolveEndpoint(undefined, env, 43), { kind: 'unix', path: defaultSocketPath(env) });
    assert.deepEqual(resolveEndpoint('unix:///tmp/a.sock', env, 42), { kind: 'unix', path: '/tmp/a.sock' });
    assert.throws(() => resolveEndpoint(undefined, { LISTEN_PID: '42', LISTEN_FDS: '2' }, 42), /wrong number of file descriptors/);
  });
  test('the default socket', () => {
    if (process.getuid?.() === 0) assert.equal(defaultSocketPath({}), '/run/tspod/tspod.sock');
    else assert.equal(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/7' }), '/run/user/7/tspod/tspod.sock');
  });
});

describe('stream frames', () => {
  test('multiplexed header', () => {
    assert.deepEqual([...muxFrame(1, Buffer.from('out\n'))], [1, 0, 0, 0, 0, 0, 0, 4, ...Buffer.from('out\n')]);
    assert.equal(outputChunk(false, 'stderr', Buffer.from('x'))[0], 2);
    assert.equal(outputChunk(true, 'stderr', Buffer.from('x')).toString(), 'x');
  });
});

describe('create bodies', () => {
  test('docker create body: zero values mean unset, types are checked', () => {
    const r = dockerCreateRequest({ Image: 'busybox', Cmd: ['echo', 'hi'], Entrypoint: null, Env: null, HostConfig: { AutoRemove: true, NetworkMode: 'default' }, Unknown: 1 }, 'n1');
    assert.equal(r.image, 'busybox');
    assert.equal(r.name, 'n1');
    assert.deepEqual(r.command, ['echo', 'hi']);
    assert.equal(r.config.autoRemove, true);
    assert.equal(r.config.entrypointSet, false);
    // 'default' is the default network: the bridge network as root, loopback-only otherwise
    assert.equal(r.config.network, process.getuid?.() === 0 ? 'bridge' : 'private');
    assert.throws(() => dockerCreateRequest({ Image: 'x', Tty: 'yes' }, undefined), /cannot unmarshal/);
    assert.throws(() => dockerCreateRequest({}, undefined), /image is required/);
  });
});

describe('IdleTracker', () => {
  test('fires only when nothing is active for the whole period', async () => {
    let fired = 0;
    const t = new IdleTracker(0.1, () => fired++);
    const end = t.begin();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fired, 0);
    end();
    end(); // idempotent
    assert.equal(t.activeCount, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fired, 1);
    t.stop();
  });
  test('0 never fires', async () => {
    let fired = 0;
    const t = new IdleTracker(0, () => fired++);
    t.begin()();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fired, 0);
  });
});
