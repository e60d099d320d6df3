// `tspod system service` as a process: where it listens (unix path, socket
// activation, tcp), socket permissions, stale and live sockets, the idle
// timeout, CORS, sd_notify, routing, and error answers that never crash it.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, TSPOD_JS, cleanEnv, sleep, until } from '../helpers/tspod-env';
import { native } from '../../lib/native';

const env = new TspodEnv('api-service');
const started: ChildProcess[] = [];
before(() => env.importTestImages());
after(() => {
  for (const p of started)
    if (p.exitCode === null && p.signalCode === null && p.pid)
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
  env.cleanup();
});

function startService(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  const p = env.spawn(['system', 'service', ...args], { env: cleanEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(p);
  return p;
}

function stopService(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
  const done = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  if (p.pid) process.kill(p.pid, 'SIGTERM');
  return done;
}

function exited(p: ChildProcess): Promise<{ code: number | null; at: number; stderr: string }> {
  let stderr = '';
  p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => {
    if (p.exitCode !== null) return r({ code: p.exitCode, at: Date.now(), stderr });
    p.once('exit', (code) => r({ code, at: Date.now(), stderr }));
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(target: { socketPath: string } | { host: string; port: number }, method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, method, path: p, headers: { ...headers, Connection: 'close' }, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const answers = (sock: string) =>
  new Promise<boolean>((r) => {
    const s = net.connect({ path: sock });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });

async function ready(sock: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(sock) && (await answers(sock))) return;
    await sleep(50);
  }
  throw new Error(`service did not come up on ${sock}`);
}

describe('unix socket service', () => {
  const sock = path.join(env.dir, 'svc', 'api.sock');
  let svc: ChildProcess;
  before(async () => {
    svc = startService(['-t', '0', `unix://${sock}`]);
    await ready(sock);
  });
  after(async () => {
    await stopService(svc);
  });

  test('the socket is owner-only in a new directory', () => {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(sock)).mode & 0o777, 0o700);
  });

  test('curl: _ping GET and HEAD, with the version headers', () => {
    const r = spawnSync('curl', ['-s', '-i', '--unix-socket', sock, 'http://d/_ping'], { encoding: 'utf8' });
    assert.match(r.stdout, /^HTTP\/1.1 200 OK/);
    assert.match(r.stdout, /\r\nApi-Version: 1\.41\r\n/i);
    assert.match(r.stdout, /\r\nLibpod-Api-Version: /i);
    assert.match(r.stdout, /\r\nDocker-Experimental: true\r\n/i);
    assert.match(r.stdout, /\r\nServer: /i);
    assert.match(r.stdout, /\r\n\r\nOK$/);
    const h = spawnSync('curl', ['-s', '-I', '--unix-socket', sock, 'http://d/v1.41/_ping'], { encoding: 'utf8' });
    assert.match(h.stdout, /^HTTP\/1.1 200 OK/);
    assert.match(h.stdout, /Api-Version: 1\.41/i);
  });

  test('curl: the seed command answers', () => {
    const r = spawnSync('curl', ['-s', '-f', '--unix-socket', sock, 'http://d/v3.0.0/libpod/info'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    const info = JSON.parse(r.stdout) as { store: { graphRoot: string }; version: { APIVersion: string } };
    assert.equal(info.store.graphRoot, env.root);
  });

  test('routing: versioned, unversioned, libpod, and unknown paths', async () => {
    const s = { socketPath: sock };
    for (const p of ['/version', '/v1.40/version', '/v1.41/version', '/v3.0.0/libpod/version', '/v1.41/info', '/info'])
      assert.equal((await request(s, 'GET', p)).status, 200, p);
    const v = JSON.parse((await request(s, 'GET', '/version')).body) as Record<string, string>;
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal((await request(s, 'GET', '/v1.40/libpod/_ping')).body, 'OK');
    assert.equal((await request(s, 'GET', '/libpod/_ping')).body, 'OK');
    assert.equal((await request(s, 'GET', '/libpod/info')).status, 404);
    assert.equal((await request(s, 'GET', '/vfoo/version')).status, 404);
    assert.equal((await request(s, 'GET', '/v1.41/nonexistent')).status, 404);
    assert.equal((await request(s, 'POST', '/_ping')).status, 405);
  });

  test('errors: JSON with message, cause and response; clear 4xx', async () => {
    const s = { socketPath: sock };
    const missing = await request(s, 'GET', '/v1.41/containers/nosuch/json');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], 'application/json');
    const body = JSON.parse(missing.body) as { message: string; cause: string; response: number };
    assert.equal(body.message, 'No such container: nosuch');
    assert.equal(body.response, 404);
    assert.ok(body.cause);
    const lp = JSON.parse((await request(s, 'GET', '/v3.0.0/libpod/containers/nosuch/json')).body) as { message: string };
    assert.match(lp.message, /no container with name or ID "nosuch" found/);
    const bad = await request(s, 'POST', '/v1.41/containers/create', '{not json', { 'Content-Type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).message as string, /invalid JSON/);
    assert.equal((await request(s, 'POST', '/v1.41/containers/create', '{"Image": 5}', { 'Content-Type': 'application/json' })).status, 400);
    assert.equal((await request(s, 'POST', '/v1.41/containers/create', '[1,2]', { 'Content-Type': 'application/json' })).status, 400);
    assert.equal((await request(s, 'POST', '/v1.41/containers/create', '{"Image":"localhost/busybox","Cmd":{"a":1}}', { 'Content-Type': 'application/json' })).status, 400);
    const noImage = await request(s, 'POST', '/v1.41/containers/create', '{"Image":"localhost/nosuchimage"}', { 'Content-Type': 'application/json' });
    assert.equal(noImage.status, 404);
    assert.match(JSON.parse(noImage.body).message as string, /^No such image: /);
    assert.equal((await request(s, 'POST', '/v1.41/containers/x/wait?condition=bogus')).status, 400);
    assert.equal((await request(s, 'GET', '/v1.41/containers/json?filters=notjson')).status, 500); // as Podman's compat API
    assert.equal((await request(s, 'GET', '/v1.41/exec/nosuch/json')).status, 404);
    assert.equal((await request(s, 'GET', '/v1.41/images/localhost/nosuch:1/json')).status, 404);
    const huge = await request(s, 'POST', '/v1.41/containers/create', Buffer.alloc(8 * 1024 * 1024, 0x20)).catch(() => ({ status: 413 }) as Reply);
    assert.equal(huge.status, 413);
    // and the service is still there
    assert.equal((await request(s, 'GET', '/_ping')).body, 'OK');
  });

  test('attach without Upgrade (plain 200 raw stream), wait with conditions', async () => {
    const s = { socketPath: sock };
    const created = await request(s, 'POST', '/containers/create?name=plain', JSON.stringify({ Image: 'localhost/busybox', Cmd: ['sh', '-c', 'echo plain-out; echo plain-err >&2; exit 3'] }), { 'Content-Type': 'application/json' });
    assert.equal(created.status, 201, created.body);
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    const attached = new Promise<{ type: string; frames: [number, string][] }>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const frames: [number, string][] = [];
          for (let b = Buffer.concat(chunks); b.length >= 8; ) {
            const len = b.readUInt32BE(4);
            frames.push([b[0], b.subarray(8, 8 + len).toString()]);
            b = b.subarray(8 + len);
          }
          resolve({ type: String(res.headers['content-type']), frames });
        });
      });
      req.on('error', reject);
      req.end();
    });
    await sleep(200);
    const waited = request(s, 'POST', `/containers/${id}/wait?condition=next-exit`);
    await sleep(200);
    assert.equal((await request(s, 'POST', `/containers/${id}/start`)).status, 204);
    const a = await attached;
    assert.equal(a.type, 'application/vnd.docker.raw-stream');
    assert.deepEqual(a.frames.sort(), [
      [1, 'plain-out\n'],
      [2, 'plain-err\n'],
    ]);
    assert.deepEqual(JSON.parse((await waited).body), { StatusCode: 3, Error: null });
    assert.deepEqual(JSON.parse((await request(s, 'POST', '/containers/plain/wait')).body), { StatusCode: 3, Error: null });
    // logs=1 without stream replays what was logged (stdout only here), a frame per line without its newline as Podman's
    const replay = await request(s, 'POST', '/containers/plain/attach?logs=1&stream=0&stdout=1');
    assert.equal(replay.status, 200);
    assert.equal(replay.body, '\x01\x00\x00\x00\x00\x00\x00\x09plain-out');
    // no stream named: all of them
    const both = await request(s, 'POST', '/containers/plain/attach?logs=1&stream=0');
    assert.equal(both.body, '\x01\x00\x00\x00\x00\x00\x00\x09plain-out\x02\x00\x00\x00\x00\x00\x00\x09plain-err');
    assert.equal((await request(s, 'POST', '/containers/plain/stop')).status, 304);
    assert.equal((await request(s, 'POST', '/containers/plain/kill')).status, 409);
    assert.equal((await request(s, 'DELETE', '/containers/plain?force=True&v=False&link=False')).status, 204);
    assert.equal((await request(s, 'DELETE', '/containers/plain')).status, 404);
  });

  test('events stream live, filtered, as NDJSON', async () => {
    const lines: string[] = [];
    const req = http.get({ socketPath: sock, path: '/v1.41/events?filters=%7B%22type%22%3A%7B%22container%22%3Atrue%7D%7D', agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
    });
    req.on('error', () => undefined);
    try {
      await sleep(300);
      const created = await request({ socketPath: sock }, 'POST', '/containers/create?name=evented', JSON.stringify({ Image: 'localhost/busybox', Cmd: ['true'] }), { 'Content-Type': 'application/json' });
      assert.equal(created.status, 201);
      await request({ socketPath: sock }, 'DELETE', '/containers/evented');
      const events = await until(() => {
        const evs = lines.map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { Attributes: Record<string, string> } });
        return evs.some((e) => e.Action === 'destroy') ? evs : undefined;
      }, 5000);
      assert.deepEqual(
        events.filter((e) => e.Actor.Attributes.name === 'evented').map((e) => `${e.Type} ${e.Action}`),
        ['container create', 'container destroy'],
      );
    } finally {
      req.destroy();
    }
  });

  test('a second service refuses a socket that is live', () => {
    const r = env.run(['system', 'service', '-t', '1', `unix://${sock}`]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /already listening/);
  });

  test('no CORS headers without --cors; OPTIONS is not answered', async () => {
    const r = await request({ socketPath: sock }, 'GET', '/_ping');
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.equal((await request({ socketPath: sock }, 'OPTIONS', '/v1.41/containers/json')).status, 405);
  });
});

describe('service lifetime', () => {
  test('exits after --time idle seconds, removing its socket', async () => {
    const sock = path.join(env.dir, 'idle.sock');
    const t0 = Date.now();
    const svc = startService(['--time', '1', `unix://${sock}`]);
    const done = exited(svc);
    await ready(sock);
    const r = await done;
    assert.equal(r.code, 0);
    const elapsed = r.at - t0;
    assert.ok(elapsed >= 900 && elapsed < 5000, `exited after ${elapsed} ms`);
    assert.equal(fs.existsSync(sock), false);
  });

  test('an idle keep-alive connection does not keep it alive; a live stream does', async () => {
    const sock = path.join(env.dir, 'idle2.sock');
    const svc = startService(['-t', '1', `unix://${sock}`]);
    const done = exited(svc);
    await ready(sock);
    // keep-alive connection, idle after one request
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve) => http.get({ socketPath: sock, path: '/_ping', agent }, (res) => res.resume().on('end', resolve)));
    // a streaming events request held for 2.5 s
    const t0 = Date.now();
    const stream = http.get({ socketPath: sock, path: '/v1.41/events', agent: false });
    stream.on('error', () => undefined);
    await sleep(2500);
    assert.equal(svc.exitCode, null, 'alive while the events stream is open');
    stream.destroy();
    const r = await done;
    agent.destroy();
    assert.equal(r.code, 0);
    assert.ok(r.at - t0 >= 2500 && r.at - t0 < 6000, `exited ${r.at - t0} ms after the stream began`);
  });

  test('a stale socket file is replaced', async () => {
    const sock = path.join(env.dir, 'stale.sock');
    // a socket file nobody listens on, as a killed service leaves behind
    spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', sock]);
    assert.ok(fs.existsSync(sock));
    const svc = startService(['-t', '0', `unix://${sock}`]);
    try {
      await ready(sock);
      assert.equal((await request({ socketPath: sock }, 'GET', '/_ping')).body, 'OK');
    } finally {
      await stopService(svc);
    }
  });

  test('the idle time defaults to service_timeout from containers.conf', async () => {
    const conf = path.join(env.dir, 'containers.conf');
    fs.writeFileSync(conf, '[engine]\nservice_timeout = 1\n');
    const sock = path.join(env.dir, 'conf.sock');
    const t0 = Date.now();
    const svc = startService([`unix://${sock}`], { CONTAINERS_CONF: conf });
    const r = await exited(svc);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.at - t0 < 4500, `exited after ${r.at - t0} ms (default would be 5 s)`);
  });

  test('SIGTERM exits 0; SIGINT exits 1', async () => {
    for (const [sig, want] of [['SIGTERM', 0], ['SIGINT', 1]] as const) {
      const sock = path.join(env.dir, `sig-${sig}.sock`);
      const svc = startService(['-t', '0', `unix://${sock}`]);
      const done = exited(svc);
      await ready(sock);
      if (svc.pid) process.kill(svc.pid, sig);
      assert.equal((await done).code, want);
    }
  });

  test('--cors adds the headers and answers preflight with 204', async () => {
    const sock = path.join(env.dir, 'cors.sock');
    const svc = startService(['-t', '0', '--cors', 'https://example.test', `unix://${sock}`]);
    try {
      await ready(sock);
      const pre = await request({ socketPath: sock }, 'OPTIONS', '/v1.41/containers/json', undefined, { Origin: 'https://example.test', 'Access-Control-Request-Method': 'GET' });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://example.test');
      assert.match(String(pre.headers['access-control-allow-methods']), /OPTIONS/);
      const r = await request({ socketPath: sock }, 'GET', '/v1.41/version');
      assert.equal(r.headers['access-control-allow-origin'], 'https://example.test');
    } finally {
      await stopService(svc);
    }
  });

  test('NOTIFY_SOCKET gets MAINPID and READY=1', async () => {
    const notify = path.join(env.dir, 'notify.sock');
    const fd = native().dgramBind(notify);
    const sock = path.join(env.dir, 'notify-api.sock');
    const svc = startService(['-t', '0', `unix://${sock}`], { NOTIFY_SOCKET: notify });
    try {
      await ready(sock);
      const msg = await until(() => native().dgramRecv(fd), 5000);
      assert.equal(msg.toString(), `MAINPID=${svc.pid}\nREADY=1`);
    } finally {
      fs.closeSync(fd);
      await stopService(svc);
    }
  });
});

describe('other listeners', () => {
  test('socket activation: systemd-socket-activate hands over the socket', async () => {
    const sock = path.join(env.dir, 'activated.sock');
    const p = spawn('systemd-socket-activate', ['-l', sock, process.execPath, TSPOD_JS, '--root', env.root, '--runroot', env.runroot, 'system', 'service', '-t', '2'], {
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    started.push(p);
    const done = exited(p);
    try {
      await until(() => fs.existsSync(sock), 5000);
      const ping = spawnSync('curl', ['-s', '--unix-socket', sock, 'http://d/v3.0.0/libpod/_ping'], { encoding: 'utf8' });
      assert.equal(ping.stdout, 'OK');
      const info = spawnSync('curl', ['-s', '--unix-socket', sock, 'http://d/v3.0.0/libpod/info'], { encoding: 'utf8' });
      assert.equal((JSON.parse(info.stdout) as { store: { graphRoot: string } }).store.graphRoot, env.root);
      // a container started through the activated service: its monitor does not hold the API socket
      const apiSocket = fs.readlinkSync(`/proc/${p.pid}/fd/3`);
      const run = spawnSync('docker', ['run', '-d', '--name', 'activated', 'localhost/busybox', 'sh', '-c', 'sleep 2'], { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const conmon = Number(env.ok(['inspect', '-f', '{{.State.ConmonPid}}', 'activated']).trim());
      const held = fs.readdirSync(`/proc/${conmon}/fd`).map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${conmon}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      assert.ok(!held.includes(apiSocket), `the monitor holds ${apiSocket}`);
      const r = await done; // idle exit
      assert.equal(r.code, 0, r.stderr);
    } finally {
      if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGTERM');
    }
  });

  test('tcp on 127.0.0.1 warns and serves the docker CLI', async () => {
    const port = 20000 + (process.pid % 20000);
    const svc = startService(['-t', '0', `tcp://127.0.0.1:${port}`]);
    let stderr = '';
    svc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      for (let i = 0; i < 100; i++) {
        const ok = await request({ host: '127.0.0.1', port }, 'GET', '/_ping').then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) break;
        await sleep(50);
      }
      const r = spawnSync('docker', ['run', '--rm', 'localhost/busybox', 'echo', 'over-tcp'], { env: { ...cleanEnv(), DOCKER_HOST: `tcp://127.0.0.1:${port}` }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.stdout, 'over-tcp\n', r.stderr);
      assert.equal(r.status, 0);
      assert.match(stderr, /WARNING: .*TCP/);
    } finally {
      await stopService(svc);
    }
  });
});
