// Volumes with real containers: `tspod volume` create/ls/inspect/rm/prune/exists
// in Podman's formats and exit codes, `-v name:/path` made on demand, anonymous
// volumes (`-v /path`, the image's VOLUME) removed by `rm -v` and `--rm`,
// copy-up of the image's content, `--mount type=volume|bind|tmpfs`, data kept
// across container removal; the same through the docker CLI and the API; and
// the compose flows (named volume, exec, logs, restart, label filters) with the
// tspod CLI directly.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService, curlUnix } from '../helpers/api-service';
import { FIXTURES, TspodEnv, cleanEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('volumes');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);
const dataOf = (name: string) => path.join(env.root, 'volumes', name, '_data');
let serviceStarted: Promise<void> | undefined;
/** One service for the API sections of this file. */
const startService = () => (serviceStarted ??= svc.start());

before(() => {
  env.importTestImages();
  // An image with a VOLUME whose path has content, for anonymous volumes and copy-up.
  env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/withvol', '--change', 'VOLUME /etc', '--change', 'CMD ["sh"]']);
});
after(async () => {
  await svc.stop();
  env.cleanup();
});

describe('tspod volume', () => {
  test('create, ls, inspect, exists in Podman formats', () => {
    assert.equal(env.ok(['volume', 'create', '--label', 'app=web', '--opt', 'o=nodev', 'site']), 'site\n');
    const anon = env.ok(['volume', 'create']).trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    const ls = env.ok(['volume', 'ls']);
    assert.match(ls, /^DRIVER\s+VOLUME NAME\n/);
    assert.match(ls, /\nlocal\s+site\n/);
    assert.deepEqual(env.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean).sort(), [anon, 'site'].sort());
    assert.equal(env.ok(['volume', 'ls', '--filter', 'label=app=web', '--format', '{{.Name}} {{.Driver}}']), 'site local\n');
    const [doc] = JSON.parse(env.ok(['volume', 'inspect', 'site']));
    assert.equal(doc.Name, 'site');
    assert.equal(doc.Driver, 'local');
    assert.equal(doc.Mountpoint, dataOf('site'));
    assert.deepEqual(doc.Labels, { app: 'web' });
    assert.deepEqual(doc.Options, { o: 'nodev' });
    assert.equal(doc.Scope, 'local');
    assert.ok(fs.statSync(dataOf('site')).isDirectory());
    assert.equal(env.run(['volume', 'exists', 'site']).code, 0);
    assert.equal(env.run(['volume', 'exists', 'nosuch']).code, 1);
    env.ok(['volume', 'rm', anon]);
    assert.equal(env.ok(['events', '--stream=false', '--filter', 'type=volume', '--format', '{{.Status}} {{.Name}}']), `create site\ncreate ${anon}\nremove ${anon}\n`);
  });

  test('errors and exit codes like Podman', () => {
    const dup = env.run(['volume', 'create', 'site']);
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /volume with name site already exists: volume already exists/);
    assert.equal(env.run(['volume', 'create', '--ignore', 'site']).code, 0);
    const badOpt = env.run(['volume', 'create', '--opt', 'foo=bar', 'x']);
    assert.equal(badOpt.code, 125);
    assert.match(badOpt.stderr, /invalid mount option foo for driver 'local'/);
    const missing = env.run(['volume', 'rm', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no volume with name "nosuch" found: no such volume/);
    const insp = env.run(['volume', 'inspect', 'nosuch']);
    assert.equal(insp.code, 125);
    assert.match(insp.stderr, /no such volume nosuch/);
    const dupDst = env.run(['create', '-v', 'dupa:/x', '-v', 'dupb:/x/', 'busybox', 'true']);
    assert.equal(dupDst.code, 125);
    assert.match(dupDst.stderr, /\/x: duplicate mount destination/);
    assert.equal(env.run(['volume', 'exists', 'dupa']).code, 1, 'nothing made for a refused create');
  });

  test('-v name:/path writes land in the volume and outlive the container', () => {
    env.ok(['run', '--rm', '-v', 'site:/www', 'busybox', 'sh', '-c', 'echo kept > /www/index.html']);
    assert.equal(fs.readFileSync(path.join(dataOf('site'), 'index.html'), 'utf8'), 'kept\n');
    assert.equal(env.ok(['run', '--rm', '-v', 'site:/data:ro', 'busybox', 'cat', '/data/index.html']), 'kept\n');
    const ro = env.run(['run', '--rm', '-v', 'site:/data:ro', 'busybox', 'sh', '-c', 'echo x > /data/y']);
    assert.notEqual(ro.code, 0);
  });

  test('a volume in use cannot be removed (exit 2) unless -f, which removes its containers', () => {
    env.ok(['create', '--name', 'user1', '-v', 'site:/www', 'busybox', 'true']);
    const r = env.run(['volume', 'rm', 'site']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /volume site is being used by the following container\(s\): [0-9a-f]{64}: volume is being used/);
    assert.equal(env.ok(['volume', 'ls', '--filter', 'dangling=false', '-q']), 'site\n');
    env.ok(['rm', 'user1']);
    assert.equal(env.run(['volume', 'exists', 'site']).code, 0, 'rm without -v keeps named volumes');
    env.ok(['create', '--name', 'user2', '-v', 'site:/www', 'busybox', 'true']);
    env.ok(['volume', 'rm', '-f', 'site']);
    assert.equal(env.run(['container', 'exists', 'user2']).code, 1);
    assert.equal(fs.existsSync(path.dirname(dataOf('site'))), false);
  });

  test('a named volume is made on demand and filled with the image content (copy-up)', () => {
    const out = env.ok(['run', '--rm', '-v', 'etcvol:/etc', 'busybox', 'sh', '-c', 'cat /etc/passwd | head -1; echo added > /etc/added']);
    assert.match(out, /^root:/);
    assert.ok(fs.existsSync(path.join(dataOf('etcvol'), 'passwd')));
    // Not filled again: the volume keeps what the containers wrote.
    fs.rmSync(path.join(dataOf('etcvol'), 'group'));
    assert.equal(env.ok(['run', '--rm', '-v', 'etcvol:/etc', 'busybox', 'sh', '-c', 'cat /etc/added; ls /etc/group 2>/dev/null || echo nogroup']), 'added\nnogroup\n');
    env.ok(['volume', 'rm', 'etcvol']);
    // nocopy: the first use leaves the volume empty, and later ones do not fill it either
    assert.equal(env.ok(['run', '--rm', '-v', 'bare:/etc:nocopy', 'busybox', 'ls', '-A', '/etc']), '');
    assert.equal(env.ok(['run', '--rm', '-v', 'bare:/etc', 'busybox', 'ls', '-A', '/etc']), '');
    assert.equal(env.ok(['run', '--rm', '--mount', 'type=volume,src=bare2,dst=/etc,volume-nocopy', 'busybox', 'ls', '-A', '/etc']), '');
    env.ok(['volume', 'rm', 'bare', 'bare2']);
  });

  test('anonymous volumes: -v /path and the image VOLUME; rm -v removes them, rm keeps them', () => {
    const id = env.ok(['create', '-v', '/scratch', 'localhost/withvol', 'true']).trim();
    const mounts = JSON.parse(env.ok(['inspect', '--format', '{{json .Mounts}}', id])) as { Type: string; Name: string; Destination: string; Source: string }[];
    assert.deepEqual(mounts.map((m) => `${m.Type}:${m.Destination}`).sort(), ['volume:/etc', 'volume:/scratch']);
    for (const m of mounts) {
      assert.match(m.Name, /^[0-9a-f]{64}$/);
      assert.equal(m.Source, dataOf(m.Name));
    }
    env.ok(['start', '-a', id]);
    assert.ok(fs.existsSync(path.join(mounts.find((m) => m.Destination === '/etc')!.Source, 'passwd')), 'image content copied up');
    env.ok(['rm', '-v', id]);
    for (const m of mounts) assert.equal(env.run(['volume', 'exists', m.Name]).code, 1);

    // An explicit mount at the image's VOLUME path replaces the anonymous volume.
    const named = env.ok(['create', '-v', 'etcnamed:/etc', 'localhost/withvol', 'true']).trim();
    assert.equal(env.ok(['inspect', '--format', '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}', named]), 'etcnamed:/etc \n');
    env.ok(['rm', '-v', named]);
    assert.equal(env.run(['volume', 'exists', 'etcnamed']).code, 0, 'rm -v keeps named volumes');
    env.ok(['volume', 'rm', 'etcnamed']);

    const kept = env.ok(['create', '-v', '/scratch', 'busybox', 'true']).trim();
    const name = env.ok(['inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', kept]).trim();
    env.ok(['rm', kept]);
    assert.equal(env.run(['volume', 'exists', name]).code, 0);
    assert.equal(env.ok(['volume', 'ls', '--filter', 'dangling=true', '-q']).includes(name), true);
  });

  test('--rm removes the anonymous volumes of the container', () => {
    const before = env.ok(['volume', 'ls', '-q']);
    env.ok(['run', '--rm', '-v', '/scratch', 'busybox', 'sh', '-c', 'echo x > /scratch/f']);
    assert.equal(env.ok(['volume', 'ls', '-q']), before);
  });

  test('--mount type=volume, bind and tmpfs', () => {
    const hostDir = path.join(env.dir, 'bindsrc');
    fs.mkdirSync(hostDir);
    fs.writeFileSync(path.join(hostDir, 'f'), 'from host\n');
    const out = env.ok([
      'run', '--rm',
      '--mount', 'type=volume,src=mvol,dst=/v',
      '--mount', `type=bind,source=${hostDir},target=/b,readonly`,
      '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777',
      'busybox', 'sh', '-c', 'echo v > /v/f; cat /b/f; echo x > /b/g 2>/dev/null || echo ro; stat -c %a /t; grep " /t " /proc/mounts | grep -o "size=[0-9]*k"',
    ]);
    assert.equal(out, 'from host\nro\n1777\nsize=1024k\n');
    assert.equal(fs.readFileSync(path.join(dataOf('mvol'), 'f'), 'utf8'), 'v\n');
    const bad = env.run(['run', '--rm', '--mount', 'type=nfs,dst=/x', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid filesystem type "nfs"/);
  });

  test('a volume with type/device options is that filesystem', () => {
    env.ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=2m', 'tmpvol']);
    const out = env.ok(['run', '--rm', '-v', 'tmpvol:/m', 'busybox', 'sh', '-c', 'grep " /m " /proc/mounts | cut -d" " -f3']);
    assert.equal(out, 'tmpfs\n');
    env.ok(['volume', 'rm', 'tmpvol']);
  });

  test('prune removes unused volumes only; -f skips the question', () => {
    env.ok(['volume', 'create', '--label', 'keep=1', 'pkeep']);
    env.ok(['volume', 'create', 'pgone']);
    env.ok(['create', '--name', 'holder', '-v', 'pused:/x', 'busybox', 'true']);
    assert.match(env.ok(['volume', 'prune', '-f', '--filter', 'label!=keep']), /^pgone$/m);
    const left = env.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean);
    assert.ok(left.includes('pused'));
    assert.ok(!left.includes('pgone'));
    assert.ok(left.includes('pkeep'));
    env.ok(['rm', 'holder']);
    env.ok(['volume', 'prune', '-f']);
    assert.equal(env.ok(['volume', 'ls', '-q']), '');
  });
});

describe('the compose flows with the tspod CLI', () => {
  const P = 'com.docker.compose.project=cli';
  test('a web server serving a named volume, exec, logs, restart, label filters, data across removal', async () => {
    env.ok(['volume', 'create', '--label', P, 'cli_site']);
    env.ok(['run', '-d', '--name', 'cli_web_1', '--label', P, '--label', 'com.docker.compose.service=web', '--restart', 'unless-stopped',
      '-v', 'cli_site:/www', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/www']);
    env.ok(['run', '-d', '--name', 'cli_client_1', '--label', P, '--label', 'com.docker.compose.service=client', '--label', 'com.docker.compose.oneoff=False',
      'busybox', 'sh', '-c', "trap 'exit 0' TERM; echo client started; while true; do sleep 1 & wait $!; done"]);
    env.ok(['exec', 'cli_web_1', 'sh', '-c', 'echo cli-compose > /www/index.html']);
    // the same server, reached from inside its own container (the network part is covered by compose.test.ts)
    assert.equal(env.ok(['exec', 'cli_web_1', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']), 'cli-compose\n');
    await until(() => env.ok(['logs', 'cli_client_1']).includes('client started'));
    assert.deepEqual(env.ok(['ps', '--filter', `label=${P}`, '--format', '{{.Names}}']).split('\n').filter(Boolean).sort(), ['cli_client_1', 'cli_web_1']);
    assert.equal(env.ok(['ps', '--filter', `label=${P}`, '--filter', 'label=com.docker.compose.oneoff=False', '--format', '{{.Names}}']), 'cli_client_1\n');
    assert.equal(env.ok(['volume', 'ls', '--filter', `label=${P}`, '-q']), 'cli_site\n');
    const started = env.ok(['inspect', '--format', '{{.State.StartedAt}}', 'cli_web_1']);
    assert.equal(env.ok(['restart', '-t', '1', 'cli_web_1']), 'cli_web_1\n');
    assert.notEqual(env.ok(['inspect', '--format', '{{.State.StartedAt}}', 'cli_web_1']), started);
    await until(() => env.run(['exec', 'cli_web_1', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']).stdout === 'cli-compose\n');
    env.ok(['rm', '-f', '-t', '1', 'cli_web_1', 'cli_client_1']);
    assert.equal(env.ok(['volume', 'exists', 'cli_site']), '');
    env.ok(['run', '-d', '--name', 'cli_web_1', '-v', 'cli_site:/www', 'busybox', 'httpd', '-f', '-p', '8080', '-h', '/www']);
    await until(() => env.run(['exec', 'cli_web_1', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']).stdout === 'cli-compose\n');
    env.ok(['rm', '-f', '-t', '0', 'cli_web_1']);
    env.ok(['volume', 'rm', 'cli_site']);
  });
});

describe('volumes through the Docker API (docker CLI)', () => {
  const docker = (args: string[]) => {
    const r = spawnSync('docker', args, { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const dockerOk = (args: string[]) => {
    const r = docker(args);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  before(startService);

  test('docker volume create/ls/inspect/rm, in-use conflict, prune', () => {
    assert.equal(dockerOk(['volume', 'create', '--label', 'x=1', 'dvol']), 'dvol\n');
    assert.equal(dockerOk(['volume', 'create', 'dvol']), 'dvol\n', 'create is idempotent in Docker');
    assert.equal(dockerOk(['volume', 'ls', '--filter', 'label=x=1', '--format', '{{.Name}} {{.Driver}}']), 'dvol local\n');
    assert.equal(dockerOk(['volume', 'inspect', '--format', '{{.Mountpoint}} {{.Labels.x}}', 'dvol']), `${dataOf('dvol')} 1\n`);
    const missing = docker(['volume', 'inspect', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such volume/i);
    dockerOk(['create', '--name', 'duser', '-v', 'dvol:/data', 'localhost/busybox', 'true']);
    const inUse = docker(['volume', 'rm', 'dvol']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /volume is in use/);
    dockerOk(['rm', 'duser']);
    dockerOk(['volume', 'rm', 'dvol']);
    dockerOk(['volume', 'create', 'dgone']);
    assert.match(dockerOk(['volume', 'prune', '-f']), /dgone/);
  });

  test('docker run -v name:/path, --mount, --tmpfs, anonymous -v and rm -v', () => {
    assert.equal(dockerOk(['run', '--rm', '-v', 'dsite:/www', 'localhost/busybox', 'sh', '-c', 'echo d > /www/f; cat /www/f']), 'd\n');
    assert.equal(fs.readFileSync(path.join(dataOf('dsite'), 'f'), 'utf8'), 'd\n');
    assert.equal(dockerOk(['run', '--rm', '--mount', 'type=volume,source=dsite,target=/w,readonly', '--tmpfs', '/t:size=1m', 'localhost/busybox', 'sh', '-c', 'cat /w/f; grep -c " /t tmpfs" /proc/mounts']), 'd\n1\n');
    dockerOk(['create', '--name', 'danon', '-v', '/anon', 'localhost/busybox', 'true']);
    const name = dockerOk(['inspect', '--format', '{{range .Mounts}}{{.Name}}{{end}}', 'danon']).trim();
    assert.match(name, /^[0-9a-f]{64}$/);
    assert.equal(dockerOk(['inspect', '--format', '{{json .Config.Volumes}}', 'danon']), '{"/anon":{}}\n');
    dockerOk(['rm', '-v', 'danon']);
    assert.equal(env.run(['volume', 'exists', name]).code, 1);
    dockerOk(['volume', 'rm', 'dsite']);
  });

  test('restart policy through HostConfig.RestartPolicy', async () => {
    dockerOk(['run', '-d', '--name', 'drestart', '--restart', 'on-failure:2', 'localhost/busybox', 'sh', '-c', 'exit 7']);
    await until(() => env.ok(['inspect', '--format', '{{.RestartCount}} {{.State.Status}}', 'drestart']) === '2 exited\n', 20_000, 200);
    assert.equal(dockerOk(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.RestartCount}}', 'drestart']), 'on-failure:2 2\n');
    dockerOk(['rm', 'drestart']);
  });
});

describe('volume and filter endpoints (curl)', () => {
  const curl = (method: string, p: string, body?: string) => curlUnix(sock, method, `http://d${p}`, body);
  const q = (filters: unknown) => encodeURIComponent(JSON.stringify(filters));
  before(startService);

  test('Docker /volumes: create (idempotent), inspect, list filters, 404 and 409 wording, delete', () => {
    const body = JSON.stringify({ Name: 'api_v', Labels: { 'com.docker.compose.project': 'api' }, DriverOpts: {} });
    const c = curl('POST', '/v1.41/volumes/create', body);
    assert.equal(c.status, 201, c.body);
    const v = JSON.parse(c.body);
    assert.deepEqual([v.Name, v.Driver, v.Scope, v.Mountpoint, v.Options], ['api_v', 'local', 'local', dataOf('api_v'), null]);
    assert.equal(curl('POST', '/v1.41/volumes/create', body).status, 201);
    assert.equal(JSON.parse(curl('GET', '/v1.41/volumes/api_v').body).Labels['com.docker.compose.project'], 'api');
    const listed = JSON.parse(curl('GET', `/v1.41/volumes?filters=${q({ label: ['com.docker.compose.project=api'] })}`).body);
    assert.deepEqual(listed.Volumes.map((x: { Name: string }) => x.Name), ['api_v']);
    assert.deepEqual(JSON.parse(curl('GET', `/v1.41/volumes?filters=${q({ label: { 'com.docker.compose.project=nosuch': true } })}`).body).Volumes, []);
    const missing = curl('GET', '/v1.41/volumes/nosuch');
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.body).message, /get nosuch: no such volume/);
    const ctr = curl('POST', '/v1.41/containers/create?name=api_user', JSON.stringify({ Image: 'localhost/busybox', Cmd: ['true'], HostConfig: { Binds: ['api_v:/data:rw'] } }));
    assert.equal(ctr.status, 201, ctr.body);
    const busy = curl('DELETE', '/v1.41/volumes/api_v');
    assert.equal(busy.status, 409);
    assert.match(JSON.parse(busy.body).message, /volume is in use/);
    assert.equal(curl('DELETE', '/v1.41/containers/api_user?v=True&link=False&force=False').status, 204);
    assert.equal(curl('DELETE', '/v1.41/volumes/api_v').status, 204);
    assert.equal(curl('DELETE', '/v1.41/volumes/api_v?force=1').status, 204, 'force: a missing volume is no error');
  });

  test('container lists: compose label filters must all match, in list and map form', () => {
    const mk = (name: string, labels: Record<string, string>) =>
      assert.equal(curl('POST', `/v1.41/containers/create?name=${name}`, JSON.stringify({ Image: 'localhost/busybox', Cmd: ['true'], Labels: labels })).status, 201);
    mk('flt_a', { 'com.docker.compose.project': 'flt', 'com.docker.compose.oneoff': 'False' });
    mk('flt_b', { 'com.docker.compose.project': 'flt', 'com.docker.compose.oneoff': 'True' });
    const names = (filters: unknown, all = 1) =>
      (JSON.parse(curl('GET', `/v1.41/containers/json?all=${all}&limit=-1&filters=${q(filters)}`).body) as { Names: string[] }[]).map((c) => c.Names[0]).sort();
    assert.deepEqual(names({ label: ['com.docker.compose.project=flt', 'com.docker.compose.oneoff=False'] }), ['/flt_a']);
    assert.deepEqual(names({ label: { 'com.docker.compose.project=flt': true, 'com.docker.compose.oneoff=True': true } }), ['/flt_b']);
    assert.deepEqual(names({ label: ['com.docker.compose.project=flt'] }), ['/flt_a', '/flt_b']);
    assert.deepEqual(names({ label: ['com.docker.compose.project=flt'] }, 0), []);
    assert.deepEqual(names({ status: ['created', 'exited'], label: ['com.docker.compose.project=flt'] }, 0), ['/flt_a', '/flt_b']);
    assert.deepEqual(names({ name: ['flt_b'] }), ['/flt_b']);
    // an unknown filter: Podman answers 500 on both trees (its 20-containers checks assert it)
    assert.equal(curl('GET', `/v1.41/containers/json?filters=${q({ bogus: ['x'] })}`).status, 500);
    const lp = JSON.parse(curl('GET', `/v4.3.1/libpod/containers/json?all=true&filters=${q({ label: ['com.docker.compose.oneoff=True'] })}`).body) as { Names: string[] }[];
    assert.deepEqual(lp.map((c) => c.Names[0]), ['flt_b']);
    env.ok(['rm', 'flt_a', 'flt_b']);
  });

  test('libpod /volumes: create, json, exists, prune, delete', () => {
    const c = curl('POST', '/v4.3.1/libpod/volumes/create', JSON.stringify({ Name: 'lp_v', Labels: { a: 'b' } }));
    assert.equal(c.status, 201, c.body);
    assert.equal(JSON.parse(c.body).Mountpoint, dataOf('lp_v'));
    // Podman 4.3 answers an existing name with 500 and this cause
    const dup = curl('POST', '/v4.3.1/libpod/volumes/create', JSON.stringify({ Name: 'lp_v' }));
    assert.equal(dup.status, 500);
    assert.equal(JSON.parse(dup.body).cause, 'volume already exists');
    assert.equal(curl('GET', '/v4.3.1/libpod/volumes/lp_v/exists').status, 204);
    assert.equal(curl('GET', '/v4.3.1/libpod/volumes/nosuch/exists').status, 404);
    assert.equal(curl('GET', '/v4.3.1/libpod/volumes/nosuch/json').status, 404);
    assert.deepEqual(JSON.parse(curl('GET', `/v4.3.1/libpod/volumes/json?filters=${q({ label: ['a=b'] })}`).body).map((v: { Name: string }) => v.Name), ['lp_v']);
    const pruned = JSON.parse(curl('POST', `/v4.3.1/libpod/volumes/prune?filters=${q({ label: ['a=b'] })}`).body) as { Id: string }[];
    assert.deepEqual(pruned.map((r) => r.Id), ['lp_v']);
    assert.equal(curl('DELETE', '/v4.3.1/libpod/volumes/lp_v').status, 404);
  });

  test('libpod /volumes as Podman decodes it: field case, first JSON value, tmpfs without device, until, filter errors', () => {
    // Go's decoder: any case for field names, "Label" as Podman's spec says, trailing bytes ignored
    const c = curl('POST', '/v4.3.1/libpod/volumes/create', '{"name":"lp_t","Label":{"k":"v"},"Options":{"type":"tmpfs","o":"nodev"}}}');
    assert.equal(c.status, 201, c.body);
    const v = JSON.parse(c.body);
    assert.equal(v.Name, 'lp_t');
    assert.deepEqual(v.Labels, { k: 'v' });
    assert.equal(v.Options.type, 'tmpfs');
    // a tmpfs volume is a tmpfs while a container uses it
    assert.match(env.ok(['run', '--rm', '-v', 'lp_t:/m', 'busybox', 'sh', '-c', 'grep " /m " /proc/mounts']), /^tmpfs \/m tmpfs /);
    const gone = curl('GET', '/v4.3.1/libpod/volumes/nosuch/json');
    assert.equal(JSON.parse(gone.body).cause, 'no such volume');
    // until: created before that time
    const since = (s: string) => JSON.parse(curl('GET', `/v4.3.1/libpod/volumes/json?filters=${q({ until: [s] })}`).body).map((x: { Name: string }) => x.Name);
    assert.deepEqual(since('5000000000'), ['lp_t']);
    assert.deepEqual(since('500000'), []);
    // bad filters: 500 with Go's wording; prune refuses list-only filters
    const bad = curl('GET', '/v4.3.1/libpod/volumes/json?filters=garb1age%7D');
    assert.equal(bad.status, 500);
    assert.equal(JSON.parse(bad.body).cause, "invalid character 'g' looking for beginning of value");
    const pn = curl('POST', `/v4.3.1/libpod/volumes/prune?filters=${q({ name: ['lp_t'] })}`);
    assert.equal(pn.status, 500);
    assert.equal(JSON.parse(pn.body).cause, '"name" is an invalid volume filter');
    assert.equal(curl('GET', '/v4.3.1/libpod/volumes/lp_t/exists').status, 204);
    assert.equal(curl('DELETE', '/v4.3.1/libpod/volumes/lp_t').status, 204);
  });

  test('Docker create: a missing bind source is made as a directory; TmpFs (any case) shown with its defaults', () => {
    const src = path.join(env.dir, 'made-by-create', 'sub');
    fs.rmSync(path.join(env.dir, 'made-by-create'), { recursive: true, force: true });
    const c = curl('POST', '/v1.41/containers/create?name=bind_mk', JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`${src}:/test1`], TmpFs: { '/mytmpfs': 'rw' } } }));
    try {
      assert.equal(c.status, 201, c.body);
      assert.ok(fs.statSync(src).isDirectory());
      const ins = JSON.parse(curl('GET', '/v1.41/containers/bind_mk/json').body);
      assert.equal(ins.HostConfig.Tmpfs['/mytmpfs'], 'rw,rprivate,nosuid,nodev,tmpcopyup');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'bind_mk']);
      fs.rmSync(path.join(env.dir, 'made-by-create'), { recursive: true, force: true });
    }
  });

  test('system df lists volumes with their users; libpod system prune removes the volumes its filters select', () => {
    assert.equal(curl('POST', '/v4.3.1/libpod/volumes/create', JSON.stringify({ Name: 'df_v', Label: { sys: 'p' } })).status, 201);
    try {
      const dfv = () => (JSON.parse(curl('GET', '/v1.41/system/df').body).Volumes as { Name: string; UsageData: { RefCount: number } }[]).find((v) => v.Name === 'df_v');
      assert.equal(dfv()?.UsageData.RefCount, 0);
      env.ok(['create', '--name', 'df_user', '--label', 'sys=p', '-v', 'df_v:/d', 'busybox', 'true']);
      assert.equal(dfv()?.UsageData.RefCount, 1);
      const lp = (JSON.parse(curl('GET', '/v4.3.1/libpod/system/df').body).Volumes as { VolumeName: string; Links: number }[]).find((v) => v.VolumeName === 'df_v');
      assert.equal(lp?.Links, 1);
      // filters select what goes of each kind, as Podman's: containers first, then the volumes they left unused
      const miss = curl('POST', `/v4.3.1/libpod/system/prune?volumes=true&filters=${q({ label: ['sys=other'] })}`);
      assert.equal(miss.status, 200, miss.body);
      const r1 = JSON.parse(miss.body);
      assert.deepEqual(r1.ContainerPruneReports, []);
      assert.deepEqual(r1.VolumePruneReports, []);
      assert.equal(env.run(['container', 'exists', 'df_user']).code, 0);
      const hit = JSON.parse(curl('POST', `/v4.3.1/libpod/system/prune?volumes=true&filters=${q({ label: ['sys=p'] })}`).body);
      assert.ok(hit.ContainerPruneReports.some((c: { Id: string }) => c.Id.length === 64));
      assert.equal(env.run(['container', 'exists', 'df_user']).code, 1);
      assert.deepEqual(hit.VolumePruneReports.map((v: { Id: string }) => v.Id), ['df_v']);
      assert.equal(dfv(), undefined);
      // without volumes=true no volume is touched
      assert.equal(curl('POST', '/v4.3.1/libpod/volumes/create', JSON.stringify({ Name: 'df_keep' })).status, 201);
      assert.deepEqual(JSON.parse(curl('POST', '/v4.3.1/libpod/system/prune').body).VolumePruneReports, []);
      assert.equal(curl('GET', '/v4.3.1/libpod/volumes/df_keep/exists').status, 204);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'df_user']);
      env.run(['volume', 'rm', '-f', 'df_v', 'df_keep']);
    }
  });
});
