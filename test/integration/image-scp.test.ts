// `image scp` between this engine and a stored connection (another store's
// service on a unix socket), both ways, with a new name; its refusals; and the
// libpod `images/scp` endpoint of a service (Podman answers its failures 500).
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ApiService, curlUnix } from '../helpers/api-service';
import { FIXTURES, TspodEnv, cleanEnv } from '../helpers/tspod-env';

const here = new TspodEnv('image-scp-here');
const there = new TspodEnv('image-scp-there');
const conns = path.join(here.dir, 'connections.json');
const env = cleanEnv({ TSPOD_CONNECTIONS_CONF: conns });
const thereSvc = new ApiService(there, path.join(there.dir, 'there.sock'));
const hereSvc = new ApiService(here, path.join(here.dir, 'here.sock'), { TSPOD_CONNECTIONS_CONF: conns });

before(async () => {
  here.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/bb']);
  await thereSvc.start();
  await hereSvc.start();
  here.ok(['system', 'connection', 'add', 'there', `unix://${thereSvc.sock}`], { env });
});
after(async () => {
  await hereSvc.stop();
  await thereSvc.stop();
  here.cleanup();
  there.cleanup();
});

const names = (e: TspodEnv) => e.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort();

describe('image scp', () => {
  test('to a connection, back under a new name; the same image id on both sides', () => {
    assert.equal(here.ok(['image', 'scp', 'localhost/bb', 'there::'], { env }), 'Loaded image: localhost/bb:latest\n');
    assert.deepEqual(names(there), ['localhost/bb:latest']);
    const id = (e: TspodEnv, ref: string) => e.ok(['image', 'inspect', '--format', '{{.Id}}', ref]).trim();
    assert.equal(id(there, 'localhost/bb'), id(here, 'localhost/bb'));
    assert.equal(here.ok(['image', 'scp', '-q', 'there::localhost/bb', 'localhost/copy'], { env }), '');
    assert.deepEqual(names(here), ['localhost/bb:latest', 'localhost/copy:latest']);
    assert.equal(id(here, 'localhost/copy'), id(here, 'localhost/bb'));
  });

  test('refusals: no destination, an unknown connection, another user of this host, a missing image', () => {
    for (const [args, msg] of [
      [['localhost/bb'], /must specify a destination/],
      [['localhost/bb', 'nosuch::'], /connection "nosuch" not found/],
      [['localhost/bb', 'someone@localhost::'], /between users of this host/],
      [['localhost/nosuch', 'there::'], /image not known/],
    ] as const) {
      const r = here.run(['image', 'scp', ...args], { env });
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, msg);
    }
  });

  test('libpod images/scp: the service\'s image to its connection; failures are 500', () => {
    const ok = curlUnix(hereSvc.sock, 'POST', 'http://d/v4.0.0/libpod/images/scp/localhost/bb?destination=there::localhost/viaapi');
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { Id: 'localhost/viaapi' });
    assert.ok(names(there).includes('localhost/viaapi:latest'));
    const unknown = curlUnix(hereSvc.sock, 'POST', 'http://d/v4.0.0/libpod/images/scp/localhost/bb?destination=QA::');
    assert.equal(unknown.status, 500, unknown.body);
    assert.match(unknown.body, /connection \\"QA\\" not found/);
    const users = curlUnix(hereSvc.sock, 'POST', 'http://d/v4.0.0/libpod/images/scp/localhost/bb?destination=someone@localhost::');
    assert.equal(users.status, 400, users.body);
  });
});
