// The API service on TCP against what a web page or a slow client can do:
// cross-site "simple" POSTs (text/plain, form-encoded, typeless bodies) are
// refused 400 as Docker does, a foreign Origin is refused 403 on
// state-changing requests unless --cors names it, and a client trickling its
// header bytes is cut off after the headers timeout, while long streams
// (logs -f, events) run past it.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, cleanEnv, sleep } from '../helpers/tspod-env';

const env = new TspodEnv('api-web-safety');
const started: ChildProcess[] = [];
/** Short, so the trickling client is cut off within the test's patience. */
const HEADERS_TIMEOUT_S = 2;

interface Reply {
  status: number;
  body: string;
}

function request(port: number, method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: { ...headers, Connection: 'close' }, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A TCP service with the short headers timeout, waited for (bounded) until it answers. */
async function startService(...flags: string[]): Promise<number> {
  const port = await freePort();
  const p = env.spawn(['system', 'service', '-t', '0', ...flags, `tcp://127.0.0.1:${port}`], {
    env: cleanEnv({ TSPOD_API_HEADERS_TIMEOUT: String(HEADERS_TIMEOUT_S) }),
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  started.push(p);
  for (let i = 0; i < 200; i++) {
    if (await request(port, 'GET', '/_ping').then((r) => r.status === 200, () => false)) return port;
    await sleep(50);
  }
  throw new Error('the service did not answer');
}

const containerCount = () => env.ok(['ps', '-a', '-q']).split('\n').filter(Boolean).length;
const CREATE = JSON.stringify({ Image: 'localhost/busybox', Cmd: ['true'] });
const JSON_TYPE = { 'Content-Type': 'application/json' };

let port = 0;

before(async () => {
  env.importTestImages();
  port = await startService();
});

after(async () => {
  for (const p of started)
    if (p.pid && p.exitCode === null && p.signalCode === null) {
      const done = new Promise((r) => p.once('exit', r));
      process.kill(p.pid, 'SIGTERM');
      await Promise.race([done, sleep(5000)]);
      if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
    }
  env.cleanup();
});

describe('JSON bodies need Content-Type: application/json', () => {
  test('curl -H "Content-Type: text/plain" -d {...} /containers/create is refused 400 and creates nothing', () => {
    const r = spawnSync('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', '-H', 'Content-Type: text/plain', '-d', CREATE, `http://127.0.0.1:${port}/containers/create`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const nl = r.stdout.lastIndexOf('\n');
    assert.equal(r.stdout.slice(nl + 1), '400', r.stdout);
    assert.match(JSON.parse(r.stdout.slice(0, nl)).message as string, /Content-Type specified \(text\/plain\) must be 'application\/json'/);
    assert.equal(containerCount(), 0);
  });

  test('form-encoded, typeless and libpod bodies are refused too; application/json and empty bodies still work', async () => {
    assert.equal((await request(port, 'POST', '/v1.41/containers/create', CREATE, { 'Content-Type': 'application/x-www-form-urlencoded' })).status, 400);
    assert.equal((await request(port, 'POST', '/v1.41/containers/create', CREATE)).status, 400, 'a body without Content-Type');
    const lp = JSON.stringify({ image: 'localhost/busybox', command: ['true'] });
    assert.equal((await request(port, 'POST', '/v4.3.1/libpod/containers/create', lp, { 'Content-Type': 'text/plain;charset=UTF-8' })).status, 400);
    assert.equal(containerCount(), 0);
    const ok = await request(port, 'POST', '/v1.41/containers/create?name=typed', CREATE, { 'Content-Type': 'application/json; charset=utf-8' });
    assert.equal(ok.status, 201, ok.body);
    // The docker CLI labels empty POST bodies text/plain: an empty body is no body.
    assert.equal((await request(port, 'POST', '/v1.41/containers/typed/start', '', { 'Content-Type': 'text/plain' })).status, 204);
    assert.equal((await request(port, 'POST', '/v1.41/containers/typed/wait')).status, 200);
    assert.equal((await request(port, 'DELETE', '/v1.41/containers/typed')).status, 204);
  });
});

describe('Origin', () => {
  test('a state-changing request from a foreign page is refused 403 in both trees; reads are not', async () => {
    const evil = { ...JSON_TYPE, Origin: 'http://evil.example' };
    const r = await request(port, 'POST', '/v1.41/containers/create', CREATE, evil);
    assert.equal(r.status, 403, r.body);
    assert.match(JSON.parse(r.body).message as string, /origin "http:\/\/evil.example" are not allowed/);
    const lp = await request(port, 'POST', '/v4.3.1/libpod/containers/create', JSON.stringify({ image: 'localhost/busybox' }), evil);
    assert.equal(lp.status, 403);
    assert.equal((await request(port, 'POST', '/v1.41/volumes/create', '{}', evil)).status, 403);
    assert.equal(containerCount(), 0);
    assert.equal(env.ok(['volume', 'ls', '-q']).trim(), '');
    assert.equal((await request(port, 'GET', '/v1.41/containers/json', undefined, { Origin: 'http://evil.example' })).status, 200);
  });

  test('allowed when --cors names that origin', async () => {
    const corsPort = await startService('--cors', 'http://evil.example');
    const r = await request(corsPort, 'POST', '/v1.41/containers/create?name=cors-ok', CREATE, { ...JSON_TYPE, Origin: 'http://evil.example' });
    assert.equal(r.status, 201, r.body);
    const other = await request(corsPort, 'POST', '/v1.41/containers/create', CREATE, { ...JSON_TYPE, Origin: 'http://other.example' });
    assert.equal(other.status, 403);
    env.ok(['rm', 'cors-ok']);
  });
});

describe('headers timeout', () => {
  test('a client trickling header bytes is cut off', async () => {
    const sock = net.connect(port, '127.0.0.1');
    const t0 = Date.now();
    let reply = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (reply += d));
    sock.on('error', () => undefined);
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now() - t0)));
    await new Promise((r) => sock.once('connect', r));
    const head = 'GET /v1.41/containers/json HTTP/1.1\r\nHost: d\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    // One byte a second, at most 15: the service must hang up long before.
    while (open && sent < 15) {
      if (!sock.write(head[sent++])) break;
      await Promise.race([sleep(1000), closed]);
    }
    const after = await Promise.race([closed, sleep(2000).then(() => -1)]);
    sock.destroy();
    assert.notEqual(after, -1, `still connected after ${sent} bytes`);
    assert.ok(after < (HEADERS_TIMEOUT_S + 3) * 1000, `cut off after ${after} ms`);
    assert.match(reply, /^HTTP\/1.1 408/);
  });

  test('logs -f and events stream past the headers timeout', async () => {
    env.ok(['run', '-d', '--name', 'ticker', 'localhost/busybox', 'sh', '-c', 'i=0; while [ $i -lt 12 ]; do echo tick$i; i=$((i+1)); sleep 0.5; done']);
    let logs = '';
    let events = '';
    const logReq = http.get({ host: '127.0.0.1', port, path: '/v1.41/containers/ticker/logs?follow=1&stdout=1', agent: false }, (res) => {
      res.setEncoding('latin1');
      res.on('data', (d: string) => (logs += d));
    });
    logReq.on('error', () => undefined);
    const evReq = http.get({ host: '127.0.0.1', port, path: '/v1.41/events', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (events += d));
    });
    evReq.on('error', () => undefined);
    try {
      await sleep((HEADERS_TIMEOUT_S + 2) * 1000);
      const created = await request(port, 'POST', '/v1.41/containers/create?name=late', CREATE, JSON_TYPE);
      assert.equal(created.status, 201);
      for (let i = 0; i < 100 && !(logs.includes('tick11') && events.includes('late')); i++) await sleep(100);
      assert.match(logs, /tick11/, 'the log stream lasted');
      assert.match(events, /"late"/, 'the event stream lasted');
    } finally {
      logReq.destroy();
      evReq.destroy();
      env.run(['rm', '-f', '-t', '0', 'ticker', 'late']);
    }
  });
});
