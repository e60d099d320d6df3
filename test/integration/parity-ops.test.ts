// pause / unpause with real runc containers: the frozen state in ps, inspect
// and filters, no CPU while paused, stop/kill/rm -f of a paused container, the
// API endpoints (Docker and libpod) and `--remote pause`.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { TspodEnv, sleep } from '../helpers/tspod-env';
import { ApiService } from '../helpers/api-service';

const env = new TspodEnv('parity-ops');
const sock = path.join(env.dir, 'api.sock');
const service = new ApiService(env, sock);
before(async () => {
  env.importTestImages();
  await service.start();
});
after(async () => {
  await service.stop();
  env.cleanup();
});

const status = (name: string) => env.ok(['inspect', '--format', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', name]).trim();

/** User+system CPU ticks of a process (from /proc). */
function cpuTicks(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** POST over the service's unix socket; returns the HTTP status. */
function post(url: string): number {
  const out = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', sock, '-X', 'POST', `http://d${url}`], { encoding: 'utf8' });
  return Number(out);
}

describe('pause and unpause', () => {
  test('a paused busy loop is frozen: shown paused, uses no CPU, refuses start and pause; unpause resumes it', async () => {
    env.ok(['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'while :; do :; done']);
    try {
      const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'busy']).trim());
      assert.equal(env.ok(['pause', 'busy']), 'busy\n');
      assert.equal(status('busy'), 'paused true true');
      assert.match(env.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^busy Paused$/m);
      assert.equal(env.ok(['ps', '-q', '--no-trunc', '--filter', 'status=paused']).trim().length, 64);
      assert.equal(env.ok(['ps', '-q', '--filter', 'status=running']).trim(), '');
      const t0 = cpuTicks(pid);
      await sleep(1000);
      assert.equal(cpuTicks(pid), t0, 'a frozen process gets no CPU');

      const again = env.run(['pause', 'busy']);
      assert.equal(again.code, 125);
      assert.match(again.stderr, /^Error: "[0-9a-f]{64}" is already paused: container state improper\n$/);
      const start = env.run(['start', 'busy']);
      assert.equal(start.code, 125);
      assert.match(start.stderr, /cannot start paused container [0-9a-f]{64}: container state improper/);

      assert.equal(env.ok(['unpause', 'busy']), 'busy\n');
      assert.equal(status('busy'), 'running false true');
      const t1 = cpuTicks(pid);
      await sleep(500);
      assert.ok(cpuTicks(pid) > t1, 'the loop runs again');
      const un = env.run(['unpause', 'busy']);
      assert.equal(un.code, 125);
      assert.match(un.stderr, /^Error: "[0-9a-f]{64}" is not paused, can't unpause: container state improper\n$/); // as Podman 4.3.1: the id
    } finally {
      env.run(['rm', '-f', '-t', '0', 'busy']);
    }
  });

  test('pausing a stopped container is refused', () => {
    env.ok(['create', '--name', 'idle', 'busybox', 'true']);
    try {
      const r = env.run(['pause', 'idle']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /"created" is not running, can't pause: container state improper/);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'idle']);
    }
  });

  test('rm -f, stop and kill of a paused container end it and leave nothing behind', () => {
    for (const how of [['rm', '-f', '-t', '1'], ['stop', '-t', '2'], ['kill']]) {
      const name = `frozen-${how[0]}`;
      env.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '1000']);
      const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', name]).trim());
      env.ok(['pause', name]);
      const t0 = Date.now();
      const r = env.run([...how, name], { timeout: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - t0 < 10_000, `${how[0]} returns promptly`);
      if (how[0] !== 'rm') {
        for (let i = 0; i < 100 && status(name).startsWith('running'); i++) execFileSync('sleep', ['0.05']);
        assert.match(status(name), /^exited false false$/);
        env.ok(['rm', name]);
      }
      assert.equal(fs.existsSync(`/proc/${pid}`), false, `${how[0]}: the container's process is gone`);
      assert.equal(env.run(['container', 'exists', name]).code, 1);
    }
    assert.equal(env.ok(['ps', '-aq']).trim(), '');
  });

  test('the API: Docker and libpod pause/unpause (204; 409 and 404 otherwise), and --remote pause', () => {
    env.ok(['run', '-d', '--name', 'apictr', 'busybox', 'sleep', '1000']);
    try {
      assert.equal(post('/v1.41/containers/apictr/pause'), 204);
      assert.equal(status('apictr'), 'paused true true');
      assert.equal(post('/v1.41/containers/apictr/pause'), 409);
      assert.equal(post('/v1.41/containers/apictr/unpause'), 204);
      assert.equal(status('apictr'), 'running false true');
      assert.equal(post('/v4.0.0/libpod/containers/apictr/pause'), 204);
      assert.equal(status('apictr'), 'paused true true');
      assert.equal(post('/v4.0.0/libpod/containers/apictr/unpause'), 204);
      assert.equal(post('/v1.41/containers/nosuch/pause'), 404);

      const remote = (args: string[]) => env.run(['--remote', '--url', `unix://${sock}`, ...args]);
      const p = remote(['pause', 'apictr']);
      assert.equal(p.code, 0, p.stderr);
      assert.equal(p.stdout, 'apictr\n');
      assert.equal(status('apictr'), 'paused true true');
      assert.match(remote(['ps', '--format', '{{.Names}} {{.Status}}']).stdout, /^apictr Paused$/m);
      assert.equal(remote(['unpause', 'apictr']).code, 0);
      assert.equal(status('apictr'), 'running false true');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'apictr']);
    }
  });

  test('init (local and --remote): the container is made, not started; start runs it', () => {
    env.ok(['create', '--name', 'initme', 'busybox', 'sh', '-c', 'echo inited']);
    env.ok(['create', '--name', 'initremote', 'busybox', 'true']);
    try {
      assert.equal(env.ok(['init', 'initme']), 'initme\n');
      assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', 'initme']), 'initialized\n');
      assert.equal(env.ok(['init', 'initme']), 'initme\n', 'a second init is a no-op');
      assert.equal(env.ok(['start', '-a', 'initme']), 'inited\n');
      const r = env.run(['--remote', '--url', `unix://${sock}`, 'init', 'initremote']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', 'initremote']), 'initialized\n');
      assert.equal(env.run(['init', 'nosuch']).code, 125);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'initme', 'initremote']);
    }
  });

  test('--all pauses every running container and unpauses every paused one', () => {
    env.ok(['run', '-d', '--name', 'a1', 'busybox', 'sleep', '1000']);
    env.ok(['run', '-d', '--name', 'a2', 'busybox', 'sleep', '1000']);
    try {
      env.ok(['pause', '--all']);
      assert.equal(status('a1'), 'paused true true');
      assert.equal(status('a2'), 'paused true true');
      env.ok(['unpause', '-a']);
      assert.equal(status('a1'), 'running false true');
      assert.equal(status('a2'), 'running false true');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'a1', 'a2']);
    }
  });
});

describe('container prune', () => {
  test('removes exactly the containers not running or paused (after the question unless -f), with --filter', () => {
    env.ok(['run', '-d', '--name', 'p-run', 'busybox', 'sleep', '1000']);
    env.ok(['run', '-d', '--name', 'p-paused', 'busybox', 'sleep', '1000']);
    env.ok(['pause', 'p-paused']);
    const created = env.ok(['create', '--name', 'p-created', '--label', 'keep=1', 'busybox', 'true']).trim();
    env.ok(['run', '--name', 'p-exited', 'busybox', 'true']);
    const exited = env.ok(['inspect', '--format', '{{.Id}}', 'p-exited']).trim();
    try {
      const no = env.run(['container', 'prune'], { input: 'n\n' });
      assert.equal(no.code, 0);
      assert.match(no.stdout, /^WARNING! This will remove all non running containers\.\nAre you sure you want to continue\? \[y\/N\] $/);
      assert.equal(env.ok(['ps', '-aq']).trim().split('\n').length, 4, 'no answer: nothing removed');

      assert.equal(env.ok(['container', 'prune', '-f', '--filter', 'label!=keep=1']), `${exited}\n`);
      assert.equal(env.ok(['container', 'prune', '-f']), `${created}\n`);
      assert.deepEqual(env.ok(['ps', '-a', '--format', '{{.Names}}']).trim().split('\n').sort(), ['p-paused', 'p-run']);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'p-run', 'p-paused', 'p-created', 'p-exited']);
    }
  });
});
