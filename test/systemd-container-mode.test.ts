// --systemd=true|false|always: when a container is in systemd mode, and what that mode adds.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { defaultStopSignal, isSystemdMode, systemdEnv, systemdTmpfsMounts, SYSTEMD_STOP_SIGNAL } from '../lib/systemd/container-mode';
import { boundingCaps } from '../lib/oci/generate';

test('systemd mode: always, or true with an init command (Podman rule)', () => {
  assert.equal(isSystemdMode('always', ['sh']), true);
  assert.equal(isSystemdMode('false', ['/sbin/init']), false);
  for (const cmd of [['/sbin/init'], ['/usr/sbin/init'], ['/usr/local/sbin/init'], ['/lib/systemd/systemd', '--log-level=debug'], ['/bin/sh', '-c', '/usr/sbin/init']])
    assert.equal(isSystemdMode('true', cmd), true, cmd.join(' '));
  for (const cmd of [['sh'], ['/bin/init'], ['init'], ['/bin/sh', '-c'], []]) assert.equal(isSystemdMode('true', cmd), false, cmd.join(' '));
});

test('systemd mode mounts tmpfs on /run, /run/lock, /tmp, /var/log/journal unless the user mounts there', () => {
  const all = systemdTmpfsMounts([]);
  assert.deepEqual(all.map((m) => m.destination), ['/run', '/run/lock', '/tmp', '/var/log/journal']);
  for (const m of all) {
    assert.equal(m.type, 'tmpfs');
    for (const o of ['rw', 'nosuid', 'nodev', 'tmpcopyup']) assert.ok(m.options?.includes(o), `${m.destination} ${o}`);
  }
  assert.deepEqual(systemdTmpfsMounts(['/tmp/', '/var/log/journal']).map((m) => m.destination), ['/run', '/run/lock']);
});

test('systemd mode: container_uuid from the id, SIGRTMIN+3 unless a stop signal was chosen', () => {
  const id = 'a'.repeat(32) + 'b'.repeat(32);
  assert.deepEqual(systemdEnv(id), [`container_uuid=${'a'.repeat(32)}`]);
  assert.equal(SYSTEMD_STOP_SIGNAL, 37);
  assert.equal(defaultStopSignal('always', { cmd: [] }, { Cmd: ['sh'] }), 37);
  assert.equal(defaultStopSignal('true', { cmd: [] }, { Cmd: ['/sbin/init'] }), 37);
  assert.equal(defaultStopSignal('true', { cmd: [] }, { Entrypoint: ['/usr/sbin/init'], Cmd: ['--x'] }), 37);
  assert.equal(defaultStopSignal('true', { cmd: ['sh'] }, { Cmd: ['/sbin/init'] }), 15);
  assert.equal(defaultStopSignal('true', { entrypoint: ['/bin/echo'], entrypointSet: true, cmd: [] }, { Cmd: ['/sbin/init'] }), 15);
  assert.equal(defaultStopSignal('false', { cmd: ['/sbin/init'] }, {}), 15);
});

test('--privileged grants the capabilities of our bounding set, not more', () => {
  assert.deepEqual(boundingCaps('CapBnd:\t0000000000000003\n'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
  // This sandbox's set: everything but CAP_SYS_RESOURCE (bit 24).
  const caps = boundingCaps('CapBnd:\t000001fffeffffff\n');
  assert.equal(caps.length, 40);
  assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
  for (const c of ['CAP_SYS_ADMIN', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_CHECKPOINT_RESTORE']) assert.ok(caps.includes(c), c);
});
