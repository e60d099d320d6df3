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
    if (checks % 3 === 0) env.spawn(['rm', '-a', '-f', '-t', '0'], { stdio: 'ignore' });
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

test('images {{.History}}: every name the image had, the latest set first, kept after untag', () => {
  env.ok(['tag', 'localhost/busybox', 'localhost/hist-base']);
  env.ok(['create', '--name', 'histc', '--network', 'none', 'localhost/hist-base', 'true']);
  env.ok(['commit', '-q', 'histc', 'hist-image']);
  const history = () => env.ok(['images', 'hist-image', '--format', '{{ .History }}']).trim();
  assert.equal(history(), 'localhost/hist-image:latest');
  env.ok(['tag', 'hist-image', 'hist-one']);
  env.ok(['rmi', 'hist-one']);
  assert.equal(history(), 'localhost/hist-image:latest, localhost/hist-one:latest');
  env.ok(['tag', 'hist-image', 'hist-two']);
  env.ok(['rmi', 'hist-two']);
  assert.equal(history(), 'localhost/hist-image:latest, localhost/hist-two:latest, localhost/hist-one:latest');
  const inspected = JSON.parse(env.ok(['image', 'inspect', 'hist-image'])) as { NamesHistory: string[] }[];
  assert.deepEqual(inspected[0].NamesHistory, ['localhost/hist-image:latest', 'localhost/hist-two:latest', 'localhost/hist-one:latest']);
  env.ok(['rm', 'histc']);
  env.ok(['rmi', 'hist-image', 'localhost/hist-base']);
});

test('save by image id records no name (load gives <none>); load -i from an http URL; save --uncompressed', async () => {
  env.ok(['tag', 'localhost/busybox', 'localhost/saved-by-id:v1']);
  const id = env.ok(['image', 'inspect', '--format', '{{.Id}}', 'localhost/saved-by-id:v1']).trim();
  const archive = path.join(env.dir, 'by-id.tar');
  env.ok(['save', id.slice(0, 12), '-o', archive]);
  const manifest = JSON.parse(spawnSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }).stdout) as { RepoTags: string[] | null }[];
  assert.deepEqual(manifest[0].RepoTags ?? [], []);
  // the id by itself in a fresh store: loaded without a name
  const fresh = new TspodEnv('images-load-url');
  try {
    assert.equal(fresh.ok(['load', '-i', archive]), `Loaded image: sha256:${id}\n`);
    assert.equal(fresh.ok(['images', '-a', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']), `${id.slice(0, 12)} <none>:<none>\n`);
    fresh.ok(['rmi', id]);
    // over http, from a server on loopback; a 404 is an error
    const named = path.join(env.dir, 'named.tar');
    env.ok(['save', 'localhost/saved-by-id:v1', '-o', named]);
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      if (req.url === '/image.tar') fs.createReadStream(named).pipe(res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const load = (url: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = fresh.spawn(['load', '-i', url], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    try {
      const ok = await load(`http://127.0.0.1:${port}/image.tar`);
      assert.equal(ok.code, 0, ok.err);
      assert.equal(ok.out, 'Loaded image: localhost/saved-by-id:v1\n');
      const missing = await load(`http://127.0.0.1:${port}/nope.tar`);
      assert.equal(missing.code, 125);
      assert.match(missing.err, /404/);
    } finally {
      server.close();
    }
  } finally {
    fresh.cleanup();
  }
  // --uncompressed: every layer blob is a plain tar, the manifest names them by diff id
  const oci = path.join(env.dir, 'uncompressed.tar');
  env.ok(['save', '--format', 'oci-archive', '--uncompressed', '-o', oci, 'localhost/saved-by-id:v1']);
  const untar = path.join(env.dir, 'uncompressed');
  fs.mkdirSync(untar);
  assert.equal(spawnSync('tar', ['-C', untar, '-xf', oci]).status, 0);
  const index = JSON.parse(fs.readFileSync(path.join(untar, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const m = JSON.parse(fs.readFileSync(path.join(untar, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8')) as { layers: { mediaType: string; digest: string }[] };
  for (const l of m.layers) {
    assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    const blob = fs.readFileSync(path.join(untar, 'blobs/sha256', l.digest.slice(7)));
    assert.equal(`sha256:${sha256(blob)}`, l.digest);
    assert.equal(blob.subarray(257, 262).toString('latin1'), 'ustar');
  }
  // and it loads back
  env.ok(['rmi', 'localhost/saved-by-id:v1']);
  assert.match(env.ok(['load', '-i', oci]), /Loaded image/);
  env.ok(['rmi', '-f', 'localhost/saved-by-id:v1']);
});

test('run/create docker-archive:PATH load the archive first; ImageName is the name used, ImageDigest the image digest', () => {
  env.ok(['run', '--name', 'arch-src', '--network', 'none', '--entrypoint', '["/bin/echo","from-archive-run"]', 'localhost/busybox']);
  env.ok(['commit', '-q', 'arch-src', 'arch-img']);
  const archive = path.join(env.dir, 'run-archive.tar');
  env.ok(['save', '--quiet', 'arch-img', '-o', archive]);
  env.ok(['rm', 'arch-src']);
  env.ok(['rmi', 'arch-img']);
  const r = env.run(['run', '--name', 'arch-run', '--network', 'none', `docker-archive:${archive}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from-archive-run\n', 'the committed image runs as the container did (no CMD after --entrypoint)');
  assert.match(r.stderr, /^Getting image source signatures\n(Copying blob sha256:[0-9a-f]{64}\n)+Copying config sha256:[0-9a-f]{64}\nWriting manifest to image destination\n/);
  env.ok(['rm', 'arch-run']);
  env.ok(['rmi', 'arch-img']);
  const cid = env.ok(['create', '--network', 'none', `docker-archive:${archive}`]).trim().split('\n').pop() as string;
  assert.equal(env.ok(['start', '--attach', cid]), 'from-archive-run\n');
  env.ok(['rm', cid]);
  env.ok(['rmi', 'arch-img']);
  // the name the container was created with, not the image's first name
  env.ok(['tag', 'localhost/busybox', 'localhost/second/name']);
  const c2 = env.ok(['create', '--network', 'none', 'localhost/second/name']).trim();
  const digest = env.ok(['image', 'inspect', '--format', '{{.Digest}}', 'localhost/busybox']).trim();
  assert.equal(env.ok(['container', 'inspect', '--format', '{{.ImageName}} {{.ImageDigest}}', c2]), `localhost/second/name:latest ${digest}\n`);
  env.ok(['rm', c2]);
  env.ok(['untag', 'localhost/busybox', 'localhost/second/name']);
});
