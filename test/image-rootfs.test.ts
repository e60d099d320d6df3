// Root filesystems: the overlay mount hides what upper layers whiteout, and
// the copying driver gives the same view.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { storeLayer } from '../lib/storage/layer';
import { isMountPoint, mountRootfs, removeRootfsStorage, unmountRootfs } from '../lib/storage/rootfs';
import { type StoragePaths, layerDiffDir, rootfsCopyDir, rootfsMountDir } from '../lib/storage/paths';

type TarEntry = Partial<tar.Header> & { name: string; body?: string | Buffer };

async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...h } of entries) pack.entry(h, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function withPaths(fn: (paths: StoragePaths, ids: string[]) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-rootfs-'));
  const paths = { root: path.join(dir, 'root'), runroot: path.join(dir, 'run') };
  const ids: string[] = [];
  try {
    await fn(paths, ids);
  } finally {
    for (const id of ids) removeRootfsStorage(paths, id); // unmounts before anything is deleted
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Relative path -> type and content of everything visible below dir. */
function view(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o7777).toString(8)} ${st.uid}`;
        walk(p);
      } else if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(p)}`;
      else if (st.isFile()) out[rel] = `file ${(st.mode & 0o7777).toString(8)} ${fs.readFileSync(p, 'utf8')}`;
      else out[rel] = `other ${st.rdev}`;
    }
  };
  walk(dir);
  return out;
}

async function twoLayers(paths: StoragePaths): Promise<string[]> {
  const lower = await makeTar([
    { name: 'd/', type: 'directory', mode: 0o755 },
    { name: 'd/a', body: 'a' },
    { name: 'd/b', body: 'b' },
    { name: 'o/', type: 'directory', mode: 0o755 },
    { name: 'o/x', body: 'x' },
    { name: 'o/sub/deep', body: 'deep' },
    { name: 'f', body: 'f' },
    { name: 'l', type: 'symlink', linkname: 'd' },
    { name: 'becomes-dir', body: 'file first' },
  ]);
  const upper = await makeTar([
    { name: 'd/.wh.a' },
    { name: 'o/.wh..wh..opq' },
    { name: 'o/y', body: 'y' },
    { name: '.wh.f' },
    { name: 'l/', type: 'directory', mode: 0o700 }, // a directory replaces the symlink below
    { name: 'l/inside', body: 'in' },
    { name: 'becomes-dir/', type: 'directory', mode: 0o755 },
    { name: 'new', body: 'new', mode: 0o600 },
  ]);
  const l1 = await storeLayer(paths, Readable.from([lower]));
  const l2 = await storeLayer(paths, Readable.from([upper]));
  return [l1.diffId, l2.diffId].map((d) => layerDiffDir(paths, d.slice('sha256:'.length)));
}

const expected = {
  d: 'dir 755 0',
  'd/b': 'file 644 b',
  o: 'dir 755 0',
  'o/y': 'file 644 y',
  l: 'dir 700 0',
  'l/inside': 'file 644 in',
  'becomes-dir': 'dir 755 0',
  new: 'file 600 new',
};

test('overlay mount hides whiteouts and opaque directories', async () => {
  await withPaths(async (paths, ids) => {
    const lowers = await twoLayers(paths);
    ids.push('c1');
    const merged = mountRootfs(paths, 'c1', lowers);
    assert.equal(merged, rootfsMountDir(paths, 'c1'));
    assert.equal(isMountPoint(merged), true);
    assert.match(fs.readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(`${merged} .* - overlay `));
    assert.equal(fs.existsSync(rootfsCopyDir(paths, 'c1')), false, 'overlay, not the copying fallback');
    assert.deepEqual(view(merged), expected);
    assert.equal(mountRootfs(paths, 'c1', lowers), merged, 'idempotent');
    // writes land in the container's upper dir, never in a layer
    fs.writeFileSync(path.join(merged, 'd/b'), 'changed');
    assert.equal(fs.readFileSync(path.join(lowers[0], 'd/b'), 'utf8'), 'b');
    unmountRootfs(paths, 'c1');
    assert.equal(isMountPoint(merged), false);
    unmountRootfs(paths, 'c1'); // idempotent
    mountRootfs(paths, 'c1', lowers);
    assert.equal(fs.readFileSync(path.join(merged, 'd/b'), 'utf8'), 'changed', 'upper survives remounts');
  });
});

test('the copying driver gives the same view', async () => {
  await withPaths(async (paths, ids) => {
    const lowers = await twoLayers(paths);
    const saved = process.env.TSPOD_STORAGE_DRIVER;
    process.env.TSPOD_STORAGE_DRIVER = 'vfs';
    try {
      ids.push('c2');
      const merged = mountRootfs(paths, 'c2', lowers);
      assert.deepEqual(view(merged), expected);
      assert.deepEqual(view(rootfsCopyDir(paths, 'c2')), expected);
      fs.writeFileSync(path.join(merged, 'd/b'), 'changed');
      assert.equal(fs.readFileSync(path.join(lowers[0], 'd/b'), 'utf8'), 'b');
      unmountRootfs(paths, 'c2');
      mountRootfs(paths, 'c2', lowers);
      assert.equal(fs.readFileSync(path.join(merged, 'd/b'), 'utf8'), 'changed', 'the copy is kept across mounts');
    } finally {
      if (saved === undefined) delete process.env.TSPOD_STORAGE_DRIVER;
      else process.env.TSPOD_STORAGE_DRIVER = saved;
    }
  });
});

test('an image without layers mounts an empty root', async () => {
  await withPaths(async (paths, ids) => {
    ids.push('c3');
    const merged = mountRootfs(paths, 'c3', []);
    assert.deepEqual(fs.readdirSync(merged), []);
    removeRootfsStorage(paths, 'c3');
    assert.equal(fs.existsSync(merged), false);
  });
});

test('the mount point is `merged` (Podman\'s MergedDir); a container mounted at `rootfs` by an earlier tspod keeps it', async () => {
  await withPaths(async (paths) => {
    const id = 'a'.repeat(64);
    assert.equal(path.basename(rootfsMountDir(paths, id)), 'merged');
    const legacy = path.join(path.dirname(rootfsMountDir(paths, id)), 'rootfs');
    fs.mkdirSync(legacy, { recursive: true });
    assert.equal(rootfsMountDir(paths, id), legacy);
    fs.rmdirSync(legacy); // unmounted: the directory goes, the next mount is at `merged`
    assert.equal(path.basename(rootfsMountDir(paths, id)), 'merged');
  });
});
