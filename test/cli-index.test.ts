// The lazy command index must name exactly the commands its modules define.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TOP_INDEX, GROUP_INDEX, findTop, findCommand } from '../lib/cli/command-index';

test('every indexed name finds its command, and every command is indexed', () => {
  for (const entry of TOP_INDEX) {
    const defined = entry.load().flatMap((c) => [c.name, ...(c.aliases ?? [])]);
    assert.deepEqual([...entry.names].sort(), [...new Set(defined)].sort());
    for (const name of entry.names) assert.ok(findTop(name), name);
  }
  const all = TOP_INDEX.flatMap((e) => e.names);
  assert.equal(new Set(all).size, all.length, 'no name in two modules');
});

test('groups resolve their commands', () => {
  assert.ok(findCommand(GROUP_INDEX.container.load(), 'exists'));
  assert.ok(findCommand(GROUP_INDEX.image.load(), 'pull'));
  assert.ok(findCommand(GROUP_INDEX.system.load(), 'service'));
  for (const name of ['service', 'info', 'df']) assert.equal(GROUP_INDEX.system.find?.(name)?.name, name, `system ${name} without loading the group`);
  assert.ok(findCommand(GROUP_INDEX.generate.load(), 'systemd'));
  for (const name of ['create', 'ls', 'list', 'inspect', 'rm', 'prune', 'exists']) assert.ok(findCommand(GROUP_INDEX.volume.load(), name), `volume ${name}`);
  assert.ok(findCommand(GROUP_INDEX.container.load(), 'restart'));
  for (const name of ['commit', 'diff']) assert.ok(findCommand(GROUP_INDEX.container.load(), name), `container ${name}`);
  for (const name of ['build', 'history']) assert.ok(findCommand(GROUP_INDEX.image.load(), name), `image ${name}`);
  for (const name of ['create', 'ls', 'inspect', 'rm', 'prune', 'connect', 'disconnect', 'exists']) assert.ok(findCommand(GROUP_INDEX.network.load(), name), `network ${name}`);
  assert.ok(findTop('port'));
  for (const name of ['attach', 'events']) assert.ok(findTop(name), name);
  assert.equal(findTop('nosuch'), undefined);
});
