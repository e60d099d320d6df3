// Building and committing through `tspod system service`: Debian's docker CLI
// (`docker build`, `docker commit`) and docker-compose 1.29 `build:` against
// a private unix socket, curl-like raw requests for Docker's `POST /build`
// (JSON progress, aux id, in-band errors) and libpod's `/libpod/build` and
// `/libpod/commit`. The service must keep answering while a build runs.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('build-api');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);
const haveDocker = spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0;
const haveCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

before(async () => {
  env.importTestImages();
  await svc.start();
});

after(async () => {
  await svc.stop();
  env.cleanup();
});

function context(name: string, files: Record<string, string>): string {
  const dir = path.join(env.dir, name);
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  }
  return dir;
}

function docker(args: string[], cwd = env.dir, input?: string) {
  const r = spawnSync('docker', args, { cwd, env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout: 120_000, input });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function tarOf(dir: string): Buffer {
  const r = spawnSync('tar', ['-C', dir, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0);
  return r.stdout;
}

/** A raw request on the service's socket; the whole body back. */
function request(method: string, p: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path: p, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const lines = (body: string) => body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const inspect = (img: string, format: string) => env.ok(['image', 'inspect', '--format', format, img]).trim();

test('docker build -t through the service: steps streamed, image tagged and runnable; -q prints only the id', { skip: haveDocker ? false : 'no docker CLI' }, () => {
  const dir = context('dctx', {
    Dockerfile: 'FROM localhost/busybox\nARG GREETING=none\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING" > /built && cat /hello.txt\nLABEL via=docker\nCMD ["cat", "/built"]\n',
    'hello.txt': 'hello from the context\n',
  });
  const r = docker(['build', '-t', 'dockerbuilt', '--build-arg', 'GREETING=hi-docker', '.'], dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /STEP 3\/6: COPY hello.txt \/hello.txt/);
  assert.match(r.stdout, /hello from the context/); // RUN output streamed
  assert.match(r.stdout, /Successfully built [0-9a-f]{12}/);
  assert.equal(env.ok(['run', '--rm', 'dockerbuilt']), 'hi-docker\n');
  assert.equal(inspect('dockerbuilt', '{{index .Labels "via"}}'), 'docker');
  assert.equal(inspect('dockerbuilt', '{{.ManifestType}}'), 'application/vnd.docker.distribution.manifest.v2+json'); // as Podman's compat build
  const q = docker(['build', '-q', '-t', 'dockerbuilt', '--build-arg', 'GREETING=hi-docker', '.'], dir);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stdout.trim(), inspect('dockerbuilt', '{{.Id}}')); // the bare id, as Podman's compat API streams it
});

test('docker build with a failing RUN exits non-zero with the RUN output and leaves no build container', { skip: haveDocker ? false : 'no docker CLI' }, () => {
  const dir = context('dbad', { Dockerfile: 'FROM localhost/busybox\nRUN echo about-to-fail; exit 3\n' });
  const r = docker(['build', '-t', 'neverbuilt', '.'], dir);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /about-to-fail/);
  assert.match(r.stderr + r.stdout, /exit status 3/);
  assert.notEqual(env.run(['image', 'exists', 'neverbuilt']).code, 0);
  assert.equal(env.ok(['ps', '-a', '-q']).trim(), '');
});

test('POST /build: JSON progress, aux ID, dockerfile/buildargs/labels/target; in-band errorDetail for a failing RUN', async () => {
  const dir = context('rawctx', {
    'build/Other.Dockerfile': 'FROM localhost/busybox AS first\nARG V\nRUN echo "$V" > /v\nFROM first AS second\nRUN echo second > /s\n',
  });
  const q = new URLSearchParams({ t: 'rawbuilt:v1', dockerfile: 'build/Other.Dockerfile', buildargs: JSON.stringify({ V: 'from-query' }), labels: JSON.stringify({ k: 'v' }), target: 'first', rm: '1', forcerm: '1', nocache: '1', pull: '0' });
  const r = await request('POST', `/v1.41/build?${q}`, tarOf(dir));
  assert.equal(r.status, 200);
  const msgs = lines(r.body);
  const aux = msgs.find((m) => m.aux) as { aux: { ID: string } } | undefined;
  assert.ok(aux, r.body);
  assert.equal(aux.aux.ID, `sha256:${inspect('rawbuilt:v1', '{{.Id}}')}`);
  assert.ok(msgs.some((m) => typeof m.stream === 'string' && m.stream.startsWith('STEP 1/')), r.body);
  assert.ok(!msgs.some((m) => typeof m.stream === 'string' && m.stream.includes('RUN echo second')), 'target stops at the first stage');
  assert.equal(env.ok(['run', '--rm', 'rawbuilt:v1', 'cat', '/v']), 'from-query\n');
  assert.equal(inspect('rawbuilt:v1', '{{index .Labels "k"}}'), 'v');

  const bad = await request('POST', '/v1.41/build?t=rawbad', tarOf(context('rawbad', { Dockerfile: 'FROM localhost/busybox\nRUN exit 7\n' })));
  assert.equal(bad.status, 200); // Docker reports build errors in the stream
  const last = lines(bad.body).at(-1) as { error?: string; errorDetail?: { code?: number; message: string } };
  assert.match(last.error ?? '', /exit status 7/);
  assert.equal(last.errorDetail?.code, 7);
});

test('POST /libpod/build: Podman shape; q=true streams the id alone', async () => {
  const dir = context('lpctx', { Containerfile: 'FROM localhost/busybox\nRUN echo lp > /lp\n' });
  const r = await request('POST', '/v4.0.0/libpod/build?t=lpbuilt&q=true', tarOf(dir));
  assert.equal(r.status, 200);
  const id = inspect('lpbuilt', '{{.Id}}');
  const streams = lines(r.body).filter((m) => typeof m.stream === 'string').map((m) => m.stream);
  assert.deepEqual(streams, [`${id}\n`]);
  assert.equal(inspect('lpbuilt', '{{.ManifestType}}'), 'application/vnd.oci.image.manifest.v1+json');
  const squashed = await request('POST', '/v4.0.0/libpod/build?t=lpsquashed&q=true&squash=true&format=docker', tarOf(dir));
  assert.equal(squashed.status, 200, squashed.body);
  assert.equal((JSON.parse(inspect('lpsquashed', '{{json .RootFS.Layers}}')) as string[]).length, 1);
  assert.equal(inspect('lpsquashed', '{{.ManifestType}}'), 'application/vnd.docker.distribution.manifest.v2+json');
});

test('the service answers /_ping while a build runs (heavy work off its event loop)', async () => {
  const dir = context('busy', { Containerfile: 'FROM localhost/busybox\nRUN dd if=/dev/urandom of=/big bs=1M count=48 2>/dev/null; sleep 1\n' });
  const build = request('POST', '/v1.41/build?t=busy&nocache=1', tarOf(dir));
  let worst = 0;
  let done = false;
  void build.finally(() => (done = true));
  for (let i = 0; i < 400 && !done; i++) {
    const t0 = Date.now();
    await request('GET', '/_ping');
    worst = Math.max(worst, Date.now() - t0);
    await new Promise((r) => setTimeout(r, 25));
  }
  const r = await build;
  assert.ok(lines(r.body).some((m) => m.aux), r.body);
  console.log(`worst /_ping latency during a 48 MB RUN layer build: ${worst} ms`);
  assert.ok(worst < 3000, `the service stalled ${worst} ms during a build`);
});

test('docker commit and POST /libpod/commit: changes kept, --change applied, a running container left running and unpaused', { skip: haveDocker ? false : 'no docker CLI' }, async () => {
  const run = docker(['run', '-d', '--name', 'tocommit', 'localhost/busybox', 'sleep', '300']);
  assert.equal(run.code, 0, run.stderr);
  try {
    assert.equal(docker(['exec', 'tocommit', 'sh', '-c', 'echo changed > /changed']).code, 0);
    const c = docker(['commit', '-c', 'CMD ["cat","/changed"]', '-m', 'via docker', 'tocommit', 'committed:v1']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout.trim(), /^[0-9a-f]{64}$/); // Podman's compat commit: the bare id
    assert.equal(env.ok(['run', '--rm', 'committed:v1']), 'changed\n');
    assert.equal(env.ok(['inspect', '--format', '{{.State.Status}} {{.State.Paused}}', 'tocommit']).trim(), 'running false');

    const lp = await request('POST', '/v4.0.0/libpod/commit?container=tocommit&repo=lpcommitted&tag=v2&pause=true&changes=ENV%20A%3Db');
    assert.equal(lp.status, 200, lp.body);
    const id = (JSON.parse(lp.body) as { Id: string }).Id;
    assert.equal(inspect('lpcommitted:v2', '{{.Id}}'), id);
    assert.match(inspect('lpcommitted:v2', '{{json .Config.Env}}'), /"A=b"/);
    assert.equal(env.ok(['inspect', '--format', '{{.State.Paused}}', 'tocommit']).trim(), 'false');

    // Docker's commit names short repositories under docker.io, as Podman's compat API does
    assert.equal(inspect('docker.io/library/committed:v1', '{{.Comment}}'), 'via docker');
    // libpod: a comment needs the docker format (500, Podman's cause); with it, comment and author are kept
    const oci = await request('POST', '/v4.0.0/libpod/commit?container=tocommit&repo=lpmsg&comment=hi');
    assert.equal(oci.status, 500);
    assert.equal((JSON.parse(oci.body) as { cause: string }).cause, 'messages are only compatible with the docker image format (-f docker)');
    const dk = await request('POST', '/v4.0.0/libpod/commit?container=tocommit&repo=lpmsg&comment=hi&author=me&format=docker');
    assert.equal(dk.status, 200, dk.body);
    assert.equal(inspect('localhost/lpmsg:latest', '{{.Comment}} {{.Author}}'), 'hi me');
    assert.match(env.ok(['image', 'inspect', '--format', '{{.ManifestType}}', 'localhost/lpmsg']), /vnd\.docker\.distribution\.manifest\.v2\+json/);

    const missing = await request('POST', '/v1.41/commit?container=nosuch');
    assert.equal(missing.status, 404);
    assert.equal((await request('POST', '/v4.0.0/libpod/commit?container=nosuch')).status, 404);
  } finally {
    env.run(['rm', '-f', '-t', '0', 'tocommit']);
  }
});

test('docker-compose build: builds the service image with args', { skip: haveCompose ? false : 'docker-compose is not installed' }, () => {
  const proj = context('composeproj', {
    'app/Dockerfile': 'FROM localhost/busybox\nARG FLAVOUR\nRUN echo "$FLAVOUR" > /flavour\nCMD ["cat", "/flavour"]\n',
    'docker-compose.yml': 'version: "3"\nservices:\n  app:\n    build:\n      context: ./app\n      args:\n        FLAVOUR: composed\n    image: composebuilt:latest\n',
  });
  const r = spawnSync('docker-compose', ['-p', 'tspb', '--ansi', 'never', 'build'], {
    cwd: proj,
    env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}`, COMPOSE_HTTP_TIMEOUT: '120' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(env.ok(['run', '--rm', 'composebuilt']), 'composed\n');
});
