// Images: import with --change, load of docker and OCI archives (plain and
// gzip), digest checks that leave the store unchanged, tag, lookup, rmi.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { Store } from '../lib/storage/store';
import type { ContainerRecord } from '../lib/storage/records';
import { blobFile, layerDiffDir, layersRoot } from '../lib/storage/paths';
import {
  imageConfig,
  importTarball,
  inspectImage,
  layerPaths,
  listImages,
  loadArchive,
  removeImage,
  resolveImage,
  tagImage,
  untagImage,
} from '../lib/image';
import { EngineError } from '../lib/errors';

type TarEntry = Partial<tar.Header> & { name: string; body?: string | Buffer };

async function makeTar(entries: TarEntry[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...h } of entries) pack.entry(h, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const plain = Buffer.concat(chunks);
  return gzip ? zlib.gzipSync(plain) : plain;
}

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

async function withStore(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-image-'));
  const store = new Store({ root: path.join(dir, 'root'), runroot: path.join(dir, 'run') });
  try {
    await fn(store, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeFile(dir: string, name: string, data: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

/** Everything under the store root (files with their content digest), to prove nothing changed. */
function snapshot(store: Store): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out.push(`${path.relative(store.paths.root, p)}/`);
        walk(p);
      } else out.push(`${path.relative(store.paths.root, p)} ${st.isFile() ? sha(fs.readFileSync(p)) : ''}`);
    }
  };
  walk(store.paths.root);
  return out;
}

// ---- fixtures: one rootfs layer, the same image as docker-archive and oci-archive

const CREATED = '2024-05-06T07:08:09Z';

async function fixture() {
  const layer = await makeTar([
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/hello', body: '#!/bin/sh\necho hello\n', mode: 0o755 },
    { name: 'etc/os-release', body: 'ID=test\n' },
  ]);
  const diffId = `sha256:${sha(layer)}`;
  const configBytes = Buffer.from(
    JSON.stringify({
      created: CREATED,
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/hello'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: CREATED, created_by: 'test' }],
    }),
  );
  return { layer, diffId, configBytes, id: sha(configBytes) };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** As `docker save` wrote it before Docker 25: <id>.json, <v1>/layer.tar, manifest.json. */
async function dockerArchive(f: Fixture, opts: { gzip?: boolean; tags?: string[]; diffIdOverride?: string } = {}) {
  const v1 = sha('v1');
  let configBytes = f.configBytes;
  if (opts.diffIdOverride) {
    const c = JSON.parse(configBytes.toString());
    c.rootfs.diff_ids = [opts.diffIdOverride];
    configBytes = Buffer.from(JSON.stringify(c));
  }
  return makeTar(
    [
      { name: `${v1}/`, type: 'directory' },
      { name: `${v1}/VERSION`, body: '1.0' },
      { name: `${v1}/json`, body: '{}' },
      { name: `${v1}/layer.tar`, body: f.layer },
      { name: `${sha(configBytes)}.json`, body: configBytes },
      {
        name: 'manifest.json',
        body: JSON.stringify([{ Config: `${sha(configBytes)}.json`, RepoTags: opts.tags ?? ['busybox:latest'], Layers: [`${v1}/layer.tar`] }]),
      },
    ],
    opts.gzip,
  );
}

/** As Docker 25+ writes it: blobs/sha256 plus legacy paths as symlinks into them. */
async function dockerArchiveBlobs(f: Fixture) {
  const v1 = sha('v1');
  const layerHex = sha(f.layer);
  return makeTar([
    { name: 'blobs/sha256/', type: 'directory' },
    { name: `blobs/sha256/${layerHex}`, body: f.layer },
    { name: `blobs/sha256/${f.id}`, body: f.configBytes },
    { name: `${v1}/`, type: 'directory' },
    { name: `${v1}/layer.tar`, type: 'symlink', linkname: `../blobs/sha256/${layerHex}` },
    {
      name: 'manifest.json',
      body: JSON.stringify([{ Config: `blobs/sha256/${f.id}`, RepoTags: ['localhost/new:1'], Layers: [`${v1}/layer.tar`] }]),
    },
  ]);
}

async function ociArchive(f: Fixture, opts: { gzip?: boolean; refName?: string; corruptLayer?: boolean } = {}) {
  const blob = zlib.gzipSync(f.layer);
  const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(blob)}`, size: blob.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${f.id}`, size: f.configBytes.length },
      layers: [layerDesc],
      annotations: { 'org.example': 'yes' },
    }),
  );
  const stored = opts.corruptLayer ? Buffer.from(blob).fill(0x41, 40, 50) : blob;
  const annotations: Record<string, string> = opts.refName ? { 'org.opencontainers.image.ref.name': opts.refName } : {};
  return makeTar(
    [
      { name: 'oci-layout', body: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
      {
        name: 'index.json',
        body: JSON.stringify({
          schemaVersion: 2,
          manifests: [
            { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length, annotations },
          ],
        }),
      },
      { name: `blobs/sha256/${sha(blob)}`, body: stored },
      { name: `blobs/sha256/${sha(manifest)}`, body: manifest },
      { name: `blobs/sha256/${f.id}`, body: f.configBytes },
    ],
    opts.gzip,
  );
}

// ---- load

for (const gzip of [false, true]) {
  test(`load docker-archive${gzip ? ' (gzip)' : ''}`, async () => {
    await withStore(async (store, dir) => {
      const f = await fixture();
      const names = await loadArchive(store, writeFile(dir, 'a.tar', await dockerArchive(f, { gzip })));
      assert.deepEqual(names, ['docker.io/library/busybox:latest']);
      const img = resolveImage(store, 'busybox');
      assert.equal(img.id, f.id);
      assert.deepEqual(img.layers, [f.diffId]);
      assert.equal(img.created, CREATED);
      assert.equal(img.size, f.layer.length);
      assert.deepEqual(imageConfig(store.paths, img.id).config?.Cmd, ['/bin/hello']);
      const [diff] = layerPaths(store.paths, img);
      assert.equal(fs.readFileSync(path.join(diff, 'bin/hello'), 'utf8'), '#!/bin/sh\necho hello\n');
      assert.ok(fs.existsSync(blobFile(store.paths, sha(f.layer))), 'layer blob kept');
      const inspect = inspectImage(store, 'busybox');
      assert.equal(inspect.ManifestType, 'application/vnd.docker.distribution.manifest.v2+json');
      assert.deepEqual(inspect.RepoDigests, [`docker.io/library/busybox@${img.digest}`]);
    });
  });

  test(`load oci-archive${gzip ? ' (gzip)' : ''} gives the same image and diff ids`, async () => {
    await withStore(async (store, dir) => {
      const f = await fixture();
      const names = await loadArchive(store, writeFile(dir, 'o.tar', await ociArchive(f, { gzip, refName: 'localhost/ociimg:1' })));
      assert.deepEqual(names, ['localhost/ociimg:1']);
      const img = resolveImage(store, 'ociimg:1');
      assert.equal(img.id, f.id);
      assert.deepEqual(img.layers, [f.diffId]);
      const blob = zlib.gzipSync(f.layer);
      assert.ok(fs.existsSync(blobFile(store.paths, sha(blob))), 'the compressed blob is kept as received');
      const inspect = inspectImage(store, img.id);
      assert.equal(inspect.ManifestType, 'application/vnd.oci.image.manifest.v1+json');
      assert.deepEqual(inspect.Annotations, { 'org.example': 'yes' });
      assert.deepEqual(inspect.RootFS, { Type: 'layers', Layers: [f.diffId] });
      assert.equal(inspect.GraphDriver.Data.UpperDir, layerDiffDir(store.paths, sha(f.layer)));
    });
  });
}

test('Docker 25 layout (blobs + symlinks) loads; the same image from two archives merges names', async () => {
  await withStore(async (store, dir) => {
    const f = await fixture();
    assert.deepEqual(await loadArchive(store, writeFile(dir, 'a.tar', await dockerArchiveBlobs(f))), ['localhost/new:1']);
    assert.deepEqual(await loadArchive(store, writeFile(dir, 'b.tar', await ociArchive(f))), [`sha256:${f.id}`]);
    assert.deepEqual(await loadArchive(store, writeFile(dir, 'c.tar', await dockerArchive(f))), ['docker.io/library/busybox:latest']);
    const images = listImages(store);
    assert.equal(images.length, 1);
    assert.deepEqual(images[0].names.sort(), ['docker.io/library/busybox:latest', 'localhost/new:1']);
    assert.deepEqual(fs.readdirSync(layersRoot(store.paths)), [sha(f.layer)], 'the layer is stored once');
  });
});

test('a corrupt archive errors and leaves the store unchanged', async () => {
  await withStore(async (store, dir) => {
    const f = await fixture();
    await loadArchive(store, writeFile(dir, 'good.tar', await dockerArchive(f, { tags: ['localhost/good:1'] })));
    const before = snapshot(store);
    const dbBefore = JSON.stringify(store.read());

    // a blob whose bytes do not match its digest
    const other = { ...f, layer: await makeTar([{ name: 'x', body: 'other' }]) };
    other.diffId = `sha256:${sha(other.layer)}`;
    const bad = await ociArchive(other, { corruptLayer: true, refName: 'bad' });
    await assert.rejects(loadArchive(store, writeFile(dir, 'bad.tar', bad)), /invalid image archive: blob sha256:[0-9a-f]+ has digest/);
    // a layer whose content does not match the config's diff id (found only while extracting)
    const wrongDiff = await dockerArchive(other, { diffIdOverride: `sha256:${'1'.repeat(64)}`, tags: ['bad:1'] });
    await assert.rejects(loadArchive(store, writeFile(dir, 'bad2.tar', wrongDiff)), /diff id mismatch/);
    // a layer that escapes, inside an otherwise valid archive
    const evil = await makeTar([{ name: '../evil', body: 'x' }]);
    const evilF = { ...f, layer: evil, diffId: `sha256:${sha(evil)}` };
    await assert.rejects(
      loadArchive(store, writeFile(dir, 'bad3.tar', await dockerArchive(evilF, { diffIdOverride: evilF.diffId }))),
      /escapes the layer directory/,
    );
    // not an archive at all
    await assert.rejects(loadArchive(store, writeFile(dir, 'bad4.tar', Buffer.from('garbage'.repeat(200)))), /supported image formats/);

    assert.deepEqual(snapshot(store), before);
    assert.equal(JSON.stringify(store.read()), dbBefore);
    assert.equal(fs.existsSync(path.join(dir, 'evil')), false);
  });
});

// ---- import

test('import a gzip rootfs tarball with --change', async () => {
  await withStore(async (store, dir) => {
    const rootfs = await makeTar([{ name: 'bin/sh', body: 'sh', mode: 0o755 }], true);
    const img = await importTarball(store, writeFile(dir, 'rootfs.tgz', rootfs), 'echo', [
      'CMD ["/bin/echo", "hi"]',
      'ENTRYPOINT /bin/sh -x',
      'ENV A=1 B="two words"',
      'ENV C 3 4',
      'EXPOSE 80 53/udp',
      'LABEL k=v "x y"=z',
      'USER 1000:1000',
      'WORKDIR /srv',
      'WORKDIR app',
      'VOLUME ["/data", "/logs"]',
      'STOPSIGNAL SIGINT',
    ]);
    assert.deepEqual(img.names, ['localhost/echo:latest']);
    const config = imageConfig(store.paths, img.id);
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.os, 'linux');
    assert.equal(config.rootfs.diff_ids.length, 1);
    assert.equal(config.history?.length, 1);
    assert.deepEqual(config.config, {
      Cmd: ['/bin/echo', 'hi'],
      Entrypoint: ['/bin/sh', '-c', '/bin/sh -x'],
      Env: ['A=1', 'B=two words', 'C=3 4'],
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Labels: { k: 'v', 'x y': 'z' },
      User: '1000:1000',
      WorkingDir: '/srv/app',
      Volumes: { '/data': {}, '/logs': {} },
      StopSignal: 'SIGINT',
    });
    assert.equal(img.id, sha(fs.readFileSync(path.join(store.paths.root, 'images', img.id, 'config.json'))));
    assert.equal(fs.readFileSync(path.join(layerPaths(store.paths, img)[0], 'bin/sh'), 'utf8'), 'sh');
    assert.equal(inspectImage(store, 'echo').Config.User, '1000:1000');

    const shell = await importTarball(store, writeFile(dir, 'r2.tar', await makeTar([{ name: 'f', body: '1' }])), undefined, [
      'CMD=echo hello',
    ]);
    assert.deepEqual(shell.names, []);
    assert.deepEqual(imageConfig(store.paths, shell.id).config?.Cmd, ['/bin/sh', '-c', 'echo hello']);
  });
});

test('import refuses bad changes and bad input before storing anything', async () => {
  await withStore(async (store, dir) => {
    const file = writeFile(dir, 'r.tar', await makeTar([{ name: 'f', body: '1' }]));
    for (const change of ['FROM busybox', 'EXPOSE 99999', 'STOPSIGNAL SIGNOPE', 'CMD']) {
      await assert.rejects(
        importTarball(store, file, 'x', [change]),
        (err: unknown) => err instanceof EngineError && err.kind === 'invalid-argument',
        change,
      );
    }
    await assert.rejects(importTarball(store, path.join(dir, 'missing.tar'), 'x', []), /no such file/);
    await assert.rejects(importTarball(store, writeFile(dir, 'e.tar', await makeTar([{ name: '/etc/x', body: '' }])), 'x', []), /escapes/);
    assert.deepEqual(listImages(store), []);
    assert.deepEqual(fs.existsSync(layersRoot(store.paths)) ? fs.readdirSync(layersRoot(store.paths)) : [], []);
  });
});

// ---- names, lookup, removal

async function importNamed(store: Store, dir: string, name: string | undefined, content: string) {
  const file = writeFile(dir, `${content}.tar`, await makeTar([{ name: 'content', body: content }]));
  return importTarball(store, file, name, [`LABEL c=${content}`]);
}

function addContainer(store: Store, id: string, imageId: string): void {
  store.update((db) => {
    db.containers[id] = { id, name: `ctr-${id.slice(0, 4)}`, imageId } as unknown as ContainerRecord;
  });
}

test('tag and resolve: exact name, ids, id prefix, short names preferring localhost', async () => {
  await withStore(async (store, dir) => {
    const a = await importNamed(store, dir, 'echo', 'a');
    const b = await importNamed(store, dir, undefined, 'b');
    assert.equal(tagImage(store, b.id, 'docker.io/library/echo:latest'), 'docker.io/library/echo:latest');
    assert.equal(tagImage(store, b.id, 'quay.io/team/tool:2'), 'quay.io/team/tool:2');

    assert.equal(resolveImage(store, 'echo').id, a.id, 'localhost/ preferred for a short name');
    assert.equal(resolveImage(store, 'localhost/echo').id, a.id);
    assert.equal(resolveImage(store, 'docker.io/library/echo').id, b.id);
    assert.equal(resolveImage(store, 'team/tool:2').id, b.id);
    assert.equal(resolveImage(store, b.id).id, b.id);
    assert.equal(resolveImage(store, `sha256:${b.id}`).id, b.id);
    assert.equal(resolveImage(store, b.id.slice(0, 12)).id, b.id);
    assert.equal(resolveImage(store, `quay.io/team/tool@${b.digest}`).id, b.id);
    assert.throws(() => resolveImage(store, 'tool'), /tool: image not known/);
    assert.equal(resolveImage(store, 'tool:2').id, b.id, 'a short name matches the end of a longer path, as libimage does');
    assert.throws(() => resolveImage(store, 'echo:nope'), (err: unknown) => err instanceof EngineError && err.kind === 'no-such-image');
    assert.throws(() => resolveImage(store, 'ab'), /ab: image not known/, 'prefixes need 3 characters');

    // a name moves: tagging another image with it takes it away from the first
    tagImage(store, b.id, 'echo');
    assert.deepEqual(resolveImage(store, a.id).names, []);
    assert.equal(resolveImage(store, 'echo').id, b.id);
    assert.deepEqual(untagImage(store, b.id, ['quay.io/team/tool:2']), ['quay.io/team/tool:2']);
    assert.throws(() => resolveImage(store, 'team/tool:2'), /image not known/);
  });
});

test('rmi: untag by name, refuse by id with several names, in use, force, layers kept while shared', async () => {
  await withStore(async (store, dir) => {
    const a = await importNamed(store, dir, 'one', 'a');
    tagImage(store, a.id, 'two');
    assert.deepEqual(removeImage(store, 'one', false, () => assert.fail()), { untagged: ['localhost/one:latest'], deleted: [] });
    tagImage(store, a.id, 'three');
    assert.throws(() => removeImage(store, a.id, false, () => assert.fail()), /by ID with more than one tag/);
    untagImage(store, a.id, ['three']);

    const ctr = 'c'.repeat(64);
    addContainer(store, ctr, a.id);
    assert.throws(
      () => removeImage(store, 'two', false, () => assert.fail()),
      (err: unknown) =>
        err instanceof EngineError &&
        err.kind === 'image-in-use' &&
        err.message ===
          `image used by ${ctr}: image is in use by a container: consider listing external containers and force-removing image`,
    );
    const removedContainers: string[] = [];
    const report = removeImage(store, 'two', true, (id) => {
      removedContainers.push(id);
      store.update((db) => void delete db.containers[id]);
    });
    assert.deepEqual(removedContainers, [ctr]);
    assert.deepEqual(report, { untagged: ['localhost/two:latest'], deleted: [a.id] });
    assert.equal(fs.existsSync(layerDiffDir(store.paths, a.layers[0].slice(7))), false, 'unused layer deleted');
    assert.equal(fs.existsSync(path.join(store.paths.root, 'images', a.id)), false);
    assert.throws(() => resolveImage(store, a.id), /image not known/);

    // two images sharing one layer: the layer stays until the last goes
    const shared = writeFile(dir, 'shared.tar', await makeTar([{ name: 'same', body: 'same' }]));
    const x = await importTarball(store, shared, 'x', ['LABEL n=x']);
    const y = await importTarball(store, shared, 'y', ['LABEL n=y']);
    assert.notEqual(x.id, y.id);
    assert.deepEqual(x.layers, y.layers);
    const layer = layerDiffDir(store.paths, x.layers[0].slice(7));
    removeImage(store, 'x', false, () => assert.fail());
    assert.equal(fs.existsSync(layer), true, 'still used by y');
    removeImage(store, y.id.slice(0, 8), false, () => assert.fail());
    assert.equal(fs.existsSync(layer), false);
    assert.deepEqual(listImages(store), []);
    assert.throws(() => removeImage(store, 'x', false, () => {}), /x: image not known/);
  });
});
