// Health checks with real containers: `healthcheck run`, the status in inspect
// and ps, retries and the start period, the monitor's interval timer (Podman's
// systemd timer), --health-on-failure, the image's HEALTHCHECK, and the same
// through the Docker API with the real docker CLI and docker-compose's
// `depends_on: condition: service_healthy`.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv, cleanEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('healthcheck');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);
// The container's main process exits on SIGTERM (busybox sh as PID 1 ignores it otherwise).
const WAITER = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'];

before(async () => {
  env.importTestImages();
  await svc.start();
});
after(async () => {
  await svc.stop();
  env.cleanup();
});

type Health = { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] | null };
const health = (name: string): Health => JSON.parse(env.ok(['inspect', '--format', '{{json .State.Health}}', name])) as Health;

test('healthcheck run: healthy, then failures count up to the retries; inspect, ps and events show it', () => {
  env.ok(['run', '-d', '--name', 'hc-basic', '--health-cmd', 'echo out; echo err >&2; test ! -e /uh-oh', '--health-interval', 'disable', '--health-retries', '2', 'localhost/busybox', ...WAITER]);
  assert.equal(health('hc-basic').Status, 'starting', 'no check has run yet');
  const ok = env.run(['healthcheck', 'run', 'hc-basic']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '');
  let h = health('hc-basic');
  assert.equal(h.Status, 'healthy');
  assert.equal(h.FailingStreak, 0);
  assert.deepEqual(h.Log?.map((l) => [l.ExitCode, l.Output]), [[0, 'out\nerr']], 'stdout and stderr in the order written, the last newline dropped');
  assert.equal(env.ok(['inspect', '--format', '{{.State.Healthcheck.Status}} {{.Config.HealthcheckOnFailureAction}} {{json .Config.Healthcheck.Test}}', 'hc-basic']).trim(), 'healthy none ["CMD-SHELL","echo out; echo err >&2; test ! -e /uh-oh"]');
  assert.match(env.ok(['ps', '--format', '{{.Status}}', '--filter', 'name=hc-basic']), /^Up .* \(healthy\)$/m);
  assert.equal(env.ok(['ps', '-q', '--filter', 'health=healthy']).trim().length, 12);

  env.ok(['exec', 'hc-basic', 'touch', '/uh-oh']);
  const fail1 = env.run(['healthcheck', 'run', 'hc-basic']);
  assert.equal(fail1.code, 1);
  assert.equal(fail1.stdout, 'unhealthy\n');
  h = health('hc-basic');
  assert.equal(h.Status, 'healthy', 'one failure of two retries');
  assert.equal(h.FailingStreak, 1);
  assert.equal(env.run(['healthcheck', 'run', 'hc-basic']).code, 1);
  h = health('hc-basic');
  assert.equal(h.Status, 'unhealthy');
  assert.equal(h.FailingStreak, 2);
  assert.equal(h.Log?.length, 3);
  assert.match(env.ok(['ps', '--format', '{{.Status}}', '--filter', 'health=unhealthy']), /\(unhealthy\)/);
  const events = env.ok(['events', '--since', '60s', '--until', '0s', '--filter', 'event=health_status', '--format', 'json']);
  const statuses = events.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { HealthStatus: string }).HealthStatus);
  assert.deepEqual(statuses, ['healthy', 'healthy', 'unhealthy'], events);
  // Six more results: only the last five are kept.
  for (let i = 0; i < 3; i++) env.run(['healthcheck', 'run', 'hc-basic']);
  assert.equal(health('hc-basic').Log?.length, 5);
  env.ok(['rm', '-f', '-t', '0', 'hc-basic']);
});

test('the start period: failures there do not count; --health-cmd in JSON form runs without a shell', () => {
  env.ok(['run', '-d', '--name', 'hc-start', '--health-cmd', '["false"]', '--health-interval', 'disable', '--health-retries', '1', '--health-start-period', '1m', 'localhost/busybox', ...WAITER]);
  assert.equal(env.run(['healthcheck', 'run', 'hc-start']).code, 1);
  const h = health('hc-start');
  assert.equal(h.Status, 'starting');
  assert.equal(h.FailingStreak, 0);
  assert.equal(h.Log?.[0].ExitCode, 1);
  env.ok(['rm', '-f', '-t', '0', 'hc-start']);
});

test('the monitor runs the check every interval; --health-on-failure=stop|kill|restart act when it turns unhealthy', async () => {
  env.ok(['run', '-d', '--name', 'hc-timer', '--health-cmd', 'test ! -e /uh-oh', '--health-interval', '1s', '--health-retries', '1', '--health-on-failure', 'stop', 'localhost/busybox', ...WAITER]);
  await until(() => health('hc-timer').Status === 'healthy' || undefined, 10_000, 200);
  env.ok(['exec', 'hc-timer', 'touch', '/uh-oh']);
  await until(() => env.ok(['inspect', '--format', '{{.State.Status}}', 'hc-timer']).trim() === 'exited' || undefined, 15_000, 200);
  assert.equal(health('hc-timer').Status, 'unhealthy');

  for (const action of ['kill', 'restart'] as const) {
    const name = `hc-${action}`;
    env.ok(['run', '-d', '--name', name, '--health-cmd', 'test ! -e /uh-oh || (rm /uh-oh; false)', '--health-interval', 'disable', '--health-retries', '1', '--health-on-failure', action, 'localhost/busybox', ...WAITER]);
    const firstStart = env.ok(['inspect', '--format', '{{.State.StartedAt}}', name]).trim();
    env.ok(['exec', name, 'touch', '/uh-oh']);
    assert.equal(env.run(['healthcheck', 'run', name]).stdout, 'unhealthy\n');
    const [status, started] = env.ok(['inspect', '--format', '{{.State.Status}} {{.State.StartedAt}}', name]).trim().split(' ');
    if (action === 'kill') assert.equal(status, 'exited');
    else {
      assert.equal(status, 'running', 'restarted');
      assert.notEqual(started, firstStart);
      assert.equal(env.run(['healthcheck', 'run', name]).code, 0, 'a new run starts healthy again');
    }
  }
  env.ok(['rm', '-f', '-t', '0', 'hc-timer', 'hc-kill', 'hc-restart']);
});

test("the image's HEALTHCHECK applies unless --no-healthcheck or --health-cmd none; bad input is refused", () => {
  const ctx = path.join(env.dir, 'hc-image');
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nHEALTHCHECK --interval=5m --retries=4 CMD echo from-image\n');
  env.ok(['build', '-q', '-t', 'hc-img', ctx]);
  env.ok(['run', '-d', '--name', 'hc-from-image', '--health-timeout', '10s', 'hc-img', ...WAITER]);
  assert.equal(env.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', 'hc-from-image']).trim(), JSON.stringify({ Test: ['CMD-SHELL', 'echo from-image'], Interval: 300e9, Timeout: 10e9, Retries: 4 }));
  assert.equal(env.run(['healthcheck', 'run', 'hc-from-image']).code, 0);
  assert.equal(health('hc-from-image').Log?.[0].Output, 'from-image');
  for (const flags of [['--no-healthcheck'], ['--health-cmd', 'none']]) {
    env.ok(['create', '--name', 'hc-none', ...flags, 'hc-img', 'true']);
    assert.equal(env.ok(['inspect', '--format', '{{.State.Health.Status}}|{{.Config.HealthcheckOnFailureAction}}', 'hc-none']).trim(), '|none');
    env.ok(['rm', 'hc-none']);
  }
  const none = env.run(['run', '-d', '--name', 'hc-plain', 'localhost/busybox', ...WAITER]);
  assert.equal(none.code, 0, none.stderr);
  const noCheck = env.run(['healthcheck', 'run', 'hc-plain']);
  assert.equal(noCheck.code, 125);
  assert.match(noCheck.stderr, /^Error: container [0-9a-f]{64} has no defined healthcheck$/m);
  const missing = env.run(['healthcheck', 'run', 'nonesuch']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /unable to look up nonesuch to perform a health check: no container with name or ID "nonesuch" found/);
  const noAction = env.run(['create', '--health-on-failure=kill', 'localhost/busybox']);
  assert.equal(noAction.code, 125);
  assert.equal(noAction.stderr.trim(), 'Error: cannot set on-failure action to kill without a health check');
  for (const bad of [['--health-interval', 'soon'], ['--health-retries', '0'], ['--health-on-failure', 'explode'], ['--health-timeout', '10ms']]) {
    const r = env.run(['create', '--health-cmd', 'true', ...bad, 'localhost/busybox']);
    assert.equal(r.code, 125, bad.join(' '));
  }
  assert.equal(env.ok(['ps', '-a', '-q', '--filter', 'name=hc-none']).trim(), '', 'nothing was created by the refused commands');
  env.ok(['rm', '-f', '-t', '0', 'hc-from-image', 'hc-plain']);
});

function docker(args: string[], timeout = 60_000) {
  const r = spawnSync('docker', args, { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

test('Docker API: docker run --health-* and State.Health; libpod healthcheck endpoint', async () => {
  const r = docker(['run', '-d', '--name', 'hc-docker', '--health-cmd', 'test -e /ready', '--health-interval', '1s', '--health-retries', '2', 'localhost/busybox', ...WAITER]);
  assert.equal(r.code, 0, r.stderr);
  const dstate = () => docker(['inspect', '--format', '{{.State.Health.Status}}', 'hc-docker']).stdout.trim();
  await until(() => dstate() === 'unhealthy' || undefined, 15_000, 200);
  assert.equal(docker(['exec', 'hc-docker', 'touch', '/ready']).code, 0);
  await until(() => dstate() === 'healthy' || undefined, 15_000, 200);
  assert.match(docker(['ps', '--format', '{{.Status}}', '--filter', 'name=hc-docker']).stdout, /\(healthy\)/);
  assert.equal(docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', 'hc-docker']).stdout.trim(), '["CMD-SHELL","test -e /ready"]');
  // A container without a check has no State.Health in Docker's shape.
  docker(['create', '--name', 'hc-docker-none', 'localhost/busybox', 'true']);
  assert.equal(docker(['inspect', '--format', '{{json .State.Health}}', 'hc-docker-none']).stdout.trim(), 'null');
  // libpod: GET /containers/{name}/healthcheck runs it once
  const curl = spawnSync('curl', ['-s', '-w', '\n%{http_code}', '--unix-socket', sock, 'http://d/v4.0.0/libpod/containers/hc-docker/healthcheck'], { encoding: 'utf8' });
  const [body, status] = curl.stdout.trim().split('\n');
  assert.equal(status, '200');
  assert.equal((JSON.parse(body) as { Status: string }).Status, 'healthy');
  const none = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', sock, 'http://d/v4.0.0/libpod/containers/hc-docker-none/healthcheck'], { encoding: 'utf8' });
  assert.equal(none.stdout, '409');
  docker(['rm', '-f', 'hc-docker', 'hc-docker-none']);
});

test('docker-compose: depends_on condition service_healthy waits for the check', () => {
  if (spawnSync('docker-compose', ['version']).status !== 0) return;
  const dir = path.join(env.dir, 'compose-health');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    [
      "version: '2.4'",
      'services:',
      '  db:',
      '    image: localhost/busybox',
      '    command: ["sh", "-c", "trap \\"exit 0\\" TERM; sleep 2; touch /ready; while :; do sleep 0.1; done"]',
      '    healthcheck:',
      '      test: ["CMD", "test", "-e", "/ready"]',
      '      interval: 1s',
      '      retries: 10',
      '  app:',
      '    image: localhost/busybox',
      '    command: ["sh", "-c", "echo app-started; sleep 30"]',
      '    depends_on:',
      '      db:',
      '        condition: service_healthy',
      '',
    ].join('\n'),
  );
  const compose = (args: string[]) => spawnSync('docker-compose', ['-p', 'hcp', '--ansi', 'never', ...args], { cwd: dir, env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout: 120_000 });
  try {
    const up = compose(['up', '-d']);
    assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
    // app was started only once db was healthy
    const db = docker(['inspect', '--format', '{{.State.Health.Status}}', 'hcp_db_1']).stdout.trim();
    assert.equal(db, 'healthy');
    const appStarted = Date.parse(docker(['inspect', '--format', '{{.State.StartedAt}}', 'hcp_app_1']).stdout.trim());
    const dbStarted = Date.parse(docker(['inspect', '--format', '{{.State.StartedAt}}', 'hcp_db_1']).stdout.trim());
    assert.ok(appStarted - dbStarted >= 2000, `app started ${appStarted - dbStarted} ms after db`);
  } finally {
    compose(['down', '-t', '0']);
  }
});
