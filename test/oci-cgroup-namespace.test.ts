// When tspod must give a container a cgroup namespace for runc to set up /sys/fs/cgroup:
// mountinfo and /proc/self/cgroup as seen on this host, in a tspod container, and in a
// container set up like Podman's --systemd=always on cgroup v1 (name=systemd mounted twice).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cgroupPathsAmbiguous } from '../lib/oci/cgroup-namespace';

const C = '/tspod/tspod-9a8b';
const mi = (root: string, point: string, opts: string, id: number) => `${id} 79 0:${id} ${root} ${point} rw,nosuid,nodev,noexec,relatime - cgroup cgroup ${opts}`;
const proc = (p: string) => ['9:name=systemd:', '4:memory:', '1:cpu,cpuacct:', '0::'].map((l) => l + p).join('\n');

const HOST = [
  '79 78 0:47 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755',
  mi('/', '/sys/fs/cgroup/cpu,cpuacct', 'rw,cpu,cpuacct', 80),
  mi('/', '/sys/fs/cgroup/memory', 'rw,memory', 81),
  mi('/', '/sys/fs/cgroup/systemd', 'rw,xattr,name=systemd', 82),
  '45 79 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate',
].join('\n');

const IN_CONTAINER = [
  '79 78 0:47 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755',
  mi(C, '/sys/fs/cgroup/cpu,cpuacct', 'rw,cpu,cpuacct', 80),
  mi(C, '/sys/fs/cgroup/memory', 'rw,memory', 81),
  mi(C, '/sys/fs/cgroup/systemd', 'rw,name=systemd', 82),
].join('\n');

test('no namespace needed on the host or in a plain container', () => {
  assert.equal(cgroupPathsAmbiguous(HOST, proc('/user.slice')), false);
  assert.equal(cgroupPathsAmbiguous(IN_CONTAINER, proc(C)), false);
  assert.equal(cgroupPathsAmbiguous(IN_CONTAINER, proc(`${C}/system.slice/tspod.service`)), false);
  assert.equal(cgroupPathsAmbiguous('', ''), false);
});

test('a namespace when a hierarchy is mounted twice on one point (Podman --systemd=always, cgroup v1)', () => {
  const stacked = `${IN_CONTAINER}\n92 82 0:82 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd`;
  assert.equal(cgroupPathsAmbiguous(stacked, proc(C)), true);
});

test('a namespace when our cgroup lies outside the root of the mount that shows it', () => {
  assert.equal(cgroupPathsAmbiguous(IN_CONTAINER, proc('/tspod/tspod-other')), true);
  assert.equal(cgroupPathsAmbiguous(IN_CONTAINER, proc(`${C}x`)), true);
});
