// --sdnotify=conmon|container|ignore against a real notify socket, as systemd
// would hold it for a Type=notify unit.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv, cleanEnv, sleep, until } from '../helpers/tspod-env';
import { native } from '../../lib/native';
import { freePort } from '../helpers/registry';

const env = new TspodEnv('sdnotify');
before(() => env.importTestImages());
after(() => env.cleanup());

/** A datagram socket standing in for systemd's NOTIFY_SOCKET. */
function notifySocket(name: string) {
  const file = path.join(env.dir, `${name}.sock`);
  const fd = native().dgramBind(file);
  const received: string[] = [];
  const drain = () => {
    for (let m = native().dgramRecv(fd); m; m = native().dgramRecv(fd)) received.push(m.toString());
    return received;
  };
  return { file, drain, close: () => fs.closeSync(fd) };
}

describe('sd_notify', () => {
  test('conmon: MAINPID of the monitor and READY=1 once the container runs', async () => {
    const sock = notifySocket('conmon');
    try {
      env.ok(['run', '-d', '--name', 'n-conmon', '--sdnotify=conmon', 'busybox', 'sleep', '1000'], { env: cleanEnv({ NOTIFY_SOCKET: sock.file }) });
      const msgs = await until(() => (sock.drain().length ? sock.drain() : undefined), 5000);
      const conmon = env.ok(['inspect', '--format', '{{.State.ConmonPid}}', 'n-conmon']).trim();
      assert.deepEqual(msgs, [`MAINPID=${conmon}\nREADY=1`]);
      const cenv = env.ok(['exec', 'n-conmon', 'env']);
      assert.doesNotMatch(cenv, /NOTIFY_SOCKET/);
    } finally {
      sock.close();
      env.run(['rm', '-f', '-t', '0', 'n-conmon']);
    }
  });

  test('container: the container gets a socket and its own READY=1 reaches systemd', async () => {
    const sock = notifySocket('container');
    const port = await freePort(); // a fixed port could be some other test's ephemeral one: the server would never be ready
    try {
      env.ok(['run', '-d', '--name', 'n-ctr', '--net', 'host', '--sdnotify=container', 'localhost/echo', '-p', String(port)], {
        env: cleanEnv({ NOTIFY_SOCKET: sock.file }),
      });
      const msgs = await until(() => (sock.drain().includes('READY=1') ? sock.drain() : undefined), 20_000);
      const conmon = env.ok(['inspect', '--format', '{{.State.ConmonPid}}', 'n-ctr']).trim();
      assert.ok(msgs.includes(`MAINPID=${conmon}`), JSON.stringify(msgs));
      assert.equal(env.ok(['inspect', '--format', '{{.Config.SdNotifySocket}}', 'n-ctr']).trim(), sock.file);
      assert.match(env.ok(['exec', 'n-ctr', 'env']), /^NOTIFY_SOCKET=\/run\/notify\/notify.sock$/m);
    } finally {
      sock.close();
      env.run(['rm', '-f', '-t', '0', 'n-ctr']);
    }
  });

  test('ignore: nothing is sent', async () => {
    const sock = notifySocket('ignore');
    try {
      env.ok(['run', '-d', '--name', 'n-ign', '--sdnotify=ignore', 'busybox', 'sleep', '1000'], { env: cleanEnv({ NOTIFY_SOCKET: sock.file }) });
      await sleep(300);
      assert.deepEqual(sock.drain(), []);
    } finally {
      sock.close();
      env.run(['rm', '-f', '-t', '0', 'n-ign']);
    }
  });

  test('an invalid mode is refused like Podman', () => {
    const r = env.run(['create', '--sdnotify=bogus', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /invalid sdnotify value "bogus": must be container, conmon or ignore/);
  });
});
