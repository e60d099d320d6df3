// The real docker CLI (28) against `tspod system service` on a private unix
// socket: version negotiation, images, run (attach hijack + wait), run -d,
// logs, inspect, exec, stop, rm, events, tag/rmi, prune.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv, cleanEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('api-docker');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);

function docker(args: string[], timeout = 60_000) {
  const r = spawnSync('docker', args, { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function dockerOk(args: string[]): string {
  const r = docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}


before(async () => {
  env.importTestImages();
  await svc.start();
});
after(async () => {
  await svc.stop();
  env.cleanup();
});

describe('docker CLI against tspod', () => {
  test('docker version negotiates API 1.41', () => {
    const out = dockerOk(['version']);
    assert.match(out, /API version:\s+1\.41 \(downgraded from/);
    assert.match(out, /API version:\s+1\.41 \(minimum version 1\.24\)/);
    assert.equal(dockerOk(['version', '--format', '{{.Server.APIVersion}}']), '1.41\n');
  });

  test('docker info and docker images', () => {
    assert.match(dockerOk(['info', '--format', '{{.ServerVersion}} {{.Images}}']), /^\S+ 2\n$/);
    const images = dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter(Boolean).sort();
    assert.deepEqual(images, ['localhost/busybox:latest', 'localhost/echo:latest']);
  });

  test('docker run --rm prints the output and returns the exit code', () => {
    const r = docker(['run', '--rm', 'localhost/busybox', 'echo', 'hi']);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const r3 = docker(['run', '--rm', 'localhost/busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r3.stdout, 'out\n');
    assert.equal(r3.stderr, 'err\n');
    assert.equal(r3.code, 3, 'the exit code survives the auto-removal');
    assert.equal(dockerOk(['ps', '-aq']), '', '--rm left nothing behind');
  });

  test('parallel docker runs each get their own output and exit code', async () => {
    const runs = [1, 2, 3, 4].map(
      (i) =>
        new Promise<{ i: number; code: number | null; out: string }>((resolve) => {
          const p = spawn('docker', ['run', '--rm', 'localhost/busybox', 'sh', '-c', `echo par-${i}; exit ${i}`], { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` } });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.on('close', (code) => resolve({ i, code, out }));
        }),
    );
    for (const r of await Promise.all(runs)) {
      assert.equal(r.out, `par-${r.i}\n`);
      assert.equal(r.code, r.i);
    }
  });

  test('docker run without --rm keeps the exited container', () => {
    const r = docker(['run', '--name', 'kept', 'localhost/busybox', 'sh', '-c', 'exit 4']);
    assert.equal(r.code, 4);
    assert.equal(dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Name}}', 'kept']), 'exited 4 /kept\n');
    assert.match(dockerOk(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^kept Exited \(4\)/m);
    dockerOk(['rm', 'kept']);
  });

  test('docker run -d, logs, inspect, exec, stop, rm', async () => {
    const id = dockerOk(['run', '-d', '--name', 'ticker', 'localhost/busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await until(() => docker(['logs', 'ticker']).stdout.includes('tick 2'), 10_000);
    const logs = docker(['logs', 'ticker']).stdout.split('\n');
    assert.deepEqual(logs.slice(0, 3), ['tick 0', 'tick 1', 'tick 2']);
    assert.match(docker(['logs', '--tail', '1', '-t', 'ticker']).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z tick \d+\n$/);
    const follow = spawnSync('sh', ['-c', `DOCKER_HOST=unix://${sock} timeout 5 docker logs -f ticker | head -2`], { encoding: 'utf8' });
    assert.equal(follow.stdout, 'tick 0\ntick 1\n');
    assert.equal(dockerOk(['inspect', '-f', '{{.State.Running}} {{.Config.Tty}} {{.Id}}', 'ticker']), `true false ${id}\n`);
    assert.match(dockerOk(['ps', '--format', '{{.Names}} {{.Status}}']), /^ticker Up /m);
    const ex = docker(['exec', 'ticker', 'sh', '-c', 'echo in-exec; echo exec-err >&2; exit 5']);
    assert.equal(ex.stdout, 'in-exec\n');
    assert.equal(ex.stderr, 'exec-err\n');
    assert.equal(ex.code, 5);
    assert.equal(dockerOk(['stop', '-t', '1', 'ticker']), 'ticker\n');
    assert.match(dockerOk(['inspect', '-f', '{{.State.Status}}', 'ticker']), /^exited\n$/);
    assert.equal(dockerOk(['rm', 'ticker']), 'ticker\n');
    const gone = docker(['inspect', 'ticker']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such object: ticker/);
  });

  test('docker kill, docker wait, docker start, docker rm -f', () => {
    dockerOk(['run', '-d', '--name', 'sleeper', 'localhost/busybox', 'sleep', '60']);
    assert.equal(dockerOk(['kill', 'sleeper']), 'sleeper\n');
    assert.equal(dockerOk(['wait', 'sleeper']), '137\n');
    assert.equal(dockerOk(['inspect', '-f', '{{.State.ExitCode}}', 'sleeper']), '137\n');
    assert.equal(dockerOk(['start', 'sleeper']), 'sleeper\n');
    assert.equal(dockerOk(['inspect', '-f', '{{.State.Running}}', 'sleeper']), 'true\n');
    assert.equal(dockerOk(['rm', '-f', 'sleeper']), 'sleeper\n');
    const r = docker(['rm', 'nosuch']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such container: nosuch/);
  });

  test('docker exec -i forwards stdin and its EOF; exec -d; exec of a missing command', () => {
    dockerOk(['run', '-d', '--name', 'execs', 'localhost/busybox', 'sh', '-c', 'while true; do sleep 0.2; done']);
    const r = spawnSync('docker', ['exec', '-i', 'execs', 'sh', '-c', 'cat; echo eof-seen'], { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, input: 'a\nb\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, 'a\nb\neof-seen\n');
    assert.equal(r.status, 0);
    dockerOk(['exec', '-d', 'execs', 'sh', '-c', 'echo detached > /tmp/f']);
    assert.equal(docker(['exec', 'execs', 'sh', '-c', 'sleep 0.3; cat /tmp/f']).stdout, 'detached\n');
    assert.equal(docker(['exec', 'execs', '/nonexistent']).code, 127);
    dockerOk(['rm', '-f', 'execs']);
  });

  test('docker run -i delivers stdin and the output after EOF', () => {
    const r = spawnSync('docker', ['run', '-i', '--rm', 'localhost/busybox', 'sh', '-c', 'cat; echo done-after-eof'], { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, input: 'line1\nline2\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, 'line1\nline2\ndone-after-eof\n');
    assert.equal(r.status, 0);
  });

  test('docker run of a missing image fails clearly', () => {
    const r = docker(['run', '--rm', '--pull', 'never', 'localhost/nosuchimage', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such image: localhost\/nosuchimage/);
  });

  test('docker image inspect, tag, rmi; docker events; prune', () => {
    assert.match(dockerOk(['image', 'inspect', '-f', '{{.Id}}', 'localhost/busybox']), /^sha256:[0-9a-f]{64}\n$/);
    dockerOk(['tag', 'localhost/busybox', 'localhost/bb2:v1']);
    assert.match(dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']), /localhost\/bb2:v1/);
    assert.match(dockerOk(['rmi', 'localhost/bb2:v1']), /Untagged: localhost\/bb2:v1/);
    const ev = dockerOk(['events', '--since', '5m', '--until', '0s', '--filter', 'type=container']);
    assert.match(ev, /container create [0-9a-f]{64}/);
    assert.match(ev, /container die [0-9a-f]{64} \(.*exitCode=3/);
    assert.match(ev, /container destroy /);
    docker(['create', '--name', 'leftover', 'localhost/busybox', 'true']);
    assert.match(dockerOk(['container', 'prune', '-f']), /Deleted Containers:\n[0-9a-f]{64}/);
    assert.equal(dockerOk(['ps', '-aq']), '');
  });

  test('docker history, save and load through the API', () => {
    const hist = dockerOk(['history', '--no-trunc', '--format', '{{.ID}} {{.CreatedBy}}', 'localhost/echo']).trim().split('\n');
    const id = dockerOk(['image', 'inspect', '-f', '{{.Id}}', 'localhost/echo']).trim();
    assert.equal(hist[0].split(' ')[0], id, 'the newest entry carries the image id');
    const archive = path.join(env.dir, 'echo.tar');
    dockerOk(['save', '-o', archive, 'localhost/echo']);
    const listing = spawnSync('tar', ['tf', archive], { encoding: 'utf8' });
    assert.match(listing.stdout, /^manifest\.json$/m);
    dockerOk(['rmi', 'localhost/echo']);
    assert.match(dockerOk(['load', '-i', archive]), /Loaded image: localhost\/echo:latest/);
    assert.equal(dockerOk(['image', 'inspect', '-f', '{{.Id}}', 'localhost/echo']).trim(), id);
    assert.notEqual(docker(['save', 'localhost/nosuch']).code, 0);
  });

  test('docker export: the container\'s files as the local export writes them; a missing container', () => {
    dockerOk(['create', '--name', 'exported', 'localhost/busybox', 'sh', '-c', 'true']);
    try {
      const viaDocker = path.join(env.dir, 'docker-export.tar');
      const here = path.join(env.dir, 'local-export.tar');
      dockerOk(['export', '-o', viaDocker, 'exported']);
      env.ok(['export', '-o', here, 'exported']);
      const listing = (f: string) => spawnSync('tar', ['tvf', f], { encoding: 'utf8' }).stdout;
      assert.match(listing(viaDocker), /bin\/busybox$/m);
      assert.equal(listing(viaDocker), listing(here));
      const missing = docker(['export', '-o', path.join(env.dir, 'never.tar'), 'nosuch']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such container: nosuch/);
    } finally {
      docker(['rm', '-f', 'exported']);
    }
  });

  test('docker network ls and inspect know the default network as bridge', () => {
    assert.match(dockerOk(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^bridge bridge$/m);
    assert.equal(dockerOk(['network', 'inspect', '-f', '{{.Name}}', 'bridge']), 'bridge\n');
    assert.equal(dockerOk(['network', 'inspect', '-f', '{{.Name}}', 'podman']), 'podman\n');
  });

  test('docker login: the registry says no (500 with the reason), nothing is stored', () => {
    // a loopback port nobody listens on
    const r = docker(['login', '-u', 'me', '-p', 'secret', '127.0.0.1:1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /login attempt to .*127\.0\.0\.1:1.* failed with status/);
  });
});
