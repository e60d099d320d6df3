// `mount` / `unmount` of containers (Podman's mount counter): the root
// filesystem stays mounted across a run while mounted by the user, goes with
// the last unmount (or one forced), `mount` alone lists what is mounted, and
// the libpod API's mount, unmount and showmounted endpoints do the same.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TspodEnv } from '../helpers/tspod-env';
import { ApiService, curlUnix } from '../helpers/api-service';

const env = new TspodEnv('container-mount');
const sock = path.join(env.dir, 'api.sock');
const svc = new ApiService(env, sock);
const mounted = (dir: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

const curl = (method: string, p: string) => curlUnix(sock, method, `http://d/v4.3.1/libpod${p}`);

before(() => env.importTestImages());
after(async () => {
  await svc.stop();
  env.run(['rm', '-af', '-t', '0']);
  env.cleanup();
});

describe('container mount', () => {
  test('mount shows the files, survives a run, lists; unmount counts; -f ends it; errors as Podman', () => {
    const id = env.ok(['run', '--name', 'mnt', 'localhost/busybox', 'sh', '-c', 'echo written-inside > /tmp/f']).trim() || env.ok(['inspect', '--format', '{{.Id}}', 'mnt']).trim();
    const full = env.ok(['inspect', '--format', '{{.Id}}', 'mnt']).trim();
    const where = env.ok(['mount', 'mnt']).trim();
    assert.ok(where.startsWith(env.dir), where);
    assert.equal(fs.readFileSync(path.join(where, 'tmp', 'f'), 'utf8'), 'written-inside\n');
    assert.equal(env.ok(['mount']), `${full.slice(0, 12)}\t${where}\n`);
    assert.equal(env.ok(['mount', '--notruncate']), `${full}\t${where}\n`);
    assert.deepEqual(JSON.parse(env.ok(['mount', '--format', 'json'])), [{ id: full, Names: ['mnt'], mountpoint: where }]);

    // a run in between does not take the user's mount away
    env.ok(['start', '-a', 'mnt']);
    assert.ok(mounted(where), 'still mounted after the run');

    assert.equal(env.ok(['mount', 'mnt']).trim(), where, 'twice: the same mount, counted');
    assert.equal(env.ok(['unmount', 'mnt']), `${full}\n`);
    assert.ok(mounted(where), 'one mount is left');
    assert.equal(env.ok(['umount', '-f', 'mnt']), `${full}\n`);
    assert.ok(!mounted(where), 'forced: gone');
    assert.equal(env.ok(['mount']), '');

    const missing = env.run(['unmount', 'nosuch']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /no container with name or ID "nosuch" found: no such container/);
    assert.equal(env.run(['mount', '--format', '{{.ID}}']).code, 125);
    assert.equal(env.run(['unmount']).code, 125);
    void id;
  });

  test('a running container: listed by mount, left alone by unmount (as Podman); mount -a, unmount -a', () => {
    const run = env.ok(['run', '-d', '--name', 'up', 'localhost/busybox', 'sleep', '1000']).trim();
    assert.match(env.ok(['mount']), new RegExp(`^${run.slice(0, 12)}\\t`, 'm'));
    assert.equal(env.ok(['unmount', 'up']), '', 'a running container is skipped');
    assert.match(env.ok(['exec', 'up', 'ls', '/bin/busybox']), /busybox/);
    env.ok(['rm', '-f', '-t', '0', 'up']);

    env.ok(['create', '--name', 'c1', 'localhost/busybox', 'true']);
    env.ok(['create', '--name', 'c2', 'localhost/busybox', 'true']);
    assert.equal(env.ok(['mount', '-a']).trim().split('\n').length, 3, 'mnt, c1, c2');
    assert.equal(env.ok(['unmount', '-a']).trim().split('\n').length, 3);
    assert.equal(env.ok(['mount']), '');
    env.ok(['rm', 'c1', 'c2']);
  });

  test('--mount type=image: the image read-only at a path (rw=true: writable, writes stay with the container), inspect, rmi refused while used, nothing left mounted', () => {
    const out = env.ok(['run', '--rm', '--mount', 'type=image,src=localhost/echo,dst=/other', 'localhost/busybox', 'sh', '-c', 'ls /other/usr/local/bin; touch /other/x 2>&1; true']);
    assert.match(out, /echo-server/);
    assert.match(out, /Read-only file system/);
    assert.equal(env.ok(['run', '--rm', '--mount', 'type=image,src=localhost/echo,dst=/other,rw=true', 'localhost/busybox', 'sh', '-c', 'echo w > /other/x && cat /other/x']), 'w\n');
    const id = env.ok(['run', '-d', '--mount', 'type=image,source=localhost/echo,target=/other,readwrite=true', 'localhost/busybox', 'sleep', '1000']).trim();
    assert.equal(env.ok(['inspect', '--format', '{{(index .Mounts 0).Type}} {{(index .Mounts 0).Source}} {{(index .Mounts 0).Destination}} {{(index .Mounts 0).RW}}', id]).trim(), 'image localhost/echo /other true');
    const rmi = env.run(['rmi', 'localhost/echo']);
    assert.equal(rmi.code, 2, 'in use by the mount');
    assert.match(rmi.stderr, /image is in use by a container/);
    env.ok(['rm', '-f', '-t', '0', id]);
    assert.doesNotMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(id), 'the image volume went with the run');
    const missing = env.run(['run', '--rm', '--mount', 'type=image,src=nosuch,dst=/x', 'localhost/busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /nosuch: image not known/);
    assert.match(env.run(['run', '--rm', '--mount', 'type=image,dst=/x', 'localhost/busybox', 'true']).stderr, /must set source of image mount/);
  });

  test('libpod API: mount answers the path, showmounted lists it, unmount answers 204', async () => {
    await svc.start();
    const m = curl('POST', '/containers/mnt/mount');
    assert.equal(m.status, 200, m.body);
    const where = JSON.parse(m.body) as string;
    assert.ok(mounted(where));
    const shown = curl('GET', '/containers/showmounted');
    assert.equal(shown.status, 200);
    assert.equal(Object.values(JSON.parse(shown.body) as Record<string, string>)[0], where);
    assert.equal(curl('POST', '/containers/mnt/unmount').status, 204);
    assert.ok(!mounted(where));
    assert.equal(curl('POST', '/containers/nosuch/mount').status, 404);
  });
});
