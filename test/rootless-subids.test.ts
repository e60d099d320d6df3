// Reading /etc/subuid and /etc/subgid lines, and the unshare(1) options built from them (lib/rootless).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseSubordinateRange } from '../lib/rootless/subids';
import { unshareArgs } from '../lib/rootless/userns';

test('the first range of the user, by name or by uid; comments, junk and empty ranges skipped', () => {
  const text = '# comment\nalice:100000:65536\nbob:0x10:5\n1002:300000:1000\nbob:200000:0\nbob:400000:65536\nalice:500000:10\n';
  assert.deepEqual(parseSubordinateRange(text, 'alice', 1001), { start: 100000, count: 65536 });
  assert.deepEqual(parseSubordinateRange(text, 'carol', 1002), { start: 300000, count: 1000 });
  assert.deepEqual(parseSubordinateRange(text, 'bob', 1003), { start: 400000, count: 65536 });
  assert.equal(parseSubordinateRange(text, 'dave', 1004), undefined);
  assert.equal(parseSubordinateRange('dave:4294967290:100\n', 'dave', 1004), undefined);
});

test('container root is the user; ids 1.. go to the range; without a range only the user is mapped', () => {
  assert.deepEqual(unshareArgs({ uids: { start: 100000, count: 65536 }, gids: { start: 200000, count: 1000 } }), [
    '--user', '--mount', '--propagation', 'private', '--map-user=0', '--map-group=0', '--map-users=100000,1,65536', '--map-groups=200000,1,1000',
  ]);
  assert.deepEqual(unshareArgs({}), ['--user', '--mount', '--propagation', 'private', '--map-user=0', '--map-group=0']);
});
