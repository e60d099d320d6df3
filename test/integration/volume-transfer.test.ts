// `volume export|import|mount|unmount` with real containers: the data round-trips
// through a tar, symlinks a container planted stay links (export never reads
// the host file they name, import never writes through them), exit codes and
// messages as Podman's.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('volume-transfer');
const dataOf = (name: string) => path.join(env.root, 'volumes', name, '_data');
/** The tspod command line for sh -c (our paths have no quotes). */
const cmdline = (args: string[]) => env.argv(args).map((a) => `'${a}'`).join(' ');

before(() => env.importTestImages());
after(() => env.cleanup());

test('export to a file and to stdout, import into another volume: the content arrives', () => {
  env.ok(['volume', 'create', 'src']);
  env.ok(['run', '--rm', '-v', 'src:/data', 'busybox', 'sh', '-c', 'echo hello > /data/test; mkdir /data/d; echo deep > /data/d/f; ln -s /etc/shadow /data/d/l']);
  const file = path.join(env.dir, 'src.tar');
  env.ok(['volume', 'export', 'src', '--output', file]);
  const listing = spawnSync('tar', ['tvf', file], { encoding: 'utf8' }).stdout;
  assert.match(listing, /\.\/d\/l -> \/etc\/shadow/); // a link, not the host's shadow file
  assert.doesNotMatch(listing, /root:/);
  // stdout (a pipe) gives the same tar
  const piped = spawnSync('sh', ['-c', `${cmdline(['volume', 'export', 'src'])} | tar tf -`], { encoding: 'utf8' });
  assert.equal(piped.status, 0, piped.stderr);
  assert.match(piped.stdout, /\.\/test\n/);
  env.ok(['volume', 'create', 'dst']);
  env.ok(['volume', 'import', 'dst', file]);
  assert.equal(env.ok(['run', '--rm', '-v', 'dst:/data', 'busybox', 'sh', '-c', 'cat /data/test /data/d/f; readlink /data/d/l']), 'hello\ndeep\n/etc/shadow\n');
  // `-` reads the tar from stdin
  env.ok(['volume', 'create', 'dst2']);
  const fromStdin = spawnSync('sh', ['-c', `${cmdline(['volume', 'import', 'dst2', '-'])} < ${file}`], { encoding: 'utf8' });
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.equal(fs.readFileSync(path.join(dataOf('dst2'), 'test'), 'utf8'), 'hello\n');
  env.ok(['volume', 'rm', 'src', 'dst', 'dst2']);
});

test('import never writes through a link the volume holds, nor outside it', () => {
  const outside = path.join(env.dir, 'outside');
  fs.mkdirSync(outside);
  env.ok(['volume', 'create', 'trap']);
  // a container makes d a link to a host directory (as seen from the host)
  fs.symlinkSync(outside, path.join(dataOf('trap'), 'd'));
  const tarDir = path.join(env.dir, 'tarsrc');
  fs.mkdirSync(path.join(tarDir, 'd'), { recursive: true });
  fs.writeFileSync(path.join(tarDir, 'd', 'planted'), 'x');
  const tarFile = path.join(env.dir, 'trap.tar');
  assert.equal(spawnSync('tar', ['cf', tarFile, '-C', tarDir, 'd']).status, 0);
  env.run(['volume', 'import', 'trap', tarFile]);
  assert.deepEqual(fs.readdirSync(outside), []);
  env.ok(['volume', 'rm', 'trap']);
});

test('mount prints the data directory, unmount the name; errors are 125 with Podman\'s messages', () => {
  env.ok(['volume', 'create', 'mnt']);
  assert.equal(env.ok(['volume', 'mount', 'mnt']), `${dataOf('mnt')}\n`);
  fs.writeFileSync(path.join(dataOf('mnt'), 'f'), 'from host\n');
  assert.equal(env.ok(['run', '--rm', '-v', 'mnt:/vol:z', 'busybox', 'cat', '/vol/f']), 'from host\n');
  assert.equal(env.ok(['volume', 'unmount', 'mnt']), 'mnt\n');
  for (const args of [['volume', 'mount', 'nosuch'], ['volume', 'unmount', 'nosuch'], ['volume', 'export', 'nosuch', '-o', path.join(env.dir, 'x.tar')], ['volume', 'import', 'nosuch', '/dev/null']]) {
    const r = env.run(args);
    assert.equal(r.code, 125, args.join(' '));
    assert.match(r.stderr, /no volume with name "nosuch" found: no such volume/);
  }
  const missing = env.run(['volume', 'import', 'mnt', '/nonexistent.tar']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Error: open \/nonexistent\.tar: no such file or directory/);
  assert.equal(env.run(['volume', 'import', 'mnt']).code, 125);
  env.ok(['volume', 'rm', 'mnt']);
});
