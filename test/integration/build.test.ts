// `build` and `commit` through the CLI, with real containers from the busybox
// test image: multi-stage builds, every instruction checked by running the
// result, ignore files, the layer cache, a failing RUN, and commit of a
// changed container (overlay and the copying driver).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('build');
before(() => env.importTestImages());
after(() => env.cleanup());

/** A build context directory with these files (path -> content). */
function context(name: string, files: Record<string, string>): string {
  const dir = path.join(env.dir, name);
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  }
  return dir;
}

const inspect = (img: string, format: string) => env.ok(['image', 'inspect', '--format', format, img]).trim();
const leftoverContainers = () => env.ok(['ps', '-a', '-q']).trim();

test('multi-stage build: COPY --from, RUN, ARG/--build-arg, ENV/WORKDIR/USER/CMD/LABEL/EXPOSE, ignore file with exceptions', () => {
  const ctx = context('multi', {
    'Containerfile': [
      'ARG BASE=localhost/busybox',
      'FROM $BASE AS builder',
      'ARG MSG=default',
      'RUN echo "msg=$MSG" > /built.txt && mkdir -p /out && echo made > /out/made.txt',
      'FROM localhost/busybox',
      'COPY --from=builder /built.txt /out/ /result/',
      'COPY app /app/',
      'COPY *.conf /etc/app/',
      'ENV GREETING=hi WHO="the world"',
      'WORKDIR /srv/data',
      'RUN touch here && chown 1000 /srv/data/here',
      'USER 1000',
      'LABEL org.example.role=test',
      'EXPOSE 8080/tcp',
      'STOPSIGNAL SIGINT',
      'CMD ["sh", "-c", "echo $GREETING $WHO; cat /result/built.txt /result/made.txt; pwd; id -u; ls /app | tr \'\\\\n\' \' \'"]',
    ].join('\n'),
    'Dockerfile': 'FROM scratch\n', // Containerfile comes first
    'app/main.sh': 'echo main\n',
    'app/debug.log': 'excluded\n',
    'app/keep.log': 'kept by an exception\n',
    'a.conf': 'a\n',
    'b.conf': 'b\n',
    '.dockerignore': 'app/*.log\n!app/keep.log\n',
  });
  const out = env.ok(['build', '-t', 'multi', '--build-arg', 'MSG=custom', ctx]);
  assert.match(out, /^STEP 1\/15: FROM localhost\/busybox AS builder$/m);
  assert.match(out, /^STEP 15\/15: CMD /m);
  assert.match(out, /^COMMIT multi$/m);
  assert.match(out, /^Successfully tagged localhost\/multi:latest$/m);
  const id = out.trim().split('\n').pop() as string;
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(inspect('multi', '{{.Id}}'), id);
  assert.equal(leftoverContainers(), '', 'no build container is left');

  assert.equal(env.ok(['run', '--rm', 'multi']), 'hi the world\nmsg=custom\nmade\n/srv/data\n1000\nkeep.log main.sh ');
  assert.equal(env.ok(['run', '--rm', 'multi', 'cat', '/etc/app/a.conf', '/etc/app/b.conf']), 'a\nb\n');
  assert.equal(env.ok(['run', '--rm', 'multi', 'stat', '-c', '%u', '/srv/data/here']), '1000\n');
  assert.equal(inspect('multi', '{{.Config.WorkingDir}} {{.Config.User}}'), '/srv/data 1000');
  assert.match(inspect('multi', '{{.Config.Env}}'), /GREETING=hi WHO=the world/);
  assert.equal(inspect('multi', '{{index .Config.Labels "org.example.role"}}'), 'test');
  assert.match(inspect('multi', '{{.Config.ExposedPorts}}'), /8080\/tcp/);
  assert.equal(inspect('multi', '{{.Config.StopSignal}}'), 'SIGINT');
  // The builder stage's ARG default when no --build-arg is given; --target stops at the stage.
  env.ok(['build', '-q', '-t', 'builder-only', '--target', 'builder', ctx]);
  assert.equal(env.ok(['run', '--rm', 'builder-only', 'cat', '/built.txt']), 'msg=default\n');
});

test('layer cache: a rebuild reuses every step and gives the same id; a changed file rebuilds from its COPY; --no-cache', () => {
  const ctx = context('cached', {
    'Containerfile': 'FROM localhost/busybox\nRUN sleep 1 && echo one > /one\nCOPY data.txt /data.txt\nRUN cat /data.txt > /copy\nCMD ["cat", "/copy"]\n',
    'data.txt': 'first\n',
  });
  let t = Date.now();
  const cold = env.ok(['build', '-t', 'cached', ctx]);
  const coldMs = Date.now() - t;
  assert.doesNotMatch(cold, /Using cache/);
  const id1 = cold.trim().split('\n').pop();
  // The step images are intermediate: listed with -a only, as Podman does.
  const shown = env.ok(['images', '-q', '--no-trunc']);
  const all = env.ok(['images', '-a', '-q', '--no-trunc']);
  assert.ok(all.trim().split('\n').length >= shown.trim().split('\n').length + 3, `${shown}\n---\n${all}`);
  assert.match(shown, new RegExp(`sha256:${id1}`));

  t = Date.now();
  const warm = env.ok(['build', '-t', 'cached', ctx]);
  const warmMs = Date.now() - t;
  assert.equal(warm.match(/--> Using cache/g)?.length, 4, warm);
  assert.equal(warm.trim().split('\n').pop(), id1, 'the same image id');
  assert.ok(warmMs < coldMs / 2, `cached build ${warmMs} ms, cold ${coldMs} ms`);

  fs.writeFileSync(path.join(ctx, 'data.txt'), 'second\n');
  const changed = env.ok(['build', '-t', 'cached', ctx]);
  const steps = changed.split(/^STEP /m).slice(1);
  assert.match(steps[1], /Using cache/, 'the RUN before the COPY is reused');
  for (const s of steps.slice(2)) assert.doesNotMatch(s, /Using cache/, `rebuilt from the COPY on: ${s}`);
  assert.equal(env.ok(['run', '--rm', 'cached']), 'second\n');

  const nocache = env.ok(['build', '--no-cache', '-t', 'cached', ctx]);
  assert.doesNotMatch(nocache, /Using cache/);
});

test('a failing RUN exits with its code, shows its output, leaves no container behind', () => {
  const ctx = context('failing', { 'Containerfile': 'FROM localhost/busybox\nRUN echo before-failure && exit 3\nCMD ["true"]\n' });
  const r = env.run(['build', '-t', 'failing', ctx]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /before-failure/);
  assert.match(r.stderr, /building at STEP "RUN echo before-failure && exit 3": while running runtime: exit status 3/);
  assert.equal(leftoverContainers(), '');
  assert.equal(env.run(['image', 'inspect', 'failing']).code, 125, 'no image was tagged');
});

test('a build killed by SIGTERM during a RUN removes its container and mounts, and exits 143', async () => {
  const ctx = context('killed', { 'Containerfile': 'FROM localhost/busybox\nRUN touch /step1\nRUN echo started-step && sleep 30\n' });
  const child = env.spawn(['build', '-t', 'killed', ctx], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 30_000;
    while (!output.includes('started-step') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(output, /started-step/);
    assert.notEqual(leftoverContainers(), '', 'the RUN step runs in a container');
    child.kill('SIGTERM');
    assert.equal(await exited, 143, errors);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(leftoverContainers(), '', errors);
  assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(env.dir), false, 'no mount of the store is left');
  assert.equal(env.run(['image', 'inspect', 'killed']).code, 125, 'no image was tagged');
});

test('ADD extracts a local tar, refuses URLs; COPY --chown/--chmod; HEALTHCHECK; unsupported flags are refused', () => {
  const ctx = context('add', {
    'Containerfile': 'FROM localhost/busybox\nADD files.tar.gz /unpacked/\nADD plain.txt /plain.txt\nCOPY --chown=1000:2000 --chmod=640 plain.txt /owned.txt\nHEALTHCHECK --interval=30s --retries=2 CMD test -e /plain.txt\n',
    'plain.txt': 'plain\n',
  });
  const src = path.join(env.dir, 'tarsrc');
  fs.mkdirSync(path.join(src, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(src, 'dir', 'inside.txt'), 'inside\n');
  assert.equal(spawnSync('tar', ['-C', src, '-czf', path.join(ctx, 'files.tar.gz'), 'dir']).status, 0);
  env.ok(['build', '-q', '-t', 'added', ctx]);
  assert.equal(env.ok(['run', '--rm', 'added', 'cat', '/unpacked/dir/inside.txt', '/plain.txt']), 'inside\nplain\n');
  assert.equal(env.ok(['run', '--rm', 'added', 'stat', '-c', '%u:%g %a', '/owned.txt', '/plain.txt']), '1000:2000 640\n0:0 644\n');
  const health = JSON.parse(inspect('added', '{{json .Config.Healthcheck}}')) as { Test: string[]; Interval: number; Retries: number };
  assert.deepEqual(health, { Test: ['CMD-SHELL', 'test -e /plain.txt'], Interval: 30e9, Retries: 2 });

  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nADD http://example.com/x.tar /x\n');
  const url = env.run(['build', ctx]);
  assert.equal(url.code, 125);
  assert.match(url.stderr, /ADD from a URL is not supported/);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nRUN --security=insecure true\n');
  assert.match(env.run(['build', ctx]).stderr, /RUN: the flag --security is not supported/);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM --platform=linux/not-this-one localhost/busybox\n');
  assert.match(env.run(['build', ctx]).stderr, /only this machine's platform/);
  assert.equal(leftoverContainers(), '');
});

for (const driver of ['overlay', 'vfs']) {
  test(`commit (${driver}): the container's changes, deletions included, and --change reach the new image`, () => {
    const runEnv = cleanEnv(driver === 'vfs' ? { TSPOD_STORAGE_DRIVER: 'vfs' } : {});
    const name = `tocommit-${driver}`;
    const r = env.run(['run', '--name', name, 'localhost/busybox', 'sh', '-c', 'echo new > /etc/added; rm /bin/ls; rm -rf /usr; mkdir /d; echo x > /d/f'], { env: runEnv });
    assert.equal(r.code, 0, r.stderr);
    // diff: the same changes the layer gets (the runtime's mount targets left out)
    assert.equal(env.ok(['diff', name], { env: runEnv }), 'C /bin\nD /bin/ls\nA /d\nA /d/f\nC /etc\nA /etc/added\nD /usr\n');
    const id = env.ok(['commit', '-c', 'ENV COMMITTED=yes', '-c', 'CMD ["sh", "-c", "echo $COMMITTED"]', '-f', 'docker', '-m', 'my message', '-a', 'me', name, `committed-${driver}`], { env: runEnv }).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    env.ok(['rm', name]);
    const check = 'cat /etc/added /d/f; test -e /bin/ls || echo ls-gone; test -e /usr || echo usr-gone; test -e /bin/sh && echo sh-kept';
    assert.equal(env.ok(['run', '--rm', `committed-${driver}`, 'sh', '-c', check], { env: runEnv }), 'new\nx\nls-gone\nusr-gone\nsh-kept\n');
    assert.equal(env.ok(['run', '--rm', `committed-${driver}`], { env: runEnv }), 'yes\n');
    assert.equal(inspect(`committed-${driver}`, '{{.Comment}} {{.Author}}'), 'my message me');
    assert.equal(inspect(`committed-${driver}`, '{{len .RootFS.Layers}}'), '2');
    const history = env.ok(['history', `committed-${driver}`]).trim().split('\n');
    assert.match(history[0], /^ID\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.match(history[1], new RegExp(`^${id.slice(0, 12)}\\s.*commit of container.*my message$`));
    assert.match(history[2], /^<missing>\s.*imported from tarball$/);
  });
}

test('commit refuses a bad --change and an unknown container without storing anything', () => {
  env.ok(['create', '--name', 'badchange', 'localhost/busybox', 'true']);
  const before = env.ok(['images', '-q']);
  assert.equal(env.run(['commit', '-c', 'BOGUS x', 'badchange', 'nope']).code, 125);
  assert.equal(env.run(['commit', 'no-such-container', 'nope']).code, 125);
  // an OCI config has no comment: a message needs --format docker (Podman's rule)
  const msg = env.run(['commit', '-m', 'hello', 'badchange', 'nope']);
  assert.equal(msg.code, 125);
  assert.match(msg.stderr, /messages are only compatible with the docker image format \(-f docker\)/);
  assert.equal(env.run(['commit', '-f', 'bogus', 'badchange', 'nope']).code, 125);
  assert.equal(env.ok(['images', '-q']), before);
  env.ok(['rm', 'badchange']);
});

test('-f FILE, --label, --iidfile, and --layers=false keeps only the final image', () => {
  const ctx = context('flags', { 'build.file': 'FROM localhost/busybox\nRUN echo a > /a\nENV X=1\nRUN echo b > /b\n' });
  const before = env.ok(['images', '-a', '-q']).trim().split('\n').length;
  const iid = path.join(env.dir, 'iid');
  const out = env.ok(['build', '--layers=false', '-f', path.join(ctx, 'build.file'), '--label', 'a=b', '--iidfile', iid, '-t', 'nolayers', ctx]);
  const id = out.trim().split('\n').pop();
  assert.equal(fs.readFileSync(iid, 'utf8'), `sha256:${id}`);
  assert.equal(env.ok(['images', '-a', '-q']).trim().split('\n').length, before + 1, 'the step images are gone');
  assert.equal(inspect('nolayers', '{{index .Labels "a"}}'), 'b');
  assert.equal(env.ok(['run', '--rm', 'nolayers', 'sh', '-c', 'cat /a /b; echo $X']), 'a\nb\n1\n');
});

test('context as a tar file, a tar on stdin, or a Containerfile on stdin', () => {
  const ctx = context('tarctx', { 'Containerfile': 'FROM localhost/busybox\nCOPY hello.txt /\nCMD ["cat", "/hello.txt"]\n', 'hello.txt': 'from the tar\n' });
  const tarFile = path.join(env.dir, 'context.tar');
  assert.equal(spawnSync('tar', ['-C', ctx, '-cf', tarFile, '.']).status, 0);
  env.ok(['build', '-q', '-t', 'fromtar', tarFile]);
  assert.equal(env.ok(['run', '--rm', 'fromtar']), 'from the tar\n');
  // Plain ASCII files: the tar's bytes are all below 0x80 and pass through a string unchanged.
  env.ok(['build', '-q', '-t', 'fromstdin', '-'], { input: fs.readFileSync(tarFile).toString('latin1') });
  assert.equal(env.ok(['run', '--rm', 'fromstdin']), 'from the tar\n');
  env.ok(['build', '-q', '-t', 'fromfile', '-'], { input: 'FROM localhost/busybox\nCMD ["echo", "stdin-file"]\n' });
  assert.equal(env.ok(['run', '--rm', 'fromfile']), 'stdin-file\n');
  assert.deepEqual(fs.readdirSync(path.join(env.root, 'tmp')).filter((f) => f.startsWith('build-context')), [], 'the unpacked contexts are removed');
});

test('--squash-all and --squash: one layer holding the base and every step, deletions applied; the unsquashed build keeps its layers', () => {
  const ctx = context('squash', {
    Containerfile: 'FROM localhost/busybox\nRUN echo one > /one && echo gone > /gone\nCOPY two.txt /two.txt\nRUN rm /gone\nCMD ["cat", "/one", "/two.txt"]\n',
    'two.txt': 'two\n',
  });
  env.ok(['build', '-q', '-t', 'layered', ctx]);
  const baseLayers = (JSON.parse(inspect('localhost/busybox', '{{json .RootFS.Layers}}')) as string[]).length;
  assert.equal((JSON.parse(inspect('layered', '{{json .RootFS.Layers}}')) as string[]).length, baseLayers + 3);
  for (const flag of ['--squash-all', '--squash']) {
    const tag = `squashed${flag.length}`;
    env.ok(['build', '-q', flag, '-t', tag, ctx]);
    assert.equal((JSON.parse(inspect(tag, '{{json .RootFS.Layers}}')) as string[]).length, 1, flag);
    assert.equal(env.ok(['run', '--rm', tag]), 'one\ntwo\n');
    assert.equal(env.run(['run', '--rm', tag, 'test', '-e', '/gone']).code, 1, `${flag}: a file removed by a step stays removed`);
    assert.equal(env.ok(['run', '--rm', tag, 'sh', '-c', 'echo ok']), 'ok\n'); // the base's files are in the one layer
  }
  assert.equal(leftoverContainers(), '');
});

test('--format docker records Docker v2 schema 2 media types; the default is OCI', () => {
  const ctx = context('format', { Containerfile: 'FROM localhost/busybox\nRUN echo f > /f\nCMD ["cat", "/f"]\n' });
  env.ok(['build', '-q', '-t', 'fmt-oci', ctx]);
  env.ok(['build', '-q', '--format', 'docker', '-t', 'fmt-docker', ctx]);
  assert.equal(inspect('fmt-oci', '{{.ManifestType}}'), 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(inspect('fmt-docker', '{{.ManifestType}}'), 'application/vnd.docker.distribution.manifest.v2+json');
  assert.notEqual(inspect('fmt-oci', '{{.Id}}'), inspect('fmt-docker', '{{.Id}}'));
  assert.equal(env.ok(['run', '--rm', 'fmt-docker']), 'f\n');
  const r = env.run(['build', '--format', 'v1', ctx]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /unrecognized image type/);
  // commit --format docker: the named image is the Docker one, and no unnamed OCI twin is left.
  const before = env.ok(['images', '-q', '--no-trunc']).trim().split('\n').length;
  env.ok(['run', '--name', 'fmt-ctr', 'localhost/busybox', 'sh', '-c', 'echo c > /c']);
  env.ok(['commit', '-q', '--format', 'docker', 'fmt-ctr', 'fmt-committed']);
  env.ok(['rm', 'fmt-ctr']);
  assert.equal(inspect('fmt-committed', '{{.ManifestType}}'), 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(env.ok(['run', '--rm', 'fmt-committed', 'cat', '/c']), 'c\n');
  assert.equal(env.ok(['images', '-q', '--no-trunc']).trim().split('\n').length, before + 1);
  assert.match(env.run(['commit', '--format', 'v1', 'nonesuch', 'x']).stderr, /unrecognized image type/);
});

test('ADD auto-extracts xz and bzip2 tars as well as gzip ones', () => {
  const ctx = context('addxz', { Containerfile: 'FROM localhost/busybox\nADD a.tar.xz /x/\nADD b.tar.bz2 /b/\n' });
  const src = context('addxz-src', { 'inside.txt': 'from xz\n' });
  assert.equal(spawnSync('tar', ['-C', src, '-cJf', path.join(ctx, 'a.tar.xz'), 'inside.txt']).status, 0);
  assert.equal(spawnSync('tar', ['-C', src, '-cjf', path.join(ctx, 'b.tar.bz2'), 'inside.txt']).status, 0);
  env.ok(['build', '-q', '-t', 'addedxz', ctx]);
  assert.equal(env.ok(['run', '--rm', 'addedxz', 'cat', '/x/inside.txt', '/b/inside.txt']), 'from xz\nfrom xz\n');
});

test('RUN --mount: secret (never in the image), cache kept between builds, bind from the context and from a stage, tmpfs; mount points leave no trace', () => {
  const secretFile = path.join(env.dir, 'token.txt');
  fs.writeFileSync(secretFile, 's3cret-value\n');
  const ctx = context('mounts', {
    'Containerfile': [
      'FROM localhost/busybox AS tools',
      'RUN mkdir -p /opt/tools && echo from-stage > /opt/tools/note',
      'FROM localhost/busybox',
      'RUN --mount=type=secret,id=token cat /run/secrets/token > /seen-secret && stat -c %a /run/secrets/token > /secret-mode',
      'RUN --mount=type=secret,id=token,target=/etc/app/token,mode=0440,uid=1000 stat -c "%a %u" /etc/app/token > /secret-target',
      'RUN --mount=type=cache,target=/var/cache/app sh -c "echo run >> /var/cache/app/runs; wc -l < /var/cache/app/runs > /cache-count"',
      'RUN --mount=type=bind,source=data,target=/ctx cat /ctx/input.txt > /from-bind && (touch /ctx/written 2>/dev/null && echo writable || echo readonly) > /bind-mode',
      'RUN --mount=type=bind,from=tools,source=/opt/tools,target=/tools,rw touch /tools/new && cat /tools/note > /from-stage',
      'RUN --mount=type=tmpfs,target=/scratch sh -c "grep -q \' /scratch tmpfs\' /proc/mounts && echo tmpfs > /tmpfs-seen"',
      'RUN --network=none true',
    ].join('\n') + '\n',
    'data/input.txt': 'context-data\n',
  });
  env.ok(['build', '-q', '--secret', `id=token,src=${secretFile}`, '-t', 'mounted', ctx]);
  const show = (f: string) => env.ok(['run', '--rm', 'mounted', 'cat', f]).trim();
  assert.equal(show('/seen-secret'), 's3cret-value');
  assert.equal(show('/secret-mode'), '400');
  assert.equal(show('/secret-target'), '440 1000');
  assert.equal(show('/cache-count'), '1');
  assert.equal(show('/from-bind'), 'context-data');
  assert.equal(show('/bind-mode'), 'readonly');
  assert.equal(show('/from-stage'), 'from-stage');
  assert.equal(show('/tmpfs-seen'), 'tmpfs');
  assert.ok(!fs.existsSync(path.join(ctx, 'data', 'written')), 'a bind mount never writes into the context');
  // The mount points the runtime made are gone; the secret's content is in no layer.
  const ls = env.ok(['run', '--rm', 'mounted', 'sh', '-c', 'ls -d /run/secrets /etc/app /var/cache/app /ctx /tools /scratch 2>&1; true']);
  for (const p of ['/run/secrets', '/etc/app', '/var/cache/app', '/ctx', '/tools', '/scratch']) assert.match(ls, new RegExp(`${p}: No such file or directory`), ls);
  const saved = path.join(env.dir, 'mounted.tar');
  env.ok(['save', '-o', saved, 'mounted']);
  const layers = spawnSync('sh', ['-c', `mkdir -p ${env.dir}/x && tar -xf ${saved} -C ${env.dir}/x && for f in $(find ${env.dir}/x -type f); do tar -xOf $f 2>/dev/null; done | grep -c s3cret-value`], { encoding: 'utf8' });
  assert.equal(layers.stdout.trim(), '1', 'only /seen-secret, which the step wrote itself, holds the value');

  // The cache directory survives: a build without the cache (--no-cache) sees the first run's file.
  env.ok(['build', '-q', '--no-cache', '--secret', `id=token,src=${secretFile}`, '-t', 'mounted2', ctx]);
  assert.equal(env.ok(['run', '--rm', 'mounted2', 'cat', '/cache-count']).trim(), '2');

  // A required secret that was not given, bad mount options: clear errors, nothing left behind.
  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nRUN --mount=type=secret,id=missing,required=true true\n');
  const missing = env.run(['build', ctx]);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /secret required but no secret with id "missing" found/);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nRUN --mount=type=cache,target=../../etc true\n');
  assert.match(env.run(['build', ctx]).stderr, /must be an absolute path without/);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nRUN --mount=type=bind,source=../../../etc/shadow,target=/x cat /x\n');
  const escape = env.run(['build', ctx]);
  assert.notEqual(escape.code, 0);
  assert.doesNotMatch(escape.stdout, /root:/, 'a bind source never leaves the context');
  assert.match(env.run(['build', '--secret', 'id=bad/id,src=/dev/null', ctx]).stderr, /"id" must be given/);
  assert.equal(leftoverContainers(), '');
});
