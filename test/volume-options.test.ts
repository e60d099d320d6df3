// `-v` and `--mount` parsing and the API create bodies' mounts (copy-up's in-root resolution is tested in
// in-root.test.ts).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseMount, parseVolume } from '../lib/cli/create-options';
import { dockerCreateRequest, libpodCreateRequest } from '../api/handlers/create-body';

test('-v: anonymous, named and bind', () => {
  assert.deepEqual(parseVolume('/data'), { type: 'volume', source: '', destination: '/data', rw: true, options: [] });
  assert.deepEqual(parseVolume('site:/www:ro'), { type: 'volume', source: 'site', destination: '/www', rw: false, options: [] });
  assert.deepEqual(parseVolume('/srv:/www:rw,z'), { type: 'bind', source: '/srv', destination: '/www', rw: true, options: [] });
  assert.equal(parseVolume('./here:/x').source, path.resolve('here'));
  assert.deepEqual(parseVolume('site:/www:nocopy').options, ['nocopy']);
  assert.deepEqual(parseVolume('/srv:/www:nocopy').options, []);
  assert.throws(() => parseVolume('data'), /must be an absolute path/);
  assert.throws(() => parseVolume('site:www'), /must be an absolute path/);
  assert.throws(() => parseVolume('site:/www:bogus'), /invalid option "bogus"/);
  assert.throws(() => parseVolume('-bad:/www'), /invalid volume name/);
  assert.throws(() => parseVolume('a:/b:ro:x'), /incorrect volume format/);
});

test('--mount: volume, bind, tmpfs', () => {
  assert.deepEqual(parseMount('type=volume,src=site,dst=/www,ro'), { type: 'volume', source: 'site', destination: '/www', rw: false, options: [] });
  assert.deepEqual(parseMount('type=volume,target=/anon'), { type: 'volume', source: '', destination: '/anon', rw: true, options: [] });
  assert.deepEqual(parseMount('type=bind,source=/srv,destination=/www,readonly=true'), { type: 'bind', source: '/srv', destination: '/www', rw: false, options: [] });
  assert.deepEqual(parseMount('type=tmpfs,dst=/scratch,tmpfs-size=1m,tmpfs-mode=1777'), { type: 'tmpfs', source: 'tmpfs', destination: '/scratch', rw: true, options: ['size=1m', 'mode=1777'] });
  assert.throws(() => parseMount('type=bind,dst=/x'), /must set source/);
  assert.throws(() => parseMount('type=nfs,dst=/x'), /invalid filesystem type "nfs"/);
  assert.throws(() => parseMount('type=volume,src=x'), /must set container destination/);
  assert.throws(() => parseMount('type=tmpfs,dst=/x,tmpfs-mode=rwx'), /invalid tmpfs-mode/);
});

test('Docker create bodies: Binds with names, Mounts, Tmpfs, anonymous Volumes, RestartPolicy', () => {
  const r = dockerCreateRequest(
    {
      Image: 'busybox',
      Volumes: { '/www': {}, '/anon/': {}, '/t': {} },
      HostConfig: {
        Binds: ['site:/www:rw', '/srv:/srv:ro'],
        Mounts: [
          { Type: 'volume', Source: 'm', Target: '/m', ReadOnly: true },
          { Type: 'tmpfs', Target: '/tm', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } },
        ],
        Tmpfs: { '/t': 'size=64k' },
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 4 },
      },
    },
    undefined,
  );
  assert.deepEqual(r.config.mounts, [
    { type: 'volume', source: 'site', destination: '/www', rw: true, options: [] },
    { type: 'bind', source: '/srv', destination: '/srv', rw: false, options: [] },
    { type: 'volume', source: 'm', destination: '/m', rw: false, options: [] },
    { type: 'tmpfs', source: 'tmpfs', destination: '/tm', rw: true, options: ['size=1048576', 'mode=1777'] },
    { type: 'tmpfs', source: 'tmpfs', destination: '/t', rw: true, options: ['size=64k'] },
    { type: 'volume', source: '', destination: '/anon/', rw: true, options: [] },
  ]);
  assert.equal(r.config.restartPolicy, 'on-failure:4');
  assert.equal(dockerCreateRequest({ Image: 'x', HostConfig: { RestartPolicy: { Name: 'no' } } }, undefined).config.restartPolicy, '');
  assert.throws(() => dockerCreateRequest({ Image: 'x', HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, undefined), /not a valid restart policy/);
  assert.throws(() => dockerCreateRequest({ Image: 'x', HostConfig: { Binds: ['bad name:/x'] } }, undefined), /invalid volume specification/);
  assert.throws(() => dockerCreateRequest({ Image: 'x', HostConfig: { Mounts: [{ Type: 'npipe', Target: '/x' }] } }, undefined), /mount type unknown/);
});

test('libpod create bodies: mounts, named and anonymous volumes, restart policy and tries', () => {
  const r = libpodCreateRequest({
    image: 'busybox',
    mounts: [{ destination: '/b', type: 'bind', source: '/srv', options: ['rbind', 'ro'] }],
    volumes: [{ Name: 'site', Dest: '/www', Options: [] }, { Name: '', Dest: '/anon', Options: ['rw'] }],
    restart_policy: 'on-failure',
    restart_tries: 2,
  });
  assert.deepEqual(r.config.mounts, [
    { type: 'bind', source: '/srv', destination: '/b', rw: false, options: [] },
    { type: 'volume', source: 'site', destination: '/www', rw: true, options: [] },
    { type: 'volume', source: '', destination: '/anon', rw: true, options: [] },
  ]);
  assert.equal(r.config.restartPolicy, 'on-failure:2');
});
