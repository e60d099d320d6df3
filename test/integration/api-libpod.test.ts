// The libpod tree (/v{version}/libpod/...) driven with curl: info, _ping,
// containers create/start/wait/logs/json/exists/stop/kill/delete, images
// json/exists/json/remove, events.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService, curlUnix } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('api-libpod');
const sock = path.join(env.dir, 'libpod.sock');
const svc = new ApiService(env, sock);
const BASE = 'http://d/v4.3.1/libpod';

/** curl: status, body */
const curl = (method: string, p: string, body?: string) => curlUnix(sock, method, `${BASE}${p}`, body);

const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;


before(async () => {
  env.importTestImages();
  await svc.start();
});
after(async () => {
  await svc.stop();
  env.cleanup();
});

describe('libpod API', () => {
  test('info and _ping', () => {
    const info = curl('GET', '/info');
    assert.equal(info.status, 200);
    assert.equal(json<{ store: { imageStore: { number: number } } }>(info).store.imageStore.number, 2);
    assert.equal(curl('GET', '/_ping').body, 'OK');
  });

  test('a container from create to delete', () => {
    const created = curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp1', command: ['sh', '-c', 'echo hello-libpod; echo to-err >&2; exit 7'], env: { A: 'b' } }));
    assert.equal(created.status, 201, created.body);
    const id = json<{ Id: string }>(created).Id;
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(curl('GET', '/containers/lp1/exists').status, 204);
    assert.equal(curl('GET', '/containers/nosuch/exists').status, 404);
    assert.equal(curl('POST', '/containers/lp1/start').status, 204);
    const waited = curl('POST', '/containers/lp1/wait?condition=stopped');
    assert.equal(waited.status, 200);
    assert.equal(waited.body.trim(), '7');
    const logs = spawnSync('curl', ['-s', '--unix-socket', sock, `${BASE}/containers/lp1/logs?stdout=true&stderr=true`]);
    // multiplexed frames: [stream,0,0,0,len BE32] + payload
    const frames: [number, string][] = [];
    for (let b = logs.stdout; b.length >= 8; ) {
      const len = b.readUInt32BE(4);
      frames.push([b[0], b.subarray(8, 8 + len).toString()]);
      b = b.subarray(8 + len);
    }
    assert.deepEqual(frames.sort(), [
      [1, 'hello-libpod\n'],
      [2, 'to-err\n'],
    ]);
    const inspect = json<{ Id: string; Name: string; State: { Status: string; ExitCode: number }; Config: { Env: string[] } }>(curl('GET', '/containers/lp1/json'));
    assert.equal(inspect.Id, id);
    assert.equal(inspect.Name, 'lp1');
    assert.equal(inspect.State.Status, 'exited');
    assert.equal(inspect.State.ExitCode, 7);
    assert.ok(inspect.Config.Env.includes('A=b'));
    const list = json<{ Id: string; Names: string[]; State: string }[]>(curl('GET', '/containers/json?all=true'));
    assert.deepEqual(
      list.map((c) => [c.Names[0], c.State]),
      [['lp1', 'exited']],
    );
    const del = curl('DELETE', '/containers/lp1');
    assert.equal(del.status, 200);
    assert.equal(json<{ Id: string }[]>(del)[0].Id, id);
    assert.equal(curl('GET', '/containers/lp1/json').status, 404);
  });

  test('stop and kill a running container; delete refuses a running one without force', () => {
    const id = json<{ Id: string }>(curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp2', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] }))).Id;
    assert.equal(curl('POST', '/containers/lp2/start').status, 204);
    assert.equal(curl('POST', '/containers/lp2/start').status, 304);
    assert.equal(curl('DELETE', '/containers/lp2').status, 409);
    assert.equal(curl('POST', '/containers/lp2/stop?timeout=5').status, 204);
    assert.equal(curl('POST', '/containers/lp2/stop').status, 304);
    assert.equal(json<{ State: { ExitCode: number } }>(curl('GET', '/containers/lp2/json')).State.ExitCode, 0);
    assert.equal(curl('POST', '/containers/lp2/start').status, 204);
    assert.equal(curl('POST', '/containers/lp2/kill?signal=KILL').status, 204);
    assert.equal(curl('POST', '/containers/lp2/wait').body.trim(), '137');
    assert.equal(curl('POST', '/containers/lp2/kill').status, 409);
    assert.equal(curl('DELETE', `/containers/${id}?force=true`).status, 200);
  });

  test('images: history, get, list and prune input as Podman answers it', () => {
    const id = json<{ Id: string }>(curl('GET', '/images/localhost/busybox/json')).Id;
    const hist = json<{ Id: string; Created: number; Tags: null; Size: number; CreatedBy: string }[]>(curl('GET', '/images/localhost/busybox/history'));
    assert.equal(hist[0].Id, id);
    assert.ok(hist.slice(1).every((h) => h.Id === '<missing>'));
    assert.match(String(hist[0].Created), /^\d{10}$/);
    assert.equal(curl('GET', '/images/localhost/nosuch/history').status, 404);
    assert.equal(curl('GET', '/images/localhost/nosuch/exists').status, 404);
    assert.equal(json<{ cause: string }>(curl('GET', '/images/localhost/nosuch/exists')).cause, 'failed to find image localhost/nosuch');
    // get: a docker archive; unknown format 500, bad compress 400, unknown image 404
    const tar = spawnSync('sh', ['-c', `curl -s --unix-socket ${sock} '${BASE}/images/${id}/get' | tar tf -`], { encoding: 'utf8', timeout: 60_000 });
    assert.match(tar.stdout, /^manifest\.json$/m);
    assert.equal(curl('GET', `/images/${id}/get?format=foo`).status, 500);
    assert.equal(curl('GET', `/images/${id}/get?compress=bar`).status, 400);
    assert.equal(curl('GET', '/images/localhost/nosuch/get').status, 404);
    // filters and prune: Podman's 500s; nothing removed on bad input
    const before = json<unknown[]>(curl('GET', '/images/json')).length;
    for (const [m, p] of [['GET', '/images/json?filters=garb1age%7D'], ['POST', '/images/prune?filters=garb1age%7D'], ['POST', '/images/prune?all=garb1age']]) {
      const r = curl(m, p);
      assert.equal(r.status, 500, `${m} ${p}`);
    }
    assert.equal(json<{ cause: string }>(curl('POST', '/images/prune?all=garb1age')).cause, 'schema: error converting value for "all"');
    assert.equal(json<unknown[]>(curl('GET', '/images/json')).length, before);
    assert.deepEqual(json<unknown[]>(curl('GET', `/images/json?filters=${encodeURIComponent('{"reference":["localhost/busybox"]}')}`)).length, 1);
    // nothing dangling: an empty report
    assert.equal(curl('POST', '/images/prune').body, '[]');
  });

  test('image tree; compat push: 404 for an unknown image, a failed push reported in the stream', () => {
    const tree = json<{ Tree: string }>(curl('GET', '/images/localhost/busybox/tree')).Tree;
    assert.match(tree, /^Image ID: [0-9a-f]{12}\nTags:     \[localhost\/busybox:latest\]\n/);
    assert.match(tree, /^└── ID: [0-9a-f]{12} Size: /m);
    assert.equal(curl('GET', '/images/localhost/nosuch/tree').status, 404);
    const compat = (p: string) => spawnSync('curl', ['-s', '--unix-socket', sock, '-X', 'POST', '-w', '\n%{http_code}', `http://d/v1.41${p}`], { encoding: 'utf8', timeout: 60_000 }).stdout;
    assert.match(compat('/images/127.0.0.1:1/nosuch/push?tag=x'), /\n404$/);
    curl('POST', '/images/localhost/busybox/tag?repo=127.0.0.1:1/pushme&tag=t1');
    const out = compat('/images/127.0.0.1:1/pushme/push?tag=t1&tlsVerify=false').split('\n').filter(Boolean);
    assert.equal(out.pop(), '200');
    assert.deepEqual(JSON.parse(out[0]), { status: 'The push refers to repository [127.0.0.1:1/pushme:t1]' });
    assert.ok((JSON.parse(out[out.length - 1]) as { error?: string }).error, 'the failure is in the stream');
    curl('DELETE', '/images/127.0.0.1:1/pushme:t1');
  });

  test('networks: create errors and filters as Podman answers them; a v3 client is refused', () => {
    const bad = curl('POST', '/networks/create', JSON.stringify({ subnets: [{ subnet: '10.245.134.0' }] }));
    assert.equal(bad.status, 500);
    assert.match(json<{ cause: string }>(bad).cause, /invalid CIDR address: 10\.245\.134\.0/);
    assert.equal(curl('GET', '/networks/json?filters=garb1age%7D').status, 500);
    assert.equal(curl('POST', '/networks/prune?filters=garb1age%7D').status, 500);
    const old = spawnSync('curl', ['-s', '--unix-socket', sock, '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{"name":"oldclient"}', '-w', '\n%{http_code}', 'http://d/v3.4.0/libpod/networks/create'], { encoding: 'utf8' });
    assert.match(old.stdout, /given version is not supported[\s\S]*\n400$/);
    assert.equal(curl('GET', '/networks/oldclient/exists').status, 404);
  });

  test('version: the component details carry the libpod API versions', () => {
    const v = json<{ Components: { Details: { APIVersion: string; MinAPIVersion: string } }[] }>(curl('GET', '/version'));
    assert.equal(v.Components[0].Details.APIVersion, '4.3.1');
    assert.equal(v.Components[0].Details.MinAPIVersion, '4.0.0');
  });

  test('images json, exists, inspect, remove', () => {
    const images = json<{ Id: string; Names: string[] }[]>(curl('GET', '/images/json'));
    assert.deepEqual(images.flatMap((i) => i.Names).sort(), ['localhost/busybox:latest', 'localhost/echo:latest']);
    assert.equal(curl('GET', '/images/localhost/busybox/exists').status, 204);
    assert.equal(curl('GET', '/images/localhost/nosuch/exists').status, 404);
    const inspect = json<{ Id: string; RepoTags: string[] }>(curl('GET', '/images/localhost/echo:latest/json'));
    assert.deepEqual(inspect.RepoTags, ['localhost/echo:latest']);
    const rm = curl('DELETE', '/images/localhost/echo:latest');
    assert.equal(rm.status, 200, rm.body);
    assert.deepEqual(json<{ Deleted: string[] }>(rm).Deleted, [inspect.Id]);
    assert.equal(curl('GET', '/images/localhost/echo/exists').status, 404);
    assert.equal(curl('DELETE', '/images/localhost/echo:latest').status, 404);
  });

  test('events: the journal, filtered, without streaming', () => {
    const r = curl('GET', '/events?stream=false&filters=%7B%22event%22%3A%5B%22start%22%5D%7D');
    assert.equal(r.status, 200);
    const events = r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { Attributes: { name: string } } });
    assert.ok(events.length >= 2);
    assert.ok(events.every((e) => e.Type === 'container' && e.Action === 'start'));
    assert.ok(events.some((e) => e.Actor.Attributes.name === 'lp1'));
  });

  test('create from a spec with mounts and a log driver; Podman errors for kill, logs, exec', () => {
    const created = curl('POST', '/containers/create', JSON.stringify({
      image: 'localhost/busybox',
      name: 'lp3',
      command: ['sh', '-c', 'cat /mnt/x/hostname; echo quiet'],
      mounts: [{ destination: '/mnt/x', type: 'bind', source: '/etc', options: ['ro'] }],
      log_configuration: { driver: 'none' },
      remove: false,
    }));
    assert.equal(created.status, 201, created.body);
    const inspect = json<{ HostConfig: { LogConfig: { Type: string } }; Mounts: { Destination: string; RW: boolean }[] }>(curl('GET', '/containers/lp3/json'));
    assert.equal(inspect.HostConfig.LogConfig.Type, 'none');
    assert.deepEqual(inspect.Mounts.map((m) => [m.Destination, m.RW]), [['/mnt/x', false]]);
    const logs = curl('GET', '/containers/lp3/logs?stdout=true');
    assert.equal(logs.status, 400);
    assert.match(json<{ message: string }>(logs).message, /using the 'none' log driver, cannot read logs/);
    const kill = curl('POST', '/containers/lp3/kill');
    assert.equal(kill.status, 409);
    assert.match(json<{ message: string; cause: string }>(kill).message, /^can only kill running containers\. [0-9a-f]{64} is in state created: container state improper$/);
    const exec = curl('POST', '/containers/lp3/exec', JSON.stringify({ Cmd: ['true'] }));
    assert.equal(exec.status, 409);
    assert.match(json<{ message: string }>(exec).message, /can only create exec sessions on running containers/);
    assert.equal(curl('DELETE', '/containers/lp3').status, 200);
  });

  test('bad input: a clear 4xx for malformed JSON, wrong types, bad mounts and unknown ids', () => {
    const bad = (method: string, p: string, body: string | undefined, status: number) => {
      const r = curl(method, p, body);
      assert.equal(r.status, status, `${method} ${p} ${body ?? ''}: ${r.body}`);
      const e = json<{ message: string; cause: string; response: number }>(r);
      assert.equal(e.response, status);
      assert.ok(e.message.length > 0);
    };
    bad('POST', '/containers/create', '{not json', 400);
    bad('POST', '/containers/create', '[]', 400);
    bad('POST', '/containers/create', '{}', 400);
    bad('POST', '/containers/create', '{"image": 7}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","command":{"x":1}}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","env":{"A":1}}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","mounts":{"a":1}}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","mounts":[{"destination":"rel","type":"bind","source":"/etc"}]}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","mounts":[{"destination":"/x","type":"nfs"}]}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","log_configuration":{"driver":"syslog"}}', 400);
    bad('POST', '/containers/create', '{"image":"localhost/nosuch"}', 404);
    bad('POST', '/containers/create', '{"image":"localhost/busybox","name":"bad name!"}', 400);
    for (const [method, p] of [
      ['GET', '/containers/nosuch/json'],
      ['POST', '/containers/nosuch/start'],
      ['POST', '/containers/nosuch/stop'],
      ['POST', '/containers/nosuch/kill'],
      ['POST', '/containers/nosuch/wait'],
      ['GET', '/containers/nosuch/logs?stdout=true'],
      ['DELETE', '/containers/nosuch'],
      ['POST', '/containers/nosuch/exec'],
      ['GET', '/exec/nosuch/json'],
      ['GET', '/images/localhost/nosuch/json'],
      ['DELETE', '/images/localhost/nosuch'],
    ])
      bad(method, p, method === 'POST' && p.endsWith('exec') ? '{"Cmd":["true"]}' : undefined, 404);
    // Podman reads the conditions before it looks the container up (checked against Podman 4.3.1)
    bad('POST', '/containers/nosuch/wait?condition=bogus', undefined, 400);
    bad('POST', '/containers/nosuch/wait?condition=running', undefined, 404);
    // Podman answers a filters value that is not JSON with a 500 and Go's wording
    bad('GET', '/containers/json?filters=notjson', undefined, 500);
    bad('POST', '/containers/prune?filters=notjson', undefined, 500);
    bad('POST', '/images/pull', undefined, 400);
    // huge bodies: 413, and the service goes on
    const huge = spawnSync('sh', ['-c', `head -c 6000000 /dev/zero | tr '\\0' ' ' | curl -s --unix-socket ${sock} -X POST -H 'Content-Type: application/json' --data-binary @- -o /dev/null -w '%{http_code}' ${BASE}/containers/create`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(huge.stdout, '413');
    const chunked = spawnSync('sh', ['-c', `head -c 6000000 /dev/zero | tr '\\0' ' ' | curl -s --unix-socket ${sock} -X POST -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @- -o /dev/null -w '%{http_code}' ${BASE}/containers/create`], { encoding: 'utf8', timeout: 60_000 });
    assert.match(chunked.stdout, /^(413|000)$/); // the service may close the connection after answering
    assert.equal(curl('GET', '/_ping').body, 'OK');
  });

  test('wait answers the exit code of a --rm container this service ran, after its removal', async () => {
    const id = json<{ Id: string }>(curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', command: ['sh', '-c', 'exit 9'], remove: true }))).Id;
    // an attach parked before the start makes the service run it attached (as `tspod --remote run --rm` does)
    const attach = spawnSync('sh', ['-c', `curl -s --unix-socket ${sock} -X POST -H 'Connection: Upgrade' -H 'Upgrade: tcp' --max-time 20 '${BASE}/containers/${id}/attach?stdout=true&stderr=true&stream=true' -o /dev/null & sleep 0.5; curl -s --unix-socket ${sock} -X POST -o /dev/null -w '%{http_code}' ${BASE}/containers/${id}/start; wait`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(attach.stdout, '204');
    for (let i = 0; i < 100 && curl('GET', `/containers/${id}/exists`).status !== 404; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(curl('GET', `/containers/${id}/exists`).status, 404);
    const waited = curl('POST', `/containers/${id}/wait?condition=not-running`);
    assert.equal(waited.status, 200, waited.body);
    assert.equal(waited.body.trim(), '9');
  });

  test('list limit/last include stopped containers; a bad `all` is a 500; create keys read as Go does', () => {
    // `Image` matches SpecGenerator's `image` as Go's decoder matches it
    const created = curl('POST', '/containers/create', JSON.stringify({ Image: 'localhost/busybox', Name: 'lp-limit', Command: ['true'] }));
    assert.equal(created.status, 201, created.body);
    const id = json<{ Id: string }>(created).Id;
    // never started: no /etc files yet (Podman writes them at the first start)
    assert.equal(json<{ HostsPath: string; ResolvConfPath: string }>(curl('GET', `/containers/${id}/json`)).HostsPath, '');
    assert.equal(curl('POST', `/containers/${id}/start`).status, 204);
    assert.equal(curl('POST', `/containers/${id}/wait`).body.trim(), '0');
    assert.equal(json<unknown[]>(curl('GET', '/containers/json')).length, 0);
    for (const q of ['limit=1', 'last=1']) {
      const list = json<{ Id: string; State: string }[]>(curl('GET', `/containers/json?${q}`));
      assert.deepEqual(list.map((c) => [c.Id, c.State]), [[id, 'exited']], q);
    }
    const bad = curl('GET', '/containers/json?all=garb1age');
    assert.equal(bad.status, 500);
    assert.equal(json<{ cause: string }>(bad).cause, 'schema: error converting value for "all"');
    assert.equal(curl('GET', '/containers/json?filters=%7B%22status%22%3A%5B%22bogus%22%5D%7D').status, 500);
    assert.match(json<{ HostsPath: string }>(curl('GET', `/containers/${id}/json`)).HostsPath, /\/hosts$/);
    assert.equal(curl('DELETE', `/containers/${id}`).status, 200);
  });

  test('stats of unknown or stopped containers: a report with the error, the request completes', () => {
    for (const q of ['containers=nosuch', 'containers=%5Bnosuch%5D&stream=true', 'containers=nosuch&stream=false']) {
      const r = spawnSync('curl', ['-s', '-m', '10', '--unix-socket', sock, '-o', '-', '-w', '\n%{http_code}', `${BASE}/containers/stats?${q}`], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `curl exit for ${q}: ${r.status}`); // not dropped, not hanging
      const [body, status] = r.stdout.split('\n');
      assert.equal(status, '200', q);
      const report = JSON.parse(body) as { Error: { message: string } | null; Stats: unknown };
      assert.equal(report.Stats, null);
      assert.match(report.Error?.message ?? '', /no container with name or ID "\[?nosuch\]?" found/);
    }
    curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp-stopped', command: ['true'] }));
    const stopped = json<{ Error: { message: string } | null }>(curl('GET', '/containers/stats?containers=lp-stopped&stream=false'));
    assert.match(stopped.Error?.message ?? '', /is not running/);
    assert.equal(curl('DELETE', '/containers/lp-stopped').status, 200);
  });

  test('init: made in the runtime, not started; inspect says initialized; start runs it; rm releases it', () => {
    const id = json<{ Id: string }>(curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp-init', command: ['sh', '-c', 'echo from-init'] }))).Id;
    assert.equal(curl('POST', '/containers/lp-init/init').status, 204);
    assert.equal(curl('POST', '/containers/lp-init/init').status, 304);
    const st = json<{ State: { Status: string; Pid: number }; HostsPath: string; ConmonPidFile: string }>(curl('GET', '/containers/lp-init/json'));
    assert.equal(st.State.Status, 'initialized');
    assert.ok(st.State.Pid > 0);
    assert.equal(st.HostsPath, path.join(path.dirname(st.ConmonPidFile), 'hosts'));
    // the compat API keeps Docker's states: created
    const compat = spawnSync('curl', ['-s', '--unix-socket', sock, 'http://d/v1.41/containers/lp-init/json'], { encoding: 'utf8' });
    assert.equal((JSON.parse(compat.stdout) as { State: { Status: string } }).State.Status, 'created');
    assert.equal(curl('POST', '/containers/lp-init/start').status, 204);
    assert.equal(curl('POST', '/containers/lp-init/wait').body.trim(), '0');
    assert.match(curl('GET', '/containers/lp-init/logs?stdout=true').body, /from-init/);
    assert.equal(curl('POST', '/containers/nosuch/init').status, 404);
    // an initialized container removed: its process never ran, nothing is left in the runtime
    curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp-init2', command: ['sleep', '300'] }));
    const pid = (curl('POST', '/containers/lp-init2/init'), json<{ State: { Pid: number } }>(curl('GET', '/containers/lp-init2/json')).State.Pid);
    assert.equal(curl('DELETE', '/containers/lp-init2?force=true').status, 200);
    assert.equal(spawnSync('kill', ['-0', String(pid)]).status !== 0, true, 'the created process is gone');
    assert.equal(curl('DELETE', `/containers/${id}`).status, 200);
  });

  test('prune takes label and until only (Podman\'s 500 otherwise), and reports each removed container', () => {
    for (const key of ['name', 'id', 'network']) {
      const r = curl('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ [key]: ['x'] }))}`);
      assert.equal(r.status, 500);
      assert.equal(json<{ cause: string }>(r).cause, `${key} is an invalid filter`);
    }
    const keep = json<{ Id: string }>(curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp-keep', command: ['true'] }))).Id;
    const drop = json<{ Id: string }>(curl('POST', '/containers/create', JSON.stringify({ image: 'localhost/busybox', name: 'lp-drop', command: ['true'], labels: { prune: 'me' } }))).Id;
    const pruned = curl('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ label: ['prune=me'] }))}`);
    assert.equal(pruned.status, 200, pruned.body);
    assert.deepEqual(json<{ Id: string; Err: unknown }[]>(pruned).map((r) => [r.Id, r.Err]), [[drop, null]]);
    assert.equal(curl('GET', `/containers/${keep}/exists`).status, 204);
    // until: only containers created before it
    assert.equal(json<unknown[]>(curl('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ until: ['2000-01-01T00:00:00Z'] }))}`)).length, 0);
    assert.equal(curl('GET', `/containers/${keep}/exists`).status, 204);
    assert.equal(curl('DELETE', `/containers/${keep}`).status, 200);
  });
  test('generate spec writes a SpecGenerator that libpod create takes back: a clone with the same command, env, labels and ports', () => {
    env.ok(['create', '--name', 'specsrc', '-e', 'GREETING=hi', '--label', 'tier=x', '-p', '127.0.0.1:18931:80', 'localhost/busybox', 'sh', '-c', 'echo $GREETING']);
    const file = path.join(env.dir, 'spec.json');
    env.ok(['generate', 'spec', '-f', file, 'specsrc']);
    const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; hostname?: string };
    assert.equal(spec.name, 'specsrc-clone');
    assert.equal(spec.hostname, undefined, 'the default hostname (the short id) is not copied');
    const made = curl('POST', '/containers/create', fs.readFileSync(file, 'utf8'));
    assert.equal(made.status, 201, made.body);
    // (no `{{range .}}` in an inspect format: Podman's EnforceRange, which tspod keeps, takes it for the outer range)
    const fmt = '{{.Name}} {{.Config.Labels.tier}} {{json .HostConfig.PortBindings}}';
    assert.equal(env.ok(['inspect', '--format', fmt, 'specsrc-clone']).trim(), 'specsrc-clone x {"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"18931"}]}');
    assert.equal(env.ok(['start', '-a', 'specsrc-clone']), 'hi\n');
    assert.equal(JSON.parse(env.ok(['generate', 'spec', '-c', '--name=false', 'specsrc'])).name, 'specsrc');
    assert.match(env.ok(['generate', 'spec', 'specsrc-clone']), /"name": "specsrc-clone1"/, 'the clone of a clone counts up');
    assert.equal(env.run(['generate', 'spec', 'nosuch']).code, 125);
    env.ok(['rm', 'specsrc', 'specsrc-clone']);
  });
});
