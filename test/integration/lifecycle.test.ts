// The container lifecycle with real runc containers: run, exit codes, detached
// containers, logs, stop, rm, ps, inspect, exec, and the monitor's independence.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv, sleep, until } from '../helpers/tspod-env';

const env = new TspodEnv('lifecycle');
before(() => env.importTestImages());
after(() => env.cleanup());

describe('run in the foreground', () => {
  test('prints the output and exits with the container code', () => {
    const r = env.run(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 42']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 42);
  });

  test('-i streams stdin; output after its EOF still arrives', () => {
    const r = env.run(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; sleep 0.2; echo done'], { input: 'hello\n' });
    assert.equal(r.stdout, 'hello\ndone\n', r.stderr);
    assert.equal(r.code, 0);
  });

  test('--rm leaves no container behind', () => {
    env.ok(['run', '--rm', '--name', 'gone', 'busybox', 'true']);
    assert.equal(env.run(['container', 'exists', 'gone']).code, 1);
  });

  test('exit codes like Podman: 127 not found, 126 not executable, 125 engine errors', () => {
    assert.equal(env.run(['run', '--rm', 'busybox', '/nonexistent']).code, 127);
    assert.equal(env.run(['run', '--rm', 'busybox', '/etc']).code, 126);
    const bad = env.run(['run', '--badflag', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /^Error: unknown flag: --badflag\nSee 'tspod run --help'/);
    assert.equal(env.run(['run', '--rm', 'localhost/nosuchimage', 'true']).code, 125);
    assert.equal(env.run(['nosuchcmd']).code, 125);
    assert.equal(env.run(['run', '--rm', 'busybox', 'sh', '-c', 'exit 255']).code, 255);
  });

  test('a container killed by a signal gives 128+n', () => {
    // sh as pid 1 ignores signals without handlers, so the shell runs a child that is killed
    const r = env.run(['run', '--rm', 'busybox', 'sh', '-c', 'sh -c "kill -TERM \\$\\$"; exit $?']);
    assert.equal(r.code, 143);
  });

  test('environment, entrypoint, workdir, user, hostname, labels', () => {
    const envFile = path.join(env.dir, 'env.list');
    fs.writeFileSync(envFile, '# comment\nFROM_FILE=yes\n');
    const out = env.ok([
      'run', '--rm', '-e', 'A=1', '--env', 'B=two words', '--env-file', envFile, '-w', '/tmp', '-u', '65534:65534',
      '--hostname', 'myhost', '--label', 'x=y', '--entrypoint', 'sh', 'busybox', '-c',
      'echo $A/$B/$FROM_FILE; pwd; id -u; id -g; hostname',
    ]);
    assert.equal(out, '1/two words/yes\n/tmp\n65534\n65534\nmyhost\n');
  });

  test('bind mounts, read-only with :ro', () => {
    const dir = fs.mkdtempSync(path.join(env.dir, 'vol-'));
    fs.writeFileSync(path.join(dir, 'in.txt'), 'from host');
    env.ok(['run', '--rm', '-v', `${dir}:/data`, 'busybox', 'sh', '-c', 'cat /data/in.txt > /data/out.txt']);
    assert.equal(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'from host');
    const r = env.run(['run', '--rm', '-v', `${dir}:/data:ro`, 'busybox', 'touch', '/data/x']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
  });

  test('--network none has only lo; host shares the host network', () => {
    const none = env.ok(['run', '--rm', '--network=none', 'busybox', 'ls', '/sys/class/net']);
    assert.equal(none.trim(), 'lo');
    const host = env.ok(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']);
    // Bridges and veths of network tests running in parallel come and go between the two listings.
    const stable = (names: string[]) => names.filter((n) => !/^(tspod\d+|veth)/.test(n)).sort();
    assert.deepEqual(stable(host.trim().split(/\s+/)), stable(fs.readdirSync('/sys/class/net')));
  });
});

describe('detached containers', () => {
  test('run -d, ps, logs, stop with SIGKILL after the timeout, inspect, rm', async () => {
    const id = env.ok(['run', '-d', '--name', 'sleeper', '--stop-timeout', '1', 'busybox', 'sh', '-c', 'echo started; sleep 1000']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(env.ok(['ps', '--format', '{{.Names}} {{.State}}']).trim(), 'sleeper running');
    assert.match(env.ok(['ps', '-q']), new RegExp(`^${id.slice(0, 12)}\n$`));
    await until(() => env.ok(['logs', 'sleeper']) === 'started\n');
    const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'sleeper']).trim());
    assert.ok(pid > 0 && fs.existsSync(`/proc/${pid}`));
    const t0 = Date.now();
    const stop = env.run(['stop', 'sleeper']);
    assert.equal(stop.code, 0);
    assert.equal(stop.stdout, 'sleeper\n');
    assert.ok(Date.now() - t0 >= 900, 'waited for the stop timeout');
    assert.equal(env.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', id.slice(0, 8)]).trim(), 'exited 137');
    assert.equal(env.ok(['ps', '-a', '--format', '{{.Names}}']).trim(), 'sleeper');
    assert.equal(env.ok(['ps', '--format', '{{.Names}}']).trim(), '');
    assert.equal(env.ok(['rm', 'sleeper']), 'sleeper\n');
    assert.equal(env.run(['rm', 'sleeper']).code, 1);
  });

  test('stop sends the stop signal first; a trapping container exits with its own code', async () => {
    env.ok(['run', '-d', '--name', 'trapper', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "exit 9" USR1; while :; do sleep 0.1; done']);
    await sleep(300);
    const t0 = Date.now();
    env.ok(['stop', '-t', '10', 'trapper']);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(env.ok(['inspect', '--format', '{{.State.ExitCode}} {{.Config.StopSignal}}', 'trapper']).trim(), '9 10');
    env.ok(['rm', 'trapper']);
  });

  test('rm of a running container needs -f (exit 2)', () => {
    env.ok(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '1000']);
    const r = env.run(['rm', 'busy']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot remove container .* as it is running/);
    env.ok(['rm', '-f', '-t', '0', 'busy']);
    assert.equal(env.run(['container', 'exists', 'busy']).code, 1);
  });

  test('rm -f stops as Podman does: the stop signal first, SIGKILL after the stop timeout; -t 0 kills at once', async () => {
    const died = (name: string) => env.ok(['events', '--stream=false', '--filter', `container=${name}`, '--filter', 'event=died', '--format', '{{.ContainerExitCode}}']).trim();
    env.ok(['run', '-d', '--name', 'rm-trap', 'busybox', 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done']);
    env.ok(['run', '-d', '--name', 'rm-deaf', '--stop-timeout', '1', 'busybox', 'sleep', '1000']);
    env.ok(['run', '-d', '--name', 'rm-now', 'busybox', 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done']);
    await sleep(300);
    env.ok(['rm', '-f', 'rm-trap']); // a database gets its shutdown
    assert.equal(died('rm-trap'), '7');
    let t0 = Date.now();
    env.ok(['rm', '-f', 'rm-deaf']); // PID 1 ignores SIGTERM: killed after its 1 s
    assert.ok(Date.now() - t0 >= 900, 'rm -f waited for the stop timeout');
    assert.equal(died('rm-deaf'), '137');
    t0 = Date.now();
    env.ok(['rm', '-f', '-t', '0', 'rm-now']);
    assert.ok(Date.now() - t0 < 900, 'rm -f -t 0 does not wait');
    assert.equal(died('rm-now'), '137');
  });

  test('run -d --rm is removed by the monitor when the container exits', async () => {
    env.ok(['run', '-d', '--rm', '--name', 'shortlived', 'busybox', 'sh', '-c', 'sleep 0.2; exit 3']);
    await until(() => env.run(['container', 'exists', 'shortlived']).code === 1, 15_000, 100);
  });

  test('wait prints the exit code; start -a reattaches output', async () => {
    env.ok(['create', '--name', 'waiter', 'busybox', 'sh', '-c', 'echo hi; exit 7']);
    const started = env.run(['start', '-a', 'waiter']);
    assert.equal(started.stdout, 'hi\n');
    assert.equal(started.code, 7);
    env.ok(['start', 'waiter']);
    assert.equal(env.ok(['wait', 'waiter']), '7\n');
    assert.equal(env.ok(['logs', 'waiter']), 'hi\nhi\n');
    assert.equal(env.ok(['logs', '--tail', '1', 'waiter']), 'hi\n');
    assert.match(env.ok(['logs', '-t', 'waiter']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) hi\n/);
    env.ok(['rm', 'waiter']);
  });

  test('logs -f follows until the container exits', async () => {
    env.ok(['run', '-d', '--name', 'follower', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done']);
    const child = env.spawn(['logs', '-f', 'follower'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0);
    assert.equal(out, 'line1\nline2\nline3\n');
    env.ok(['rm', 'follower']);
  });

  test('restarting a detached container at once, again and again, works', () => {
    // Detached runs: each monitor's cleanup starts at once and races the next start.
    env.ok(['create', '--name', 'again', 'busybox', 'sh', '-c', 'cat /etc/passwd >/dev/null && echo ok']);
    for (let i = 0; i < 6; i++) {
      env.ok(['start', 'again']);
      assert.equal(env.ok(['wait', 'again']), '0\n', `run ${i}`);
    }
    assert.equal(env.ok(['logs', 'again']), 'ok\n'.repeat(6));
    env.ok(['rm', 'again']);
  });

  test('exec runs in the container with its exit codes', () => {
    env.ok(['run', '-d', '--name', 'execme', 'busybox', 'sleep', '1000']);
    assert.equal(env.ok(['exec', '-e', 'X=1', 'execme', 'sh', '-c', 'echo $X; hostname']).trim().split('\n')[0], '1');
    assert.equal(env.run(['exec', 'execme', 'sh', '-c', 'exit 7']).code, 7);
    assert.equal(env.run(['exec', 'execme', '/nonexistent']).code, 127);
    assert.equal(env.run(['exec', 'execme', '/etc']).code, 126);
    assert.equal(env.run(['exec', 'nosuch', 'true']).code, 125);
    env.ok(['rm', '-f', '-t', '0', 'execme']);
  });

  test('exec -d returns at once with the session ID while the process runs on', async () => {
    env.ok(['run', '-d', '--name', 'execd', 'busybox', 'sleep', '1000']);
    const started = Date.now();
    const id = env.ok(['exec', '-d', 'execd', 'sh', '-c', 'echo ran > /tmp/mark; sleep 600']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.ok(Date.now() - started < 10_000, 'exec -d waited for the process');
    await until(() => env.run(['exec', 'execd', 'cat', '/tmp/mark']).stdout === 'ran\n', 10_000);
    assert.match(env.ok(['top', 'execd']), /sleep 600/);
    const missing = env.run(['exec', '-d', 'execd', '/nonexistent']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /^Error: .*not found/m);
    env.ok(['rm', '-f', '-t', '0', 'execd']);
  });

  test('kill -9 of a foreground run leaves the container running and supervised', async () => {
    const child = env.spawn(['run', '--name', 'orphan', 'busybox', 'sh', '-c', 'trap "exit 5" TERM; while :; do sleep 0.1; done'], { stdio: 'ignore' });
    await until(() => env.run(['ps', '--format', '{{.Names}}']).stdout.includes('orphan'), 15_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    await sleep(200);
    assert.equal(env.ok(['ps', '--format', '{{.Names}} {{.State}}']).trim(), 'orphan running');
    env.ok(['stop', 'orphan']);
    assert.equal(env.ok(['inspect', '--format', '{{.State.ExitCode}}', 'orphan']).trim(), '5');
    env.ok(['rm', 'orphan']);
  });
});

describe('names and ids', () => {
  test('two concurrent run --name x leave exactly one container named x', async () => {
    const results = await Promise.all(
      [0, 1].map(
        (i) =>
          new Promise<number>((resolve) => {
            const c = env.spawn(['create', '--name', 'dup', 'busybox', 'true'], { stdio: 'ignore' });
            c.on('exit', (code) => resolve(code ?? -1));
            void i;
          }),
      ),
    );
    assert.deepEqual(results.sort(), [0, 125]);
    assert.equal(env.ok(['ps', '-a', '--filter', 'name=^dup$', '--format', '{{.Names}}']).trim(), 'dup');
    const again = env.run(['create', '--name', 'dup', 'busybox', 'true']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /the container name "dup" is already in use/);
    env.ok(['create', '--replace', '--name', 'dup', 'busybox', 'true']);
    env.ok(['rm', 'dup']);
  });

  test('generated names, rename, short ids and prefixes', () => {
    const id = env.ok(['create', 'busybox', 'true']).trim();
    const name = env.ok(['inspect', '--format', '{{.Name}}', id]).trim();
    assert.match(name, /^[a-z]+_[a-z]+$/);
    env.ok(['rename', id.slice(0, 10), 'renamed']);
    assert.equal(env.ok(['inspect', '--format', '{{.Id}}', 'renamed']).trim(), id);
    const bad = env.run(['create', '--name', '-bad', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    env.ok(['rm', 'renamed']);
  });

  test('inspect of a missing container exits 125', () => {
    const r = env.run(['inspect', 'nosuch']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no such object/);
  });
});

describe('selection flags as Podman has them', () => {
  test('start --all and --filter: which containers start, what is printed, bad input', () => {
    const ok0 = env.ok(['run', '-d', '--network=none', 'busybox', 'true']).trim();
    const fail1 = env.ok(['run', '-d', '--network=none', 'busybox', 'false']).trim();
    env.ok(['wait', ok0, fail1]);
    assert.equal(env.ok(['start', '--all', '--filter', 'exited=0']), `${ok0}\n`);
    env.ok(['wait', ok0]);
    assert.equal(env.ok(['start', '--filter', 'restart-policy=always', ok0]), '');
    assert.equal(env.ok(['start', '--filter', 'restart-policy=none', ok0.slice(0, 12)]), `${ok0.slice(0, 12)}\n`);
    env.ok(['wait', ok0]);
    const bad = env.run(['start', '--filter', 'restart-policy=fakepolicy', ok0]);
    assert.deepEqual([bad.code, bad.stderr], [125, 'Error: fakepolicy invalid restart policy\n']);
    const both = env.run(['start', '--all', ok0]);
    assert.deepEqual([both.code, both.stderr], [125, 'Error: either start all containers or the container(s) provided in the arguments\n']);
    env.ok(['rm', '-f', '-t', '0', ok0, fail1]);
  });

  test('ps: a status filter lists stopped containers without -a, other filters do not; --sort', () => {
    env.ok(['run', '-d', '--name', 'sort-runner', '--network=none', 'busybox', 'sleep', '100']);
    env.ok(['run', '-d', '--name', 'sort-stopped', '--network=none', 'busybox', 'true']);
    env.ok(['run', '-d', '--name', 'sort-failed', '--network=none', 'busybox', 'false']);
    env.ok(['wait', 'sort-stopped', 'sort-failed']);
    assert.equal(env.ok(['ps', '--filter', 'name=sort-stopped', '--format', '{{.Names}}']), '');
    assert.equal(env.ok(['ps', '--filter', 'status=exited', '--filter', 'name=sort-', '--sort', 'names', '--format', '{{.Names}}']), 'sort-failed\nsort-stopped\n');
    assert.equal(
      env.ok(['ps', '-a', '--filter', 'name=sort-', '--sort', 'created', '--format', '{{.Names}}']),
      'sort-runner\nsort-stopped\nsort-failed\n',
    );
    assert.equal(env.run(['ps', '--sort', 'bogus']).code, 125);
    env.ok(['stop', '--timeout', '0', 'sort-runner']);
    env.ok(['rm', 'sort-runner', 'sort-stopped', 'sort-failed']);
    // --force ignores missing containers silently, as --ignore does
    assert.deepEqual(env.run(['rm', '--force', 'bogus']), { code: 0, stdout: '', stderr: '' });
  });

  test('logs --since/--until (RFC 3339, Unix seconds, durations) and several containers followed', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    env.ok(['run', '-d', '--name', 'logtimes', '--network=none', 'busybox', 'sh', '-c', "echo first; trap 'echo second; exit' TERM; while :; do sleep 0.1; done"]);
    await until(() => env.run(['logs', 'logtimes']).stdout === 'first\n', 10_000);
    await sleep(1100);
    const after = new Date().toISOString();
    env.ok(['stop', 'logtimes']);
    assert.equal(env.ok(['logs', '--since', before, 'logtimes']), 'first\nsecond\n');
    assert.equal(env.ok(['logs', '--since', after, 'logtimes']), 'second\n');
    assert.equal(env.ok(['logs', '--until', before, 'logtimes']), '');
    assert.equal(env.ok(['logs', '--since', '1000', '--until', String(Date.now() / 1000 + 5), 'logtimes']), 'first\nsecond\n');
    assert.equal(env.ok(['logs', '--since', '1h', 'logtimes']), 'first\nsecond\n');
    assert.equal(env.run(['logs', '--since', 'yesterday-ish', 'logtimes']).code, 125);
    env.ok(['rm', 'logtimes']);

    // The two take turns through files in a shared directory, not through timing (a loaded CI machine is slow to start them).
    const turns = fs.mkdtempSync(path.join(env.dir, 'turns-'));
    const wait = (f: string) => `i=0; until [ -e /s/${f} ] || [ $i -ge 600 ]; do sleep 0.05; i=$((i+1)); done; sleep 0.3`;
    const c1 = env.ok(['run', '-d', '--name', 'multi1', '--network=none', '-v', `${turns}:/s`, 'busybox', 'sh', '-c', `echo a; sleep 0.3; touch /s/a; ${wait('c')}; echo d`]).trim();
    const c2 = env.ok(['run', '-d', '--name', 'multi2', '--network=none', '-v', `${turns}:/s`, 'busybox', 'sh', '-c', `${wait('a')}; echo b; sleep 0.3; echo c; sleep 0.3; touch /s/c`]).trim();
    const r = env.run(['logs', '-f', 'multi1', 'multi2']);
    assert.equal(r.stdout, `${c1.slice(0, 12)} a\n${c2.slice(0, 12)} b\n${c2.slice(0, 12)} c\n${c1.slice(0, 12)} d\n`);
    env.ok(['rm', 'multi1', 'multi2']);
  });
});

test('signal parsing errors are Podman\'s, before the container is looked up', () => {
  for (const [spec, msg] of [
    ['0', 'invalid signal: 0'],
    ['SIGBADSIG', 'invalid signal: SIGBADSIG'],
    ['-BADSIG', 'invalid signal: BADSIG'],
    ['65', 'valid signals are 1 through 64'],
    ['99999999', 'valid signals are 1 through 64'],
  ]) {
    const r = env.run(['kill', '-s', spec, 'nosuchcontainer']);
    assert.deepEqual([r.code, r.stderr], [125, `Error: ${msg}\n`], spec);
  }
  assert.equal(env.run(['create', '--stop-signal=99', 'busybox']).stderr, 'Error: valid signals are 1 through 64\n');
  assert.deepEqual(env.run(['volume', 'rm', '--force', 'bogus']), { code: 0, stdout: '', stderr: '' });
  assert.equal(env.run(['volume', 'rm', 'bogus']).code, 1);
});
