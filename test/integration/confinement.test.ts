// Confinement and limits with real runc containers: the seccomp filter (the
// container's own /proc/self/status, a syscall the default profile blocks),
// --security-opt, --privileged, /run/.containerenv, --read-only, and cgroup
// limits (pids, memory with the OOM killer, CPU quota measured with pidusage).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import pidusage from 'pidusage';
import { TspodEnv, cleanEnv, sleep } from '../helpers/tspod-env';

const env = new TspodEnv('confinement');
let probeDir = '';

// vmsplice(2) works for any process, and containers-common's default profile
// denies it with EPERM: a clean sign that the filter, not a capability, says no.
const PROBE_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
int main(void) {
  int p[2];
  char buf[8] = "tspod";
  struct iovec iov = { buf, 5 };
  if (pipe(p) != 0) { perror("pipe"); return 2; }
  if (vmsplice(p[1], &iov, 1, 0) < 0) { printf("vmsplice: errno %d\\n", errno); return 1; }
  printf("vmsplice: ok\\n");
  return 0;
}
`;

before(() => {
  env.importTestImages();
  probeDir = path.join(env.dir, 'probe');
  fs.mkdirSync(probeDir);
  fs.writeFileSync(path.join(probeDir, 'probe.c'), PROBE_C);
  const cc = spawnSync('gcc', ['-static', '-O2', '-o', path.join(probeDir, 'probe'), path.join(probeDir, 'probe.c')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
});
after(() => env.cleanup());

const status = (out: string, key: string) => new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(out)?.[1];

describe('seccomp', () => {
  test('a container runs under the default filter with the default capabilities', () => {
    const out = env.ok(['run', '--rm', 'busybox', 'cat', '/proc/self/status']);
    assert.equal(status(out, 'Seccomp'), '2');
    assert.equal(status(out, 'NoNewPrivs'), '0');
    assert.equal(status(out, 'CapEff'), '00000000800405fb'); // Podman's 11 default capabilities
  });

  test('the default profile blocks vmsplice; seccomp=unconfined allows it', () => {
    const blocked = env.run(['run', '--rm', '-v', `${probeDir}:/probe:ro`, 'busybox', '/probe/probe']);
    assert.equal(blocked.stdout, 'vmsplice: errno 1\n', blocked.stderr);
    assert.equal(blocked.code, 1);
    const free = env.run(['run', '--rm', '--security-opt', 'seccomp=unconfined', '-v', `${probeDir}:/probe:ro`, 'busybox', 'sh', '-c', 'grep Seccomp: /proc/self/status; /probe/probe']);
    assert.equal(free.stdout, 'Seccomp:\t0\nvmsplice: ok\n', free.stderr);
  });

  test('seccomp=PATH applies that profile; a broken one stops create with 125 and leaves nothing', () => {
    const profile = path.join(env.dir, 'no-mkdir.json');
    fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const r = env.run(['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'mkdir', '/tmp/x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Operation not permitted/);
    const broken = path.join(env.dir, 'broken.json');
    fs.writeFileSync(broken, '{"defaultAction": "SCMP_ACT_ALLOW", ');
    const bad = env.run(['run', '--name', 'badprofile', '--security-opt', `seccomp=${broken}`, 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /^Error: loading seccomp profile \(.*broken\.json\) failed: decoding seccomp profile failed/);
    fs.writeFileSync(broken, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdri'], action: 'SCMP_ACT_ERRNO' }] }));
    const typo = env.run(['create', '--name', 'badprofile', '--security-opt', `seccomp=${broken}`, 'busybox', 'true']);
    assert.equal(typo.code, 125);
    assert.match(typo.stderr, /unknown syscall "mkdri"/);
    assert.equal(env.run(['container', 'exists', 'badprofile']).code, 1);
  });

  test('containers.conf seccomp_profile and pids_limit', () => {
    const conf = path.join(env.dir, 'containers.conf');
    fs.writeFileSync(conf, '[containers]\nseccomp_profile = "unconfined"\npids_limit = 77\n');
    const out = env.ok(['run', '--rm', 'busybox', 'sh', '-c', 'grep Seccomp: /proc/self/status; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'], {
      env: cleanEnv({ CONTAINERS_CONF: conf }),
    });
    assert.equal(out, 'Seccomp:\t0\n77\n');
  });
});

describe('security options', () => {
  test('no-new-privileges, mask, unmask, proc-opts', () => {
    const out = env.ok([
      'run', '--rm', '--security-opt', 'no-new-privileges', '--security-opt', 'mask=/proc/version', '--security-opt', 'unmask=/proc/sys',
      '--security-opt', 'proc-opts=hidepid=2', '--security-opt', 'label=disable', 'busybox', 'sh', '-c',
      'grep NoNewPrivs: /proc/self/status; wc -c < /proc/version; grep -c " /proc/sys " /proc/self/mountinfo; grep " /proc " /proc/self/mountinfo | grep -o hidepid=[a-z0-9]*',
    ]);
    assert.equal(out, 'NoNewPrivs:\t1\n0\n0\nhidepid=invisible\n');
  });

  test('security options are recorded and shown by inspect', () => {
    env.ok(['create', '--name', 'caps', '--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN', 'busybox', 'true']);
    const caps = JSON.parse(env.ok(['inspect', 'caps', '--format', '{{json .EffectiveCaps}}'])) as string[];
    assert.ok(caps.includes('CAP_NET_ADMIN') && !caps.includes('CAP_CHOWN') && caps.includes('CAP_KILL'), caps.join(','));
    env.ok(['create', '--name', 'secopts', '--security-opt', 'label=disable', '--security-opt', 'seccomp=unconfined', 'busybox', 'true']);
    assert.equal(env.ok(['inspect', 'secopts', '--format', '{{json .HostConfig.SecurityOpt}}']).trim(), '["label=disable","seccomp=unconfined"]');
    const bad = env.run(['create', '--security-opt', 'nonsense', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid --security-opt 1: "nonsense"/);
  });

  test('--privileged lifts the filter and masks; /run/.containerenv tells a privileged container who it is', () => {
    const out = env.ok(['run', '--rm', '--privileged', '--name', 'priv', 'busybox', 'sh', '-c', 'grep Seccomp: /proc/self/status; cat /run/.containerenv']);
    assert.match(out, /^Seccomp:\t0\nengine="tspod-[^"]+"\nname="priv"\nid="[0-9a-f]{64}"\nimage="localhost\/busybox:latest"\nimageid="[0-9a-f]{64}"\nrootless=0\n$/);
    // As Podman: the file exists in every container, empty unless privileged.
    assert.equal(env.ok(['run', '--rm', 'busybox', 'sh', '-c', 'test -f /run/.containerenv && wc -c < /run/.containerenv']), '0\n');
    // A container sharing another's network namespace (and /etc/hosts) keeps its own file.
    env.ok(['run', '-d', '--privileged', '--name', 'envowner', 'busybox', 'sleep', '600']);
    assert.match(env.ok(['run', '--rm', '--privileged', '--name', 'envpeer', '--network', 'container:envowner', 'busybox', 'grep', '^name=', '/run/.containerenv']), /^name="envpeer"$/m);
    assert.match(env.ok(['exec', 'envowner', 'grep', '^name=', '/run/.containerenv']), /^name="envowner"$/m);
    env.ok(['rm', '-f', '-t', '0', 'envowner']);
  });
});

describe('--read-only', () => {
  test('/tmp, /var/tmp and /run stay writable; the rest is read-only', () => {
    const r = env.run(['run', '--rm', '--read-only', 'busybox', 'sh', '-c', 'touch /tmp/a /var/tmp/b /run/c && echo writable; touch /etc/x']);
    assert.equal(r.stdout, 'writable\n');
    assert.match(r.stderr, /\/etc\/x: Read-only file system/);
    assert.equal(r.code, 1);
    const none = env.run(['run', '--rm', '--read-only', '--read-only-tmpfs=false', 'busybox', 'touch', '/tmp/a']);
    assert.match(none.stderr, /Read-only file system/);
  });

  test('--tmpfs options reach the mount and are checked', () => {
    const out = env.ok(['run', '--rm', '--tmpfs', '/scratch:size=1m,mode=1770', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch']);
    assert.match(out, /size=1024k/);
    assert.match(out, /\n1770\n$/);
    const bad = env.run(['run', '--rm', '--tmpfs', '/scratch:size=1m,foo=bar', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid tmpfs option "foo=bar"/);
  });
});

describe('limits', () => {
  test('the cgroup gets the limits; inspect shows them in Podman\'s shape', () => {
    const out = env.ok([
      'run', '--name', 'limited', '--memory', '64m', '--memory-reservation', '32m', '--cpu-shares', '512', '--cpuset-cpus', '0', '--pids-limit', '99',
      '--oom-score-adj', '100', '--memory-swappiness', '37', '--ulimit', 'nofile=512:1024', '--device', '/dev/null:/dev/mynull:rw', 'busybox', 'sh', '-c',
      'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.swappiness cpu/cpu.shares cpuset/cpuset.cpus pids/pids.max /proc/self/oom_score_adj; ulimit -n; ulimit -Hn; stat -c "%t,%T" /dev/mynull',
    ]);
    assert.equal(out, `${64 << 20}\n${32 << 20}\n${128 << 20}\n37\n512\n0\n99\n100\n512\n1024\n1,3\n`);
    const hc = JSON.parse(env.ok(['inspect', 'limited', '--format', '{{json .HostConfig}}'])) as Record<string, unknown>;
    assert.equal(hc.Memory, 64 << 20);
    assert.equal(hc.MemoryReservation, 32 << 20);
    assert.equal(hc.MemorySwap, 128 << 20);
    assert.equal(hc.MemorySwappiness, 37);
    assert.equal(hc.CpuShares, 512);
    assert.equal(hc.CpusetCpus, '0');
    assert.equal(hc.PidsLimit, 99);
    assert.equal(hc.OomScoreAdj, 100);
    assert.deepEqual(hc.Ulimits, [{ Name: 'RLIMIT_NOFILE', Soft: 512, Hard: 1024 }]);
    assert.deepEqual(hc.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rw' }]);
    // Without flags: Podman's default pids limit from containers.conf.
    assert.equal(env.ok(['run', '--rm', 'busybox', 'cat', '/sys/fs/cgroup/pids/pids.max']), '2048\n');
  });

  test('bad limits are refused before anything runs (125), with Podman\'s messages', () => {
    const cases: [string[], RegExp][] = [
      [['--memory', '1k'], /minimum memory limit allowed is 6MB/],
      [['--memory', 'lots'], /invalid size/],
      [['--memory-swap', '64m'], /always set the Memory limit/],
      [['--memory-swappiness', '101'], /^Error: invalid value: 101, valid memory swappiness range is 0-100\n/],
      [['--cpus', '0.5', '--cpu-quota', '50000'], /cannot be set with --cpus/],
      [['--cpus', '64'], /range of CPUs is from 0.01/],
      [['--ulimit', 'nofiles=1'], /invalid ulimit/],
      [['--device', '/etc/passwd'], /is not a device/],
      [['--device-cgroup-rule', 'c 1:3 rwx'], /^Error: invalid device access in device-access-add: x\n/],
    ];
    for (const [flags, re] of cases) {
      const r = env.run(['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(r.code, 125, flags.join(' '));
      assert.match(r.stderr, re);
    }
  });

  test('a limit the kernel cannot apply gets Podman\'s warning; a ulimit above the hard limit is lowered', () => {
    const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
    const r = env.run(['run', '--rm', '--ulimit', `nofile=${hard * 2}:${hard * 2}`, 'busybox', 'sh', '-c', 'ulimit -Hn']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${hard}\n`);
    assert.match(r.stderr, /WARN\[0000\] ulimit nofile=\d+:\d+ is above this process's hard limit/);
    const blkio = fs.existsSync('/sys/fs/cgroup/blkio/blkio.weight') || fs.existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
    if (!blkio) {
      const w = env.run(['run', '--rm', '--blkio-weight', '300', 'busybox', 'true']);
      assert.equal(w.code, 0, w.stderr);
      assert.match(w.stderr, /Your kernel does not support Block I\/O weight or the cgroup is not mounted\. Weight discarded\./);
    }
  });

  test('a fork bomb stops at --pids-limit', () => {
    // Bounded: at most 60 short sleeps. The inner shell gives up at its first failed fork;
    // the outer one then reads the cgroup's counters with builtins (no fork needed).
    const r = env.run(['run', '--rm', '--pids-limit', '20', 'busybox', 'sh', '-c',
      'sh -c "for i in \\$(seq 60); do sleep 3 & done" 2>/dev/null; read n < /sys/fs/cgroup/pids/pids.current; read e < /sys/fs/cgroup/pids/pids.events; echo $n $e'], { timeout: 30_000 });
    const [current, , refused] = r.stdout.trim().split(' ').map(Number);
    assert.ok(current <= 20 && current >= 10, `pids.current ${current}\n${r.stdout}${r.stderr}`);
    assert.ok(refused >= 1, `forks refused: ${refused}`);
    const unlimited = env.ok(['run', '--rm', '--pids-limit', '-1', 'busybox', 'cat', '/sys/fs/cgroup/pids/pids.max']);
    assert.equal(unlimited, 'max\n');
  });

  test('past --memory the OOM killer ends the container: exit 137, OOMKilled, an oom event', () => {
    const r = env.run(['run', '--name', 'oom', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=aaaaaaaa; while true; do x="$x$x"; done'], { timeout: 60_000 });
    assert.equal(r.code, 137, r.stderr);
    assert.equal(env.ok(['inspect', 'oom', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}']), 'true 137\n');
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=oom', '--filter', 'event=oom', '--format', '{{.Status}} {{.Name}}']), 'oom oom\n');
    // SIGKILL from the user is also 137, but no OOM.
    env.ok(['run', '-d', '--name', 'killed', '--memory', '16m', 'busybox', 'sleep', '60']);
    env.ok(['kill', 'killed']);
    env.ok(['wait', 'killed']);
    assert.equal(env.ok(['inspect', 'killed', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}']), 'false 137\n');
  });

  test('update changes a running container\'s cgroup, and the record keeps it for the next start', () => {
    env.ok(['run', '-d', '--name', 'upd', '--memory', '64m', '--pids-limit', '30', 'busybox', 'sleep', '600']);
    const read = 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us';
    assert.equal(env.ok(['exec', 'upd', 'sh', '-c', read]), `${64 << 20}\n30\n-1\n`);
    assert.match(env.ok(['update', '--memory', '128m', '--pids-limit', '40', '--cpus', '0.5', 'upd']), /^[0-9a-f]{64}\n$/);
    assert.equal(env.ok(['exec', 'upd', 'sh', '-c', read]), `${128 << 20}\n40\n50000\n`);
    assert.equal(env.ok(['inspect', 'upd', '--format', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}']), `${128 << 20} 40 500000000\n`);
    env.ok(['stop', '-t', '0', 'upd']);
    env.ok(['start', 'upd']);
    assert.equal(env.ok(['exec', 'upd', 'sh', '-c', read]), `${128 << 20}\n40\n50000\n`);
    const bad = env.run(['update', '--memory', '1k', 'upd']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /minimum memory limit allowed is 6MB/);
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=upd', '--filter', 'event=update', '--format', '{{.Status}}']), 'update\n');
    env.ok(['rm', '-f', '-t', '0', 'upd']);
  });

  test('--cpus 0.5 holds a busy loop near half a CPU', async () => {
    env.ok(['run', '-d', '--name', 'busy', '--cpus', '0.5', 'busybox', 'sh', '-c', 'while :; do :; done']);
    const pid = Number(env.ok(['inspect', 'busy', '--format', '{{.State.Pid}}']).trim());
    await pidusage(pid); // starts the measurement
    await sleep(3000);
    const { cpu } = await pidusage(pid);
    pidusage.clear();
    env.ok(['rm', '-f', '-t', '0', 'busy']);
    // 50% of one CPU, with room for a busy shared machine
    assert.ok(cpu > 25 && cpu < 65, `cpu ${cpu}%`);
    assert.equal(JSON.parse(env.ok(['inspect', '--format', '{{json .HostConfig.NanoCpus}}', 'limited'])), 0);
  });
});
