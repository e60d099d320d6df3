// cp as Podman's 065-cp expects it: container paths relative to the working
// directory, copies between two containers, --overwrite and its refusal
// message, --pause accepted; tmpfs, volume and bind mounts (running and
// stopped containers), symlinks followed inside the container, stdin/stdout
// tars, and --pid=host.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, cleanEnv, until } from '../helpers/tspod-env';

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

test('tmpfs mounts: a running container gets the file in its tmpfs, a created one at its start (copy-up)', async () => {
  const host = path.join(env.dir, 'tmpfs-file');
  fs.writeFileSync(host, 'into tmpfs\n');
  await runReady('tmpfsrun', 'true', ['--mount', 'type=tmpfs,dst=/tmp']);
  env.ok(['cp', host, 'tmpfsrun:/tmp']);
  assert.equal(env.ok(['exec', 'tmpfsrun', 'cat', '/tmp/tmpfs-file']), 'into tmpfs\n');
  // and back out of the tmpfs
  env.ok(['exec', 'tmpfsrun', 'sh', '-c', 'echo made inside > /tmp/inside']);
  env.ok(['cp', 'tmpfsrun:/tmp/inside', path.join(env.dir, 'from-tmpfs')]);
  assert.equal(fs.readFileSync(path.join(env.dir, 'from-tmpfs'), 'utf8'), 'made inside\n');
  env.ok(['create', '--name', 'tmpfscreated', '--network=none', '--mount', 'type=tmpfs,dst=/tmp', 'busybox', 'sleep', '1000']);
  env.ok(['cp', host, 'tmpfscreated:/tmp']);
  env.ok(['start', 'tmpfscreated']);
  assert.equal(env.ok(['exec', 'tmpfscreated', 'cat', '/tmp/tmpfs-file']), 'into tmpfs\n');
  env.ok(['rm', '-f', '-t', '0', 'tmpfsrun', 'tmpfscreated']);
});

test('a stopped container: a volume inside a volume and a bind mount get the file, not the rootfs', () => {
  const host = path.join(env.dir, 'vol-file');
  fs.writeFileSync(host, 'for the volume\n');
  const bind = path.join(env.dir, 'bind-dir');
  fs.mkdirSync(bind);
  env.ok(['volume', 'create', 'outer']);
  env.ok(['volume', 'create', 'inner']);
  const mp = (v: string) => env.ok(['volume', 'inspect', v, '--format', '{{.Mountpoint}}']).trim();
  env.ok(['create', '--name', 'vols', '--network=none', '-v', 'outer:/tmp/volume', '-v', 'inner:/tmp/volume/sub', '-v', `${bind}:/tmp/volume/bind`, 'busybox', 'true']);
  env.ok(['cp', host, 'vols:/tmp/volume/sub']);
  assert.equal(fs.readFileSync(path.join(mp('inner'), 'vol-file'), 'utf8'), 'for the volume\n');
  assert.deepEqual(fs.readdirSync(mp('outer')), []);
  env.ok(['cp', host, 'vols:/tmp/volume/bind/renamed']);
  assert.equal(fs.readFileSync(path.join(bind, 'renamed'), 'utf8'), 'for the volume\n');
  // and out of them again, the container still stopped
  env.ok(['cp', 'vols:/tmp/volume/bind/renamed', path.join(env.dir, 'back')]);
  assert.equal(fs.readFileSync(path.join(env.dir, 'back'), 'utf8'), 'for the volume\n');
  // a symlink in the volume leads nowhere outside it
  fs.symlinkSync('/etc/passwd', path.join(mp('inner'), 'hostlink'));
  const r = env.run(['cp', 'vols:/tmp/volume/sub/hostlink', path.join(env.dir, 'stolen')]);
  assert.equal(r.code, 125);
  assert.equal(fs.existsSync(path.join(env.dir, 'stolen')), false);
  env.ok(['rm', '-f', '-t', '0', 'vols']);
  env.ok(['volume', 'rm', 'outer', 'inner']);
});

test('symlinks: a source link is followed in the container, a dangling destination link makes its target', async () => {
  await runReady('links', 'mkdir -p /tmp/sub /tmp/d1 /tmp/d3; echo c0 > /tmp/c0; ln -s .. /tmp/sub/up; ln -s /tmp/nonesuch1 /tmp/d1/x; ln -s /etc/shadow-on-host /tmp/dangling');
  const out = path.join(env.dir, 'links-out');
  env.ok(['cp', 'links:/tmp/sub/up', out]);
  assert.equal(fs.readFileSync(path.join(out, 'c0'), 'utf8'), 'c0\n');
  const host = path.join(env.dir, 'lf');
  fs.writeFileSync(host, 'through the link\n');
  env.ok(['cp', host, 'links:/tmp/d1/x']);
  assert.equal(env.ok(['exec', 'links', 'cat', '/tmp/nonesuch1']), 'through the link\n');
  assert.equal(env.ok(['exec', 'links', 'readlink', '/tmp/d1/x']), '/tmp/nonesuch1\n');
  const slash = env.run(['cp', host, 'links:/tmp/d1/x/']);
  assert.equal(slash.code, 125);
  assert.match(slash.stderr, /"\/tmp\/d1\/x\/" could not be found on container links: no such file or directory/);
  env.ok(['cp', host, 'links:/tmp/d3/x']);
  assert.equal(env.ok(['exec', 'links', 'cat', '/tmp/d3/x']), 'through the link\n');
  // a dangling source link and a glob are not found (no expansion)
  const empty = path.join(env.dir, 'empty');
  fs.mkdirSync(empty);
  for (const src of ['/tmp/dangling', '/tmp/*']) {
    const r = env.run(['cp', `links:${src}`, empty]);
    assert.equal(r.code, 125, src);
    assert.ok(r.stderr.includes(`"${src}" could not be found on container links`), r.stderr);
  }
  assert.deepEqual(fs.readdirSync(empty), []);
  env.ok(['rm', '-f', '-t', '0', 'links']);
});

test('stdin takes a tar (gzip too) into a directory; stdout gives a tar; devices and FIFOs are refused', async () => {
  await runReady('streams', 'echo x > /tmp/file.txt');
  const src = path.join(env.dir, 'tarsrc');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'in-tar'), 'from the tar\n');
  const tgz = path.join(env.dir, 'a.tar.gz');
  assert.equal(spawnSync('tar', ['-zcf', tgz, '-C', src, 'in-tar']).status, 0);
  const feed = (args: string[], input: Buffer) => {
    const [node, ...rest] = env.argv(args);
    const r = spawnSync(node, rest, { input, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stderr: r.stderr };
  };
  assert.equal(feed(['cp', '-', 'streams:/tmp'], fs.readFileSync(tgz)).code, 0);
  assert.equal(env.ok(['exec', 'streams', 'cat', '/tmp/in-tar']), 'from the tar\n');
  const notTar = feed(['cp', '-', 'streams:/tmp'], Buffer.from('just text\n'));
  assert.equal(notTar.code, 125);
  assert.match(notTar.stderr, /source must be a \(compressed\) tar archive when copying from stdin/);
  for (const dest of ['/tmp/file.txt', '/tmp/IdoNotExist']) {
    const r = feed(['cp', '-', `streams:${dest}`], fs.readFileSync(tgz));
    assert.equal(r.code, 125);
    assert.match(r.stderr, /destination must be a directory when copying from stdin/);
  }
  const [node, ...rest] = env.argv(['cp', 'streams:/tmp', '-']);
  const tarOut = spawnSync(node, rest, { env: cleanEnv(), timeout: 60_000 });
  assert.equal(tarOut.status, 0);
  const listed = spawnSync('tar', ['-tf', '-'], { input: tarOut.stdout, encoding: 'utf8' });
  assert.match(listed.stdout, /^tmp\/file\.txt$/m);
  const dev = env.run(['cp', 'streams:/tmp/file.txt', '/dev/null']);
  assert.equal(dev.code, 125);
  assert.match(dev.stderr, /invalid destination: "\/dev\/null" must be a directory or a regular file/);
  assert.ok(fs.lstatSync('/dev/null').isCharacterDevice());
  env.ok(['rm', '-f', '-t', '0', 'streams']);
});

test('--pid=host: cp both ways', async () => {
  await runReady('pidhost', 'true', ['--pid=host']);
  assert.equal(env.ok(['inspect', '--format', '{{.HostConfig.PidMode}}', 'pidhost']), 'host\n');
  const host = path.join(env.dir, 'pidfile');
  fs.writeFileSync(host, 'pid host\n');
  env.ok(['cp', host, 'pidhost:/tmp/hostfile']);
  env.ok(['cp', 'pidhost:/tmp/hostfile', path.join(env.dir, 'pidfile1')]);
  assert.equal(fs.readFileSync(path.join(env.dir, 'pidfile1'), 'utf8'), 'pid host\n');
  env.ok(['rm', '-f', '-t', '0', 'pidhost']);
});
