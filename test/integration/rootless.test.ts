// Rootless tspod (issue #13): a real user made for the test, with a
// subordinate id range, runs tspod with its own store, in a user namespace
// built from /etc/subuid and /etc/subgid, and runs containers with runc.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { FIXTURES, REPO, TSPOD_ARGV, TspodEnv, until } from '../helpers/tspod-env';
import { createTestUser, removeTestUser, tspodAsUser, userEnv, userPids, type TestUser } from '../helpers/test-user';

let user: TestUser;
let work: string;
/** /dev/net/tun's mode before the tests (0600 on some hosts: slirp4netns and pasta need 0666 for a user); restored after. */
let tunMode: number | undefined;
const rootEnv = new TspodEnv('rootless-peer');
const children: ChildProcess[] = [];

function ok(args: string[], u: TestUser = user): string {
  const r = tspodAsUser(u, args);
  if (r.code !== 0) throw new Error(`tspod ${args.join(' ')} as ${u.name} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

before(() => {
  tunMode = fs.statSync('/dev/net/tun').mode & 0o7777;
  if (tunMode !== 0o666) fs.chmodSync('/dev/net/tun', 0o666);
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
  try {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (user) {
      tspodAsUser(user, ['rm', '-af', '-t', '0'], { timeout: 30_000 });
      removeTestUser(user);
    }
    rootEnv.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  } finally {
    if (tunMode !== undefined) fs.chmodSync('/dev/net/tun', tunMode);
  }
});

/** GETs http://127.0.0.1:port/path with curl (bounded); '' when nothing answers. */
function httpGet(port: number, file: string): string {
  return spawnSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/${file}`], { encoding: 'utf8', timeout: 15_000 }).stdout ?? '';
}

/** The pid's state letter in /proc (Z: a zombie, as good as gone), or undefined when gone. */
function procState(pid: number): string | undefined {
  try {
    return /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** A free port in 41700-41799 (this branch's range): nothing listens on it now. */
function freePort(offset: number): number {
  const listening = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6'])
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3) listening.add(parseInt(cols[1].split(':')[1], 16));
    }
  for (let i = 0; i < 100; i++) {
    const port = 41700 + ((offset + i) % 100);
    if (!listening.has(port)) return port;
  }
  throw new Error('no free port in 41700-41799');
}

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
    // The default is slirp4netns, as in Podman 4.3; --network=private is loopback only; bridges are root's.
    assert.match(ok(['run', '--rm', 'localhost/busybox', 'ip', '-o', '-4', 'addr', 'show', 'tap0']), /inet 10\.0\.2\.100\/24 /);
    assert.equal(ok(['run', '--rm', '--network=private', 'localhost/busybox', 'ls', '/sys/class/net']).trim(), 'lo');
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

  test('dist/tspod joins the pause namespaces itself (no first Node process); socket activation through it; remote flags take the Node path', async () => {
    const wrapper = path.join(REPO, 'dist', 'tspod');
    const asUser = (args: string[]) => spawnSync('runuser', ['-u', user.name, '--', ...userEnv(user), wrapper, ...args], { encoding: 'utf8', timeout: 60_000, cwd: '/' });
    // The pause process exists (earlier tests): the wrapper marks the join it made.
    const joined = asUser(['unshare', 'sh', '-c', 'echo $_TSPOD_USERNS_CONFIGURED; id -u']);
    assert.equal(joined.status, 0, joined.stderr);
    assert.equal(joined.stdout, 'wrapper\n0\n');
    // A short flag cluster with c or r may be --connection or --remote: Node decides (and still joins).
    const viaNode = asUser(['run', '--rm', '--network=none', 'localhost/busybox', 'sh', '-c', 'cat /proc/self/uid_map | wc -l']);
    assert.equal(viaNode.status, 0, viaNode.stderr);
    assert.equal(viaNode.stdout.trim(), '2');
    const remote = asUser(['--url', `unix://${path.join(user.runtimeDir, 'no.sock')}`, 'ps']);
    assert.equal(remote.status, 125);
    assert.match(remote.stderr, /no\.sock/);
    // LISTEN_PID names the wrapper's pid, kept through nsenter and Node.
    const port = 21000 + ((process.pid + 7) % 20000);
    const child = spawn('runuser', ['-u', user.name, '--', ...userEnv(user), 'systemd-socket-activate', '-l', `127.0.0.1:${port}`, '-E', 'XDG_RUNTIME_DIR', wrapper, 'run', '--rm', '--network=none', 'localhost/echo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => /Listening on/.test(err), 10_000);
    const r = spawnSync('socat', ['-t', '5', '-T', '20', '-', `TCP:127.0.0.1:${port}`], { input: 'hello wrapper\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, 'hello wrapper\n', err);
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

describe('user-mode networks (slirp4netns, pasta) with published ports', () => {
  test('a user publishes a port with the default network (slirp4netns) and reaches it on 127.0.0.1; rm ends slirp4netns', async () => {
    const port = freePort(process.pid);
    ok(['run', '-d', '--name', 'rl-web', '-p', `${port}:80`, 'localhost/busybox', 'sh', '-c', 'echo hello-from-user > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    try {
      assert.equal(ok(['inspect', '--format', '{{.HostConfig.NetworkMode}}', 'rl-web']).trim(), 'slirp4netns');
      assert.equal(ok(['port', 'rl-web']).trim(), `80/tcp -> 0.0.0.0:${port}`);
      assert.equal(await until(() => httpGet(port, 'index.html') || undefined, 10_000), 'hello-from-user\n');
      // slirp4netns runs as the user, not as root
      const pidFile = fs.readdirSync(path.join(user.runtimeDir, 'tspod', 'containers')).map((d) => path.join(user.runtimeDir, 'tspod', 'containers', d, 'slirp4netns.pid')).find((f) => fs.existsSync(f));
      assert.ok(pidFile, 'slirp4netns.pid in the bundle');
      const slirp = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.equal(fs.readFileSync(`/proc/${slirp}/comm`, 'utf8').trim(), 'slirp4netns');
      assert.equal(fs.statSync(`/proc/${slirp}`).uid, user.uid);
      // /etc/hosts and resolv.conf as Podman writes them for slirp4netns
      const hosts = ok(['exec', 'rl-web', 'cat', '/etc/hosts']);
      assert.match(hosts, /\n10\.0\.2\.100\t\S+ rl-web\n/);
      assert.match(hosts, /\thost\.containers\.internal\n/);
      assert.match(ok(['exec', 'rl-web', 'cat', '/etc/resolv.conf']), /^nameserver 10\.0\.2\.3\n/);
      ok(['rm', '-f', '-t', '0', 'rl-web']);
      await until(() => [undefined, 'Z'].includes(procState(slirp)), 5_000).catch(() => undefined);
      assert.ok([undefined, 'Z'].includes(procState(slirp)), 'slirp4netns is gone after rm');
      assert.equal(httpGet(port, 'index.html'), '');
    } finally {
      tspodAsUser(user, ['rm', '-f', '-t', '0', 'rl-web'], { timeout: 30_000 });
    }
  });

  test('a user publishes a port through pasta; a port taken on the host is refused clearly', async () => {
    const port = freePort(process.pid + 7);
    ok(['run', '-d', '--name', 'rl-pasta', '--network', 'pasta', '-p', `127.0.0.1:${port}:8080`, 'localhost/busybox', 'sh', '-c', 'echo hello-pasta > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']);
    try {
      assert.equal(await until(() => httpGet(port, 'index.html') || undefined, 10_000), 'hello-pasta\n');
      assert.equal(ok(['port', 'rl-pasta']).trim(), `8080/tcp -> 127.0.0.1:${port}`);
      // The same host port again, through slirp4netns: the start fails with a clear error and leaves nothing running.
      const again = tspodAsUser(user, ['run', '--rm', '--name', 'rl-clash', '-p', `${port}:80`, 'localhost/busybox', 'true']);
      // Podman's wording and exit code for a host port in use (checked before anything starts)
      assert.equal(again.code, 126, again.stderr);
      assert.match(again.stderr, new RegExp(`cannot listen on the TCP port: listen tcp4 :${port}: bind: address already in use`));
    } finally {
      tspodAsUser(user, ['rm', '-f', '-t', '0', 'rl-pasta', 'rl-clash'], { timeout: 30_000 });
    }
    assert.equal(httpGet(port, 'index.html'), '');
    // containers.conf's default_rootless_network_cmd makes pasta the default
    const confDir = path.join(user.home, '.config', 'containers');
    fs.mkdirSync(confDir, { recursive: true });
    fs.writeFileSync(path.join(confDir, 'containers.conf'), '[network]\ndefault_rootless_network_cmd = "pasta"\n');
    spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, path.join(user.home, '.config')]);
    try {
      ok(['create', '--name', 'rl-defpasta', 'localhost/busybox', 'true']);
      assert.equal(ok(['inspect', '--format', '{{.HostConfig.NetworkMode}}', 'rl-defpasta']).trim(), 'pasta');
    } finally {
      fs.rmSync(path.join(confDir, 'containers.conf'), { force: true });
      tspodAsUser(user, ['rm', '-f', '-t', '0', 'rl-defpasta']);
    }
  });

  test('bad slirp4netns and pasta options are refused at create with exit 125', () => {
    for (const net of ['slirp4netns:cidr=10.0.2.0/26', 'slirp4netns:bogus=1', 'slirp4netns:port_handler=rootlesskit', 'pasta:--pcap,/tmp/x', 'pasta:-a,not-an-ip']) {
      const r = tspodAsUser(user, ['create', '--network', net, 'localhost/busybox', 'true']);
      assert.equal(r.code, 125, `${net}: ${r.stderr}`);
      assert.match(r.stderr, /Error: .*(slirp4netns|pasta)/);
    }
  });

  test('root runs --network slirp4netns:cidr=...: tap0 at .100, DNS at .3, published port on 127.0.0.1', async () => {
    rootEnv.importTestImages();
    const out = rootEnv.ok(['run', '--rm', '--network', 'slirp4netns:cidr=10.247.9.0/24', '--name', 'rs1', '--hostname', 'rs1', 'localhost/busybox', 'sh', '-c', 'ip -o -4 addr show tap0; cat /etc/resolv.conf /etc/hosts']);
    assert.match(out, /inet 10\.247\.9\.100\/24 /);
    assert.match(out, /^nameserver 10\.247\.9\.3$/m);
    assert.match(out, /^10\.247\.9\.100\trs1 rs1$/m);
    const port = freePort(process.pid + 13);
    rootEnv.ok(['run', '-d', '--name', 'rs-web', '--network', 'slirp4netns', '-p', `${port}:80`, 'localhost/busybox', 'sh', '-c', 'echo hello-root > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    try {
      assert.equal(await until(() => httpGet(port, 'index.html') || undefined, 10_000), 'hello-root\n');
      rootEnv.ok(['stop', '-t', '0', 'rs-web']);
      assert.equal(httpGet(port, 'index.html'), '');
      // a restart gets a new slirp4netns with the same port
      rootEnv.ok(['start', 'rs-web']);
      assert.equal(await until(() => httpGet(port, 'index.html') || undefined, 10_000), 'hello-root\n');
    } finally {
      rootEnv.run(['rm', '-f', '-t', '0', 'rs-web']);
    }
  });
});

describe('user namespaces of a container: --userns=keep-id, --uidmap/--gidmap', () => {
  test('files a container writes in a bind-mounted directory: uid 1000 -> subordinate start + 999; with keep-id, the user', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-rl-bind-'));
    try {
      fs.chownSync(dir, user.uid, user.gid);
      fs.chmodSync(dir, 0o777);
      ok(['run', '--rm', '--network=none', '--user', '1000:1000', '-v', `${dir}:/w`, 'localhost/busybox', 'touch', '/w/by-1000']);
      assert.equal(fs.statSync(path.join(dir, 'by-1000')).uid, user.subuid!.start + 999);
      const out = ok(['run', '--rm', '--userns=keep-id', '--network=none', '-v', `${dir}:/w`, 'localhost/busybox', 'sh', '-c', 'id -u; id -g; stat -c %u /bin; touch /w/kept; cat /proc/self/uid_map']);
      const [uid, gid, binOwner, ...map] = out.trim().split('\n');
      assert.equal(Number(uid), user.uid);
      assert.equal(Number(gid), user.gid);
      assert.equal(binOwner, '0', "the image's root files stay root's inside");
      assert.deepEqual(map.map((l) => l.trim().split(/\s+/).map(Number)), [
        [0, 1, user.uid],
        [user.uid, 0, 1],
        [user.uid + 1, user.uid + 1, 65536 - user.uid],
      ]);
      assert.equal(fs.statSync(path.join(dir, 'kept')).uid, user.uid);
      // The user has a name and a home inside (a passwd line in the container's copy); --user still wins.
      assert.equal(ok(['run', '--rm', '--userns=keep-id', '--network=none', 'localhost/busybox', 'sh', '-c', 'echo $(id -un) $HOME']).trim(), `${user.name} ${user.home}`);
      assert.equal(ok(['run', '--rm', '--userns=keep-id', '--user=0', '--network=none', 'localhost/busybox', 'id', '-un']).trim(), 'root');
      // keep-id:uid=,gid=: other ids inside, still the user outside
      assert.equal(ok(['run', '--rm', '--userns=keep-id:uid=200,gid=210', '--network=none', '-v', `${dir}:/w`, 'localhost/busybox', 'sh', '-c', 'echo $(id -u):$(id -g); touch /w/k200']).trim(), '200:210');
      assert.equal(fs.statSync(path.join(dir, 'k200')).uid, user.uid);
      assert.equal(fs.statSync(path.join(dir, 'k200')).gid, user.gid);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('keep-id with a published port on slirp4netns', async () => {
    const port = freePort(process.pid + 29);
    ok(['run', '-d', '--name', 'rl-keep', '--userns=keep-id', '-p', `127.0.0.1:${port}:8080`, 'localhost/busybox', 'sh', '-c', 'echo kept > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']);
    try {
      assert.equal(await until(() => httpGet(port, 'index.html') || undefined, 10_000), 'kept\n');
    } finally {
      tspodAsUser(user, ['rm', '-f', '-t', '0', 'rl-keep'], { timeout: 30_000 });
    }
  });

  test("a user's --uidmap must include the user and stay within the subordinate range; bad values exit 125", () => {
    const mapped = ok(['run', '--rm', '--network=none', '--uidmap', '0:1:500', '--uidmap', '500:0:1', 'localhost/busybox', 'cat', '/proc/self/uid_map']);
    assert.deepEqual(mapped.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number)), [
      [0, 1, 500],
      [500, 0, 1],
    ]);
    for (const args of [['--uidmap', '0:1:1000'], ['--uidmap', '0:0:70000'], ['--uidmap', '0:0:1', '--uidmap', '0:5:1'], ['--uidmap', 'x'], ['--userns', 'bogus'], ['--userns', 'keep-id', '--uidmap', '0:0:1']]) {
      const r = tspodAsUser(user, ['run', '--rm', '--network=none', ...args, 'localhost/busybox', 'true']);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^Error: .*(uidmap|userns)/m);
    }
  });

  test("--userns=auto as the user: disjoint ranges of the user's own subordinate ids (1.. in its namespace), on a copy owned by them; the run-time directory stays 0700", () => {
    ok(['run', '-d', '--name', 'rl-auto1', '--userns=auto', '--network=none', 'localhost/busybox', 'sleep', '100']);
    try {
      ok(['create', '--name', 'rl-auto2', '--userns=auto:size=2000', '--network=none', 'localhost/busybox', 'true']);
      const maps = ['rl-auto1', 'rl-auto2'].map((n) => JSON.parse(ok(['inspect', '--format', '{{json .HostConfig.IDMappings}}', n])) as { UidMap: string[]; GidMap: string[] });
      const [a, b] = maps.map((m) => m.UidMap.map((s) => s.split(':').map(Number)));
      assert.equal(a.length, 1);
      assert.equal(b.length, 1);
      assert.equal(a[0][2], 1024);
      assert.equal(b[0][2], 2000);
      for (const [, host, size] of [a[0], b[0]]) assert.ok(host >= 1 && host + size <= 65537, `${host}+${size} within the user's subordinate ids`);
      assert.ok(a[0][1] + a[0][2] <= b[0][1] || b[0][1] + b[0][2] <= a[0][1], 'disjoint');
      const host = a[0][1];
      const inside = ok(['exec', 'rl-auto1', 'sh', '-c', 'cat /proc/self/uid_map; stat -c %u /bin/busybox; id -u']).trim().split('\n');
      assert.deepEqual(inside[0].trim().split(/\s+/).map(Number), [0, host, 1024]);
      assert.deepEqual(inside.slice(1), ['0', '0']);
      // On the host: tspod's id N is subordinate start + N - 1.
      const pid = Number(ok(['inspect', '--format', '{{.State.Pid}}', 'rl-auto1']).trim());
      assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${user.subuid!.start + host - 1}\\s`, 'm'));
      assert.equal(fs.statSync(user.runtimeDir).mode & 0o777, 0o700);
      const r = tspodAsUser(user, ['create', '--userns=auto:size=70000', 'localhost/busybox', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /could not find enough available IDs/);
    } finally {
      tspodAsUser(user, ['rm', '-f', '-t', '0', 'rl-auto1', 'rl-auto2'], { timeout: 30_000 });
    }
  });

  test('root: --uidmap/--gidmap run the container as the mapped ids, on its own copy, also through the API; keep-id is refused', async () => {
    // The env's directory (mkdtemp: 0700) is above the run root: the container's root could not reach its bundle.
    fs.chmodSync(rootEnv.dir, 0o700);
    const blocked = rootEnv.run(['run', '--rm', '--network=none', '--uidmap', '0:1111111:65536', 'localhost/busybox', 'true']);
    assert.equal(blocked.code, 125, blocked.stderr);
    assert.match(blocked.stderr, new RegExp(`${rootEnv.dir} is not \\(mode 700\\)`));
    fs.chmodSync(rootEnv.dir, 0o711);
    rootEnv.ok(['run', '-d', '--name', 'r-mapped', '--network=none', '--uidmap', '0:1111111:65536', '--gidmap', '0:1111111:65536', 'localhost/busybox', 'sh', '-c', 'touch /etc/written && sleep 100']);
    try {
      const pid = Number(rootEnv.ok(['inspect', '--format', '{{.State.Pid}}', 'r-mapped']).trim());
      assert.equal(fs.statSync(`/proc/${pid}`).uid, 1111111);
      assert.equal(rootEnv.ok(['exec', 'r-mapped', 'stat', '-c', '%u:%g', '/bin']).trim(), '0:0');
      assert.equal(rootEnv.ok(['exec', 'r-mapped', 'cat', '/proc/self/gid_map']).trim().split(/\s+/).join(' '), '0 1111111 65536');
      assert.equal(rootEnv.ok(['inspect', '--format', '{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}', 'r-mapped']).trim(), 'private {"UidMap":["0:1111111:65536"],"GidMap":["0:1111111:65536"]}');
    } finally {
      rootEnv.run(['rm', '-f', '-t', '0', 'r-mapped']);
    }
    // Through the libpod API (the remote client sends SpecGenerator's idmappings)
    const sock = path.join(rootEnv.dir, 'api.sock');
    const service = rootEnv.spawn(['system', 'service', '--time', '0', `unix://${sock}`], { stdio: 'ignore' });
    children.push(service);
    try {
      await until(() => fs.existsSync(sock), 10_000);
      const remote = rootEnv.ok(['--url', `unix://${sock}`, 'run', '--rm', '--network=none', '--uidmap', '0:2222222:1000', 'localhost/busybox', 'cat', '/proc/self/uid_map']);
      assert.equal(remote.trim().split(/\s+/).join(' '), '0 2222222 1000');
    } finally {
      service.kill('SIGTERM');
    }
    const keep = rootEnv.run(['run', '--rm', '--userns=keep-id', 'localhost/busybox', 'true']);
    assert.equal(keep.code, 125);
    assert.equal(keep.stderr.trim(), 'Error: keep-id is only supported in rootless mode');
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
