// Secrets: the CLI (create from a file, stdin and --env, ls, inspect, rm,
// exists), the data file in the store (0600, never the name), a container
// seeing a secret as /run/secrets/NAME and as a variable, the checks on names
// and options, and the compat and libpod endpoints over the service's socket.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { ApiService } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('secrets');
const sock = path.join(env.dir, 'api.sock');
const svc = new ApiService(env, sock);

function api(method: string, p: string, body?: string | Buffer, type = 'application/json'): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: sock, method, path: p, headers: body !== undefined ? { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) } : {} },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const dataDir = () => path.join(env.root, 'secrets', 'filedriver');

before(async () => {
  env.importTestImages();
  await svc.start();
});
after(async () => {
  env.run(['rm', '-af', '-t', '0']);
  env.run(['secret', 'rm', '-a']);
  await svc.stop();
  env.cleanup();
});

describe('secret CLI', () => {
  test('create from a file, stdin and --env; ls, inspect, exists, rm', () => {
    const src = path.join(env.dir, 'pw.txt');
    fs.writeFileSync(src, 'hunter2');
    const id = env.ok(['secret', 'create', '--label', 'team=db', 'pw', src]).trim();
    assert.match(id, /^[0-9a-f]{25}$/);
    // the data: one file named by id, owner-only, with the exact bytes
    const file = path.join(dataDir(), id);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file, 'utf8'), 'hunter2');
    assert.equal(fs.statSync(dataDir()).mode & 0o777, 0o700);

    const fromStdin = env.ok(['secret', 'create', 'tok', '-'], { input: 'from-stdin' }).trim();
    assert.equal(fs.readFileSync(path.join(dataDir(), fromStdin), 'utf8'), 'from-stdin');
    const fromEnv = env.ok(['secret', 'create', '--env', 'envsec', 'MY_SECRET_VALUE'], { env: { ...process.env, MY_SECRET_VALUE: 'env-value' } }).trim();
    assert.equal(fs.readFileSync(path.join(dataDir(), fromEnv), 'utf8'), 'env-value');

    const ls = env.ok(['secret', 'ls']);
    assert.match(ls, /^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED/);
    for (const n of ['pw', 'tok', 'envsec']) assert.match(ls, new RegExp(`\\b${n}\\s+file\\b`));
    assert.equal(env.ok(['secret', 'ls', '--filter', 'name=pw', '--format', '{{.Name}}']), 'pw\n');
    const [doc] = JSON.parse(env.ok(['secret', 'inspect', 'pw']));
    assert.equal(doc.ID, id);
    assert.equal(doc.Spec.Name, 'pw');
    assert.equal(doc.Spec.Driver.Name, 'file');
    assert.deepEqual(doc.Spec.Labels, { team: 'db' });
    assert.equal(JSON.stringify(doc).includes('hunter2'), false, 'inspect never shows the data');

    assert.equal(env.run(['secret', 'exists', 'pw']).code, 0);
    assert.equal(env.run(['secret', 'exists', 'nosuch']).code, 1);

    const dup = env.run(['secret', 'create', 'pw', src]);
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /secret name in use/);

    assert.equal(env.ok(['secret', 'rm', 'tok']).trim(), fromStdin);
    assert.equal(fs.existsSync(path.join(dataDir(), fromStdin)), false);
    const missing = env.run(['secret', 'rm', 'tok']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such secret/);
    env.ok(['secret', 'rm', 'envsec', 'pw']);
    assert.equal(env.ok(['secret', 'ls', '-q']), '');
  });

  test('bad names, empty data and unknown drivers are refused and nothing is stored', () => {
    const src = path.join(env.dir, 'x.txt');
    fs.writeFileSync(src, 'x');
    for (const bad of ['../evil', 'a/b', '.hidden', 'with space', 'x'.repeat(254)]) {
      const r = env.run(['secret', 'create', bad, src]);
      assert.equal(r.code, 125, bad);
      assert.match(r.stderr, /invalid secret name/, bad);
    }
    fs.writeFileSync(path.join(env.dir, 'empty'), '');
    assert.match(env.run(['secret', 'create', 'empty', path.join(env.dir, 'empty')]).stderr, /larger than 0/);
    assert.match(env.run(['secret', 'create', '--driver', 'pass', 'd', src]).stderr, /not supported/);
    assert.equal(env.ok(['secret', 'ls', '-q']), '');
    assert.deepEqual(fs.existsSync(dataDir()) ? fs.readdirSync(dataDir()) : [], []);
  });
});

describe('containers with --secret', () => {
  test('mounted at /run/secrets/NAME (or target), as a variable with type=env; in use it cannot be removed', () => {
    const src = path.join(env.dir, 'db.txt');
    fs.writeFileSync(src, 's3cr3t');
    env.ok(['secret', 'create', 'dbpw', src]);
    try {
      assert.equal(env.ok(['run', '--rm', '--secret', 'dbpw', 'busybox', 'cat', '/run/secrets/dbpw']), 's3cr3t');
      assert.equal(env.ok(['run', '--rm', '--secret', 'dbpw,target=other', 'busybox', 'cat', '/run/secrets/other']), 's3cr3t');
      assert.equal(env.ok(['run', '--rm', '--secret', 'dbpw,target=/etc/pw,mode=0400', 'busybox', 'stat', '-c', '%a', '/etc/pw']), '400\n');
      assert.equal(env.ok(['run', '--rm', '--secret', 'dbpw,type=env,target=DB_PASSWORD', 'busybox', 'sh', '-c', 'echo "$DB_PASSWORD"']), 's3cr3t\n');
      // read-only in the container
      assert.notEqual(env.run(['run', '--rm', '--secret', 'dbpw', 'busybox', 'sh', '-c', 'echo x > /run/secrets/dbpw']).code, 0);

      const missing = env.run(['run', '--rm', '--secret', 'nosuch', 'busybox', 'true']);
      assert.equal(missing.code, 125);
      assert.match(missing.stderr, /nosuch: no such secret/);
      assert.equal(env.run(['run', '--rm', '--secret', 'dbpw,type=file', 'busybox', 'true']).code, 125);
      assert.equal(env.run(['run', '--rm', '--secret', 'dbpw,type=env,target=A-B', 'busybox', 'true']).code, 125);

      env.ok(['create', '--name', 'user', '--secret', 'dbpw', 'busybox', 'true']);
      const inUse = env.run(['secret', 'rm', 'dbpw']);
      assert.equal(inUse.code, 2);
      assert.match(inUse.stderr, /in use/);
      env.ok(['rm', 'user']);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'user']);
      env.run(['secret', 'rm', 'dbpw']);
    }
  });
});

describe('secret API', () => {
  test('compat /secrets: create (base64), inspect, list with filters, duplicate 409, rm, update 501', async () => {
    const c = await api('POST', '/v1.41/secrets/create', JSON.stringify({ Name: 'apisec', Data: Buffer.from('api-data').toString('base64'), Labels: { a: 'b' } }));
    assert.equal(c.status, 200, c.text);
    assert.match(c.json.ID, /^[0-9a-f]{25}$/);
    assert.equal(fs.readFileSync(path.join(dataDir(), c.json.ID), 'utf8'), 'api-data');
    assert.equal((await api('POST', '/secrets/create', JSON.stringify({ Name: 'apisec', Data: 'eA==' }))).status, 409);
    assert.equal((await api('POST', '/secrets/create', JSON.stringify({ Name: '../x', Data: 'eA==' }))).status, 400);
    const ins = await api('GET', '/secrets/apisec');
    assert.equal(ins.status, 200);
    assert.equal(ins.json.Spec.Name, 'apisec');
    assert.equal(ins.json.Version.Index, 1);
    assert.deepEqual(ins.json.Spec.Labels, { a: 'b' });
    assert.equal((await api('GET', '/secrets/bogus')).status, 404);
    const ls = await api('GET', `/secrets?filters=${encodeURIComponent('{"name":["apisec"]}')}`);
    assert.equal(ls.json.length, 1);
    assert.equal((await api('GET', `/secrets?filters=${encodeURIComponent('{"name":["other"]}')}`)).json.length, 0);
    const bad = await api('GET', `/secrets?filters=${encodeURIComponent('{"label":["x"]}')}`);
    assert.equal(bad.status, 500);
    assert.equal((await api('POST', '/secrets/apisec/update', '{}')).status, 501);
    // the CLI sees what the API made
    assert.equal(env.ok(['secret', 'ls', '--format', '{{.Name}}']), 'apisec\n');
    assert.equal((await api('DELETE', '/secrets/apisec')).status, 204);
    assert.equal((await api('DELETE', '/secrets/apisec')).status, 404);
  });

  test('libpod /libpod/secrets: create from a raw body, json, exists, delete all; the container sees it', async () => {
    const c = await api('POST', '/v4.3.1/libpod/secrets/create?name=lpsec&labels=' + encodeURIComponent('{"k":"v"}'), Buffer.from('raw-bytes'), 'application/octet-stream');
    assert.equal(c.status, 200, c.text);
    assert.equal((await api('GET', '/v4.3.1/libpod/secrets/lpsec/exists')).status, 204);
    assert.equal((await api('GET', '/v4.3.1/libpod/secrets/nope/exists')).status, 404);
    const ins = await api('GET', '/v4.3.1/libpod/secrets/lpsec/json');
    assert.equal(ins.json.ID, c.json.ID);
    assert.deepEqual(ins.json.Spec.Labels, { k: 'v' });
    assert.equal(ins.json.Version, undefined);
    const ls = await api('GET', '/v4.3.1/libpod/secrets/json');
    assert.deepEqual(ls.json.map((s: any) => s.Spec.Name), ['lpsec']);
    assert.equal(env.ok(['run', '--rm', '--secret', 'lpsec', 'busybox', 'cat', '/run/secrets/lpsec']), 'raw-bytes');
    assert.equal((await api('POST', '/v4.3.1/libpod/secrets/create?name=bad/name', 'x', 'application/octet-stream')).status, 400);
    await api('POST', '/v4.3.1/libpod/secrets/create?name=second', 'x', 'application/octet-stream');
    assert.equal((await api('DELETE', '/v4.3.1/libpod/secrets/ignored?all=true')).status, 204);
    assert.equal((await api('GET', '/v4.3.1/libpod/secrets/json')).json.length, 0);
  });
});
