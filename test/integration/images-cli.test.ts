// Image commands through the CLI: import with --change, load of archives that
// `save` formats produce, images listing and formats, tag, rmi semantics, and
// containers running from every kind of image.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { TspodEnv, FIXTURES } from '../helpers/tspod-env';

const env = new TspodEnv('images');
before(() => env.importTestImages());
after(() => env.cleanup());

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A docker-archive (as `docker save` writes it) around the busybox rootfs tar, built with GNU tar. */
function dockerArchive(dir: string, repoTag: string, gzip: boolean): string {
  const stage = fs.mkdtempSync(path.join(dir, 'stage-'));
  const layer = fs.readFileSync(path.join(FIXTURES, 'busybox-rootfs.tar'));
  const diffId = sha256(layer);
  fs.mkdirSync(path.join(stage, diffId));
  fs.writeFileSync(path.join(stage, diffId, 'layer.tar'), layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['echo', 'from-archive'], Env: ['PATH=/bin:/usr/bin', 'ARCHIVED=1'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'test' }],
    }),
  );
  const configId = sha256(config);
  fs.writeFileSync(path.join(stage, `${configId}.json`), config);
  fs.writeFileSync(path.join(stage, 'manifest.json'), JSON.stringify([{ Config: `${configId}.json`, RepoTags: [repoTag], Layers: [`${diffId}/layer.tar`] }]));
  const out = path.join(dir, `archive-${configId.slice(0, 8)}.tar`);
  const r = spawnSync('tar', ['-C', stage, '-cf', out, '.'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  if (!gzip) return out;
  fs.writeFileSync(`${out}.gz`, zlib.gzipSync(fs.readFileSync(out)));
  return `${out}.gz`;
}

test('import with --change sets the image config', () => {
  const id = env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'changed', '--change', 'ENV GREETING=hi', '--change', 'WORKDIR /tmp', '--change', 'CMD ["sh", "-c", "echo $GREETING from $(pwd)"]']).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(env.ok(['run', '--rm', 'changed']), 'hi from /tmp\n');
  assert.equal(env.ok(['image', 'inspect', '--format', '{{.Config.WorkingDir}}', 'localhost/changed:latest']).trim(), '/tmp');
});

test('load docker-archive, plain and gzip, and run from it', () => {
  for (const gz of [false, true]) {
    const name = gz ? 'example.com/loaded/gz:v1' : 'example.com/loaded/plain:v1';
    const out = env.ok(['load', '-i', dockerArchive(env.dir, name, gz)]);
    assert.equal(out, `Loaded image: ${name}\n`);
    assert.equal(env.ok(['run', '--rm', name]), 'from-archive\n');
    assert.equal(env.ok(['run', '--rm', name, 'sh', '-c', 'echo $ARCHIVED']), '1\n');
  }
  const bad = path.join(env.dir, 'bad.tar');
  fs.writeFileSync(bad, 'not a tar at all');
  const r = env.run(['load', '-i', bad]);
  assert.equal(r.code, 125);
});

test('images: table, -q, json, and a Go template', () => {
  const table = env.ok(['images']);
  const [header, ...rows] = table.trim().split('\n');
  assert.match(header, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  assert.ok(rows.some((r) => /^localhost\/busybox\s+latest\s+[0-9a-f]{12}\s+.+\s+2\.\d+ MB$/.test(r)), table);
  const ids = env.ok(['images', '-q']).trim().split('\n');
  assert.ok(ids.every((i) => /^[0-9a-f]{12}$/.test(i)));
  const json = JSON.parse(env.ok(['images', '--format', 'json'])) as { Id: string; Names: string[] }[];
  assert.ok(json.some((i) => i.Names.includes('localhost/busybox:latest')));
  assert.match(env.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^localhost\/busybox:latest$/m);
});

test('tag, rmi of a name only untags, rmi of an image in use needs -f', () => {
  env.ok(['tag', 'busybox', 'localhost/other:v2']);
  const id = env.ok(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).trim();
  assert.equal(env.ok(['image', 'inspect', '--format', '{{.Id}}', 'other:v2']).trim(), id);
  assert.equal(env.ok(['rmi', 'localhost/other:v2']), 'Untagged: localhost/other:v2\n');
  assert.equal(env.run(['image', 'exists', 'localhost/other:v2']).code, 1);

  env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'doomed']);
  env.ok(['create', '--name', 'user-of-doomed', 'doomed', 'true']);
  const inUse = env.run(['rmi', 'doomed']);
  assert.equal(inUse.code, 2);
  assert.match(inUse.stderr, /image is in use by a container/);
  env.ok(['rmi', '-f', 'doomed']);
  assert.equal(env.run(['container', 'exists', 'user-of-doomed']).code, 1);
  assert.equal(env.run(['rmi', 'doomed']).code, 1);
  // --force also ignores a missing image, silently (Podman's 010-images).
  const forced = env.run(['image', 'rm', '--force', 'bogus']);
  assert.deepEqual([forced.code, forced.stdout, forced.stderr], [0, '', '']);
});

test('untag: one name (normalized as tag does), an unknown one refused, all names', () => {
  env.ok(['tag', 'busybox', 'registry.example/image', 'short']);
  env.ok(['untag', 'busybox', 'registry.example/image:latest']);
  assert.equal(env.run(['image', 'exists', 'registry.example/image']).code, 1);
  env.ok(['untag', 'busybox', 'short']);
  assert.equal(env.run(['image', 'exists', 'localhost/short:latest']).code, 1);
  const bad = env.run(['untag', 'busybox', 'registry.example/foo:bar']);
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr, 'Error: registry.example/foo:bar: tag not known\n');
  env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'nameless:a']);
  env.ok(['tag', 'nameless:a', 'nameless:b']);
  const id = env.ok(['image', 'inspect', '--format', '{{.ID}}', 'nameless:a']).trim();
  env.ok(['untag', 'nameless:a']);
  assert.equal(env.ok(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}', '--no-trunc']).includes(`${id} <none>:<none>`), true);
  env.ok(['rmi', id]);
});

test('global flags: --log-level checked and honoured, --debug, --noout, --storage-opt', () => {
  const bad = env.run(['--log-level=telepathic', 'images']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Log Level "telepathic" is not supported/);
  const trace = env.run(['--log-level=trace', 'images', '-q']);
  assert.equal(trace.code, 0);
  for (const level of ['trace', 'debug', 'info']) assert.match(trace.stderr, new RegExp(` level=${level} `));
  const info = env.run(['--log-level', 'info', 'images', '-q']);
  assert.doesNotMatch(info.stderr, / level=(trace|debug) /);
  assert.match(info.stderr, / level=info /);
  assert.equal(env.run(['--log-level=warn', 'images', '-q']).stderr, '');
  assert.match(env.run(['-D', 'images', '-q']).stderr, / level=debug /);
  const both = env.run(['--debug', '--log-level=panic', 'images']);
  assert.deepEqual([both.code, both.stderr], [1, 'Setting --log-level and --debug is not allowed\n']);
  const quiet = env.run(['--noout', 'create', '--name', 'noout-ctr', 'busybox', 'true']);
  assert.deepEqual([quiet.code, quiet.stdout], [0, '']);
  assert.equal(env.run(['container', 'exists', 'noout-ctr']).code, 0);
  assert.deepEqual(env.run(['--noout', 'rm', 'noout-ctr']).stdout, '');
  assert.equal(env.run(['--storage-opt=', 'images', '-q']).code, 0);
  assert.equal(env.run(['--storage-opt=overlay.mountopt=nodev', 'images']).code, 125);
});

test('ps never shows a half-written container during heavy create and rm', async () => {
  const churn = Array.from({ length: 2 }, () =>
    env.spawn(['create', 'busybox', 'true'], { stdio: 'ignore' }),
  );
  const deadline = Date.now() + 4000;
  let checks = 0;
  while (Date.now() < deadline) {
    const r = env.run(['ps', '-a', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { Id: string; Names: string[]; State: string }[];
    for (const row of rows) {
      assert.match(row.Id, /^[0-9a-f]{64}$/);
      assert.equal(row.Names.length, 1);
    }
    checks++;
    if (checks % 3 === 0) env.spawn(['rm', '-a', '-f'], { stdio: 'ignore' });
    else churn.push(env.spawn(['create', 'busybox', 'true'], { stdio: 'ignore' }));
  }
  await Promise.all(churn.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
  assert.ok(checks > 5);
});

test('images: labels from the config, --filter (before, after, since, label, reference, dangling), --sort', async () => {
  env.ok(['import', '--change', 'LABEL created_by=filters-test', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/filters-newer']);
  assert.equal(env.ok(['images', '--filter', 'reference=filters-newer', '--format', '{{.Labels.created_by}}']), 'filters-test\n');
  const json = JSON.parse(env.ok(['images', '--format', 'json', '--filter', 'label=created_by=filters-test'])) as { Labels: Record<string, string> }[];
  assert.deepEqual(json.map((i) => i.Labels.created_by), ['filters-test']);
  const names = (args: string[]) => env.ok(['images', ...args, '--format', '{{.Repository}}']).trim().split('\n').filter(Boolean);
  assert.ok(names(['--filter', 'after=busybox']).includes('localhost/filters-newer'));
  assert.ok(!names(['--filter', 'after=busybox']).includes('localhost/busybox'));
  assert.ok(names(['--filter', 'before=localhost/filters-newer']).includes('localhost/busybox'));
  assert.ok(!names(['--filter', 'since=localhost/filters-newer']).includes('localhost/filters-newer'));
  assert.deepEqual(names(['--filter', 'label!=created_by', '--filter', 'reference=filters-*']), []);
  assert.ok(!names(['--filter', 'dangling=true']).includes('localhost/busybox'));
  const sorted = names(['--sort', 'repository']);
  assert.deepEqual(sorted, [...sorted].sort());
  assert.equal(env.run(['images', '--filter', 'nosuchkey=1']).code, 125);
  assert.equal(env.run(['images', '--sort', 'bogus']).code, 125);
  env.ok(['rmi', 'localhost/filters-newer']);
});
