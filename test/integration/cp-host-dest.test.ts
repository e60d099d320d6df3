// Issue 21: `cp CTR:/file DEST` where DEST already exists on the host as a
// symlink, a character device or a FIFO writes the content through it (as
// Podman and docker cp do) and never replaces it; `-` still gives a tar.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('cp-host-dest');
const work = path.join(env.dir, 'work');
const DATA = 'data from the container\n';

before(() => {
  env.importTestImages();
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'data.txt'), DATA);
  env.ok(['create', '--network', 'none', '--name', 'src', 'localhost/busybox', 'true']);
  env.ok(['cp', path.join(work, 'data.txt'), 'src:/data.txt']);
});

after(() => env.cleanup());

test('an existing symlink destination is written through: the data lands in its target', () => {
  const d = path.join(work, 'link-case');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'target'), 'old\n');
  fs.symlinkSync(path.join(d, 'target'), path.join(d, 'link'));
  env.ok(['cp', 'src:/data.txt', path.join(d, 'link')]);
  assert.ok(fs.lstatSync(path.join(d, 'link')).isSymbolicLink(), 'the link was replaced');
  assert.equal(fs.readlinkSync(path.join(d, 'link')), path.join(d, 'target'));
  assert.equal(fs.readFileSync(path.join(d, 'target'), 'utf8'), DATA);
  // a symlink to a directory: the file goes into the directory
  fs.mkdirSync(path.join(d, 'dir'));
  fs.symlinkSync(path.join(d, 'dir'), path.join(d, 'dirlink'));
  env.ok(['cp', 'src:/data.txt', path.join(d, 'dirlink')]);
  assert.ok(fs.lstatSync(path.join(d, 'dirlink')).isSymbolicLink());
  assert.equal(fs.readFileSync(path.join(d, 'dir', 'data.txt'), 'utf8'), DATA);
});

/** Puts a replaced /dev/stdout or /dev/null back (a failing tspod would break every program on the host). */
function restoreDev(): void {
  const out = fs.lstatSync('/dev/stdout', { throwIfNoEntry: false });
  if (!out?.isSymbolicLink()) {
    fs.rmSync('/dev/stdout', { force: true });
    fs.symlinkSync('/proc/self/fd/1', '/dev/stdout');
  }
  if (!fs.lstatSync('/dev/null', { throwIfNoEntry: false })?.isCharacterDevice()) {
    fs.rmSync('/dev/null', { force: true });
    spawnSync('mknod', ['-m', '666', '/dev/null', 'c', '1', '3']);
  }
}

test('/dev/stdout prints the file and stays a link; - still gives a tar', (t) => {
  t.after(restoreDev);
  const before = fs.readlinkSync('/dev/stdout');
  const argv = env.argv(['cp', 'src:/data.txt', '/dev/stdout']);
  // stdout a pipe (through sh) and a socket pair (Node's own 'pipe' for child processes)
  const viaPipe = spawnSync('sh', ['-c', '"$@" | cat', 'sh', ...argv], { env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(viaPipe.status, 0, viaPipe.stderr);
  assert.equal(viaPipe.stdout, DATA);
  const [node, ...args] = argv;
  const r = spawnSync(node, args, { env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, DATA);
  assert.ok(fs.lstatSync('/dev/stdout').isSymbolicLink(), '/dev/stdout was replaced');
  assert.equal(fs.readlinkSync('/dev/stdout'), before);
  const tarOut = spawnSync(node, env.argv(['cp', 'src:/data.txt', '-']).slice(1), { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  assert.equal(tarOut.status, 0);
  const listed = spawnSync('tar', ['-tvf', '-'], { input: tarOut.stdout, encoding: 'utf8' });
  assert.match(listed.stdout, /data\.txt/);
});

test('/dev/null takes the content and stays a character device', (t) => {
  t.after(restoreDev);
  env.ok(['cp', 'src:/data.txt', '/dev/null']);
  const st = fs.lstatSync('/dev/null');
  assert.ok(st.isCharacterDevice(), '/dev/null was replaced');
});

test('a FIFO with a reader receives the content', async () => {
  const fifo = path.join(work, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  let got = '';
  reader.stdout.on('data', (c: Buffer) => (got += c.toString()));
  const done = new Promise<number | null>((r) => reader.on('exit', r));
  try {
    env.ok(['cp', 'src:/data.txt', fifo]);
    assert.equal(await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]), 0);
    assert.equal(got, DATA);
    assert.ok(fs.lstatSync(fifo).isFIFO(), 'the FIFO was replaced');
  } finally {
    if (reader.exitCode === null && reader.pid) reader.kill('SIGKILL');
  }
});

test('a directory onto a symlink to a file is refused, the file kept', () => {
  const d = path.join(work, 'dir-case');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'target'), 'keep\n');
  fs.symlinkSync(path.join(d, 'target'), path.join(d, 'link'));
  const r = env.run(['cp', 'src:/etc', path.join(d, 'link')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot copy a directory to a file/);
  assert.equal(fs.readFileSync(path.join(d, 'target'), 'utf8'), 'keep\n');
  assert.ok(fs.lstatSync(path.join(d, 'link')).isSymbolicLink());
});
