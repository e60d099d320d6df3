// The image and volume transfer commands with --remote (load, import, save,
// push, login/logout, volume export|import) against a real `tspod system
// service` on a private unix socket: the tars stream through the libpod API,
// results are checked with the local CLI, bad input gives the local command's
// message and exit code.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, FIXTURES, cleanEnv, type Result } from '../helpers/tspod-env';
import { ApiService } from '../helpers/api-service';
import { haveRegistry, startRegistry, type Registry } from '../helpers/registry';
import { TestSshd } from '../helpers/sshd';

const env = new TspodEnv('remote-images');
const sock = path.join(env.dir, 'api.sock');
const service = new ApiService(env, sock);
const REMOTE = ['--remote', '--url', `unix://${sock}`];
const ROOTFS = path.join(FIXTURES, 'busybox-rootfs.tar');
const sshd = new TestSshd(env.dir, 41623);

/** tspod with its stdin from a file (binary safe). */
function runWithInput(args: string[], file: string, childEnv: NodeJS.ProcessEnv = cleanEnv()): Result {
  const [node, ...rest] = env.argv(args);
  const fd = fs.openSync(file, 'r');
  try {
    const r = spawnSync(node, rest, { stdio: [fd, 'pipe', 'pipe'], env: childEnv, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    fs.closeSync(fd);
  }
}

const remote = (args: string[]): Result => env.run([...REMOTE, ...args]);
/** Through the test's sshd to the same socket. */
const viaSsh = (args: string[]): Result => env.run([...sshd.remoteArgs(sock), ...args], { env: sshd.env() });
const idOf = (ref: string) => env.ok(['image', 'inspect', '--format', '{{.Id}}', ref]).trim();
const tarList = (file: string) => spawnSync('tar', ['tf', file], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
/** Every file under dir, relative, sorted. */
function treeOf(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** The remote command (over the unix socket, then over ssh) gives the local command's stdout, stderr and exit code. */
function sameAsLocal(args: string[], expectCode: number, reset?: () => void): Result {
  reset?.();
  const l = env.run(args);
  let r = l;
  for (const [how, run] of [
    ['unix', remote],
    ['ssh', viaSsh],
  ] as const) {
    reset?.();
    r = run(args);
    assert.equal(r.stderr, l.stderr, `${how} stderr of ${args.join(' ')}`);
    assert.equal(r.stdout, l.stdout, `${how} stdout of ${args.join(' ')}`);
    assert.equal(r.code, l.code, `${how} exit code of ${args.join(' ')}`);
  }
  assert.equal(r.code, expectCode, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

before(async () => {
  env.importTestImages();
  await service.start();
  await sshd.start();
});

after(async () => {
  await sshd.stop();
  await service.stop();
  env.cleanup();
});

describe('load and save --remote', () => {
  test('save -o (docker-archive, oci-archive) writes the same archive as the local save; load -i and load from stdin bring it back', () => {
    const id = idOf('localhost/busybox');
    for (const format of ['docker-archive', 'oci-archive']) {
      const viaService = path.join(env.dir, `remote-${format}.tar`);
      const here = path.join(env.dir, `local-${format}.tar`);
      const r = remote(['save', '--format', format, '-o', viaService, 'localhost/busybox']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout + r.stderr, '');
      env.ok(['save', '--format', format, '-o', here, 'localhost/busybox']);
      assert.deepEqual(tarList(viaService), tarList(here), format);
      assert.equal(fs.readdirSync(env.dir).filter((f) => f.includes('.tspod-')).length, 0, 'no temporary file is left');
    }
    const archive = path.join(env.dir, 'remote-docker-archive.tar');
    env.ok(['rmi', 'localhost/busybox']);
    const loaded = remote(['load', '-i', archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, 'Loaded image: localhost/busybox:latest\n');
    assert.equal(idOf('localhost/busybox'), id, 'the same image, checked locally');
    // from stdin: the client streams its stdin up
    env.ok(['rmi', 'localhost/busybox']);
    const piped = runWithInput([...REMOTE, 'load'], archive);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'Loaded image: localhost/busybox:latest\n');
    assert.equal(idOf('localhost/busybox'), id);
    assert.equal(env.ok(['run', '--rm', 'localhost/busybox', 'echo', 'loaded remotely']), 'loaded remotely\n');
  });

  test('save to stdout: -m saves several images; without -m more names of the first one (as the local save, and Podman)', () => {
    const manifestOf = (args: string[]) => {
      const out = path.join(env.dir, 'stdout.tar');
      const fd = fs.openSync(out, 'w');
      const [node, ...rest] = env.argv(args);
      const r = spawnSync(node, rest, { stdio: ['ignore', fd, 'pipe'], env: cleanEnv(), encoding: 'utf8' });
      fs.closeSync(fd);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(spawnSync('tar', ['xOf', out, 'manifest.json'], { encoding: 'utf8' }).stdout) as { Config: string; RepoTags: string[] }[];
    };
    const multi = manifestOf([...REMOTE, 'save', '-m', 'localhost/busybox', 'localhost/echo']);
    assert.deepEqual(multi.map((m) => m.RepoTags), [['localhost/busybox:latest'], ['localhost/echo:latest']]);
    const tagged = manifestOf([...REMOTE, 'save', 'localhost/busybox', 'example.com/more:1']);
    assert.deepEqual(tagged, manifestOf(['save', 'localhost/busybox', 'example.com/more:1']));
    assert.deepEqual(tagged.map((m) => m.RepoTags), [['example.com/more:1', 'localhost/busybox:latest']]);
    assert.equal(tagged[0].Config, `${idOf('localhost/busybox')}.json`);
  });

  test('save --format oci-dir and docker-dir: the directory the local save writes', () => {
    for (const format of ['oci-dir', 'docker-dir']) {
      const viaService = path.join(env.dir, `remote-${format}`);
      const here = path.join(env.dir, `local-${format}`);
      const r = remote(['save', '--format', format, '-o', viaService, 'localhost/busybox']);
      assert.equal(r.code, 0, r.stderr);
      env.ok(['save', '--format', format, '-o', here, 'localhost/busybox']);
      assert.deepEqual(treeOf(viaService), treeOf(here), format);
      for (const f of treeOf(here)) if (fs.statSync(path.join(here, f)).isFile()) assert.ok(fs.readFileSync(path.join(viaService, f)).equals(fs.readFileSync(path.join(here, f))), `${format}: ${f}`);
    }
    // the service left nothing in its temporary directory
    assert.deepEqual(fs.readdirSync(path.join(env.root, 'tmp')).filter((f) => f.startsWith('export-')), []);
  });

  test('bad input: the local messages and exit codes', () => {
    const out = path.join(env.dir, 'never.tar');
    sameAsLocal(['save', '-o', out, 'localhost/nosuch'], 125);
    assert.equal(fs.existsSync(out), false);
    sameAsLocal(['save', '--format', 'oci-dir', 'localhost/busybox'], 125);
    sameAsLocal(['save', '--format', 'bogus', '-o', out, 'localhost/busybox'], 125);
    const full = path.join(env.dir, 'full');
    fs.mkdirSync(full, { recursive: true });
    fs.writeFileSync(path.join(full, 'keep'), 'x');
    sameAsLocal(['save', '--format', 'oci-dir', '-o', full, 'localhost/busybox'], 125);
    assert.deepEqual(fs.readdirSync(full), ['keep']);
    sameAsLocal(['load', '-i', path.join(env.dir, 'missing.tar')], 125);
    const r = sameAsLocal(['load', '-i', '/etc/hostname'], 125);
    assert.match(r.stderr, /payload does not match any of the supported image formats/);
    // the service still answers after a refused upload
    assert.equal(remote(['image', 'exists', 'localhost/busybox']).code, 0);
  });
});

describe('over ssh', () => {
  test('save -o, load and import from stdin, volume export and import: the archives stream through the tunnel', () => {
    const id = idOf('localhost/busybox');
    const viaService = path.join(env.dir, 'ssh-save.tar');
    const here = path.join(env.dir, 'ssh-local-save.tar');
    const saved = viaSsh(['save', '-o', viaService, 'localhost/busybox']);
    assert.equal(saved.code, 0, saved.stderr);
    env.ok(['save', '-o', here, 'localhost/busybox']);
    assert.deepEqual(tarList(viaService), tarList(here));
    env.ok(['rmi', 'localhost/busybox']);
    const loaded = runWithInput([...sshd.remoteArgs(sock), 'load'], viaService, sshd.env());
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, 'Loaded image: localhost/busybox:latest\n');
    assert.equal(idOf('localhost/busybox'), id);
    const imported = runWithInput([...sshd.remoteArgs(sock), 'import', '-', 'localhost/ssh-imported'], ROOTFS, sshd.env());
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stdout.trim(), `sha256:${idOf('localhost/ssh-imported')}`);

    env.ok(['volume', 'create', 'sshsrc']);
    env.ok(['volume', 'create', 'sshdst']);
    env.ok(['run', '--rm', '-v', 'sshsrc:/data', 'localhost/busybox', 'sh', '-c', 'echo over-ssh > /data/a; head -c 300000 /dev/urandom > /data/bin']);
    const exported = path.join(env.dir, 'ssh-vol.tar');
    const exp = viaSsh(['volume', 'export', 'sshsrc', '-o', exported]);
    assert.equal(exp.code, 0, exp.stderr);
    const expHere = path.join(env.dir, 'ssh-vol-local.tar');
    env.ok(['volume', 'export', 'sshsrc', '-o', expHere]);
    assert.ok(fs.readFileSync(exported).equals(fs.readFileSync(expHere)), 'the same bytes as the local export');
    const imp = runWithInput([...sshd.remoteArgs(sock), 'volume', 'import', 'sshdst', '-'], exported, sshd.env());
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(env.ok(['run', '--rm', '-v', 'sshsrc:/a', '-v', 'sshdst:/b', 'localhost/busybox', 'sh', '-c', 'cat /b/a; cmp /a/bin /b/bin && echo same']), 'over-ssh\nsame\n');
  });
});

describe('import --remote', () => {
  test('a file with a name and --change; stdin; the result checked locally', () => {
    const r = remote(['import', ROOTFS, 'localhost/imported:1', '-c', 'CMD ["/bin/echo", "from import"]', '-c', 'ENV A=b']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(r.stdout.trim(), `sha256:${idOf('localhost/imported:1')}`);
    assert.equal(env.ok(['image', 'inspect', '--format', '{{json .Config.Cmd}} {{json .Config.Env}}', 'localhost/imported:1']).trim(), '["/bin/echo","from import"] ["A=b"]');
    assert.equal(env.ok(['run', '--rm', 'localhost/imported:1']), 'from import\n');
    const piped = runWithInput([...REMOTE, 'import', '-', 'imported:2'], ROOTFS);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout.trim(), `sha256:${idOf('localhost/imported:2')}`);
  });

  test('a URL: the service fetches it', async () => {
    const srv = http.createServer((req, res) => {
      if (req.url !== '/rootfs.tar') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      fs.createReadStream(ROOTFS).pipe(res);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const r = await new Promise<Result>((resolve) => {
        const [node, ...rest] = env.argv([...REMOTE, 'import', `http://127.0.0.1:${port}/rootfs.tar`, 'localhost/from-url']);
        // asynchronously: this process serves the URL meanwhile
        const child = require('node:child_process').spawn(node, rest, { env: cleanEnv() }) as import('node:child_process').ChildProcess;
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (d) => (stdout += d));
        child.stderr?.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code: code ?? 137, stdout, stderr }));
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `sha256:${idOf('localhost/from-url')}`);
    } finally {
      srv.close();
    }
  });

  test('bad input: the local messages and exit codes; the service takes no file path for a URL', async () => {
    sameAsLocal(['import', path.join(env.dir, 'missing.tar'), 'localhost/x'], 125);
    sameAsLocal(['import', ROOTFS, 'localhost/x', '-c', 'BOGUS x'], 125);
    sameAsLocal(['import', ROOTFS, 'Bad:Name:x'], 125);
    sameAsLocal(['import', '/etc/hostname', 'localhost/x'], 125);
    assert.equal(env.run(['image', 'exists', 'localhost/x']).code, 1);
    // straight to the API: `url` naming a file of the service's machine is refused
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: `/v4.0.0/libpod/images/import?url=${encodeURIComponent('/etc/passwd')}&reference=localhost/x` }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 400, answer.body);
    assert.match(answer.body, /only http and https URLs/);
    assert.equal(env.run(['image', 'exists', 'localhost/x']).code, 1);
  });
});

describe('volume export|import --remote', () => {
  test('export to a file and stdout, import from a file and stdin; the content checked locally', () => {
    env.ok(['volume', 'create', 'rsrc']);
    env.ok(['volume', 'create', 'rdst']);
    env.ok(['run', '--rm', '-v', 'rsrc:/data', 'localhost/busybox', 'sh', '-c', 'echo hello > /data/a; mkdir /data/d; echo deep > /data/d/b; ln -s /etc/shadow /data/d/l']);
    const viaService = path.join(env.dir, 'vol-remote.tar');
    const here = path.join(env.dir, 'vol-local.tar');
    const r = remote(['volume', 'export', 'rsrc', '-o', viaService]);
    assert.equal(r.code, 0, r.stderr);
    env.ok(['volume', 'export', 'rsrc', '-o', here]);
    assert.deepEqual(tarList(viaService), tarList(here));
    assert.match(spawnSync('tar', ['tvf', viaService], { encoding: 'utf8' }).stdout, /\.\/d\/l -> \/etc\/shadow/);

    const imp = remote(['volume', 'import', 'rdst', viaService]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(imp.stdout + imp.stderr, '');
    assert.equal(env.ok(['run', '--rm', '-v', 'rdst:/data', 'localhost/busybox', 'sh', '-c', 'cat /data/a /data/d/b; readlink /data/d/l']), 'hello\ndeep\n/etc/shadow\n');

    env.ok(['volume', 'create', 'rdst2']);
    const piped = runWithInput([...REMOTE, 'volume', 'import', 'rdst2', '-'], viaService);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(env.ok(['run', '--rm', '-v', 'rdst2:/data', 'localhost/busybox', 'cat', '/data/a']), 'hello\n');
  });

  test('bad input: the local messages and exit codes, nothing written', () => {
    env.ok(['volume', 'create', 'rbad']);
    const tar = path.join(env.dir, 'vol-remote.tar');
    sameAsLocal(['volume', 'export', 'nosuchvol', '-o', path.join(env.dir, 'never.tar')], 125);
    sameAsLocal(['volume', 'import', 'nosuchvol', tar], 125);
    sameAsLocal(['volume', 'import', 'rbad', path.join(env.dir, 'missing.tar')], 125);
    sameAsLocal(['volume', 'import', 'rbad', '/etc/hostname'], 125);
    assert.deepEqual(fs.readdirSync(path.join(env.root, 'volumes', 'rbad', '_data')), []);
  });
});

describe('push, login, logout --remote', { skip: !haveRegistry && 'docker-registry is not installed' }, () => {
  let reg: Registry;
  const authfile = () => path.join(env.dir, 'client-auth.json');
  before(async () => {
    reg = await startRegistry(path.join(env.dir, 'registry'), { user: 'tester', password: 'sesame' });
  });
  after(async () => {
    await reg?.stop();
  });

  test('login writes the client auth file; push sends its credentials; the digest is the stored one; logout removes them', () => {
    const login = remote(['login', '--tls-verify=false', '--authfile', authfile(), '-u', 'tester', '-p', 'sesame', reg.host]);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'Login Succeeded!\n');
    const auths = (JSON.parse(fs.readFileSync(authfile(), 'utf8')) as { auths: Record<string, { auth: string }> }).auths;
    assert.equal(Buffer.from(auths[reg.host].auth, 'base64').toString(), 'tester:sesame');

    // the service has no credentials of its own: only the client's make the push work
    const dest = `${reg.host}/remote/busybox:1`;
    const denied = remote(['push', '--tls-verify=false', 'localhost/busybox', dest]);
    const deniedHere = env.run(['push', '--tls-verify=false', 'localhost/busybox', dest]);
    assert.equal(denied.code, deniedHere.code);
    assert.notEqual(denied.code, 0);

    const digestfile = path.join(env.dir, 'remote-digest');
    const push = remote(['push', '--tls-verify=false', '--authfile', authfile(), '--digestfile', digestfile, 'localhost/busybox', dest]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal(push.stdout, '');
    assert.match(push.stderr, /^Getting image source signatures\n/);
    assert.match(push.stderr, /Copying blob sha256:[0-9a-f]{64}/);
    assert.match(push.stderr, /Writing manifest to image destination\n$/);
    const digest = env.ok(['image', 'inspect', '--format', '{{.Digest}}', 'localhost/busybox']).trim();
    assert.equal(fs.readFileSync(digestfile, 'utf8'), digest);
    // pulled back locally: the same image
    const pulled = env.run(['pull', '-q', '--tls-verify=false', '--authfile', authfile(), dest]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(pulled.stdout.trim(), idOf('localhost/busybox'));

    // pull --remote sends the client's credentials too (the service has none): from the auth file, then --creds
    env.ok(['rmi', dest]);
    const unauthorized = remote(['pull', '-q', '--tls-verify=false', dest]);
    assert.equal(unauthorized.code, 125, 'no credentials: the registry refuses');
    const remotePull = remote(['pull', '-q', '--tls-verify=false', '--authfile', authfile(), dest]);
    assert.equal(remotePull.code, 0, remotePull.stderr);
    assert.equal(remotePull.stdout.trim(), idOf('localhost/busybox'));
    env.ok(['rmi', dest]);
    const credsPull = remote(['pull', '-q', '--tls-verify=false', '--creds', 'tester:sesame', dest]);
    assert.equal(credsPull.code, 0, credsPull.stderr);

    // --creds, quietly
    const creds = remote(['push', '-q', '--tls-verify=false', '--creds', 'tester:sesame', 'localhost/echo', `${reg.host}/remote/echo:1`]);
    assert.equal(creds.code, 0, creds.stderr);
    assert.equal(creds.stdout + creds.stderr, '');

    const out = remote(['logout', '--authfile', authfile(), reg.host]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `Removed login credentials for ${reg.host}\n`);
    assert.equal(JSON.parse(fs.readFileSync(authfile(), 'utf8')).auths[reg.host], undefined);
    sameAsLocal(['logout', '--authfile', authfile(), reg.host], 125);
  });

  test('pull --all-tags and pull of an archive give the local ids over unix and ssh; bad input as locally', () => {
    const repo = `${reg.host}/tags/busybox`;
    const creds = ['--tls-verify=false', '--creds', 'tester:sesame'];
    for (const [image, tag] of [
      ['localhost/busybox', '1'],
      ['localhost/busybox', '2'],
      ['localhost/echo', '3'],
    ])
      env.ok(['push', '-q', ...creds, image, `${repo}:${tag}`]);
    const dropTags = () => {
      for (const tag of ['1', '2', '3']) env.run(['rmi', `${repo}:${tag}`]);
    };
    const all = sameAsLocal(['pull', '-q', '--all-tags', ...creds, repo], 0, dropTags);
    // one id per tag, in the registry's order of the tags (the same for all three, sameAsLocal checked)
    assert.deepEqual(all.stdout.split('\n').filter(Boolean).sort(), [idOf('localhost/busybox'), idOf('localhost/busybox'), idOf('localhost/echo')].sort());
    assert.equal(idOf(`${repo}:3`), idOf('localhost/echo'));
    dropTags();

    // an archive is the client's file, as for push (streamed to the service's load)
    const archive = path.join(env.dir, 'pull-me.tar');
    env.ok(['save', '-o', archive, 'localhost/echo']);
    const fromArchive = sameAsLocal(['pull', `docker-archive:${archive}`], 0);
    assert.equal(fromArchive.stdout, `${idOf('localhost/echo')}\n`);

    sameAsLocal(['pull', '--all-tags', ...creds, `${repo}:1`], 125);
    sameAsLocal(['pull', '--all-tags', `docker-archive:${archive}`], 125);
    sameAsLocal(['pull', `docker-archive:${path.join(env.dir, 'no-such.tar')}`], 125);
  });

  test('push to an archive writes the client file; bad input as the local push', () => {
    const archive = path.join(env.dir, 'pushed.tar');
    const r = remote(['push', 'localhost/busybox', `docker-archive:${archive}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(tarList(archive).includes('manifest.json'));
    sameAsLocal(['push', '--tls-verify=false', '--creds', 'tester:sesame', 'localhost/nosuch', `${reg.host}/remote/x:1`], 125);
    sameAsLocal(['push', '--tls-verify=false', '--authfile', path.join(env.dir, 'no-auth.json'), 'localhost/busybox', `${reg.host}/remote/x:1`], 125);
  });
});
