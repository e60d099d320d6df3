// `tspod events`: Podman's line format, --format json and templates,
// --filter, --since/--until, and streaming events other processes write.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TspodEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('events-cli');

describe('events', () => {
  before(() => env.importTestImages());
  after(() => env.cleanup());

  test('past events in Podman format, json and templates, filtered', () => {
    const t0 = new Date(Date.now() - 1000).toISOString();
    const r = env.run(['run', '--rm', '--name', 'ev1', 'localhost/busybox', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    const id = (() => {
      const line = env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--filter', 'event=create']);
      return /container create ([0-9a-f]{64}) /.exec(line)?.[1] ?? '';
    })();
    assert.match(id, /^[0-9a-f]{64}$/);

    const lines = env.ok(['events', '--stream=false', '--filter', 'container=ev1']).trim().split('\n');
    const statuses = lines.map((l) => l.split(' ')[5]);
    assert.deepEqual(statuses.filter((s) => ['create', 'start', 'died', 'remove'].includes(s)), ['create', 'start', 'died', 'remove']);
    for (const l of lines)
      assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)? \\+0000 UTC container \\w+ ${id} \\(image=localhost/busybox(:latest)?, name=ev1\\)$`));

    const json = env.ok(['events', '--stream=false', '--format', 'json', '--filter', 'container=ev1', '--filter', 'event=died']).trim().split('\n');
    assert.equal(json.length, 1);
    const ev = JSON.parse(json[0]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(ev), ['ContainerExitCode', 'ID', 'Image', 'Name', 'Status', 'Time', 'Type', 'Attributes']);
    assert.equal(ev.ContainerExitCode, 3);
    assert.equal(ev.Status, 'died');
    assert.match(ev.Time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--format', '{{.Status}} {{.Name}}', '--filter', 'event=start']), 'start ev1\n');
    // Docker's names for the same events work as filters too
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--filter', 'event=die', '--format', '{{.Status}}']), 'died\n');
    // different keys AND, same key OR
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--filter', 'event=start', '--filter', 'event=remove', '--format', '{{.Status}}']), 'start\nremove\n');
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--filter', 'type=image']), '');

    // time windows: RFC 3339, unix seconds, durations
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--since', t0, '--format', '{{.Status}}']).split('\n').filter(Boolean).length, 4);
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--until', t0]), '');
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--since', String(Math.floor(Date.now() / 1000) + 60)]), '');
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev1', '--since', '10m', '--format', '{{.Status}}']).split('\n').filter(Boolean).length, 4);
  });

  test('bad filters and times are errors (125)', () => {
    let r = env.run(['events', '--stream=false', '--filter', 'bogus=1']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /bogus is an invalid filter/);
    r = env.run(['events', '--stream=false', '--since', 'yesterday-ish']);
    assert.equal(r.code, 125);
  });

  test('streams the events that other tspod processes write', async (t) => {
    const ev = env.spawn(['events', '--filter', 'container=ev2', '--format', '{{.Status}} {{.Name}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => ev.kill('SIGKILL'));
    let out = '';
    ev.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(out, '', 'no past events for ev2');
    env.ok(['run', '--rm', '--name', 'ev2', 'localhost/busybox', 'true']);
    await until(() => out.includes('remove ev2\n'), 10_000);
    assert.deepEqual(out.trim().split('\n'), ['create ev2', 'start ev2', 'died ev2', 'remove ev2']);
    assert.equal(ev.exitCode, null, 'still streaming');
  });

  test('--until in the future streams until then and exits', async () => {
    const until2s = new Date(Date.now() + 1500).toISOString();
    const started = Date.now();
    const r = env.run(['events', '--until', until2s, '--filter', 'container=none-such']);
    assert.equal(r.code, 0);
    assert.ok(Date.now() - started >= 1000, 'waited for the end of the window');
  });
});
