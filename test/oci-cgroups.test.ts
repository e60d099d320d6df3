// Where a v1 controller's hierarchy is: the statfs fast path (no read of
// /proc/self/mountinfo, which grows with every container's mounts) must give
// what mountinfo says on this host, and mountinfo text given is still parsed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { cgroupV2, v1ControllerDir } from '../lib/oci/cgroups';

test('v1ControllerDir: the fast path agrees with /proc/self/mountinfo on this host', { skip: cgroupV2() && 'cgroup v2 host' }, () => {
  const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const controller of ['memory', 'blkio', 'cpu', 'cpuacct', 'pids', 'freezer', 'devices', 'cpuset', 'no-such-controller'])
    assert.equal(v1ControllerDir(controller), v1ControllerDir(controller, mountinfo), controller);
});

test('v1ControllerDir: mountinfo given: only a hierarchy whose root is "/"', () => {
  const line = (root: string, point: string, opts: string) => `30 25 0:26 ${root} ${point} rw,nosuid - cgroup cgroup rw,${opts}`;
  assert.equal(v1ControllerDir('memory', [line('/', '/sys/fs/cgroup/memory', 'memory')].join('\n')), '/sys/fs/cgroup/memory');
  assert.equal(v1ControllerDir('memory', [line('/docker/abc', '/sys/fs/cgroup/memory', 'memory')].join('\n')), undefined);
  assert.equal(v1ControllerDir('cpu', [line('/', '/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct')].join('\n')), '/sys/fs/cgroup/cpu,cpuacct');
});
