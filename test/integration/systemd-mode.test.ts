// `--systemd=true|false|always` on real containers (busybox, no systemd inside):
// what the container sees in systemd mode (tmpfs mounts, environment, a
// writable cgroup tree in its own cgroup namespace), the stop signal create
// picks, and that `tspod stop` delivers it. Booting a real systemd is
// test/e2e-systemd's job.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('systemd-mode');
before(() => env.importTestImages());
after(() => env.cleanup());

/** mount point → "fstype options" from /proc/self/mountinfo inside a container */
function mountsIn(mountinfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0) out.set(f[4], `${f[sep + 1]} ${f[5]}`);
  }
  return out;
}

const PROBE = 'cat /proc/self/mountinfo; echo ---; env; echo ---; cat /proc/self/cgroup';

function probe(flags: string[]): { mounts: Map<string, string>; env: string[]; cgroup: string[] } {
  const [mi, e, cg] = env.ok(['run', '--rm', '--network=none', ...flags, 'localhost/busybox', 'sh', '-c', PROBE]).split('---\n');
  return { mounts: mountsIn(mi), env: e.trim().split('\n'), cgroup: cg.trim().split('\n') };
}

test('--systemd=always: tmpfs on /run, /run/lock, /tmp, /var/log/journal; container env; own cgroup namespace', () => {
  const p = probe(['--systemd=always']);
  for (const d of ['/run', '/run/lock', '/tmp', '/var/log/journal']) {
    const m = p.mounts.get(d);
    assert.ok(m?.startsWith('tmpfs '), `${d}: ${m}`);
    assert.match(m ?? '', /\brw\b/);
    assert.match(m ?? '', /\bnosuid\b/);
    assert.match(m ?? '', /\bnodev\b/);
  }
  assert.ok(p.env.includes('container=tspod'), p.env.join('\n'));
  assert.ok(p.env.some((e) => /^container_uuid=[0-9a-f]{32}$/.test(e)), p.env.join('\n'));
  // In a cgroup namespace every hierarchy shows the container's cgroup as "/".
  for (const line of p.cgroup) assert.match(line, /:\/$/, line);
  // ... and the cgroup tree is writable (systemd creates its slices there).
  const cg = [...p.mounts].filter(([mp]) => mp.startsWith('/sys/fs/cgroup/'));
  assert.ok(cg.length > 0);
  for (const [mp, m] of cg) assert.match(m, /^cgroup2? rw\b/, `${mp}: ${m}`);
});

test('--systemd=false (and true with a non-init command): none of that', () => {
  for (const flags of [['--systemd=false'], []]) {
    const p = probe(flags);
    assert.ok(!p.mounts.has('/run') && !p.mounts.has('/var/log/journal'), [...p.mounts.keys()].join(' '));
    assert.ok(p.env.includes('container=tspod'));
    assert.ok(!p.env.some((e) => e.startsWith('container_uuid=')));
    assert.ok(p.cgroup.some((l) => !/:\/$/.test(l)), 'no cgroup namespace: the host path shows');
    for (const [mp, m] of [...p.mounts].filter(([mp2]) => mp2.startsWith('/sys/fs/cgroup/'))) assert.match(m, /^cgroup2? ro\b/, `${mp}: ${m}`);
  }
});

test('a user mount on /tmp wins over the systemd tmpfs', () => {
  const p = probe(['--systemd=always', '--tmpfs', '/tmp:size=1m']);
  assert.match(p.mounts.get('/tmp') ?? '', /^tmpfs /);
  const sizes = env.ok(['run', '--rm', '--network=none', '--systemd=always', '--tmpfs', '/tmp:size=1m', 'localhost/busybox', 'df', '-k', '/tmp']);
  assert.match(sizes, /\s1024\s/);
});

test('the stop signal: SIGRTMIN+3 in systemd mode, unless chosen', () => {
  const sig = (args: string[]) => {
    const id = env.ok(['create', ...args]).trim();
    const s = env.ok(['inspect', '--format', '{{.Config.StopSignal}}', id]).trim();
    env.ok(['rm', id]);
    return s;
  };
  assert.equal(sig(['--systemd=always', 'localhost/busybox']), '37');
  assert.equal(sig(['localhost/busybox', '/sbin/init']), '37');
  assert.equal(sig(['--systemd=false', 'localhost/busybox', '/sbin/init']), '15');
  assert.equal(sig(['localhost/busybox', 'sh']), '15');
  assert.equal(sig(['--systemd=always', '--stop-signal', 'TERM', 'localhost/busybox']), '15');
  const bad = env.run(['create', '--systemd=sometimes', 'localhost/busybox']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid systemd value "sometimes"/);
});

test('tspod stop sends SIGRTMIN+3 to a systemd-mode container', () => {
  // busybox sh stands in for systemd: it exits 7 on signal 37 and ignores SIGTERM.
  const id = env
    .ok(['run', '-d', '--network=none', '--systemd=always', 'localhost/busybox', 'sh', '-c', 'trap "exit 7" 37; trap "" TERM; while :; do sleep 0.1; done'])
    .trim();
  const t0 = Date.now();
  env.ok(['stop', '-t', '20', id]);
  assert.ok(Date.now() - t0 < 10_000, 'stopped by the signal, not by the SIGKILL after the timeout');
  assert.equal(env.ok(['inspect', '--format', '{{.State.ExitCode}}', id]).trim(), '7');
  env.ok(['rm', id]);
});

test('removing a container removes its --cidfile, as Podman does (the next `run --cidfile` of a unit starts)', async () => {
  const cid = path.join(env.dir, 'unit.cid');
  env.ok(['create', '--cidfile', cid, '--name', 'cid-holder', 'localhost/busybox', 'true']);
  assert.ok(fs.existsSync(cid));
  env.ok(['rm', '-f', '-t', '0', '-i', '--cidfile', cid]);
  assert.equal(fs.existsSync(cid), false);
  // --rm: the container's cleanup removes it.
  env.ok(['run', '--rm', '--cidfile', cid, '--network=none', 'localhost/busybox', 'true']);
  await until(() => !fs.existsSync(cid), 10_000);
  // A cidfile rewritten for another container is left alone.
  const id = env.ok(['create', '--cidfile', cid, 'localhost/busybox', 'true']).trim();
  fs.writeFileSync(cid, 'someone-else');
  env.ok(['rm', id]);
  assert.equal(fs.readFileSync(cid, 'utf8'), 'someone-else');
});
