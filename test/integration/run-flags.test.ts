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
      env.run(['rm', '-f', 'keepme']);
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
      env.run(['rm', '-f', 'att']);
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
