// Restart policies without a daemon: the monitor's exit command restarts the
// container as the policy says, counts RestartCount, honours on-failure's
// maximum, and leaves a container down after the user's stop or kill.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TspodEnv, sleep, until } from '../helpers/tspod-env';

const env = new TspodEnv('restart');
before(() => env.importTestImages());
after(() => env.cleanup());

const inspect = (name: string, format: string) => env.ok(['inspect', '--format', format, name]).trim();

describe('--restart', () => {
  test('on-failure:N restarts a failing container N times, then leaves it exited', async () => {
    env.ok(['run', '-d', '--name', 'fails', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 3']);
    await until(() => inspect('fails', '{{.RestartCount}} {{.State.Status}}') === '2 exited', 20_000, 100);
    await sleep(1000); // no third run comes
    assert.equal(inspect('fails', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}'), '2 exited 3');
    assert.equal(inspect('fails', '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}'), 'on-failure 2');
    assert.equal(env.ok(['logs', 'fails']), 'run\nrun\nrun\n');
  });

  test('on-failure does not restart a successful exit', async () => {
    env.ok(['run', '-d', '--name', 'succeeds', '--restart', 'on-failure', 'busybox', 'true']);
    await until(() => inspect('succeeds', '{{.State.Status}}') === 'exited', 10_000);
    await sleep(800);
    assert.equal(inspect('succeeds', '{{.RestartCount}} {{.State.Status}}'), '0 exited');
  });

  test('always restarts after any exit, also a crash; stop by the user is final until the next start', async () => {
    env.ok(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sh', '-c', "trap 'exit 0' TERM; sleep 0.5 & wait $!"]);
    await until(() => Number(inspect('always', '{{.RestartCount}}')) >= 2, 20_000, 100);
    env.ok(['stop', '-t', '2', 'always']);
    const count = inspect('always', '{{.RestartCount}}');
    await sleep(1500);
    assert.equal(inspect('always', '{{.RestartCount}} {{.State.Status}}'), `${count} exited`);
    env.ok(['start', 'always']);
    await until(() => Number(inspect('always', '{{.RestartCount}}')) > Number(count), 20_000, 100);
    env.ok(['rm', '-f', '-t', '0', 'always']);
  });

  test('a container killed from outside tspod restarts; tspod kill is final', async () => {
    env.ok(['run', '-d', '--name', 'crashy', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
    const pid = Number(inspect('crashy', '{{.State.Pid}}'));
    process.kill(pid, 'SIGKILL');
    await until(() => inspect('crashy', '{{.RestartCount}} {{.State.Status}}') === '1 running', 20_000, 100);
    assert.notEqual(Number(inspect('crashy', '{{.State.Pid}}')), pid);
    env.ok(['kill', 'crashy']);
    await until(() => inspect('crashy', '{{.State.Status}}') === 'exited', 10_000);
    await sleep(1000);
    assert.equal(inspect('crashy', '{{.RestartCount}} {{.State.Status}}'), '1 exited');
  });

  test('tspod restart stops and starts again; it is no policy restart', () => {
    env.ok(['run', '-d', '--name', 'manual', '--restart', 'always', 'busybox', 'sleep', '1000']);
    const pid = inspect('manual', '{{.State.Pid}}');
    assert.equal(env.ok(['restart', '-t', '0', 'manual']), 'manual\n');
    assert.equal(inspect('manual', '{{.State.Status}} {{.RestartCount}}'), 'running 0');
    assert.notEqual(inspect('manual', '{{.State.Pid}}'), pid);
    const missing = env.run(['restart', 'nosuch']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /no container with name or ID "nosuch" found/);
    env.ok(['rm', '-f', '-t', '0', 'manual']);
  });

  test('bad policies and --rm conflicts are refused like Podman (125)', () => {
    const before = env.ok(['ps', '-a', '-q']);
    for (const [policy, msg] of [
      ['sometimes', /"sometimes" is not a valid restart policy/],
      ['always:3', /retries can only be specified with on-failure/],
      ['on-failure:-1', /greater than 0/],
    ] as const) {
      const r = env.run(['create', '--restart', policy, 'busybox', 'true']);
      assert.equal(r.code, 125, policy);
      assert.match(r.stderr, msg);
    }
    const rm = env.run(['run', '--rm', '--restart', 'always', 'busybox', 'true']);
    assert.equal(rm.code, 125);
    assert.match(rm.stderr, /the --rm option conflicts with --restart/);
    assert.equal(env.ok(['ps', '-a', '-q']), before, 'nothing was created');
  });
});
