// Layer extraction: every escape is refused and leaves nothing behind;
// whiteouts become overlay whiteouts; ownership, modes, devices, hard links.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { extractLayer } from '../lib/storage/layer';
import { native } from '../lib/native';

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

/** A private root with an `outside` directory holding a file an escape would overwrite. */
async function withRoot(fn: (root: string, outside: string) => Promise<void>): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-layer-'));
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), 'untouched');
  try {
    await fn(root, outside);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Every path below dir, with type and content, to prove nothing changed. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      out.push(`${path.relative(dir, p)} ${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? `f:${fs.readFileSync(p, 'utf8')}` : 'o'}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

const escapes: [string, (outside: string) => TarEntry[]][] = [
  ['../ path', () => [{ name: '../outside/secret', body: 'pwned' }]],
  ['nested ../ climbing out', () => [{ name: 'a/../../outside/new', body: 'pwned' }]],
  ['absolute path', (outside) => [{ name: `${outside}/secret`, body: 'pwned' }]],
  [
    'symlink parent pointing out',
    (outside) => [
      { name: 'a', type: 'symlink', linkname: outside },
      { name: 'a/secret', body: 'pwned' },
    ],
  ],
  [
    'symlink to .. as parent',
    () => [
      { name: 'a', type: 'symlink', linkname: '..' },
      { name: 'a/outside-file', body: 'pwned' },
    ],
  ],
  [
    'directory entry below a symlink',
    (outside) => [
      { name: 'a', type: 'symlink', linkname: outside },
      { name: 'a/newdir', type: 'directory' },
    ],
  ],
  ['hard link to a relative path outside', () => [{ name: 'h', type: 'link', linkname: '../outside/secret' }]],
  ['hard link to an absolute path', (outside) => [{ name: 'h', type: 'link', linkname: `${outside}/secret` }]],
  [
    'hard link through a symlinked parent',
    (outside) => [
      { name: 's', type: 'symlink', linkname: outside },
      { name: 'h', type: 'link', linkname: 's/secret' },
    ],
  ],
  [
    'whiteout below a symlink',
    (outside) => [
      { name: 'a', type: 'symlink', linkname: outside },
      { name: 'a/.wh.secret' },
    ],
  ],
];

for (const [what, entries] of escapes) {
  for (const gzip of [false, true]) {
    test(`refuses ${what}${gzip ? ' (gzip)' : ''}`, async () => {
      await withRoot(async (root, outside) => {
        const before = snapshot(root);
        const dest = path.join(root, 'layer');
        await assert.rejects(
          extractLayer(Readable.from([await makeTar(entries(outside), gzip)]), dest),
          /escapes the layer directory/,
        );
        assert.equal(fs.existsSync(dest), false, 'no layer directory left');
        assert.deepEqual(snapshot(root), before, 'nothing written anywhere');
      });
    });
  }
}

test('a symlink pointing out may exist, and writing over it replaces the link', async () => {
  await withRoot(async (root, outside) => {
    const dest = path.join(root, 'layer');
    await extractLayer(
      Readable.from([
        await makeTar([
          { name: 'out', type: 'symlink', linkname: `${outside}/secret` },
          { name: 'up', type: 'symlink', linkname: '../../..' },
          { name: 'out', body: 'replaced' }, // a file entry replaces the symlink, never writes through it
        ]),
      ]),
      dest,
    );
    assert.equal(fs.readFileSync(path.join(outside, 'secret'), 'utf8'), 'untouched');
    assert.equal(fs.lstatSync(path.join(dest, 'out')).isFile(), true);
    assert.equal(fs.readFileSync(path.join(dest, 'out'), 'utf8'), 'replaced');
    assert.equal(fs.readlinkSync(path.join(dest, 'up')), '../../..');
  });
});

test('extracts files, modes, owners, times, devices, fifos, hard links; digests match', async () => {
  await withRoot(async (root) => {
    const mtime = new Date('2020-01-02T03:04:05Z');
    const entries: TarEntry[] = [
      { name: './', type: 'directory', mode: 0o755, mtime },
      { name: './bin/', type: 'directory', mode: 0o711, uid: 7, gid: 8, mtime },
      { name: './bin/tool', mode: 0o4755, uid: 1000, gid: 1001, mtime, body: 'binary' },
      { name: './bin/same', type: 'link', linkname: 'bin/tool' },
      { name: './dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: './dev/loop', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660 },
      { name: './run/fifo', type: 'fifo', mode: 0o600 },
      { name: './etc/link', type: 'symlink', linkname: '/etc/passwd', uid: 5, gid: 5 },
      { name: 'implied/parent/file', body: 'x' },
    ];
    const plain = await makeTar(entries);
    const gz = await makeTar(entries, true);
    const dest = path.join(root, 'layer');
    const d = await extractLayer(Readable.from([gz]), dest);
    const crypto = await import('node:crypto');
    assert.equal(d.diffId, `sha256:${crypto.createHash('sha256').update(plain).digest('hex')}`);
    assert.equal(d.digest, `sha256:${crypto.createHash('sha256').update(gz).digest('hex')}`);
    assert.equal(d.compression, 'gzip');
    assert.equal(d.size, plain.length);

    const tool = fs.statSync(path.join(dest, 'bin/tool'));
    assert.equal(tool.mode & 0o7777, 0o4755, 'set-uid kept after chown');
    assert.equal(tool.uid, 1000);
    assert.equal(tool.gid, 1001);
    assert.equal(tool.mtime.getTime(), mtime.getTime());
    assert.equal(tool.nlink, 2);
    assert.equal(fs.statSync(path.join(dest, 'bin/same')).ino, tool.ino);
    const bin = fs.statSync(path.join(dest, 'bin'));
    assert.equal(bin.mode & 0o7777, 0o711);
    assert.equal(bin.mtime.getTime(), mtime.getTime(), 'directory time set after its children');
    assert.equal(fs.statSync(path.join(dest, 'dev/null')).isCharacterDevice(), true);
    assert.equal(fs.statSync(path.join(dest, 'dev/null')).rdev, (1 << 8) | 3);
    assert.equal(fs.statSync(path.join(dest, 'dev/loop')).isBlockDevice(), true);
    assert.equal(fs.lstatSync(path.join(dest, 'run/fifo')).isFIFO(), true);
    assert.equal(fs.readlinkSync(path.join(dest, 'etc/link')), '/etc/passwd');
    assert.equal(fs.lstatSync(path.join(dest, 'etc/link')).uid, 5);
    assert.equal(fs.readFileSync(path.join(dest, 'implied/parent/file'), 'utf8'), 'x');
    assert.equal(fs.statSync(dest).mode & 0o777, 0o555, "a layer root is 0555 whatever the tar says, as containers/storage makes it");
  });
});

test('whiteouts become 0/0 character devices and opaque markers an xattr', async () => {
  await withRoot(async (root) => {
    const dest = path.join(root, 'layer');
    await extractLayer(
      Readable.from([
        await makeTar([
          { name: 'd/.wh.gone' },
          { name: 'o/.wh..wh..opq' },
          { name: 'o/kept', body: 'k' },
          { name: '.wh..wh.plnk' }, // aufs metadata: ignored
        ]),
      ]),
      dest,
    );
    const wh = fs.lstatSync(path.join(dest, 'd/gone'));
    assert.equal(wh.isCharacterDevice(), true);
    assert.equal(wh.rdev, 0);
    assert.equal(native().lgetxattr(path.join(dest, 'o'), 'trusted.overlay.opaque'), 'y');
    assert.deepEqual(fs.readdirSync(path.join(dest, 'o')), ['kept']);
    assert.deepEqual(fs.readdirSync(dest).sort(), ['d', 'o']);
  });
});

test('expected digests are enforced and a mismatch leaves nothing', async () => {
  await withRoot(async (root) => {
    const dest = path.join(root, 'layer');
    const data = await makeTar([{ name: 'f', body: 'x' }]);
    await assert.rejects(
      extractLayer(Readable.from([data]), dest, { expectedDiffId: `sha256:${'0'.repeat(64)}` }),
      /diff id mismatch/,
    );
    assert.deepEqual(fs.readdirSync(root), ['outside']);
  });
});

test('truncated or corrupt input fails cleanly', async () => {
  await withRoot(async (root) => {
    const data = await makeTar([{ name: 'f', body: 'x'.repeat(5000) }], true);
    await assert.rejects(extractLayer(Readable.from([data.subarray(0, data.length - 30)]), path.join(root, 'a')));
    await assert.rejects(extractLayer(Readable.from([Buffer.from('not a tar at all, clearly')]), path.join(root, 'b')));
    assert.deepEqual(fs.readdirSync(root), ['outside']);
  });
});
