// Seccomp profiles translated as containers/common does (architectures,
// includes/excludes by capability, architecture and kernel), refused when
// broken, and whole generated specs (seccomp, limits, devices) checked against
// the OCI runtime-spec schema in shared/reference.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelAtLeast, loadSeccompProfile, parseSeccompProfile, SECCOMP_DEFAULT_PATH, seccompSection, type SeccompProfile } from '../lib/oci/seccomp';
import { DEFAULT_CAPS, generateSpec } from '../lib/oci/generate';
import { checkResources, ociResources, parseDeviceCgroupRule, parseMemory, resourceWarnings, swappiness } from '../lib/oci/resources';
import { parseSecurityOpts } from '../lib/oci/security-options';
import { chooseCgroupManager, containerCgroupDir, containerCgroupsPath } from '../lib/oci/cgroups';
import { EngineError } from '../lib/errors';
import type { ContainerConfig, ContainerRecord } from '../lib/storage/records';
import bundled from '../lib/oci/seccomp-default.json';
import { SchemaChecker } from './helpers/json-schema';

const SCHEMA_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'reference', 'oci-runtime-spec-schema');
const profile = bundled as SeccompProfile;
const X64 = { arch: 'x64', kernel: '6.1.0-13-amd64' };
const actionFor = (s: ReturnType<typeof seccompSection>, name: string) => (s.syscalls ?? []).filter((r) => r.names.includes(name)).map((r) => r.action);

test('the default profile for a default container on x86_64', () => {
  const s = seccompSection(profile, { caps: DEFAULT_CAPS, ...X64 });
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 38); // ENOSYS for syscalls the profile does not know
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(actionFor(s, 'vmsplice'), ['SCMP_ACT_ERRNO']);
  assert.deepEqual(actionFor(s, 'chroot'), ['SCMP_ACT_ALLOW']); // CAP_SYS_CHROOT is a default cap
  assert.deepEqual(actionFor(s, 'bpf'), ['SCMP_ACT_ERRNO']); // no CAP_SYS_ADMIN: only the excludes rule applies
  assert.deepEqual(actionFor(s, 'arch_prctl'), ['SCMP_ACT_ALLOW']); // includes.arches amd64
  assert.deepEqual(actionFor(s, 'arm_fadvise64_64'), []); // arm only
  const personality = (s.syscalls ?? []).filter((r) => r.names.includes('personality'));
  assert.ok(personality.every((r) => r.args?.[0].op === 'SCMP_CMP_EQ' && r.args[0].index === 0));
});

test('capabilities switch rules: CAP_SYS_ADMIN allows bpf, dropping CAP_SYS_CHROOT denies chroot', () => {
  const admin = seccompSection(profile, { caps: [...DEFAULT_CAPS, 'CAP_SYS_ADMIN'], ...X64 });
  assert.deepEqual(actionFor(admin, 'bpf'), ['SCMP_ACT_ALLOW']);
  const noChroot = seccompSection(profile, { caps: DEFAULT_CAPS.filter((c) => c !== 'CAP_SYS_CHROOT'), ...X64 });
  assert.deepEqual(actionFor(noChroot, 'chroot'), ['SCMP_ACT_ERRNO']);
});

test('architecture and kernel version filters', () => {
  const arm = seccompSection(profile, { caps: DEFAULT_CAPS, arch: 'arm64', kernel: '6.1' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(actionFor(arm, 'arch_prctl'), []);
  assert.deepEqual(actionFor(arm, 'arm_fadvise64_64'), ['SCMP_ACT_ALLOW']);
  const p = parseSeccompProfile(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['pidfd_getfd'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, includes: { minKernel: '5.6' } },
        { names: ['keyctl'], action: 'SCMP_ACT_ERRNO', errno: 'EACCES', excludes: { minKernel: '5.6' } },
      ],
    }),
    'test',
  );
  const old = seccompSection(p, { caps: [], arch: 'x64', kernel: '5.4.0' });
  assert.deepEqual(old.syscalls?.map((r) => r.names[0]), ['keyctl']);
  assert.equal(old.syscalls?.[0].errnoRet, 13);
  const fresh = seccompSection(p, { caps: [], arch: 'x64', kernel: '5.10.2-foo' });
  assert.deepEqual(fresh.syscalls?.map((r) => [r.names[0], r.errnoRet]), [['pidfd_getfd', 1]]);
  assert.equal(kernelAtLeast('6.18.44-fc', '4.8'), true);
  assert.equal(kernelAtLeast('4.7.1', '4.8'), false);
});

test('a broken profile is refused with a clear error', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parseSeccompProfile(text, '/p.json'), (e: unknown) => e instanceof EngineError && e.kind === 'invalid-argument' && re.test(e.message));
  bad('{"defaultAction": ', /^loading seccomp profile \(\/p\.json\) failed: decoding seccomp profile failed/);
  bad('[]', /not a JSON object/);
  bad('{"defaultAction":"SCMP_ACT_NOPE"}', /defaultAction: unknown action "SCMP_ACT_NOPE"/);
  bad('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["frobnicate"],"action":"SCMP_ACT_ERRNO"}]}', /syscalls\[0\]: unknown syscall "frobnicate"/);
  bad('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_DENY"}]}', /unknown action "SCMP_ACT_DENY"/);
  bad('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_IS"}]}]}', /unknown operator/);
  bad('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}', /use either 'name' or 'names'/);
  bad('{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_Z80"}]}', /unknown architecture/);
  assert.throws(() => loadSeccompProfile('/nonexistent/profile.json'), /opening seccomp profile failed: open \/nonexistent\/profile.json: no such file or directory/);
  assert.throws(() => parseSecurityOpts(['seccomp=/nonexistent/profile.json']), /no such file or directory/);
});

test('the installed containers-common profile is the default, our copy the fallback, and they agree', () => {
  if (!fs.existsSync(SECCOMP_DEFAULT_PATH)) {
    assert.equal(loadSeccompProfile(undefined).source, 'built-in default');
    return;
  }
  const installed = loadSeccompProfile(undefined);
  assert.equal(installed.source, SECCOMP_DEFAULT_PATH);
  assert.deepEqual(installed.profile, profile);
});

test('security options: parsed, recorded, refused when unknown', () => {
  const s = parseSecurityOpts(['seccomp=unconfined', 'no-new-privileges', 'label=disable', 'label=type:spc_t', 'apparmor=unconfined', 'mask=/proc/a:/proc/b', 'unmask=ALL', 'proc-opts=hidepid=2,subset=pid']);
  assert.equal(s.seccompProfile, 'unconfined');
  assert.equal(s.noNewPrivileges, true);
  assert.deepEqual(s.labelOpts, ['disable', 'type:spc_t']);
  assert.deepEqual(s.mask, ['/proc/a', '/proc/b']);
  assert.deepEqual(s.unmask, ['ALL']);
  assert.deepEqual(s.procOpts, ['hidepid=2', 'subset=pid']);
  assert.equal(s.securityOpt.length, 8);
  assert.throws(() => parseSecurityOpts(['bogus']), /invalid --security-opt 1: "bogus"/);
  assert.throws(() => parseSecurityOpts(['mask=relative/path']), /clean absolute path/);
  assert.throws(() => parseSecurityOpts(['proc-opts=rw,suid']), /invalid proc option "rw"/);
  assert.throws(() => parseSecurityOpts(['label=type:a b']), /invalid --security-opt/);
});

test('limits: sizes, Podman\'s checks, and the cgroup values', () => {
  assert.equal(parseMemory('512m', 'memory'), 512 * 1024 * 1024);
  assert.equal(parseMemory('1g', 'memory'), 1024 ** 3);
  assert.equal(parseMemory('100kb', 'memory'), 102400);
  assert.equal(parseMemory('-1', 'memory-swap', true), -1);
  assert.throws(() => parseMemory('lots', 'memory'), /invalid size/);
  assert.throws(() => checkResources({ memory: 1024 }), /minimum memory limit allowed is 6MB/);
  assert.throws(() => checkResources({ memorySwap: 64 << 20 }), /always set the Memory limit/);
  assert.throws(() => checkResources({ memory: 64 << 20, memorySwap: 32 << 20 }), /memoryswap limit should be larger/);
  assert.throws(() => checkResources({ nanoCpus: 5e8, cpuQuota: 50000 }), /cannot be set with --cpus/);
  assert.throws(() => checkResources({ oomScoreAdj: 1001 }), /between -1000 and 1000/);
  assert.throws(() => checkResources({ cpusetCpus: '0;1' }), /invalid --cpuset-cpus/);
  const support = { swap: true, blkioWeight: false, oomKillDisable: true, swappiness: true };
  const r = ociResources({ memory: 64 << 20, nanoCpus: 5e8, pidsLimit: 100, blkioWeight: 300, cpuShares: 512 }, support);
  assert.deepEqual(r.memory, { limit: 64 << 20, swap: 128 << 20 }); // swap twice the memory, as Podman
  assert.deepEqual(r.cpu, { period: 100000, quota: 50000, shares: 512 });
  assert.deepEqual(r.pids, { limit: 100 });
  assert.equal(r.blockIO, undefined); // no controller: dropped (with Podman's warning at create)
  assert.equal(ociResources({ pidsLimit: -1 }, support).pids, undefined);
  assert.equal(ociResources({ memory: 64 << 20 }, { ...support, swap: false }).memory?.swap, undefined);
  // --memory-swappiness: 0-100 reaches the spec, a negative value means the kernel's default, above 100 is Podman's error
  assert.equal(ociResources({ memorySwappiness: 0 }, support).memory?.swappiness, 0);
  assert.equal(ociResources({ memorySwappiness: 30 }, { ...support, swappiness: false }).memory, undefined);
  assert.deepEqual(resourceWarnings({ memorySwappiness: 30 }, { ...support, swappiness: false }), ['Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.']);
  assert.equal(swappiness(-1), undefined);
  assert.throws(() => checkResources({ memorySwappiness: 101 }), /^Error: invalid value: 101, valid memory swappiness range is 0-100$/);
  assert.deepEqual(parseDeviceCgroupRule('c 1:* rw'), { allow: true, type: 'c', major: 1, minor: undefined, access: 'rw' });
  assert.deepEqual(parseDeviceCgroupRule('a 7 mrw'), { allow: true, type: 'a', major: 7, minor: undefined, access: 'mrw' });
  assert.throws(() => parseDeviceCgroupRule('x 1:3 rwm'), /^Error: invalid device type in device-access-add: x$/);
  assert.throws(() => parseDeviceCgroupRule('b 7:2'), /invalid device cgroup rule requires type, major:Minor, and access rules: "b 7:2"/);
  assert.throws(() => parseDeviceCgroupRule('b 7:* rmX'), /invalid device access in device-access-add: X$/);
  assert.throws(() => parseDeviceCgroupRule('a a:* rmw'), /strconv.ParseUint: parsing "a": invalid syntax/);
});

function record(config: Partial<ContainerConfig>): ContainerRecord {
  return {
    id: 'a'.repeat(64),
    name: 'schema',
    created: new Date().toISOString(),
    imageId: 'b'.repeat(64),
    imageName: 'localhost/busybox:latest',
    config: {
      image: 'busybox', entrypoint: [], entrypointSet: false, cmd: ['sh'], env: [], workdir: '', user: '', hostname: 'h', labels: {},
      annotations: {}, mounts: [], network: 'none', stopSignal: 15, stopTimeout: 10, autoRemove: false, tty: false, stdin: false,
      logDriver: 'k8s-file', sdnotify: 'ignore', sdNotifySocket: '', preserveFds: 0, privileged: false, readOnly: false, systemd: 'false',
      capAdd: [], capDrop: [], init: false, restartPolicy: '', createCommand: [], ...config,
    },
    state: { status: 'created', pid: 0, conmonPid: 0, exitCode: 0, startedAt: '', finishedAt: '', error: '', restartCount: 0, mounted: false },
  };
}

test('generated specs validate against the OCI runtime-spec schema', { skip: !fs.existsSync(SCHEMA_DIR) && `no schema at ${SCHEMA_DIR}` }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-schema-'));
  try {
    const etc = { hosts: path.join(dir, 'hosts'), hostname: path.join(dir, 'hostname'), resolvConf: path.join(dir, 'resolv.conf') };
    const checker = new SchemaChecker(SCHEMA_DIR);
    const limited = record({
      readOnly: true,
      security: parseSecurityOpts(['no-new-privileges', 'mask=/proc/version', 'proc-opts=hidepid=2']),
      resources: {
        memory: 64 << 20, memoryReservation: 32 << 20, memorySwap: -1, oomKillDisable: true, oomScoreAdj: 500, nanoCpus: 1.5e9,
        cpuShares: 512, cpusetCpus: '0', pidsLimit: 64, ulimits: ['nofile=256:512'],
        devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', permissions: 'rw' }], deviceCgroupRules: ['c 1:3 rwm'],
      },
    });
    for (const ctr of [record({}), limited, record({ privileged: true })]) {
      const spec = generateSpec({ ctr, image: {}, rootfs: dir, etcFiles: etc });
      assert.deepEqual(checker.check(spec, 'config-schema.json#'), [], `${ctr.config.privileged ? 'privileged' : 'default'} spec`);
      if (ctr === limited) {
        assert.equal(spec.process?.noNewPrivileges, true);
        assert.equal(spec.process?.oomScoreAdj, 500);
        assert.deepEqual(spec.linux?.resources?.cpu, { period: 100000, quota: 150000, shares: 512, cpus: '0' });
        assert.deepEqual(spec.linux?.devices?.map((d) => [d.path, d.type, d.major, d.minor]), [['/dev/mynull', 'c', 1, 3]]);
        assert.ok(spec.linux?.maskedPaths?.includes('/proc/version'));
        assert.deepEqual(spec.mounts?.filter((m) => m.type === 'tmpfs' && ['/tmp', '/var/tmp', '/run'].includes(m.destination)).length, 3);
        assert.ok(spec.process?.rlimits?.some((r) => r.type === 'RLIMIT_NOFILE' && r.soft === 256 && r.hard === 512));
      }
      if (ctr.config.privileged) assert.equal(spec.linux?.seccomp, undefined);
      else assert.equal(spec.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    }
    // The checker does catch a malformed section.
    assert.notDeepEqual(checker.check({ ociVersion: '1.0.2', linux: { seccomp: { defaultAction: 'NOPE', syscalls: [{ names: [] }] } } }, 'config-schema.json#'), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cgroup manager: the spec path for cgroupfs and systemd, bad names refused, systemd only where it runs', () => {
  const id = 'b'.repeat(64);
  assert.equal(containerCgroupsPath(id), `/tspod/tspod-${id}`);
  assert.equal(containerCgroupsPath(id, 'systemd'), `machine.slice:tspod:${id}`);
  assert.equal(containerCgroupDir(id, 'systemd'), `/machine.slice/tspod-${id}.scope`);
  assert.throws(() => chooseCgroupManager('upstart', () => undefined), /^Error: invalid cgroup manager "upstart": must be "cgroupfs" or "systemd"$/);
  assert.equal(chooseCgroupManager(undefined, () => undefined), 'cgroupfs');
  const warnings: string[] = [];
  const got = chooseCgroupManager('systemd', (m) => warnings.push(m));
  if (fs.existsSync('/run/systemd/private')) assert.equal(got, 'systemd');
  else {
    assert.equal(got, 'cgroupfs');
    assert.match(warnings[0], /falling back to --cgroup-manager=cgroupfs/);
  }
});
