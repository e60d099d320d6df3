// run/create flags from Podman's 030-run: --tz, --conmon-pidfile, --rmi, --attach.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('run-flags');
before(() => env.importTestImages());
after(() => env.cleanup());

// 1600000000 = Sun Sep 13 12:26:40 UTC 2020, as in Podman's test
const DATE = ['date', '-d', '@1600000000'];

describe('--tz', () => {
  test('the zone file is /etc/localtime, read-only; the last --tz wins', () => {
    assert.equal(env.ok(['run', '--rm', 'busybox', ...DATE]), 'Sun Sep 13 12:26:40 UTC 2020\n');
    assert.equal(env.ok(['run', '--rm', '--tz=US/Eastern', '--tz=MST7MDT', 'busybox', ...DATE]), 'Sun Sep 13 06:26:40 MDT 2020\n');
    assert.equal(env.ok(['run', '--rm', '--tz', 'Iceland', 'busybox', ...DATE]), 'Sun Sep 13 12:26:40 GMT 2020\n');
    const w = env.run(['run', '--rm', '--tz=Iceland', 'busybox', 'sh', '-c', 'echo x > /etc/localtime']);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /Read-only file system/);
  });

  test('--tz=local is the host /etc/localtime', () => {
    const host = fs.readFileSync('/etc/localtime');
    const inside = env.ok(['run', '--rm', '--tz=local', 'busybox', 'md5sum', '/etc/localtime']).split(' ')[0];
    const expect = require('node:crypto').createHash('md5').update(host).digest('hex');
    assert.equal(inside, expect);
  });

  test('bad zone names are refused before anything is created', () => {
    for (const tz of ['../../../etc/passwd', 'Nowhere/Land', '/etc/passwd', 'America', 'Iceland/..', 'a b']) {
      const r = env.run(['run', '--rm', '--name', 'badtz', `--tz=${tz}`, 'busybox', 'true']);
      assert.equal(r.code, 125, tz);
      assert.match(r.stderr, /^Error: finding timezone for container: .*: invalid argument\n$/, tz);
      assert.equal(env.run(['container', 'exists', 'badtz']).code, 1);
    }
  });
});

describe('--conmon-pidfile', () => {
  test('names the live monitor, as inspect does', () => {
    const pidfile = path.join(env.dir, 'conmon.pid');
    const cidfile = path.join(env.dir, 'cid');
    const id = env.ok(['run', '-d', '--name', 'cpid', '--conmon-pidfile', pidfile, '--cidfile', cidfile, 'busybox', 'sleep', '1000']).trim();
    try {
      assert.equal(fs.readFileSync(cidfile, 'utf8'), id);
      const pid = fs.readFileSync(pidfile, 'utf8');
      assert.match(pid, /^[1-9][0-9]*$/);
      assert.equal(env.ok(['inspect', '--format', '{{.State.ConmonPid}}', id]).trim(), pid);
      assert.match(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /tspod-conmon/);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'cpid']);
    }
  });
});

describe('--rmi', () => {
  test('removes the image after the container, unless another container uses it', () => {
    // an image of its own (one name, so removing it is no mere untag)
    env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/rmi-me', '--change', 'CMD ["true"]']);
    try {
      const bad = env.run(['run', '--rmi', 'localhost/rmi-me', 'true']);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /the --rmi option does not work without --rm/);
      env.ok(['create', '--name', 'keepme', 'localhost/rmi-me', 'true']);
      env.ok(['run', '--rmi', '--rm', 'localhost/rmi-me', 'true']);
      assert.equal(env.run(['image', 'exists', 'localhost/rmi-me']).code, 0);
      env.ok(['rm', 'keepme']);
      env.ok(['run', '--rmi', '--rm', 'localhost/rmi-me', 'true']);
      assert.equal(env.run(['image', 'exists', 'localhost/rmi-me']).code, 1);
      assert.equal(env.run(['image', 'exists', 'busybox']).code, 0);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'keepme']);
      env.run(['rmi', '-f', 'localhost/rmi-me']);
    }
  });
});

describe('--attach', () => {
  test('stdin only prints the container id', () => {
    const out = env.ok(['run', '--name', 'att', '--attach', 'stdin', 'busybox', 'echo', 'hello']).trim();
    try {
      assert.equal(out, env.ok(['inspect', '--format', '{{.Id}}', 'att']).trim());
      assert.equal(env.ok(['logs', 'att']), 'hello\n');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'att']);
    }
  });

  test('only the named streams reach us; big output does not hang', () => {
    const r = env.run(['run', '--rm', '-a', 'stderr', 'busybox', 'sh', '-c', 'dd if=/dev/zero bs=1 count=700000; echo out'], { timeout: 60_000 });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^700000\+0 records in\n700000\+0 records out/);
    const o = env.run(['run', '--rm', '-a', 'stdout', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.deepEqual([o.stdout, o.stderr], ['out\n', '']);
    const bad = env.run(['run', '--rm', '-a', 'stdio', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid stream "stdio" for --attach/);
  });
});

describe('--workdir', () => {
  test('one missing in the image is refused (126), unless a mount is there, above or below it', () => {
    const bad = env.run(['run', '--rm', '--name', 'nowd', '--workdir', '/i/do/not/exist', 'busybox', 'pwd']);
    assert.equal(bad.code, 126);
    assert.match(bad.stderr, /^Error: workdir "\/i\/do\/not\/exist" does not exist on container [0-9a-f]{64}\n$/);
    assert.equal(env.run(['container', 'exists', 'nowd']).code, 1, '--rm still removes it');
    // a symlink out of the root is resolved inside it: /bin/.. is /, so /bin/../i/x does not exist either
    assert.equal(env.run(['run', '--rm', '--workdir', '/bin/../nope', 'busybox', 'pwd']).code, 126);
    const dir = path.join(env.dir, 'wdvol');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'content'), 'data\n');
    assert.equal(env.ok(['run', '--rm', '--workdir', '/NotOnTheImage', '-v', `${dir}:/NotOnTheImage`, 'busybox', 'cat', 'content']), 'data\n');
    assert.equal(env.ok(['run', '--rm', '--workdir', '/NotOnTheImage', '-v', `${path.join(dir, 'content')}:/NotOnTheImage/foo`, 'busybox', 'cat', 'foo']), 'data\n');
    assert.equal(env.ok(['run', '--rm', '--workdir', '/etc', 'busybox', 'pwd']), '/etc\n');
  });
});

describe('--timeout', () => {
  test('the monitor kills the container when the time is up: exit 255, ExitCode -1', () => {
    const t0 = Date.now();
    const r = env.run(['run', '--name', 'tmo', '--timeout', '2', 'busybox', 'sleep', '60'], { timeout: 30_000 });
    const secs = (Date.now() - t0) / 1000;
    try {
      assert.equal(r.code, 255, r.stderr);
      assert.ok(secs >= 1.9 && secs < 10, `took ${secs}s`);
      assert.equal(env.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'tmo']).trim(), 'exited -1');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'tmo']);
    }
    // a container done in time keeps its own exit code; a negative timeout is refused
    assert.equal(env.run(['run', '--rm', '--timeout', '30', 'busybox', 'sh', '-c', 'exit 3']).code, 3);
    const bad = env.run(['run', '--rm', '--timeout', '-1', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid timeout "-1"/);
  });
});

describe('--log-opt', () => {
  test('max-size is shown by inspect and bounds the k8s-file log; other options are refused', async () => {
    const id = env.ok(['run', '-d', '--log-opt', 'max-size=3.085m', 'busybox', 'true']).trim();
    const small = env.ok(['run', '-d', '--log-opt', 'max-size=400', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 60 ]; do echo line$i; i=$((i+1)); sleep 0.02; done']).trim();
    try {
      assert.equal(env.ok(['inspect', '--format', '{{ .HostConfig.LogConfig.Size }}', id]).trim(), '3.085MB');
      env.ok(['wait', small]);
      const file = env.ok(['inspect', '--format', '{{ .HostConfig.LogConfig.Path }}', small]).trim();
      // one record per line (the lines come apart in time): the file never grows past the limit
      assert.ok(fs.statSync(file).size <= 400, `log is ${fs.statSync(file).size} bytes`);
      assert.match(env.ok(['logs', small]), /line59\n$/);
    } finally {
      env.run(['rm', '-f', '-t', '0', id, small]);
    }
    for (const o of ['tag=x', 'max-size=lots', 'max-size=0', 'max-file=3']) {
      const r = env.run(['run', '--rm', '--name', 'badlog', '--log-opt', o, 'busybox', 'true']);
      assert.equal(r.code, 125, o);
      assert.match(r.stderr, /^Error: .*log option.*: invalid argument\n$/, o);
      assert.equal(env.run(['container', 'exists', 'badlog']).code, 1);
    }
  });
});

describe('runtime choice, rootfs and devices (030-run)', () => {
  test('--runtime-flag reaches the runtime: an unknown one fails the start with 126 and names it', () => {
    const r = env.run(['--runtime-flag', 'invalidflag', 'run', '--rm', 'busybox', 'true']);
    assert.equal(r.code, 126);
    assert.match(r.stderr, /invalidflag/);
    assert.equal(env.run(['ps', '-aq']).stdout, '', '--rm removed the container that did not start');
    assert.equal(env.ok(['--runtime-flag', 'debug', 'run', '--rm', 'busybox', 'echo', 'ok']), 'ok\n');
    const bad = env.run(['--runtime-flag', '-x;y', 'run', '--rm', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid --runtime-flag/);
  });

  test('a full path given to --runtime is what inspect shows, and the container keeps using it', (t) => {
    const runc = env.ok(['info', '--format', '{{.Host.OCIRuntime.Path}}']).trim();
    const copy = path.join(env.dir, 'myruntime');
    fs.copyFileSync(runc, copy);
    fs.chmodSync(copy, 0o755);
    const id = env.ok(['run', '-d', '--runtime', copy, 'busybox', 'sleep', '60']).trim();
    t.after(() => env.run(['rm', '-f', '-t', '0', id]));
    assert.equal(env.ok(['inspect', '--format', '{{.OCIRuntime}}', id]), `${copy}\n`);
    env.ok(['kill', id]);
    assert.equal(env.ok(['wait', id]), '137\n');
    env.ok(['rm', id]);
  });

  test('/ is dr-xr-xr-x as under Podman; /etc/mtab is made a link to /proc/mounts when the image has none', () => {
    assert.equal(env.ok(['run', '--rm', 'busybox', 'stat', '-c', '%a', '/']), '555\n');
    // the fixture image has no /etc/mtab
    assert.equal(env.ok(['run', '--rm', 'busybox', 'readlink', '/etc/mtab']), '/proc/mounts\n');
    // an image's own /etc/mtab is left alone
    assert.equal(env.ok(['run', '--rm', 'busybox', 'sh', '-c', 'rm /etc/mtab; ln -s /nowhere /etc/mtab']), '');
    env.ok(['run', '--name', 'mtabsrc', 'busybox', 'sh', '-c', 'rm -f /etc/mtab; echo mine > /etc/mtab']);
    env.ok(['commit', '-q', 'mtabsrc', 'localhost/ownmtab']);
    assert.equal(env.ok(['run', '--rm', 'localhost/ownmtab', 'cat', '/etc/mtab']), 'mine\n');
    env.ok(['rm', 'mtabsrc']);
    env.ok(['rmi', 'localhost/ownmtab']);
  });

  test('--privileged passes the host\'s devices, but no /dev/tty* in systemd mode', (t) => {
    const id = env.ok(['run', '-d', '--privileged', 'busybox', 'sleep', '60']).trim();
    t.after(() => env.run(['rm', '-f', '-t', '0', id]));
    const ttys = env.ok(['exec', id, 'sh', '-c', 'ls /dev/tty*']).trim().split('\n');
    assert.ok(ttys.includes('/dev/tty0') || ttys.length > 1, `host ttys passed: ${ttys.join(' ')}`);
    const sd = env.ok(['run', '-d', '--privileged', '--systemd=always', 'busybox', 'sleep', '60']).trim();
    t.after(() => env.run(['rm', '-f', '-t', '0', sd]));
    assert.equal(env.ok(['exec', sd, 'sh', '-c', 'ls /dev/tty*']), '/dev/tty\n');
    assert.equal(env.ok(['exec', '--privileged', id, 'sh', '-c', 'test -c /dev/null && echo ok']), 'ok\n');
  });

  test('a host port another container holds fails the start with 126; --rm then leaves nothing behind', (t) => {
    const port = String(41200 + Math.floor(Math.random() * 90));
    const ok = env.ok(['run', '-d', '--name', 'portok', '-p', `${port}:80`, 'busybox', 'sleep', '60']).trim();
    t.after(() => env.run(['rm', '-f', '-t', '0', 'portok', 'portnorm']));
    let r = env.run(['run', '-d', '--name', 'portnorm', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
    assert.equal(r.code, 126);
    assert.match(r.stderr, new RegExp(`cannot listen on the TCP port: listen tcp4 :${port}: bind: address already in use`));
    r = env.run(['run', '-d', '--rm', '--name', 'portrm', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
    assert.equal(r.code, 126);
    assert.equal(env.ok(['ps', '-a', '--sort', 'names', '--format', '{{.Names}}']), 'portnorm\nportok\n');
    assert.ok(ok);
  });
});

describe('flags Podman accepts with a warning (030-run, 450-interactive)', () => {
  test('-p with --network=host runs, warning before the output; --kernel-memory is a no-op', () => {
    let r = env.run(['run', '--rm', '-p', '8080', '--net=host', 'busybox', 'echo', 'hi']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, 'Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use\n');
    r = env.run(['run', '--rm', '--network=none', '-p', '8080', 'busybox', 'true']);
    assert.equal(r.code, 0);
    r = env.run(['run', '--rm', '--kernel-memory', '100', 'busybox', 'false']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /level=warning msg="The --kernel-memory flag is no longer supported. This flag is a noop."/);
  });

  test('-it without a terminal on stdin warns and runs; -t alone does not warn', () => {
    let r = env.run(['run', '--tty', '-i', '--rm', 'busybox', 'echo', 'hello'], { input: '' });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /The input device is not a TTY\. The --tty and --interactive flags might not work properly/);
    assert.equal(r.stdout, 'hello\r\n');
    r = env.run(['run', '--tty', '-i=false', '--rm', 'busybox', 'echo', 'hello'], { input: '' });
    assert.equal(r.stderr, '');
  });

  test('rm -l and inspect -l act on the latest container', () => {
    env.ok(['create', '--name', 'older', 'busybox', 'true']);
    env.ok(['create', '--name', 'newest', 'busybox', 'true']);
    assert.equal(env.ok(['inspect', '-l', '--format', '{{.Name}}']), 'newest\n');
    env.ok(['rm', '-l']);
    assert.equal(env.ok(['ps', '-a', '--format', '{{.Names}}', '--filter', 'name=older', '--filter', 'name=newest']), 'older\n');
    env.ok(['rm', 'older']);
  });
});

describe('the monitor (030-run --conmon-pidfile)', () => {
  test('--conmon-pidfile names the monitor, which runs as conmon (the build\'s link to node)', (t) => {
    const pidfile = path.join(env.dir, 'conmon.pid');
    const id = env.ok(['run', '-d', '--conmon-pidfile', pidfile, 'busybox', 'sleep', '60']).trim();
    t.after(() => env.run(['rm', '-f', '-t', '0', id]));
    const pid = fs.readFileSync(pidfile, 'utf8').trim();
    assert.equal(env.ok(['inspect', '--format', '{{.State.ConmonPid}}', id]), `${pid}\n`);
    assert.match(fs.readlinkSync(`/proc/${pid}/exe`), /\/dist\/libexec\/conmon$/);
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'), 'conmon\n');
  });
});

describe('image data in inspect (030-run)', () => {
  test('ImageName is the name the container was created by; ImageDigest is the image\'s', () => {
    env.ok(['tag', 'busybox', 'localhost/other/name']);
    env.ok(['tag', 'busybox', 'localhost/other/name:v2']);
    const a = env.ok(['create', 'localhost/other/name']).trim();
    env.ok(['create', '--name', 'bytag', 'localhost/other/name:v2']);
    assert.equal(env.ok(['inspect', '--format', '{{.ImageName}}', a]), 'localhost/other/name:latest\n');
    assert.equal(env.ok(['inspect', '--format', '{{.ImageName}}', 'bytag']), 'localhost/other/name:v2\n');
    const [id, digest] = env.ok(['image', 'inspect', '--format', '{{.ID}} {{.Digest}}', 'busybox']).trim().split(' ');
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(env.ok(['container', 'inspect', 'bytag', '--format', '{{.ImageName}} {{.Image}} {{.ImageDigest}}']), `localhost/other/name:v2 ${id} ${digest}\n`);
    env.ok(['rm', a, 'bytag']);
    env.ok(['untag', 'busybox', 'localhost/other/name', 'localhost/other/name:v2']);
  });
});
