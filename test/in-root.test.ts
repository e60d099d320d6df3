// The in-root resolver (lib/storage/in-root.ts) on a plain directory: links are
// followed inside the root only, `..` stops at the root, entries are opened by
// single names and never followed, image files are read only when regular and small.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { InRoot, openEntry, readlinkHeld, removeEntry, withFd, withRoot } from '../lib/storage/in-root';

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-inroot-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

const where = (root: InRoot, p: string, follow = true) => withFd(root.resolve(p, follow), (fd) => root.containerPathOf(fd));

test('links are followed inside the root only, .. stops at the root', (t) => {
  const dir = tempRoot(t);
  fs.mkdirSync(path.join(dir, 'usr/share/www'), { recursive: true });
  fs.symlinkSync('/usr/share/www', path.join(dir, 'www'));
  fs.symlinkSync('../../etc', path.join(dir, 'usr/share/escape'));
  fs.symlinkSync('loop', path.join(dir, 'loop'));
  fs.symlinkSync('../../../../../../etc', path.join(dir, 'up'));
  withRoot(dir, (root) => {
    assert.equal(where(root, '/www'), '/usr/share/www');
    assert.equal(where(root, '/www', false), '/www');
    assert.equal(root.resolveIfExists('/usr/share/escape', true), undefined); // no /etc in this root yet
    assert.equal(root.resolveIfExists('/nosuch', true), undefined);
    assert.throws(() => root.resolve('/loop', true), { code: 'ELOOP' });
    fs.mkdirSync(path.join(dir, 'etc'));
    assert.equal(where(root, '/usr/share/escape'), '/etc');
    assert.equal(where(root, '/up'), '/etc');
    assert.equal(where(root, '/../../..'), '/');
    // a link straight to a host path lands on the same path inside the root
    fs.symlinkSync(os.tmpdir(), path.join(dir, 'hosttmp'));
    assert.equal(root.resolveIfExists('/hosttmp', true), undefined);
    // magic links are refused
    fs.symlinkSync('/proc/self/root', path.join(dir, 'magic'));
    assert.equal(root.resolveIfExists('/magic/etc', true), undefined);
  });
});

test('entries are opened by single names and never followed; removeEntry stays inside', (t) => {
  const dir = tempRoot(t);
  const outside = tempRoot(t);
  fs.writeFileSync(path.join(outside, 'keep'), 'keep');
  fs.mkdirSync(path.join(dir, 'd'));
  fs.symlinkSync(outside, path.join(dir, 'd/out'));
  withRoot(dir, (root) => {
    const d = root.resolve('/d', true);
    withFd(d, () => {
      const link = openEntry(d, 'out');
      withFd(link, () => {
        assert.ok(fs.fstatSync(link).isSymbolicLink());
        assert.equal(readlinkHeld(link), outside);
      });
      assert.throws(() => openEntry(d, '../x'), /invalid file name/);
      assert.throws(() => openEntry(d, '..'), /invalid file name/);
    });
    fs.mkdirSync(path.join(dir, 'tree/sub'), { recursive: true });
    fs.symlinkSync(outside, path.join(dir, 'tree/sub/out'));
    withFd(root.resolve('/', true), (top) => removeEntry(top, 'tree'));
    assert.equal(fs.existsSync(path.join(dir, 'tree')), false);
    assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'keep');
  });
});

test('mkdirAll makes what is missing, through links inside the root', (t) => {
  const dir = tempRoot(t);
  fs.mkdirSync(path.join(dir, 'real'));
  fs.symlinkSync('/real', path.join(dir, 'via'));
  withRoot(dir, (root) => {
    withFd(root.mkdirAll('/via/a/b', 0o750), (fd) => assert.equal(root.containerPathOf(fd), '/real/a/b'));
    assert.equal(fs.statSync(path.join(dir, 'real/a/b')).mode & 0o777, 0o750);
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.throws(() => root.mkdirAll('/file/x'));
  });
});

test('readRegularFile: symlinks inside the root, FIFOs and oversized files refused, missing is undefined', (t) => {
  const dir = tempRoot(t);
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  fs.symlinkSync('/data/passwd', path.join(dir, 'etc/passwd'));
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'etc/group')]).status, 0);
  fs.writeFileSync(path.join(dir, 'etc/big'), Buffer.alloc(2048));
  withRoot(dir, (root) => {
    assert.equal(root.readRegularFile('/etc/passwd')?.toString(), 'root:x:0:0::/root:/bin/sh\n');
    assert.throws(() => root.readRegularFile('/etc/group'), /not a regular file/);
    assert.throws(() => root.readRegularFile('/etc/big', 1024), /larger than 1024 bytes/);
    assert.throws(() => root.readRegularFile('/etc'), /not a regular file/);
    assert.equal(root.readRegularFile('/etc/shadow'), undefined);
  });
});
