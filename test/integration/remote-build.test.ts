// `tspod --remote` build, commit and cp against a real `tspod system service`
// on a private unix socket: the same Engine contract as the local commands
// (lib/engine/build.ts, the archive calls of lib/engine/observe.ts), so the
// same output, files and exit codes.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv, type Result } from '../helpers/tspod-env';
import { ApiService } from '../helpers/api-service';

const env = new TspodEnv('remote-build');
const sock = path.join(env.dir, 'api.sock');
const service = new ApiService(env, sock);
const remote = (args: string[], opts: { input?: string } = {}): Result => env.run(['--remote', '--url', `unix://${sock}`, ...args], opts);

function context(name: string, files: Record<string, string>): string {
  const dir = path.join(env.dir, name);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

before(async () => {
  env.importTestImages();
  await service.start();
});

after(async () => {
  await service.stop();
  env.cleanup();
});

test('remote build: RUN, COPY, the ignore file, tags, labels, build args, -q and --iidfile', () => {
  const ctx = context('ctx', {
    Containerfile: 'FROM localhost/busybox\nARG WHO=nobody\nRUN echo "built by $WHO" > /built\nCOPY . /ctx/\nCMD ["sh", "-c", "cat /built; cd /ctx && find . | sort"]\n',
    '.containerignore': 'secret\n*.log\n!keep.log\n',
    'sub/a.txt': 'a\n',
    'secret/key': 'do not send\n',
    'x.log': 'ignored\n',
    'keep.log': 'kept\n',
  });
  const r = remote(['build', '-t', 'localhost/rbuild', '--label', 'made=remote', '--build-arg', 'WHO=remote', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^STEP 1\/5: FROM localhost\/busybox\n/);
  assert.match(r.stdout, /\nCOMMIT localhost\/rbuild\n/);
  const id = /([0-9a-f]{64})\n$/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  assert.equal(r.stdout.match(/^[0-9a-f]{64}$/gm)?.length, 1, 'the id is printed once');
  // run locally: what the service built is in the store
  assert.equal(env.ok(['run', '--rm', 'localhost/rbuild']), 'built by remote\n.\n./.containerignore\n./Containerfile\n./keep.log\n./sub\n./sub/a.txt\n');
  assert.equal(env.ok(['image', 'inspect', '--format', '{{.Id}} {{index .Labels "made"}}', 'localhost/rbuild']), `${id} remote\n`);

  // -q prints the id only; --iidfile is written by the client
  const iid = path.join(env.dir, 'iid');
  const q = remote(['build', '-q', '--iidfile', iid, '-t', 'localhost/rbuild', '--build-arg', 'WHO=remote', ctx]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^[0-9a-f]{64}\n$/);
  assert.equal(fs.readFileSync(iid, 'utf8'), `sha256:${q.stdout.trim()}`);

  // a Containerfile outside the context travels along; --target picks the stage
  const cf = path.join(env.dir, 'Outside.cf');
  fs.writeFileSync(cf, 'FROM localhost/busybox AS one\nRUN echo one > /stage\nFROM localhost/busybox AS two\nRUN echo two > /stage\n');
  const t = remote(['build', '-q', '-f', cf, '--target', 'one', '-t', 'localhost/rstage', context('empty', { 'f': 'x' })]);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(env.ok(['run', '--rm', 'localhost/rstage', 'cat', '/stage']), 'one\n');

  // a tar on stdin as the context
  const tarred = env.run(['build', '-q', '-t', 'localhost/rstdin', '-'], { input: 'FROM localhost/busybox\nRUN echo piped > /p\n' });
  const tr = remote(['build', '-q', '-t', 'localhost/rstdin2', '-'], { input: 'FROM localhost/busybox\nRUN echo piped > /p\n' });
  assert.equal(tarred.code, 0, tarred.stderr);
  assert.equal(tr.code, 0, tr.stderr);
  assert.equal(env.ok(['run', '--rm', 'localhost/rstdin2', 'cat', '/p']), 'piped\n');
});

test('remote build: a failing RUN exits with its code as the local build; bad input is 125', () => {
  const ctx = context('failing', { Containerfile: 'FROM localhost/busybox\nRUN echo before-failure && exit 3\n' });
  const local = env.run(['build', '-t', 'localhost/rfail', ctx]);
  const r = remote(['build', '-t', 'localhost/rfail', ctx]);
  assert.equal(local.code, 3);
  assert.equal(r.code, local.code, r.stderr);
  assert.match(r.stdout, /before-failure/);
  assert.equal(r.stderr, local.stderr);
  assert.match(r.stderr, /^Error: building at STEP "RUN echo before-failure && exit 3": while running runtime: exit status 3\n$/);
  assert.equal(env.run(['image', 'exists', 'localhost/rfail']).code, 1, 'nothing was tagged');

  const missing = remote(['build', path.join(env.dir, 'nosuch')]);
  assert.equal(missing.code, 125);
  assert.equal(missing.stderr, env.run(['build', path.join(env.dir, 'nosuch')]).stderr);
  const noFile = remote(['build', context('nofile', { x: 'y' })]);
  assert.equal(noFile.code, 125);
  assert.match(noFile.stderr, /^Error: no Containerfile or Dockerfile specified or found in context directory/);
  const secret = remote(['build', '--secret', `id=s,src=${path.join(env.dir, 'iid')}`, ctx]);
  assert.equal(secret.code, 125);
  assert.match(secret.stderr, /^Error: build --secret is not supported by the remote client/);
});

test('remote commit: the changes, -c, -a, --pause; the image runs locally; errors as local', () => {
  env.ok(['run', '--name', 'rcommit', 'localhost/busybox', 'sh', '-c', 'echo changed > /changed']);
  try {
    const r = remote(['commit', '-c', 'CMD ["cat", "/changed"]', '-a', 'someone', '--pause', 'rcommit', 'localhost/rcommitted']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    assert.equal(env.ok(['run', '--rm', 'localhost/rcommitted']), 'changed\n');
    assert.equal(env.ok(['image', 'inspect', '--format', '{{.Id}} {{.Author}}', 'localhost/rcommitted']), `${r.stdout.trim()} someone\n`);
    // -m needs the docker format, on both sides
    for (const args of [['commit', '-m', 'msg', 'rcommit', 'localhost/x'], ['commit', 'nosuch', 'localhost/x']]) {
      const l = env.run(args);
      const rr = remote(args);
      assert.equal(rr.code, 125);
      assert.equal(rr.code, l.code);
      assert.equal(rr.stderr, l.stderr);
    }
    const docker = remote(['commit', '-f', 'docker', '-m', 'a message', 'rcommit', 'localhost/rmsg']);
    assert.equal(docker.code, 0, docker.stderr);
    assert.equal(env.ok(['image', 'inspect', '--format', '{{.Comment}}', 'localhost/rmsg']), 'a message\n');
    // history through the contract: the same rows as the local command, templates and json included
    for (const args of [
      ['history', '--format', '{{.ID}} {{.CreatedBy}} {{.Size}} {{.Comment}} {{.CreatedAt}}', 'localhost/rmsg'],
      ['history', '-q', '--no-trunc', 'localhost/rmsg'],
      ['history', '-H=false', 'localhost/rmsg'],
      ['history', 'localhost/nosuch'],
    ]) {
      const l = env.run(args);
      const rr = remote(args);
      assert.deepEqual([rr.code, rr.stdout, rr.stderr], [l.code, l.stdout, l.stderr], args.join(' '));
    }
    assert.match(remote(['history', 'localhost/rmsg']).stdout, /^ID {12}CREATED {7,}CREATED BY {2,}SIZE {8}COMMENT\n[0-9a-f]{12}  .*a message\n<missing> /);
  } finally {
    env.run(['rm', '-f', '-t', '0', 'rcommit']);
  }
});

test('remote cp: both ways, directories and files, symlinks resolved in the container, errors as local', () => {
  env.ok(['run', '-d', '--name', 'rcp', 'localhost/busybox', 'sh', '-c', 'mkdir -p /srv/d && echo t > /srv/t && echo in-d > /srv/d/f && ln -s /srv/d /srv/link && ln -s /nowhere/x /srv/dangling && sleep 600']);
  try {
    const out = path.join(env.dir, 'cp-out');
    fs.mkdirSync(out);
    // from the container
    assert.equal(remote(['cp', 'rcp:/srv/t', path.join(out, 't')]).code, 0);
    assert.equal(fs.readFileSync(path.join(out, 't'), 'utf8'), 't\n');
    assert.equal(remote(['cp', 'rcp:/srv/link/.', path.join(out, 'viaLink')]).code, 0);
    assert.equal(fs.readFileSync(path.join(out, 'viaLink', 'f'), 'utf8'), 'in-d\n');
    // into the container: a file, a directory, through a symlinked directory
    fs.writeFileSync(path.join(out, 'up'), 'uploaded\n');
    assert.equal(remote(['cp', path.join(out, 'up'), 'rcp:/srv/link']).code, 0);
    assert.equal(env.ok(['exec', 'rcp', 'cat', '/srv/d/up']), 'uploaded\n');
    assert.equal(remote(['cp', path.join(out, 'viaLink'), 'rcp:/srv/newdir']).code, 0);
    assert.equal(env.ok(['exec', 'rcp', 'cat', '/srv/newdir/f']), 'in-d\n');
    // a dangling symlink as the destination is not followed out of the container's root
    const dangling = remote(['cp', path.join(out, 'up'), 'rcp:/srv/dangling']);
    const danglingLocal = env.run(['cp', path.join(out, 'up'), 'rcp:/srv/dangling']);
    assert.equal(dangling.code, danglingLocal.code);
    assert.equal(dangling.stderr, danglingLocal.stderr);
    // errors: the local cp's words and codes
    for (const args of [
      ['cp', 'rcp:/nosuch', out],
      ['cp', 'rcp:/srv/d', 'rcp:/srv/t'],
      ['cp', path.join(out, 'nosuch'), 'rcp:/srv'],
      ['cp', 'rcp:/srv/t', path.join(out, 'nodir') + '/'],
      ['cp', 'rcp:/srv/t/', out],
    ]) {
      const l = env.run(args);
      const r = remote(args);
      assert.equal(r.code, l.code, `exit code of ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, l.stderr, args.join(' '));
      assert.notEqual(r.code, 0, args.join(' '));
    }
  } finally {
    env.run(['rm', '-f', '-t', '0', 'rcp']);
  }
});
