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
  // More than a pipe holds (64 KiB): the writer is still writing when head goes, whatever the machine's load
  const id = env.ok(['run', '-d', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 30000 ]; do echo line $i; i=$((i+1)); done']).trim();
  try {
    env.ok(['wait', id]);
    const argv = env.argv(['logs', id]).map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${argv} | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, 'line 0\n');
    assert.equal(r.stderr, 'rc=141\n');
  } finally {
    env.run(['rm', '-f', '-t', '0', id]);
  }
});

test('version: a template sees .Server as the client itself locally (Podman\'s 200-pod names its infra image so); json shows only Client', () => {
  const v = env.ok(['version', '--format', '{{.Client.Version}}']).trim();
  assert.equal(env.ok(['version', '--format', '{{.Server.Version}}']).trim(), v);
  assert.deepEqual(Object.keys(JSON.parse(env.ok(['version', '--format', 'json'])) as object), ['Client']);
});

test('pflag\'s words for a missing value and an unknown flag before an unknown command (125)', () => {
  let r = env.run(['run', '-h']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "Error: flag needs an argument: 'h' in -h\nSee 'tspod run --help'\n");
  r = env.run(['run', '--hostname']);
  assert.equal(r.stderr, "Error: flag needs an argument: --hostname\nSee 'tspod run --help'\n");
  r = env.run(['bad', '--invalid']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "Error: unknown flag: --invalid\nSee 'tspod --help'\n");
  r = env.run(['bad']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /unrecognized command `tspod bad`/);
});

test('system service: an endpoint without a known scheme is refused with the whole URI in the hint; --cors is logged at debug', () => {
  let r = env.run(['system', 'service', 'localhost:9292']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, 'Error: API Service endpoint scheme "localhost" is not supported. Try tcp://localhost:9292 or unix:/localhost:9292\n');
  r = env.run(['system', 'service', 'myunix.sock']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, 'Error: API Service endpoint scheme "" is not supported. Try tcp://myunix.sock or unix:/myunix.sock\n');
  const sock = `unix://${env.dir}/cors.sock`;
  r = env.run(['system', 'service', '--log-level=debug', '--cors=*', '-t', '1', sock]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /level=debug msg="CORS Headers were set to \\"\*\\""/);
});

test('info -f \'\' prints an empty line; --cgroup-manager=cgroupfs warns about nothing', () => {
  const r = env.run(['--log-level', 'warning', '--cgroup-manager=cgroupfs', 'info', '-f', '']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '\n');
  assert.equal(r.stderr, '');
});

test('generate systemd: --template with --new=false, and for a pod, are refused (125)', () => {
  env.ok(['create', '--name', 'tmpl', 'localhost/busybox', 'top']);
  let r = env.run(['generate', 'systemd', '--new=false', '--template', '-n', 'tmpl']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, 'Error: --template cannot be set with --new=false\n');
  // --template alone implies --new
  assert.match(env.ok(['generate', 'systemd', '--template', '-n', 'tmpl']), /# container-tmpl@\.service/);
  env.ok(['pod', 'create', '--name', 'tmplpod']);
  r = env.run(['generate', 'systemd', '--new', '--template', '-n', 'tmplpod']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /--template is not supported for pods/);
  r = env.run(['generate', 'systemd', '-n', 'nosuchthing']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /nosuchthing does not refer to a container or pod: no pod with name or ID nosuchthing found: no such pod: no container with name or ID "nosuchthing" found/);
  env.ok(['rm', 'tmpl']);
  env.ok(['pod', 'rm', '-f', '-t', '0', 'tmplpod']);
});

test('stop: while it waits out the timeout the container is "stopping" and other commands go on (050-stop)', async (t) => {
  env.ok(['run', '-d', '--name', 'stopme', 'localhost/busybox', 'sh', '-c', "trap 'echo got TERM' TERM; echo READY; while :; do sleep 0.2; done"]);
  t.after(() => env.run(['rm', '-f', '-t', '0', 'stopme']));
  const deadline = Date.now() + 10_000;
  while (!env.ok(['logs', 'stopme']).includes('READY') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const stop = env.spawn(['stop', '-t', '20', 'stopme'], { stdio: 'ignore' });
  const stopped = new Promise<number | null>((r) => stop.on('exit', r));
  t.after(() => stop.kill('SIGKILL'));
  while (!env.ok(['logs', 'stopme']).includes('got TERM') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  env.ok(['ps', '-a']);
  assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', 'stopme']), 'stopping\n');
  assert.ok(Date.now() - t0 < 5000, 'ps and inspect did not wait for the stop');
  env.ok(['kill', 'stopme']);
  env.ok(['wait', 'stopme']);
  assert.equal(await stopped, 0);
  assert.equal(env.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'stopme']), 'exited 137\n');
});

test('info: the keys Podman scripts read; --volumepath moves the volumes', () => {
  const info = JSON.parse(env.ok(['info', '--format', 'json'])) as {
    host: { buildahVersion: string; conmon: { package: string; path: string }; ociRuntime: { path: string }; slirp4netns: { executable: string } };
    store: { configFile: string; graphDriverName: string; volumePath: string };
  };
  assert.match(info.host.buildahVersion, /^[1-9][0-9]*\.[0-9.]+/);
  assert.match(info.host.conmon.package, /conmon/);
  assert.match(info.host.conmon.path, /^\//);
  assert.ok(typeof info.host.slirp4netns.executable === 'string');
  assert.equal(info.store.volumePath, `${env.root}/volumes`);
  const yaml = env.ok(['info']);
  assert.match(yaml, /\n {2}buildahVersion: [0-9.]+\n/);
  const vols = `${env.dir}/volumes-elsewhere`;
  assert.equal(env.ok(['--volumepath', vols, 'info', '--format', '{{ .Store.VolumePath }}']), `${vols}\n`);
  env.ok(['--volumepath', vols, 'volume', 'create', 'moved']);
  assert.equal(env.ok(['--volumepath', vols, 'volume', 'inspect', '--format', '{{.Mountpoint}}', 'moved']), `${vols}/moved/_data\n`);
  env.ok(['--volumepath', vols, 'run', '--rm', '-v', 'moved:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
  assert.equal(spawnSync('cat', [`${vols}/moved/_data/f`], { encoding: 'utf8' }).stdout, 'kept\n');
  env.ok(['--volumepath', vols, 'volume', 'rm', 'moved']);
});
