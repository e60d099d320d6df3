// Pulling through the API from Debian's docker-registry on loopback: the
// docker CLI's `pull` (JSON progress stream), `run` pulling a missing image,
// in-band errors, and libpod's images/pull.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, cleanEnv, sleep } from '../helpers/tspod-env';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const skip = fs.existsSync(REGISTRY_BIN) ? false : 'docker-registry is not installed';
const env = new TspodEnv('api-pull');
const sock = path.join(env.dir, 'pull.sock');
const procs: ChildProcess[] = [];
let host = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const up = (check: () => Promise<boolean>) =>
  (async () => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await sleep(50);
    }
    throw new Error('did not come up');
  })();

/** Signals a process we started, if it still runs. */
function signal(p: ChildProcess, sig: NodeJS.Signals): void {
  if (!p.pid || p.exitCode !== null || p.signalCode !== null) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    /* already gone */
  }
}

function docker(args: string[]) {
  const r = spawnSync('docker', args, { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

before(async () => {
  if (skip) return;
  env.importTestImages();
  const dir = path.join(env.dir, 'registry');
  fs.mkdirSync(dir);
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${host}\n`,
  );
  procs.push(spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' }));
  await up(() => new Promise((r) => http.get(`http://${host}/v2/`, (res) => r(res.resume() && res.statusCode === 200)).on('error', () => r(false))));
  env.ok(['push', '--tls-verify=false', 'localhost/echo', `${host}/test/echo:1`]);
  env.ok(['rmi', 'localhost/echo']);
  const conf = path.join(env.dir, 'registries.conf');
  fs.writeFileSync(conf, `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  procs.push(env.spawn(['system', 'service', '-t', '0', `unix://${sock}`], { env: cleanEnv({ CONTAINERS_REGISTRIES_CONF: conf }), stdio: 'ignore' }));
  await up(
    () =>
      new Promise((r) => {
        const s = net.connect({ path: sock });
        s.once('connect', () => r(!!s.destroy()));
        s.once('error', () => r(false));
      }),
  );
});

after(async () => {
  for (const p of procs) signal(p, 'SIGTERM');
  await sleep(300);
  for (const p of procs) signal(p, 'SIGKILL');
  env.cleanup();
});

describe('pull through the API', { skip }, () => {
  test('docker pull streams progress and stores the image', () => {
    const r = docker(['pull', `${host}/test/echo:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${host}/test/echo:1`));
    assert.match(docker(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout, new RegExp(`${host}/test/echo:1`));
  });

  test('docker run pulls a missing image, then runs it', () => {
    assert.equal(docker(['rmi', `${host}/test/echo:1`]).code, 0);
    const r = docker(['run', '--rm', '--entrypoint', '/bin/sh', `${host}/test/echo:1`, '-c', 'echo pulled-and-ran']);
    assert.equal(r.stdout.trim().split('\n').pop(), 'pulled-and-ran', r.stderr);
    assert.match(r.stderr, /Unable to find image/);
    assert.equal(r.code, 0);
  });

  test('a missing repository fails in-band with exit code 1', () => {
    const r = docker(['pull', `${host}/test/nosuch:1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /manifest unknown|not found/i);
  });

  test('libpod images/pull answers with the image id', () => {
    const r = spawnSync('curl', ['-s', '--unix-socket', sock, '-X', 'POST', `http://d/v4.0.0/libpod/images/pull?reference=${host}/test/echo:1&quiet=true`], { encoding: 'utf8' });
    const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { id: string; images: string[] };
    assert.match(last.id, /^[0-9a-f]{64}$/);
    assert.deepEqual(last.images, [last.id]);
  });
});
