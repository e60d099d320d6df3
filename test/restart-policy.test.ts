// Restart policy parsing and the decision the monitor's cleanup takes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatRestartPolicy, parseRestartPolicy, restartForInspect, restartFromDocker, shouldRestart } from '../lib/container/restart-policy';

test('parses the policies Podman knows', () => {
  assert.deepEqual(parseRestartPolicy(''), { name: 'no', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('no'), { name: 'no', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('always'), { name: 'always', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure'), { name: 'on-failure', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maxRetries: 3 });
});

test('refuses bad policies with Podman messages', () => {
  assert.throws(() => parseRestartPolicy('sometimes'), /"sometimes" is not a valid restart policy/);
  assert.throws(() => parseRestartPolicy('always:3'), /retries can only be specified with on-failure/);
  assert.throws(() => parseRestartPolicy('on-failure:x'), /parsing restart policy retry count/);
  assert.throws(() => parseRestartPolicy('on-failure:-1'), /greater than 0/);
  assert.throws(() => parseRestartPolicy('on-failure:1:2'), /at most once/);
});

test('stored, Docker and inspect forms', () => {
  assert.equal(formatRestartPolicy(parseRestartPolicy('no')), '');
  assert.equal(formatRestartPolicy(parseRestartPolicy('on-failure:0')), 'on-failure');
  assert.equal(restartFromDocker('on-failure', 5), 'on-failure:5');
  assert.equal(restartFromDocker('no', 0), '');
  assert.equal(restartFromDocker('', undefined), '');
  assert.equal(restartFromDocker('always', 0), 'always');
  assert.deepEqual(restartForInspect('on-failure:2'), { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.deepEqual(restartForInspect(''), { Name: '', MaximumRetryCount: 0 });
});

test('decides like Podman: never after a user stop, on-failure counts retries', () => {
  const exit = (exitCode: number, extra: Partial<{ stoppedByUser: boolean; restartCount: number; autoRemove: boolean }> = {}) => ({
    exitCode,
    stoppedByUser: false,
    restartCount: 0,
    ...extra,
  });
  const always = parseRestartPolicy('always');
  const unless = parseRestartPolicy('unless-stopped');
  const onFailure2 = parseRestartPolicy('on-failure:2');
  const onFailure = parseRestartPolicy('on-failure');
  const no = parseRestartPolicy('no');
  assert.equal(shouldRestart(no, exit(1)), false);
  assert.equal(shouldRestart(always, exit(0)), true);
  assert.equal(shouldRestart(always, exit(137, { stoppedByUser: true })), false);
  assert.equal(shouldRestart(unless, exit(0)), true);
  assert.equal(shouldRestart(unless, exit(0, { stoppedByUser: true })), false);
  assert.equal(shouldRestart(onFailure2, exit(0)), false);
  assert.equal(shouldRestart(onFailure2, exit(1, { restartCount: 0 })), true);
  assert.equal(shouldRestart(onFailure2, exit(1, { restartCount: 1 })), true);
  assert.equal(shouldRestart(onFailure2, exit(1, { restartCount: 2 })), false);
  assert.equal(shouldRestart(onFailure, exit(1, { restartCount: 100 })), true);
  assert.equal(shouldRestart(always, exit(1, { autoRemove: true })), false);
});
