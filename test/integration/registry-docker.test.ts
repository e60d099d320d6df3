// Pull, push, login, search, save/load and export against Debian's real
// `docker-registry` on 127.0.0.1, with and without htpasswd auth: the tests
// fill it with images built from the fixtures, then pull and run them.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';

import { type Registry, haveRegistry, startRegistry } from '../helpers/registry';

/** What a failed operation must not change: the database and the layer and blob directories. */
function storeSnapshot(env: TspodEnv): string {
  const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).sort().join(',') : '');
  const db = fs.existsSync(path.join(env.root, 'db.json')) ? fs.readFileSync(path.join(env.root, 'db.json'), 'utf8') : '';
  return JSON.stringify([db, list(path.join(env.root, 'layers')), list(path.join(env.root, 'blobs', 'sha256'))]);
}

const digestOf = (env: TspodEnv, ref: string) => env.ok(['image', 'inspect', '--format', '{{.Digest}}', ref]).trim();
const idOf = (env: TspodEnv, ref: string) => env.ok(['image', 'inspect', '--format', '{{.Id}}', ref]).trim();

describe('docker-registry without auth', { skip: !haveRegistry && 'docker-registry is not installed' }, () => {
  const env = new TspodEnv('registry');
  let reg: Registry;
  let authfile: string;
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => env.run(args, { env: cleanEnv({ REGISTRY_AUTH_FILE: authfile, ...extra }) });
  const ok = (args: string[], extra: NodeJS.ProcessEnv = {}) => env.ok(args, { env: cleanEnv({ REGISTRY_AUTH_FILE: authfile, ...extra }) });

  before(async () => {
    authfile = path.join(env.dir, 'auth.json');
    reg = await startRegistry(path.join(env.dir, 'registry'));
    env.importTestImages();
  });
  after(async () => {
    await reg?.stop();
    env.cleanup();
  });

  test('push, remove, pull by tag and run', () => {
    const id = idOf(env, 'localhost/busybox');
    const localDigest = digestOf(env, 'localhost/busybox');
    const digestfile = path.join(env.dir, 'digest');
    const push = run(['push', '--tls-verify=false', '--digestfile', digestfile, 'localhost/busybox', `${reg.host}/test/busybox:1.0`]);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /Copying blob sha256:[0-9a-f]{64}/);
    assert.match(push.stderr, /Writing manifest to image destination/);
    assert.equal(fs.readFileSync(digestfile, 'utf8'), localDigest, 'the registry has the stored manifest, byte for byte');

    const pull = run(['pull', '--tls-verify=false', `${reg.host}/test/busybox:1.0`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stderr, /^Trying to pull 127\.0\.0\.1:\d+\/test\/busybox:1\.0\.\.\.$/m);
    assert.match(pull.stderr, /Copying (blob|config) /);
    assert.equal(pull.stdout.trim(), id, 'the same image id');
    // the layer was already stored: nothing fetched
    assert.match(pull.stderr, /skipped: already exists/);

    ok(['rmi', '-f', `${reg.host}/test/busybox:1.0`, 'localhost/busybox']);
    assert.equal(run(['image', 'exists', id]).code, 1);
    const again = run(['pull', '-q', '--tls-verify=false', `${reg.host}/test/busybox:1.0`]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), id);
    assert.equal(again.stderr, '', '-q prints nothing on stderr');
    assert.doesNotMatch(again.stderr, /skipped/);
    assert.equal(digestOf(env, `${reg.host}/test/busybox:1.0`), localDigest);
    assert.equal(ok(['run', '--rm', `${reg.host}/test/busybox:1.0`, 'echo', 'pulled and running']), 'pulled and running\n');
    // put the fixture name back for the next tests
    ok(['tag', id, 'localhost/busybox']);
  });

  test('pull by digest, and errors for unknown tags and plain HTTP without --tls-verify=false', () => {
    const digest = digestOf(env, 'localhost/busybox');
    const byDigest = run(['pull', '-q', '--tls-verify=false', `${reg.host}/test/busybox@${digest}`]);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    // the name by digest is a digest of the tagged image, not a row of `images` (Podman's 010-images 6)
    const rows = env.ok(['images', '-a', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${reg.host}/test/busybox`]).trim().split('\n');
    assert.ok(rows.includes(`${reg.host}/test/busybox:1.0`), rows.join(' '));
    assert.deepEqual(rows.filter((r) => r.endsWith(':<none>')), [], 'no <none> row for the digest');
    const before = storeSnapshot(env);
    const missing = run(['pull', '--tls-verify=false', `${reg.host}/test/busybox:nope`]);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /manifest unknown/);
    const tls = run(['pull', `${reg.host}/test/busybox:1.0`]);
    assert.equal(tls.code, 125);
    assert.match(tls.stderr, /tls-verify=false/);
    assert.equal(storeSnapshot(env), before, 'failed pulls change nothing');
  });

  test('registries.conf: short names, insecure registries, and --pull policies on run/create', () => {
    const conf = path.join(env.dir, 'registries.conf');
    fs.writeFileSync(conf, `unqualified-search-registries = ["${reg.host}"]\n\n[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
    const e = { CONTAINERS_REGISTRIES_CONF: conf };
    ok(['push', 'localhost/echo', `${reg.host}/echo:latest`], e);
    const id = idOf(env, 'localhost/echo');
    ok(['rmi', '-f', 'localhost/echo']);
    // --pull never: not pulled
    const never = run(['create', '--pull', 'never', 'echo'], e);
    assert.equal(never.code, 125);
    assert.match(never.stderr, /image not known/);
    // --pull missing (the default): pulled through the search registry
    const cid = ok(['create', '--name', 'pulled-echo', 'echo'], e).trim().split('\n').pop()!;
    assert.match(cid, /^[0-9a-f]{64}$/);
    assert.equal(idOf(env, `${reg.host}/echo:latest`), id);
    // short-name pull
    const pull = run(['pull', 'echo'], e);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stderr, new RegExp(`Trying to pull ${reg.host.replace(/\./g, '\\.')}/echo:latest`));
    // --pull always pulls even when present; newer pulls when the digest changed
    const always = run(['run', '--rm', '--pull', 'always', 'busybox', 'true'], e);
    assert.equal(always.code, 125, 'busybox is not in the search registry under that name');
    ok(['push', 'localhost/busybox', `${reg.host}/busybox:latest`], e);
    ok(['rmi', '-f', 'localhost/busybox']);
    assert.equal(ok(['run', '--rm', '--pull', 'always', 'busybox', 'echo', 'always'], e), 'always\n');
    assert.equal(ok(['run', '--rm', '--pull', 'newer', 'busybox', 'echo', 'newer'], e), 'newer\n');
    ok(['tag', `${reg.host}/busybox:latest`, 'localhost/busybox']);
  });

  test('save and load: docker-archive, oci-archive, oci-dir; OCI keeps the digest', () => {
    const ref = `${reg.host}/test/busybox:1.0`;
    const id = idOf(env, ref);
    const digest = digestOf(env, ref);
    for (const format of ['docker-archive', 'oci-archive', 'oci-dir']) {
      const out = path.join(env.dir, `saved-${format}${format === 'oci-dir' ? '' : '.tar'}`);
      ok(['save', '--format', format, '-o', out, ref]);
      if (format === 'oci-dir') {
        assert.ok(fs.existsSync(path.join(out, 'index.json')));
        assert.ok(fs.existsSync(path.join(out, 'blobs', 'sha256', digest.slice(7))));
        continue;
      }
      // load into a fresh store
      const other = new TspodEnv(`registry-load-${format}`);
      try {
        const loaded = other.ok(['load', '-i', out]);
        assert.match(loaded, new RegExp(`Loaded image: ${ref.replace(/\./g, '\\.')}`));
        assert.equal(idOf(other, ref), id, `${format}: same image id`);
        if (format === 'oci-archive') assert.equal(digestOf(other, ref), digest, 'oci-archive: same manifest digest');
        assert.equal(other.ok(['run', '--rm', ref, 'echo', format]), `${format}\n`);
        // what was loaded pushes and pulls back with the same id
        other.ok(['push', '--tls-verify=false', ref, `${reg.host}/test/roundtrip:${format}`]);
        other.ok(['rmi', '-a', '-f']);
        assert.equal(other.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/test/roundtrip:${format}`]).trim(), id);
      } finally {
        other.cleanup();
      }
    }
    // save to stdout
    const r = spawnSync(process.execPath, [...env.argv(['save', ref]).slice(1)], { env: cleanEnv(), maxBuffer: 64 << 20 });
    assert.equal(r.status, 0);
    assert.ok(r.stdout.length > 1 << 20);
  });

  test('export a container and import it as an image', () => {
    ok(['run', '--name', 'exp', 'localhost/busybox', 'sh', '-c', 'echo exported > /marker']);
    const tarFile = path.join(env.dir, 'exp.tar');
    ok(['export', '-o', tarFile, 'exp']);
    const list = spawnSync('tar', ['tf', tarFile], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(list.includes('marker'));
    assert.ok(list.includes('bin/busybox'));
    ok(['import', tarFile, 'localhost/exported']);
    assert.equal(ok(['run', '--rm', 'localhost/exported', '/bin/cat', '/marker']), 'exported\n');
  });

  test('search through the catalog, and --list-tags', () => {
    const r = ok(['search', '--tls-verify=false', `${reg.host}/busy`]);
    assert.match(r, /^NAME\s+DESCRIPTION/);
    assert.match(r, new RegExp(`${reg.host.replace(/\./g, '\\.')}/test/busybox`));
    const tags = ok(['search', '--tls-verify=false', '--list-tags', `${reg.host}/test/busybox`]);
    assert.match(tags, /1\.0/);
  });
});

describe('docker-registry with htpasswd auth', { skip: !haveRegistry && 'docker-registry is not installed' }, () => {
  const env = new TspodEnv('registry-auth');
  let reg: Registry;
  let authfile: string;
  const user = 'tester';
  const password = 's3cret-pw';

  before(async () => {
    authfile = path.join(env.dir, 'auth.json');
    reg = await startRegistry(path.join(env.dir, 'registry'), { user, password });
    env.importTestImages();
  });
  after(async () => {
    await reg?.stop();
    env.cleanup();
  });

  test('push needs credentials; login stores them; push, pull and logout', () => {
    const denied = env.run(['push', '--tls-verify=false', 'localhost/busybox', `${reg.host}/auth/busybox:latest`], {
      env: cleanEnv({ REGISTRY_AUTH_FILE: authfile }),
    });
    assert.equal(denied.code, 125);
    assert.match(denied.stderr, /authentication required|unauthorized|no credentials/i);

    const wrong = env.run(['login', '--tls-verify=false', '--authfile', authfile, '-u', user, '-p', 'wrong', reg.host]);
    assert.equal(wrong.code, 125);
    assert.match(wrong.stderr, /invalid username\/password/);
    assert.ok(!fs.existsSync(authfile) || !fs.readFileSync(authfile, 'utf8').includes(reg.host));

    const login = env.run(['login', '--tls-verify=false', '--authfile', authfile, '-u', user, '--password-stdin', reg.host], { input: `${password}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'Login Succeeded!\n');
    const saved = JSON.parse(fs.readFileSync(authfile, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(saved.auths[reg.host].auth, 'base64').toString(), `${user}:${password}`);
    assert.equal(env.ok(['login', '--authfile', authfile, '--get-login', reg.host]), `${user}\n`);

    const id = idOf(env, 'localhost/busybox');
    env.ok(['push', '--tls-verify=false', '--authfile', authfile, 'localhost/busybox', `${reg.host}/auth/busybox:latest`]);
    env.ok(['rmi', '-f', 'localhost/busybox']);
    assert.equal(env.ok(['pull', '-q', '--tls-verify=false', '--authfile', authfile, `${reg.host}/auth/busybox`]).trim(), id);
    assert.equal(env.ok(['run', '--rm', `${reg.host}/auth/busybox`, 'echo', 'authenticated']), 'authenticated\n');

    // --creds instead of auth.json
    env.ok(['rmi', '-f', `${reg.host}/auth/busybox`]);
    assert.equal(env.ok(['pull', '-q', '--tls-verify=false', '--creds', `${user}:${password}`, `${reg.host}/auth/busybox`]).trim(), id);

    assert.equal(env.ok(['logout', '--authfile', authfile, reg.host]), `Removed login credentials for ${reg.host}\n`);
    const after = env.run(['logout', '--authfile', authfile, reg.host]);
    assert.equal(after.code, 125);
    assert.match(after.stderr, /not logged into/);
    const before = storeSnapshot(env);
    const denied2 = env.run(['pull', '--tls-verify=false', '--authfile', authfile, `${reg.host}/auth/echo:latest`]);
    assert.equal(denied2.code, 125);
    assert.equal(storeSnapshot(env), before);
  });
});
