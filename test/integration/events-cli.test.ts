// `tspod events`: Podman's line format, --format json and templates,
// --filter, --since/--until, and streaming events other processes write.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv, cleanEnv, until } from '../helpers/tspod-env';

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
  test('container events carry the labels (die too); status= filters as event=; --no-trunc=false shortens the line id only', () => {
    const r = env.run(['run', '--rm', '--name', 'ev3', '--label', 'tier=web', '--label', 'note=a b', 'localhost/busybox', 'sh', '-c', 'exit 17']);
    assert.equal(r.code, 17);
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev3', '--filter', 'status=died', '--format', '{{.Attributes.note}}']), 'a b\n');
    const line = env.ok(['events', '--stream=false', '--filter', 'label=tier=web', '--filter', 'event=start']);
    assert.match(line, /container start [0-9a-f]{64} \(image=localhost\/busybox(:latest)?, name=ev3, .*tier=web/);
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'label=tier=other', '--filter', 'event=start']), '');
    const id = /start ([0-9a-f]{64}) /.exec(line)?.[1] as string;
    assert.match(env.ok(['events', '--stream=false', '--filter', 'container=ev3', '--filter', 'event=start', '--no-trunc=false']), new RegExp(` ${id.slice(0, 12)} \\(`));
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=ev3', '--filter', 'event=start', '--no-trunc=false', '--format', '{{.ID}}']), `${id}\n`);
  });

  test('image events: tag, untag, save, load, push to dir:, pull docker-archive:, rmi', () => {
    const t0 = new Date(Date.now() - 1000).toISOString();
    const id = env.ok(['image', 'inspect', '--format', '{{.ID}}', 'localhost/busybox']).trim();
    const tar = path.join(env.dir, 'ev.tar');
    const dir = path.join(env.dir, 'pushed');
    fs.mkdirSync(dir);
    env.ok(['tag', 'localhost/busybox', 'registry.example/evtag']);
    env.ok(['untag', 'localhost/busybox', 'registry.example/evtag']);
    env.ok(['save', '-o', tar, 'localhost/busybox']);
    env.ok(['push', 'localhost/busybox', `dir:${dir}`]);
    assert.ok(fs.existsSync(path.join(dir, 'manifest.json')), 'dir: holds the image');
    env.ok(['pull', `docker-archive:${tar}`]);
    env.ok(['load', '-i', tar]);
    const got = env.ok(['events', '--stream=false', '--filter', 'type=image', '--since', t0, '--format', '{{.Status}}--{{.ID}}--{{.Name}}']);
    assert.deepEqual(got.trim().split('\n'), [
      `tag--${id}--registry.example/evtag`,
      `untag--${id}--registry.example/evtag:latest`,
      `save--${id}--${tar}`,
      `push--${id}--dir:${dir}`,
      `pull----docker-archive:${tar}`,
      `loadfromarchive----${tar}`,
    ]);
    env.ok(['tag', 'localhost/busybox', 'localhost/evcopy']);
    const t1 = new Date().toISOString();
    env.ok(['run', '--name', 'evuser', 'localhost/evcopy', 'true']); // rmi -f takes its containers too
    env.ok(['rmi', '-f', id]);
    const rm = env.ok(['events', '--stream=false', '--filter', 'type=image', '--since', t1, '--format', '{{.Status}} {{.Name}}']);
    assert.deepEqual(rm.trim().split('\n'), ['untag localhost/busybox:latest', 'untag localhost/evcopy:latest', `remove ${id}`]);
    env.importTestImages(); // for the tests that follow
  });

  test('events_logfile_path in containers.conf moves the log', () => {
    const log = path.join(env.dir, 'custom-events.log');
    const conf = path.join(env.dir, 'events.conf');
    fs.writeFileSync(conf, `[engine]\nevents_logfile_path = "${log}"\n`);
    const confEnv = cleanEnv({ CONTAINERS_CONF: conf });
    env.ok(['tag', 'localhost/busybox', 'localhost/evlog'], { env: confEnv });
    assert.match(fs.readFileSync(log, 'utf8'), /"Status":"tag".*"Name":"localhost\/evlog"/);
    assert.match(env.ok(['events', '--stream=false', '--filter', 'type=image', '--format', '{{.Status}} {{.Name}}'], { env: confEnv }), /^tag localhost\/evlog$/m);
    // the default log did not get it
    assert.doesNotMatch(env.ok(['events', '--stream=false', '--filter', 'type=image', '--format', '{{.Name}}']), /evlog/);
  });

  test('a detached container\'s died and remove events reach the configured log (the monitor passes the configuration on)', async () => {
    const log = path.join(env.dir, 'detached-events.log');
    const conf = path.join(env.dir, 'detached-events.conf');
    fs.writeFileSync(conf, `[engine]\nevents_logfile_path = "${log}"\n`);
    const confEnv = cleanEnv({ CONTAINERS_CONF: conf });
    const id = env.ok(['run', '-d', '--rm', '--name', 'evdet', 'localhost/busybox', 'true'], { env: confEnv }).trim();
    // the exit command (started by the monitor, not by this CLI) writes died and remove
    await until(() => /"Status":"remove"/.test(fs.readFileSync(log, 'utf8')));
    const statuses = env.ok(['events', '--stream=false', '--filter', 'container=evdet', '--format', '{{.Status}} {{.ID}}'], { env: confEnv });
    assert.deepEqual(statuses.trim().split('\n'), ['create', 'start', 'died', 'remove'].map((s) => `${s} ${id}`));
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'container=evdet']), '');
  });
});
