// The postgres@.service pattern from the seed post, run the way systemd runs it:
//   ExecStartPre=-tspod create --net host --name %n IMAGE -p %i
//   ExecStart=tspod start -a --sig-proxy %n
// Two instances at once, a restart that reuses the container, and a stop.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('template');
const running = new Map<string, ChildProcess>();
before(() => env.importTestImages());
after(() => {
  for (const c of running.values()) if (c.exitCode === null) c.kill('SIGKILL');
  env.cleanup();
});

const base = 30000 + (process.pid % 20000);
const instances = [base, base + 1].map((p) => ({ port: p, unit: `echo@${p}.service` }));

function roundTrip(port: number, text: string): string {
  const r = spawnSync('socat', ['-t', '5', '-T', '10', '-', `tcp4:127.0.0.1:${port}`], { input: text, encoding: 'utf8', timeout: 20_000 });
  return r.stdout;
}

/** What systemd does on `systemctl start`: ExecStartPre (failure ignored), then ExecStart in the foreground. */
async function startUnit(unit: string, port: number): Promise<{ pre: number }> {
  const pre = env.run(['create', '--net', 'host', '--name', unit, 'localhost/echo', '-p', String(port)]);
  const main = env.spawn(['start', '-a', '--sig-proxy', unit], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.set(unit, main);
  await until(() => roundTrip(port, 'ping\n') === 'ping\n', 15_000, 100);
  return { pre: pre.code };
}

/** What systemd does on `systemctl stop` with the default KillMode: SIGTERM to the main process. */
async function stopUnit(unit: string): Promise<number | null> {
  const main = running.get(unit);
  assert.ok(main);
  const code = new Promise<number | null>((r) => main.on('exit', (c) => r(c)));
  main.kill('SIGTERM');
  return code;
}

test('two instances run at once on their own ports', async () => {
  for (const i of instances) assert.equal((await startUnit(i.unit, i.port)).pre, 0);
  for (const i of instances) assert.equal(roundTrip(i.port, `to ${i.port}\n`), `to ${i.port}\n`);
  const names = env.ok(['ps', '--format', '{{.Names}}']).trim().split('\n').sort();
  assert.deepEqual(names, instances.map((i) => i.unit).sort());
});

test('a restart reuses the container: the create fails with "already in use" and is ignored', async () => {
  const [i] = instances;
  const id = env.ok(['inspect', '--format', '{{.Id}}', i.unit]).trim();
  assert.equal(await stopUnit(i.unit), 0);
  const again = await startUnit(i.unit, i.port);
  assert.equal(again.pre, 125);
  assert.equal(env.ok(['inspect', '--format', '{{.Id}}', i.unit]).trim(), id);
  assert.equal(roundTrip(i.port, 'after restart\n'), 'after restart\n');
});

test('stopping the units stops the containers', async () => {
  for (const i of instances) assert.equal(await stopUnit(i.unit), 0);
  assert.equal(env.ok(['ps', '--format', '{{.Names}}']).trim(), '');
  for (const i of instances) {
    assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', i.unit]).trim(), 'exited');
    assert.notEqual(roundTrip(i.port, 'x\n'), 'x\n');
  }
});
