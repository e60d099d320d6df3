// --userns=auto (issue #13), as root: each container gets its own range of
// host ids, taken from root-auto-userns-user's ranges in /etc/subuid and
// /etc/subgid (a user made for the test, named in a private storage.conf),
// disjoint from every other container's even when created at once; its root
// filesystem copy is owned by the mapped ids; the errors are Podman's.
// The rootless side is in rootless.test.ts.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';
import { createTestUser, removeTestUser, type TestUser } from '../helpers/test-user';

const env = new TspodEnv('userns-auto');
let owner: TestUser;
let conf: string;
let confEnv: NodeJS.ProcessEnv;

interface Mapping {
  containerID: number;
  hostID: number;
  size: number;
}

function mappings(name: string): { uid: Mapping[]; gid: Mapping[]; mode: string } {
  const out = env.ok(['inspect', '--format', '{{.HostConfig.UsernsMode}}|{{json .HostConfig.IDMappings}}', name], { env: confEnv }).trim();
  const [mode, json] = out.split('|');
  const m = JSON.parse(json) as { UidMap: string[]; GidMap: string[] };
  const parse = (l: string[]) =>
    l.map((s) => {
      const [containerID, hostID, size] = s.split(':').map(Number);
      return { containerID, hostID, size };
    });
  return { uid: parse(m.UidMap), gid: parse(m.GidMap), mode };
}

function writeConf(extra = ''): void {
  fs.writeFileSync(conf, `[storage]\ndriver = "overlay"\n\n[storage.options]\nroot-auto-userns-user = "${owner.name}"\n${extra}`);
}

before(() => {
  owner = createTestUser('tsrlauto');
  // The env's directory is above the run root: a container's root must be able to pass it.
  fs.chmodSync(env.dir, 0o711);
  conf = path.join(env.dir, 'storage.conf');
  writeConf();
  confEnv = cleanEnv({ CONTAINERS_STORAGE_CONF: conf });
  env.importTestImages();
});

after(() => {
  env.cleanup();
  if (owner) removeTestUser(owner);
});

describe('--userns=auto as root', () => {
  test('containers created at once get disjoint ranges of the owner user, 1024 ids each for busybox', async () => {
    const names = ['auto-a', 'auto-b', 'auto-c', 'auto-d'];
    const codes = await Promise.all(
      names.map(
        (n) =>
          new Promise<number>((resolve) => {
            const p = env.spawn(['create', '--name', n, '--userns=auto', '--network=none', 'localhost/busybox', 'true'], { env: confEnv, stdio: 'ignore' });
            p.on('exit', (code) => resolve(code ?? -1));
          }),
      ),
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const start = owner.subuid!.start;
    const ranges = names.map((n) => mappings(n));
    for (const r of ranges) {
      assert.equal(r.mode, '', "Podman 4.3's UsernsMode for an auto container only created");
      assert.deepEqual(r.uid.length, 1);
      assert.deepEqual(r.uid, r.gid);
      assert.equal(r.uid[0].containerID, 0);
      assert.equal(r.uid[0].size, 1024);
      assert.ok(r.uid[0].hostID >= start && r.uid[0].hostID + 1024 <= start + 65536, `${r.uid[0].hostID} in the owner's range`);
    }
    const starts = ranges.map((r) => r.uid[0].hostID).sort((a, b) => a - b);
    assert.deepEqual(starts, [start, start + 1024, start + 2048, start + 3072], 'first free ids, no overlap');
    env.ok(['rm', ...names], { env: confEnv });
  });

  test('the container sees its map; the files of its root filesystem are owned by the mapped ids', () => {
    env.ok(['run', '-d', '--name', 'auto-run', '--userns=auto', '--network=none', 'localhost/busybox', 'sleep', '100'], { env: confEnv });
    try {
      const started = mappings('auto-run');
      assert.equal(started.mode, 'private', 'Podman 4.3: private once started');
      const host = started.uid[0].hostID;
      const inside = env.ok(['exec', 'auto-run', 'sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /bin/busybox; id -u; touch /new; stat -c %u /new'], { env: confEnv });
      const lines = inside.trim().split('\n');
      assert.deepEqual(lines[0].trim().split(/\s+/).map(Number), [0, host, 1024]);
      assert.deepEqual(lines[1].trim().split(/\s+/).map(Number), [0, host, 1024]);
      assert.deepEqual(lines.slice(2), ['0:0', '0', '0']);
      // On the host: the copy is owned by the container's root, and so is the process.
      const mount = env.ok(['inspect', '--format', '{{.GraphDriver.Data.MergedDir}}', 'auto-run'], { env: confEnv }).trim();
      const st = fs.statSync(path.join(mount, 'bin', 'busybox'));
      assert.equal(st.uid, host);
      assert.equal(st.gid, host);
      assert.equal(fs.statSync(path.join(mount, 'new')).uid, host);
      const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'auto-run'], { env: confEnv }).trim());
      assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${host}\\s`, 'm'));
    } finally {
      env.run(['rm', '-f', '-t', '0', 'auto-run'], { env: confEnv });
    }
  });

  test("size: asked for, else the image's highest owner or account id + 1; extra mappings; the range is free again after rm", () => {
    // An image with a file of uid 3000 and an /etc/passwd naming uid 2000 (nobody does not count).
    const src = path.join(env.dir, 'owners');
    fs.mkdirSync(path.join(src, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(src, 'data'), 'x');
    fs.writeFileSync(path.join(src, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nsvc:x:2000:2000::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
    const tarFile = path.join(env.dir, 'owners.tar');
    const owned = spawnSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', tarFile, 'etc'], { encoding: 'utf8' });
    assert.equal(owned.status, 0, owned.stderr);
    const added = spawnSync('tar', ['-C', src, '--owner=3000', '--group=3100', '--numeric-owner', '-rf', tarFile, 'data'], { encoding: 'utf8' });
    assert.equal(added.status, 0, added.stderr);
    env.ok(['import', tarFile, 'localhost/owners']);
    env.ok(['create', '--name', 'auto-big', '--userns=auto', 'localhost/owners', '/x'], { env: confEnv });
    assert.deepEqual(mappings('auto-big').uid, [{ containerID: 0, hostID: owner.subuid!.start, size: 3101 }]);
    // passwd alone: an image without the file of 3000
    fs.rmSync(path.join(src, 'data'));
    const only = spawnSync('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', path.join(env.dir, 'passwd.tar'), 'etc'], { encoding: 'utf8' });
    assert.equal(only.status, 0, only.stderr);
    env.ok(['import', path.join(env.dir, 'passwd.tar'), 'localhost/passwd']);
    env.ok(['create', '--name', 'auto-pw', '--userns=auto', 'localhost/passwd', '/x'], { env: confEnv });
    assert.equal(mappings('auto-pw').uid[0].size, 2001);
    assert.equal(mappings('auto-pw').uid[0].hostID, owner.subuid!.start + 3101);

    // size=N, and uidmapping= keeps container id 0 on host id 5 (out of the automatic range)
    env.ok(['create', '--name', 'auto-sized', '--userns=auto:size=500,uidmapping=0:5:1', 'localhost/busybox', 'true'], { env: confEnv });
    const sized = mappings('auto-sized');
    const next = owner.subuid!.start + 3101 + 2001;
    assert.deepEqual(sized.uid, [
      { containerID: 0, hostID: 5, size: 1 },
      { containerID: 1, hostID: next, size: 499 },
    ]);
    assert.deepEqual(sized.gid, [{ containerID: 0, hostID: next, size: 500 }]);

    // rm frees the range: the next container takes the first free ids again
    env.ok(['rm', 'auto-big'], { env: confEnv });
    env.ok(['create', '--name', 'auto-again', '--userns=auto:size=100', 'localhost/busybox', 'true'], { env: confEnv });
    assert.equal(mappings('auto-again').uid[0].hostID, owner.subuid!.start);
    env.ok(['rm', 'auto-pw', 'auto-sized', 'auto-again'], { env: confEnv });
  });

  test('errors exit 125 and leave no container: no room, no owner entry, over the maximum size, bad options', () => {
    const cases: Array<[string[], RegExp, string?]> = [
      [['--userns=auto:size=70000'], /^Error: creating container storage: could not find enough available IDs$/m],
      [['--userns=auto:foo=1'], /^Error: unknown option specified: "foo"$/m],
      [['--userns=auto:size=x'], /^Error: strconv.ParseUint: parsing "x": invalid syntax$/m],
      [['--userns=auto:size'], /^Error: invalid option specified: "size"$/m],
      [['--userns=auto:uidmapping=0:5'], /uidmapping/],
      [['--userns=auto', '--uidmap', '0:1:1'], /cannot be used together/],
      [['--userns=auto'], /could not find enough available IDs: no subordinate ids for user "tsrlnobody" in \/etc\/subuid/, '[storage.options]\nroot-auto-userns-user = "tsrlnobody"\n'],
      [['--userns=auto'], /bigger than the maximum value allowed with userns=auto 1000/, `[storage.options]\nroot-auto-userns-user = "${owner.name}"\nauto-userns-max-size = 1000\nauto-userns-min-size = 1010\n`],
    ];
    const other = path.join(env.dir, 'other-storage.conf');
    for (const [args, message, confText] of cases) {
      if (confText) fs.writeFileSync(other, confText);
      const r = env.run(['create', '--name', 'auto-bad', ...args, 'localhost/busybox', 'true'], { env: cleanEnv({ CONTAINERS_STORAGE_CONF: confText ? other : conf }) });
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(env.run(['container', 'exists', 'auto-bad']).code, 1, 'nothing was created');
    }
    // The default owner is "containers": without its entry, the error names it.
    const none = env.run(['create', '--userns=auto', 'localhost/busybox', 'true'], { env: cleanEnv({ CONTAINERS_STORAGE_CONF: path.join(env.dir, 'absent.conf') }) });
    if (!/^containers:/m.test(fs.readFileSync('/etc/subuid', 'utf8'))) {
      assert.equal(none.code, 125);
      assert.match(none.stderr, /no subordinate ids for user "containers" in \/etc\/subuid/);
    } else env.run(['rm', '-af', '-t', '0']);
  });

  test('containers.conf [containers] userns="auto" is the default (170-run-userns "userns=auto in config file"); --userns=host still wins', () => {
    const cc = path.join(env.dir, 'userns-auto.conf');
    fs.writeFileSync(cc, '[containers]\nuserns="auto"\n');
    const withConf = { ...confEnv, CONTAINERS_CONF: cc };
    const id = env.ok(['run', '-d', '--network=none', 'localhost/busybox', 'sleep', '100'], { env: withConf }).trim();
    try {
      assert.equal(env.ok(['inspect', '--format', '{{.HostConfig.UsernsMode}}', id], { env: withConf }).trim(), 'private');
    } finally {
      env.run(['rm', '-f', '-t', '0', id], { env: withConf });
    }
    // The host's root (id 0) is not mapped into the container.
    env.ok(['run', '--rm', '--network=none', 'localhost/busybox', 'awk', '{if($2 == "0"){exit 1}}', '/proc/self/uid_map', '/proc/self/gid_map'], { env: withConf });
    const host = env.ok(['run', '--rm', '--userns=host', '--network=none', 'localhost/busybox', 'cat', '/proc/self/uid_map'], { env: withConf });
    assert.deepEqual(host.trim().split(/\s+/).map(Number), [0, 0, 4294967295]);
  });

  test('the libpod API and the remote client carry auto with its options', async () => {
    const sock = path.join(env.dir, 'api.sock');
    const server = env.spawn(['system', 'service', '--time', '0', `unix://${sock}`], { env: confEnv, stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
      const created = spawnSync('curl', ['-s', '--unix-socket', sock, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ image: 'localhost/busybox', name: 'auto-api', userns: { nsmode: 'auto', value: 'size=300' } }), 'http://d/v4.0.0/libpod/containers/create'], { encoding: 'utf8', timeout: 30_000 });
      assert.match(created.stdout, /"Id"/, created.stdout);
      assert.deepEqual(mappings('auto-api').uid, [{ containerID: 0, hostID: owner.subuid!.start, size: 300 }]);
      const remote = env.run(['--url', `unix://${sock}`, 'create', '--name', 'auto-remote', '--userns=auto:size=200', 'localhost/busybox', 'true'], { env: confEnv });
      assert.equal(remote.code, 0, remote.stderr);
      assert.deepEqual(mappings('auto-remote').uid, [{ containerID: 0, hostID: owner.subuid!.start + 300, size: 200 }]);
    } finally {
      server.kill('SIGTERM');
      env.run(['rm', '-f', '-t', '0', 'auto-api', 'auto-remote']);
    }
  });
});
