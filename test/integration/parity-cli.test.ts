// Podman parity of small CLI behaviours: rm of a container others join
// (refused unless --depend), `--events-backend none`, a reader closing the pipe.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('events with the "none" backend is an error (125), streamed or not', () => {
  for (const extra of [[], ['--stream=false']]) {
    const r = env.run(['--events-backend', 'none', 'events', ...extra], { timeout: 10_000 });
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: cannot read events with the "none" backend\n');
  }
});

test('logs into a pipe closed early ends quietly with 141 (as on SIGPIPE), no EPIPE stack', () => {
  const id = env.ok(['run', '-d', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done']).trim();
  try {
    env.ok(['wait', id]);
    const argv = env.argv(['logs', id]).map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${argv} | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, 'line 0\n');
    assert.equal(r.stderr, 'rc=141\n');
  } finally {
    env.run(['rm', '-f', id]);
  }
});

test('version: a template sees .Server as the client itself locally (Podman\'s 200-pod names its infra image so); json shows only Client', () => {
  const v = env.ok(['version', '--format', '{{.Client.Version}}']).trim();
  assert.equal(env.ok(['version', '--format', '{{.Server.Version}}']).trim(), v);
  assert.deepEqual(Object.keys(JSON.parse(env.ok(['version', '--format', 'json'])) as object), ['Client']);
});
