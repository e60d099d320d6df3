// cp as Podman's 065-cp expects it: container paths relative to the working
// directory, copies between two containers, --overwrite and its refusal
// message, and --pause accepted.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('cp-paths');
before(() => env.importTestImages());
after(() => env.cleanup());

async function runReady(name: string, script: string, extra: string[] = []): Promise<void> {
  env.ok(['run', '-d', '--name', name, '--network=none', ...extra, 'busybox', 'sh', '-c', `${script}; touch /ready; sleep 1000`]);
  await until(() => env.run(['exec', name, 'test', '-e', '/ready']).code === 0, 10_000);
}

test('relative container paths start at the working directory', async () => {
  await runReady('rel', 'mkdir /var/subdir; echo inside > /var/cf', ['--workdir=/var']);
  const host = path.join(env.dir, 'hf');
  fs.writeFileSync(host, 'from host\n');
  env.ok(['cp', host, 'rel:.']);
  assert.equal(env.ok(['exec', 'rel', 'cat', '/var/hf']), 'from host\n');
  env.ok(['cp', host, 'rel:subdir']);
  assert.equal(env.ok(['exec', 'rel', 'cat', '/var/subdir/hf']), 'from host\n');
  env.ok(['cp', host, 'rel:renamed.txt']);
  assert.equal(env.ok(['exec', 'rel', 'cat', '/var/renamed.txt']), 'from host\n');
  env.ok(['cp', '--pause=false', 'rel:cf', path.join(env.dir, 'out')]);
  assert.equal(fs.readFileSync(path.join(env.dir, 'out'), 'utf8'), 'inside\n');
  env.ok(['rm', '-f', '-t', '0', 'rel']);
});

test('between two containers: a file, a directory, a directory content', async () => {
  await runReady('src', 'mkdir -p /data/sub; echo one > /data/f; echo two > /data/sub/g');
  await runReady('dst', 'mkdir /into');
  env.ok(['cp', 'src:/data/f', 'dst:/into']);
  assert.equal(env.ok(['exec', 'dst', 'cat', '/into/f']), 'one\n');
  env.ok(['cp', 'src:/data', 'dst:/into/']);
  assert.equal(env.ok(['exec', 'dst', 'cat', '/into/data/sub/g']), 'two\n');
  env.ok(['cp', 'src:/data/.', 'dst:/fresh']);
  assert.equal(env.ok(['exec', 'dst', 'cat', '/fresh/sub/g']), 'two\n');
  env.ok(['cp', 'src:/data/f', 'dst:/into/renamed']);
  assert.equal(env.ok(['exec', 'dst', 'cat', '/into/renamed']), 'one\n');
  env.ok(['rm', '-f', '-t', '0', 'src', 'dst']);
});

test('--overwrite: a directory and a file replace each other only when asked, both ways', async () => {
  await runReady('ofile', 'echo content > /tmp/foo');
  await runReady('odir', 'mkdir /tmp/foo; echo indir > /tmp/foo/file.txt');
  const hostdir = path.join(env.dir, 'ow');
  fs.mkdirSync(path.join(hostdir, 'foo'), { recursive: true });
  const refused = env.run(['cp', 'ofile:/tmp/foo', hostdir]);
  assert.equal(refused.code, 125);
  assert.match(refused.stderr, / error creating "\/foo": .*: file exists/);
  env.ok(['cp', '--overwrite', 'ofile:/tmp/foo', hostdir]);
  assert.equal(fs.readFileSync(path.join(hostdir, 'foo'), 'utf8'), 'content\n');
  const hostfile = path.join(env.dir, 'foo');
  fs.writeFileSync(hostfile, 'hostfile\n');
  const refusedIn = env.run(['cp', hostfile, 'odir:/tmp']);
  assert.equal(refusedIn.code, 125);
  assert.match(refusedIn.stderr, / error creating "\/tmp\/foo": .*: file exists/);
  env.ok(['cp', '--overwrite', hostfile, 'odir:/tmp']);
  assert.equal(env.ok(['exec', 'odir', 'cat', '/tmp/foo']), 'hostfile\n');
  env.ok(['rm', '-f', '-t', '0', 'ofile', 'odir']);
});
