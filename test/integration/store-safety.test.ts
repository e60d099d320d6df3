// The store against other users and faults (issue 12, items 1, 6, 7):
// a real unprivileged user cannot list, read, execute or plant anything in the
// store root, layers, volumes or the run root, while containers (also with
// --user 1000) still run; a full store filesystem (a small tmpfs as --root)
// keeps ps and inspect working, lets rm -f free space and leaves no temporary
// files; a damaged db.json gives a clear error, and `system check --repair`
// restores the last good copy.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, TspodEnv } from '../helpers/tspod-env';

const envs: TspodEnv[] = [];
function newEnv(name: string): TspodEnv {
  const env = new TspodEnv(name);
  envs.push(env);
  return env;
}
// cleanup removes the containers (it reads their pids from the store), then
// unmounts everything under the env: the tmpfs of the full-disk test too
after(() => {
  for (const env of envs) env.cleanup();
});

const importBusybox = (env: TspodEnv) => env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/busybox']);
const modeOf = (p: string) => fs.statSync(p).mode & 0o7777;
/** Temporary files anywhere in the store, except inside image content (an image's own /tmp). */
function tempFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (/\.tmp|\.partial$|^\.new/.test(e.name)) found.push(p);
      if (e.isDirectory() && e.name !== 'diff' && e.name !== 'upper') walk(p);
    }
  };
  walk(root);
  return found;
}

/** A real unprivileged user for the duration of fn, removed afterwards (also on failure). */
function asOtherUser(fn: (sh: (cmd: string) => { code: number; out: string }) => void): void {
  const name = `tspodt${process.pid}`;
  const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  try {
    const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
    assert.ok(uid > 0 && gid > 0);
    fn((cmd) => {
      const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', '/bin/sh', '-c', cmd], { encoding: 'utf8', timeout: 10_000 });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    });
  } finally {
    spawnSync('userdel', [name]);
  }
}

describe('store permissions (issue 12, item 1)', () => {
  test('another user cannot list, read, execute or plant anything in the store, layers, volumes or run root', () => {
    const env = newEnv('perm');
    fs.chmodSync(env.dir, 0o755); // as /var/lib and /run: only the roots' own modes may keep others out
    importBusybox(env);
    env.ok(['run', '--rm', '-v', 'secret:/data', 'localhost/busybox', 'sh', '-c', 'echo s3cret > /data/key; chmod 644 /data/key']);
    const id = env.ok(['run', '-d', '-v', 'secret:/data', 'localhost/busybox', 'sleep', '1000']).trim();
    const layers = path.join(env.root, 'layers');
    const layer = fs.readdirSync(layers).find((n) => /^[0-9a-f]{64}$/.test(n));
    assert.ok(layer, 'a stored layer');
    const diff = path.join(layers, layer, 'diff');
    const key = path.join(env.root, 'volumes', 'secret', '_data', 'key');
    const rootfs = path.join(env.runroot, 'containers', id, 'merged');
    // what root sees (the paths are right)
    assert.equal(fs.readFileSync(key, 'utf8'), 's3cret\n');
    assert.ok(fs.existsSync(path.join(diff, 'bin', 'busybox')));
    assert.ok(fs.existsSync(path.join(rootfs, 'bin', 'busybox')));
    asOtherUser((sh) => {
      assert.equal(sh(`test -d ${env.dir}`).code, 0, 'the user reaches the directory that holds the roots');
      const attempts = {
        'list the store root': `ls ${env.root}`,
        'list a layer': `ls ${diff}`,
        'execute a binary from a layer': `${diff}/bin/busybox true`,
        'read an image file': `cat ${diff}/etc/passwd`,
        'plant a file in a layer': `touch ${diff}/tmp/planted`,
        'read volume data': `cat ${key}`,
        'list the run root': `ls ${env.runroot}`,
        'execute from a running rootfs': `${rootfs}/bin/busybox true`,
        'read the state file': `cat ${env.root}/db.json`,
      };
      for (const [what, cmd] of Object.entries(attempts)) {
        const r = sh(cmd);
        assert.notEqual(r.code, 0, `another user could ${what}: ${r.out}`);
      }
    });
    assert.ok(!fs.existsSync(path.join(diff, 'tmp', 'planted')));
    assert.equal(modeOf(env.root), 0o700);
    assert.equal(modeOf(env.runroot), 0o700);
    // containers still reach their root, volumes and bind mounts, also as a non-root user
    assert.equal(env.ok(['exec', id, 'cat', '/data/key']), 's3cret\n');
    assert.equal(env.ok(['run', '--rm', '--user', '1000', '-v', 'secret:/data', 'localhost/busybox', 'sh', '-c', 'id -u; cat /data/key']), '1000\ns3cret\n');
    const host = path.join(env.dir, 'hostdir');
    fs.mkdirSync(host, { mode: 0o755 });
    fs.writeFileSync(path.join(host, 'f'), 'from host\n', { mode: 0o644 });
    assert.equal(env.ok(['run', '--rm', '--user', '1000:1000', '-v', `${host}:/h:ro`, 'localhost/busybox', 'cat', '/h/f']), 'from host\n');
    const anon = env.ok(['run', '--rm', '--user', '1000', '-v', '/scratch', 'localhost/busybox', 'ls', '-d', '/scratch']);
    assert.equal(anon, '/scratch\n');
  });

  test('a store an older tspod created 0755 is closed by the next command', () => {
    const env = newEnv('perm-old');
    importBusybox(env);
    env.ok(['run', '--rm', 'localhost/busybox', 'true']);
    fs.chmodSync(env.root, 0o755);
    fs.chmodSync(env.runroot, 0o755);
    env.ok(['ps', '-a']);
    assert.equal(modeOf(env.root), 0o700);
    assert.equal(modeOf(env.runroot), 0o700);
    // group search alone (a group's way to a 0660 API socket) is left as the admin set it
    fs.chmodSync(env.runroot, 0o710);
    env.ok(['ps', '-a']);
    assert.equal(modeOf(env.runroot), 0o710);
    // a run root that systemd made 0755 for the API socket (tspod.socket) before any command
    fs.rmSync(env.runroot, { recursive: true });
    fs.mkdirSync(env.runroot, { mode: 0o755 });
    fs.chmodSync(env.runroot, 0o755);
    fs.writeFileSync(path.join(env.runroot, 'tspod.sock'), '');
    env.ok(['ps', '-a']);
    assert.equal(modeOf(env.runroot), 0o700);
    // a directory that is not a store (--root /tmp, a home) is never closed, only warned about
    const shared = path.join(env.dir, 'shared');
    fs.mkdirSync(shared, { mode: 0o1777 });
    fs.chmodSync(shared, 0o1777);
    fs.writeFileSync(path.join(shared, 'someone-elses-file'), '');
    const r = env.run(['--root', shared, 'images']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is open to other users and is not a tspod store/);
    assert.equal(modeOf(shared), 0o1777);
  });
});

describe('a full store filesystem (issue 12, item 6)', () => {
  test('ps and inspect work, rm -f frees space, no temporary file is left', () => {
    const env = newEnv('full');
    fs.mkdirSync(env.root);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', env.root]).status, 0);
    importBusybox(env);
    const a = env.ok(['run', '-d', '--name', 'a', 'localhost/busybox', 'sleep', '1000']).trim();
    env.ok(['create', '--name', 'b', 'localhost/busybox', 'true']);
    env.ok(['run', '--name', 'c', 'localhost/busybox', 'true']);
    // the container fills the store's filesystem, then the host fills what is left
    env.ok(['run', '-d', '--name', 'd', 'localhost/busybox', 'sh', '-c', 'until [ -e /go ]; do sleep 0.1; done; dd if=/dev/zero of=/big bs=64k; touch /filled; sleep 1000']);
    env.ok(['exec', 'd', 'touch', '/go']);
    for (let i = 0; i < 100 && env.run(['exec', 'd', 'test', '-e', '/filled']).code !== 0; i++) spawnSync('sleep', ['0.1']);
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(env.root, 'fill')}`, 'bs=4k']);
    assert.equal(fs.statfsSync(env.root).bavail, 0, 'the store filesystem is full');
    // a exits meanwhile: ps and inspect would record that (a write)
    const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'a']).trim());
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) spawnSync('sleep', ['0.05']);
    spawnSync('sleep', ['0.5']);
    const ps = env.run(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^a Exited \(137\)/m);
    const inspect = env.run(['inspect', '--format', '{{.State.Status}}', a]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.stdout, 'exited\n');
    assert.deepEqual(tempFiles(env.root), []);
    // rm -f of a container that frees nothing, then of the one that filled the disk
    const rmB = env.run(['rm', '-f', '-t', '0', 'b']);
    assert.equal(rmB.code, 0, rmB.stderr);
    const rmD = env.run(['rm', '-f', '-t', '0', 'd']);
    assert.equal(rmD.code, 0, rmD.stderr);
    assert.ok(fs.statfsSync(env.root).bavail * fs.statfsSync(env.root).bsize > 2 * 1024 * 1024, 'rm -f freed the space');
    assert.deepEqual(env.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort(), ['a', 'c']);
    assert.deepEqual(tempFiles(env.root), []);
    // with room again, everything works as before
    fs.rmSync(path.join(env.root, 'fill'));
    env.ok(['rm', '-f', '-t', '0', 'a', 'c']);
    assert.equal(env.ok(['run', '--rm', 'localhost/busybox', 'echo', 'ok']), 'ok\n');
    assert.deepEqual(tempFiles(env.root), []);
  });
});

describe('a damaged state file (issue 12, item 7)', () => {
  test('a clear error naming the file, and system check --repair restores the last good copy', () => {
    const env = newEnv('damaged');
    importBusybox(env);
    const b = env.ok(['create', '--name', 'b', 'localhost/busybox', 'true']).trim();
    env.ok(['create', '--name', 'c', 'localhost/busybox', 'true']);
    const db = path.join(env.root, 'db.json');
    assert.equal(env.ok(['system', 'check']), 'No problems found\n');
    assert.ok(fs.existsSync(`${db}.bak`), 'the previous state is kept');
    const good = fs.readFileSync(db, 'utf8');
    for (const broken of [good.slice(0, good.length / 2), '\u0000garbage', '']) {
      fs.writeFileSync(db, broken);
      const ps = env.run(['ps', '-a']);
      assert.equal(ps.code, 125);
      assert.ok(ps.stderr.includes(`state file ${db} is damaged`), ps.stderr);
      assert.match(ps.stderr, /system check --repair/);
      const check = env.run(['system', 'check']);
      assert.equal(check.code, 125);
      assert.ok(check.stdout.includes(`state file ${db} is damaged`), check.stdout);
      assert.equal(fs.readFileSync(db, 'utf8'), broken, 'check without --repair changes nothing');
    }
    const repair = env.run(['system', 'check', '--repair']);
    assert.equal(repair.code, 0, repair.stderr);
    assert.match(repair.stdout, /restored .*db\.json from .*db\.json\.bak/);
    assert.equal(fs.readFileSync(`${db}.damaged`, 'utf8'), '');
    // the backup is the state before the last write: b (c's creation was the last write)
    assert.equal(env.ok(['ps', '-a', '--format', '{{.Names}}']), 'b\n');
    assert.equal(env.ok(['system', 'check']), 'No problems found\n');
    // records whose files are gone
    fs.rmSync(path.join(env.root, 'containers', b), { recursive: true });
    const check = env.run(['system', 'check']);
    assert.equal(check.code, 125);
    assert.match(check.stdout, /container [0-9a-f]{12} \(b\): its storage directory .* is gone/);
    // and a temporary file of a writer that died (an older tspod on a full disk)
    const stale = `${db}.99999999.tmp`;
    fs.writeFileSync(stale, '{');
    assert.match(env.run(['system', 'check']).stdout, /left-over temporary file .*db\.json\.99999999\.tmp/);
    assert.equal(env.run(['system', 'check', '-r']).code, 0);
    assert.ok(!fs.existsSync(stale));
    assert.equal(env.ok(['ps', '-a', '--format', '{{.Names}}']), '');
    assert.equal(env.ok(['run', '--rm', 'localhost/busybox', 'echo', 'ok']), 'ok\n');
    assert.deepEqual(tempFiles(env.root), []);
  });

  test('no good copy: the check says so and --repair refuses, keeping the file', () => {
    const env = newEnv('damaged-nobak');
    importBusybox(env);
    const db = path.join(env.root, 'db.json');
    fs.rmSync(`${db}.bak`, { force: true });
    fs.writeFileSync(db, '{"version":1,');
    const r = env.run(['system', 'check', '--repair']);
    assert.equal(r.code, 125);
    assert.match(r.stdout, /no good copy to restore from/);
    assert.equal(fs.readFileSync(db, 'utf8'), '{"version":1,');
  });
});
