// Rootless tspod (issue #13): a real user made for the test, with a
// subordinate id range, runs tspod with its own store, in a user namespace
// built from /etc/subuid and /etc/subgid, and runs containers with runc.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { FIXTURES, TSPOD_ARGV, TspodEnv, until } from '../helpers/tspod-env';
import { createTestUser, removeTestUser, tspodAsUser, userEnv, userPids, type TestUser } from '../helpers/test-user';

let user: TestUser;
let work: string;
const rootEnv = new TspodEnv('rootless-peer');
const children: ChildProcess[] = [];

function ok(args: string[], u: TestUser = user): string {
  const r = tspodAsUser(u, args);
  if (r.code !== 0) throw new Error(`tspod ${args.join(' ')} as ${u.name} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

before(() => {
  user = createTestUser('tsrl');
  // Archives the user can read: busybox, and a layer with a file of uid/gid 1000.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-rootless-'));
  fs.chmodSync(work, 0o755);
  fs.copyFileSync(path.join(FIXTURES, 'busybox-rootfs.tar'), path.join(work, 'busybox.tar'));
  fs.copyFileSync(path.join(FIXTURES, 'echo-rootfs.tar'), path.join(work, 'echo.tar'));
  fs.mkdirSync(path.join(work, 'owned'));
  fs.writeFileSync(path.join(work, 'owned', 'data'), 'x');
  const tar = spawnSync('tar', ['-C', path.join(work, 'owned'), '--owner=1000', '--group=1000', '--numeric-owner', '-cf', path.join(work, 'owned.tar'), 'data'], { encoding: 'utf8' });
  assert.equal(tar.status, 0, tar.stderr);
  for (const f of fs.readdirSync(work)) fs.chmodSync(path.join(work, f), 0o755);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (user) {
    tspodAsUser(user, ['rm', '-af', '-t', '0'], { timeout: 30_000 });
    removeTestUser(user);
  }
  rootEnv.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('rootless tspod', () => {
  test('a user imports images into ~/.local/share/tspod; files keep their owners through the subordinate range', () => {
    ok(['import', path.join(work, 'busybox.tar'), 'localhost/busybox']);
    ok(['import', path.join(work, 'owned.tar'), 'localhost/owned']);
    assert.match(ok(['images', '--format', '{{.Repository}}']), /localhost\/busybox[\s\S]*localhost\/owned|localhost\/owned[\s\S]*localhost\/busybox/);
    const store = path.join(user.home, '.local', 'share', 'tspod');
    assert.equal(fs.statSync(store).uid, user.uid);
    assert.equal(fs.statSync(store).mode & 0o777, 0o700);
    // uid 1000 in the image = subordinate start + 999 on disk; root of the image = the user.
    const layers = fs.readdirSync(path.join(store, 'layers')).map((l) => path.join(store, 'layers', l, 'diff'));
    const data = layers.map((d) => path.join(d, 'data')).find((f) => fs.existsSync(f));
    assert.ok(data, 'the owned layer is on disk');
    const st = fs.statSync(data);
    assert.equal(st.uid, user.subuid!.start + 999);
    assert.equal(st.gid, user.subuid!.start + 999);
    const bin = layers.map((d) => path.join(d, 'bin')).find((f) => fs.existsSync(f));
    assert.equal(fs.statSync(bin!).uid, user.uid);
    // The run-time files are under the user's XDG_RUNTIME_DIR.
    assert.ok(fs.existsSync(path.join(user.runtimeDir, 'tspod')));
    // `tspod unshare` shows the store with the image's own owners.
    assert.equal(ok(['unshare', 'stat', '-c', '%u:%g', data]).trim(), '1000:1000');
    assert.equal(ok(['unshare', 'sh', '-c', 'echo "$CONTAINERS_GRAPHROOT"']).trim(), store);
    const asRoot = rootEnv.run(['unshare', 'true']);
    assert.equal(asRoot.code, 125);
    assert.match(asRoot.stderr, /please use unshare with rootless/);
  });

  test('run --rm: root inside is the user outside; ids 1.. map onto the subordinate range', () => {
    const out = ok(['run', '--rm', '--network=none', 'localhost/busybox', 'sh', '-c', 'id; cat /proc/self/uid_map']);
    assert.match(out, /uid=0\(root\) gid=0\(root\)/);
    const lines = out.split('\n').slice(1).map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length === 3);
    assert.deepEqual(lines, [
      [0, user.uid, 1],
      [1, user.subuid!.start, 65536],
    ]);
    assert.match(ok(['run', '--rm', '--network=host', 'localhost/busybox', 'echo', 'host-net']), /host-net/);
    // The default is a private namespace with loopback only; bridges are root's.
    assert.equal(ok(['run', '--rm', 'localhost/busybox', 'ls', '/sys/class/net']).trim(), 'lo');
    assert.match(ok(['run', '--rm', '--privileged', '--network=none', 'localhost/busybox', 'cat', '/run/.containerenv']), /rootless=1/);
    const bridge = tspodAsUser(user, ['run', '--rm', '--network=bridge', 'localhost/busybox', 'true']);
    assert.equal(bridge.code, 125);
    assert.match(bridge.stderr, /bridge networks need root/);
  });

  test('resource limits are ignored with a warning on cgroup v1, as Podman does', () => {
    const r = tspodAsUser(user, ['run', '--rm', '--network=none', '-m', '64m', 'localhost/busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Resource limits are not supported and ignored on cgroups V1 rootless systems/);
  });

  test("a user's containers and root's never see each other", async () => {
    rootEnv.importTestImages();
    rootEnv.ok(['run', '-d', '--name', 'rootside', 'localhost/busybox', 'sleep', '100']);
    ok(['run', '-d', '--name', 'userside', '--network=none', 'localhost/busybox', 'sleep', '100']);
    const userPs = ok(['ps', '-a', '--format', '{{.Names}}']);
    const rootPs = rootEnv.ok(['ps', '-a', '--format', '{{.Names}}']);
    assert.match(userPs, /userside/);
    assert.doesNotMatch(userPs, /rootside/);
    assert.match(rootPs, /rootside/);
    assert.doesNotMatch(rootPs, /userside/);
    // The user's container runs as the user on the host.
    const pid = Number(ok(['inspect', '--format', '{{.State.Pid}}', 'userside']).trim());
    assert.equal(fs.statSync(`/proc/${pid}`).uid, user.uid);
    // Later commands join the same namespaces (the pause process): exec's setns works.
    assert.match(ok(['exec', 'userside', 'id']), /uid=0\(root\)/);
    ok(['rm', '-f', '-t', '0', 'userside']);
    rootEnv.ok(['rm', '-f', '-t', '0', 'rootside']);
    assert.equal(ok(['ps', '-aq']).trim(), '');
    // Nothing of the user's is left but the documented pause process.
    const pause = Number(fs.readFileSync(path.join(user.runtimeDir, 'tspod', 'pause.pid'), 'utf8'));
    await until(() => (userPids(user).length === 1 ? true : undefined), 5_000).catch(() => undefined);
    assert.deepEqual(userPids(user), [pause]);
  });

  test('socket activation as the user: systemd-socket-activate -l PORT tspod run --network=none serves on the inherited socket', async () => {
    ok(['import', '--change', 'ENTRYPOINT ["/usr/local/bin/echo-server"]', path.join(work, 'echo.tar'), 'localhost/echo']);
    const port = 21000 + (process.pid % 20000);
    const child = spawn('runuser', ['-u', user.name, '--', ...userEnv(user), 'systemd-socket-activate', '-l', `127.0.0.1:${port}`, '-E', 'XDG_RUNTIME_DIR', ...TSPOD_ARGV, 'run', '--rm', '--network=none', 'localhost/echo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => /Listening on/.test(err), 10_000);
    const r = spawnSync('socat', ['-t', '5', '-T', '20', '-', `TCP:127.0.0.1:${port}`], { input: 'hello rootless\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, 'hello rootless\n', err);
    assert.doesNotMatch(err, /XDG_RUNTIME_DIR is not set/);
    child.kill('SIGTERM');
    await until(() => child.exitCode !== null || child.signalCode !== null, 20_000);
  });

  test('--listen as the user: listening without a process, the first connection starts the server on that socket, stop closes it', async () => {
    ok(['import', '--change', 'ENTRYPOINT ["/usr/local/bin/echo-server"]', path.join(work, 'echo.tar'), 'localhost/echo-l']);
    const port = 21500 + (process.pid % 20000);
    ok(['run', '-d', '--name', 'rl-listen', '--network=none', '--listen', `127.0.0.1:${port}`, 'localhost/echo-l']);
    try {
      assert.equal(ok(['inspect', '--format', '{{.State.Status}}', 'rl-listen']).trim(), 'listening');
      const r = spawnSync('socat', ['-t', '5', '-T', '20', '-', `TCP:127.0.0.1:${port}`], { input: 'hello scaled\n', encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.stdout, 'hello scaled\n', r.stderr);
      assert.equal(ok(['inspect', '--format', '{{.State.Status}}', 'rl-listen']).trim(), 'running');
      ok(['stop', '-t', '2', 'rl-listen']);
      const refused = spawnSync('socat', ['-T', '2', '-', `TCP:127.0.0.1:${port}`], { input: 'x\n', encoding: 'utf8', timeout: 10_000 });
      assert.notEqual(refused.status, 0);
    } finally {
      tspodAsUser(user, ['rm', '-f', '-t', '0', 'rl-listen'], { timeout: 30_000 });
    }
  });
});

describe('rootless tspod for a user without subordinate ids', () => {
  let plain: TestUser | undefined;
  after(() => {
    if (!plain) return;
    tspodAsUser(plain, ['rm', '-af', '-t', '0'], { timeout: 30_000 });
    removeTestUser(plain);
  });

  test('warns naming /etc/subuid and maps only the user: images owned by root still import and run', () => {
    plain = createTestUser('tsrn', false);
    const imp = tspodAsUser(plain, ['import', path.join(work, 'busybox.tar'), 'localhost/busybox']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stderr, /WARN: no subordinate ids for user "tsrn\d*" in \/etc\/subuid/);
    const r = tspodAsUser(plain, ['run', '--rm', '--network=none', 'localhost/busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    assert.equal(r.code, 0, r.stderr);
    const [id, ...map] = r.stdout.trim().split('\n');
    assert.equal(id, '0');
    assert.deepEqual(map.map((l) => l.trim().split(/\s+/).map(Number)), [[0, plain.uid, 1]]);
  });
});
