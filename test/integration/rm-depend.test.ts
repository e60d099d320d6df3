// rm of a container whose network namespace another container joins: refused
// (125, Podman's message) unless --depend, which removes the dependent first.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('rm-depend');
before(() => env.importTestImages());
after(() => env.cleanup());

test('rm refuses a container others depend on; rm --depend removes them first; rm -a removes both', () => {
  const owner = env.ok(['create', 'busybox', 'true']).trim();
  const dep = env.ok(['create', `--net=container:${owner}`, 'busybox', 'true']).trim();
  const r = env.run(['rm', owner]);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, `Error: container ${owner} has dependent containers which must be removed before it: ${dep}: container already exists\n`);
  assert.equal(env.run(['container', 'exists', owner]).code, 0, 'nothing removed');
  assert.equal(env.ok(['rm', '--depend', owner]), `${dep}\n${owner}\n`);
  assert.equal(env.ok(['ps', '-aq']), '');

  const o2 = env.ok(['create', 'busybox', 'true']).trim();
  env.ok(['create', `--net=container:${o2}`, 'busybox', 'true']);
  env.ok(['rm', '-a']);
  assert.equal(env.ok(['ps', '-aq']), '');
});
