// Issue 21: `cp CTR:/file DEST` where DEST already exists on the host as a
// symlink writes the content through it and never replaces it; a character
// device, a FIFO or a socket (/dev/stdout on a pipe) is refused, as Podman
// 4.3's 065-cp asserts, and left as it is; `-` gives a tar.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
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

test('/dev/stdout on a pipe is refused (as Podman) and stays a link; - gives a tar', (t) => {
  t.after(restoreDev);
  const before = fs.readlinkSync('/dev/stdout');
  const argv = env.argv(['cp', 'src:/data.txt', '/dev/stdout']);
  // stdout a pipe (through sh) and a socket pair (Node's own 'pipe' for child processes)
  const viaPipe = spawnSync('sh', ['-c', '"$@" | cat', 'sh', ...argv], { env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
  assert.match(viaPipe.stderr, /invalid destination: "\/dev\/stdout" must be a directory or a regular file/);
  assert.equal(viaPipe.stdout, '');
  const [node, ...args] = argv;
  const r = spawnSync(node, args, { env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  assert.equal(r.status, 125);
  assert.ok(fs.lstatSync('/dev/stdout').isSymbolicLink(), '/dev/stdout was replaced');
  assert.equal(fs.readlinkSync('/dev/stdout'), before);
  // stdout a regular file: the content goes there, through fd 1
  const file = path.join(work, 'stdout-file');
  const fd = fs.openSync(file, 'w');
  try {
    const toFile = spawnSync(node, args, { env: cleanEnv(), stdio: ['ignore', fd, 'pipe'], timeout: 60_000 });
    assert.equal(toFile.status, 0, String(toFile.stderr));
  } finally {
    fs.closeSync(fd);
  }
  assert.equal(fs.readFileSync(file, 'utf8'), DATA);
  assert.equal(fs.readlinkSync('/dev/stdout'), before);
  const tarOut = spawnSync(node, env.argv(['cp', 'src:/data.txt', '-']).slice(1), { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  assert.equal(tarOut.status, 0);
  const listed = spawnSync('tar', ['-tvf', '-'], { input: tarOut.stdout, encoding: 'utf8' });
  assert.match(listed.stdout, /data\.txt/);
});

test('/dev/null is refused and stays a character device', (t) => {
  t.after(restoreDev);
  const r = env.run(['cp', 'src:/data.txt', '/dev/null']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /must be a directory or a regular file/);
  assert.ok(fs.lstatSync('/dev/null').isCharacterDevice(), '/dev/null was replaced');
});

test('a FIFO is refused and kept', () => {
  const fifo = path.join(work, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const r = env.run(['cp', 'src:/data.txt', fifo]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /must be a directory or a regular file/);
  assert.ok(fs.lstatSync(fifo).isFIFO(), 'the FIFO was replaced');
});

test('a directory onto a symlink to a file is refused, the file kept', () => {
  const d = path.join(work, 'dir-case');
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'target'), 'keep\n');
  fs.symlinkSync(path.join(d, 'target'), path.join(d, 'link'));
  const r = env.run(['cp', 'src:/etc', path.join(d, 'link')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /destination must be a directory when copying a directory/);
  assert.equal(fs.readFileSync(path.join(d, 'target'), 'utf8'), 'keep\n');
  assert.ok(fs.lstatSync(path.join(d, 'link')).isSymbolicLink());
});
