// Issue 12, item 3: an image's /etc/passwd and /etc/group are read inside the
// image's root (a symlink to a host path resolves inside the rootfs), a FIFO
// or other non-regular file is refused at once (it used to block `run`
// forever), and the read is bounded.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('image-user-files');
/** a host directory whose passwd and group name the same user and group with other ids */
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-hostpw-'));

/** Imports the busybox rootfs with the changes prepare makes to its unpacked tree. */
function importVariant(name: string, prepare: (rootfs: string) => void): void {
  const rootfs = path.join(env.dir, `${name}-rootfs`);
  fs.mkdirSync(rootfs);
  assert.equal(spawnSync('tar', ['-C', rootfs, '-xf', path.join(FIXTURES, 'busybox-rootfs.tar')]).status, 0);
  prepare(rootfs);
  const tarFile = path.join(env.dir, `${name}.tar`);
  assert.equal(spawnSync('tar', ['-C', rootfs, '-cf', tarFile, '.']).status, 0);
  env.ok(['import', tarFile, `localhost/${name}`]);
}

before(() => {
  fs.writeFileSync(path.join(hostDir, 'passwd'), 'imguser:x:4242:4242::/:/bin/sh\n');
  fs.writeFileSync(path.join(hostDir, 'group'), 'imggroup:x:4343:\n');
  // /etc/passwd and /etc/group are absolute symlinks to hostDir's files; the image has its own
  // files at that path inside its root, with other ids.
  importVariant('pwlink', (rootfs) => {
    const inImage = path.join(rootfs, hostDir);
    fs.mkdirSync(inImage, { recursive: true });
    fs.writeFileSync(path.join(inImage, 'passwd'), 'root:x:0:0::/root:/bin/sh\nimguser:x:1234:1235::/:/bin/sh\n');
    fs.writeFileSync(path.join(inImage, 'group'), 'root:x:0:\nimggroup:x:1236:\n');
    for (const f of ['passwd', 'group']) {
      fs.rmSync(path.join(rootfs, 'etc', f), { force: true });
      fs.symlinkSync(path.join(hostDir, f), path.join(rootfs, 'etc', f));
    }
  });
  importVariant('pwfifo', (rootfs) => {
    fs.rmSync(path.join(rootfs, 'etc/passwd'), { force: true });
    assert.equal(spawnSync('mkfifo', [path.join(rootfs, 'etc/passwd')]).status, 0);
  });
  importVariant('pwhuge', (rootfs) => {
    // 5 MiB of passwd: over the bound
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'x'.repeat(5 * 1024 * 1024) + '\nbig:x:7:7::/:/bin/sh\n');
  });
});

after(() => {
  env.cleanup();
  fs.rmSync(hostDir, { recursive: true, force: true });
});

test('run --user NAME:GROUP with /etc/passwd and /etc/group symlinked to host paths uses the image files', () => {
  assert.equal(env.ok(['run', '--rm', '--network', 'none', '--user', 'imguser', 'localhost/pwlink', 'id', '-u']).trim(), '1234');
  assert.equal(env.ok(['run', '--rm', '--network', 'none', '--user', 'imguser:imggroup', 'localhost/pwlink', 'id', '-g']).trim(), '1236');
  // the host files are untouched and were not what decided
  assert.equal(fs.readFileSync(path.join(hostDir, 'passwd'), 'utf8'), 'imguser:x:4242:4242::/:/bin/sh\n');
});

test('run --user NAME with a FIFO as /etc/passwd fails at once with a clear error', () => {
  const started = Date.now();
  // SIGKILL at the deadline: a run blocked on the FIFO does not end on SIGTERM
  const [node, ...args] = env.argv(['run', '--rm', '--network', 'none', '--user', 'someone', 'localhost/pwfifo', 'true']);
  const p = spawnSync(node, args, { env: cleanEnv(), encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  const r = { code: p.status, stderr: p.stderr ?? '' };
  const took = Date.now() - started;
  assert.notEqual(p.signal, 'SIGKILL', 'run hung on the FIFO and was killed');
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, /\/etc\/passwd.*not a regular file/);
  assert.ok(took < 15_000, `took ${took} ms`);
});

test('run --user NAME with an oversized /etc/passwd is refused', () => {
  const r = env.run(['run', '--rm', '--network', 'none', '--user', 'big', 'localhost/pwhuge', 'true']);
  assert.equal(r.code, 125, r.stderr);
  assert.match(r.stderr, /\/etc\/passwd.*larger than/);
});
