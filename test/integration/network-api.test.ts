// Networks through the API service: the docker CLI (network create/ls/inspect/
// rm, run --network --network-alias -p), the create body docker-compose sends
// (NetworkMode + EndpointsConfig aliases), connect/disconnect, filters, prune,
// and the libpod network endpoints.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('network-api');
const sock = path.join(env.dir, 'api.sock');
const svc = new ApiService(env, sock);
const SUBNET_D = '10.251.81.0/24';
const SUBNET_C = '10.251.82.0/24';
const SUBNET_L = '10.251.83.0/24';

function docker(args: string[]) {
  const r = spawnSync('docker', args, { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function dockerOk(args: string[]): string {
  const r = docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function api(method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath: sock, method, path: p, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
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
    req.end(data);
  });
}

const waitHttp = (host: string) => `for i in $(seq 100); do wget -q -O /dev/null http://${host}:8080/hostname && break; sleep 0.05; done`;

before(async () => {
  env.importTestImages();
  await svc.start();
});
after(async () => {
  env.run(['rm', '-af', '-t', '0']);
  for (const n of ['dnet', 'cnet', 'lnet']) env.run(['network', 'rm', '-f', n]);
  await svc.stop();
  env.cleanup();
});

describe('Docker network API', () => {
  test('docker network create, ls, inspect, rm and their errors', () => {
    const id = dockerOk(['network', 'create', '--subnet', SUBNET_D, '--label', 'suite=api', 'dnet']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(dockerOk(['network', 'ls']), /\bdnet\s+bridge\s+local\b/);
    assert.equal(dockerOk(['network', 'ls', '-q', '--filter', 'label=suite=api']).trim(), id.slice(0, 12));
    const [net] = JSON.parse(dockerOk(['network', 'inspect', 'dnet']));
    assert.equal(net.Id, id);
    assert.deepEqual(net.IPAM.Config, [{ Subnet: SUBNET_D, Gateway: '10.251.81.1' }]);
    assert.deepEqual(net.Options, {});
    const dup = docker(['network', 'create', 'dnet']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const missing = docker(['network', 'inspect', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /network nosuch not found/);
    assert.match(docker(['network', 'rm', 'podman']).stderr, /pre-defined network and cannot be removed/);
  });

  test('docker run --network --network-alias: a peer reaches the alias, a published port answers on 127.0.0.1', () => {
    dockerOk(['run', '-d', '--name', 'dweb', '--network', 'dnet', '--network-alias', 'webby', '-p', '127.0.0.1::8080', 'localhost/busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    const out = dockerOk(['run', '--rm', '--network', 'dnet', 'localhost/busybox', 'sh', '-c', `${waitHttp('webby')}; wget -q -O - http://webby:8080/hostname`]);
    const [info] = JSON.parse(dockerOk(['inspect', 'dweb']));
    assert.equal(out, `${info.Id.slice(0, 12)}\n`);
    assert.equal(info.HostConfig.NetworkMode, 'dnet');
    const ep = info.NetworkSettings.Networks.dnet;
    assert.match(ep.IPAddress, /^10\.251\.81\.\d+$/);
    assert.equal(ep.Gateway, '10.251.81.1');
    assert.ok(ep.Aliases.includes('webby'));
    assert.equal(ep.NetworkID, JSON.parse(dockerOk(['network', 'inspect', 'dnet']))[0].Id);
    const binding = info.NetworkSettings.Ports['8080/tcp'][0];
    assert.equal(binding.HostIp, '127.0.0.1');
    const port = dockerOk(['port', 'dweb', '8080']).trim();
    assert.equal(port, `127.0.0.1:${binding.HostPort}`);
    const curl = spawnSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${binding.HostPort}/hostname`], { encoding: 'utf8' });
    assert.equal(curl.stdout, `${info.Id.slice(0, 12)}\n`);
    const [netInfo] = JSON.parse(dockerOk(['network', 'inspect', 'dnet']));
    assert.equal(netInfo.Containers[info.Id].Name, 'dweb');
    const inUse = docker(['network', 'rm', 'dnet']);
    assert.equal(inUse.code, 1);
    dockerOk(['rm', '-f', 'dweb']);
    dockerOk(['network', 'rm', 'dnet']);
    assert.equal(docker(['network', 'inspect', 'dnet']).code, 1);
  });

  test('docker run --add-host, --dns, --dns-search and --network none|host', () => {
    const out = dockerOk(['run', '--rm', '--add-host', 'extra.test:192.0.2.7', '--dns', '192.0.2.53', '--dns-search', 'corp.test', 'localhost/busybox', 'cat', '/etc/hosts', '/etc/resolv.conf']);
    assert.match(out, /^192\.0\.2\.7\textra\.test$/m);
    assert.match(out, /^nameserver 192\.0\.2\.53$/m);
    assert.match(out, /^search corp\.test$/m);
    assert.equal(dockerOk(['run', '--rm', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'ls /sys/class/net']).trim(), 'lo');
    const [info] = JSON.parse(dockerOk(['inspect', dockerOk(['create', '--network', 'host', 'localhost/busybox', 'true']).trim()]));
    assert.equal(info.HostConfig.NetworkMode, 'host');
    assert.ok('host' in info.NetworkSettings.Networks);
  });

  test("docker-compose's create body: NetworkMode and EndpointsConfig aliases; connect, disconnect, filters, prune", async () => {
    const created = await api('POST', '/v1.41/networks/create', {
      Name: 'cnet', CheckDuplicate: true, Attachable: true, IPAM: { Driver: 'default', Config: [{ Subnet: SUBNET_C }] },
      Labels: { 'com.docker.compose.project': 'demo', 'com.docker.compose.network': 'default' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await api('GET', '/v1.41/networks/nosuch')).status, 404);
    const listed = await api('GET', `/v1.41/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['com.docker.compose.project=demo'] }))}`);
    assert.deepEqual(listed.json.map((n: { Name: string }) => n.Name), ['cnet']);
    const byName = await api('GET', `/v1.41/networks?filters=${encodeURIComponent(JSON.stringify({ name: { cnet: true } }))}`);
    assert.deepEqual(byName.json.map((n: { Name: string }) => n.Name), ['cnet']);
    const body = (cmd: string[], alias: string) => ({
      Image: 'localhost/busybox', Cmd: cmd, ExposedPorts: { '8080/tcp': {} },
      HostConfig: { NetworkMode: 'cnet', PortBindings: {}, Links: [], LogConfig: { Type: '', Config: {} } },
      NetworkingConfig: { EndpointsConfig: { cnet: { Aliases: [alias], IPAMConfig: {} } } },
    });
    const app = await api('POST', '/v1.41/containers/create?name=demo_app_1', body(['httpd', '-f', '-p', '8080', '-h', '/etc'], 'app'));
    assert.equal(app.status, 201, app.text);
    assert.equal((await api('POST', `/v1.41/containers/${app.json.Id}/start`)).status, 204);
    const worker = await api('POST', '/v1.41/containers/create?name=demo_worker_1', body(['sleep', '300'], 'worker'));
    assert.equal((await api('POST', `/v1.41/containers/${worker.json.Id}/start`)).status, 204);
    const fetched = env.ok(['exec', 'demo_worker_1', 'sh', '-c', `${waitHttp('app')}; wget -q -O - http://app:8080/hostname`]);
    assert.equal(fetched, `${app.json.Id.slice(0, 12)}\n`);
    const inspect = await api('GET', `/v1.41/containers/${app.json.Id}/json`);
    assert.deepEqual(inspect.json.Config.ExposedPorts, { '8080/tcp': {} });
    assert.ok(inspect.json.NetworkSettings.Networks.cnet.Aliases.includes('app'));
    const item = (await api('GET', '/v1.41/containers/json')).json.find((c: { Id: string }) => c.Id === app.json.Id);
    assert.equal(item.HostConfig.NetworkMode, 'cnet');
    assert.ok(item.NetworkSettings.Networks.cnet.IPAddress);
    // connect/disconnect a running container (compose does this for extra networks)
    env.ok(['network', 'create', '--subnet', SUBNET_L, 'lnet']);
    const conn = await api('POST', '/v1.41/networks/lnet/connect', { Container: 'demo_worker_1', EndpointConfig: { Aliases: ['w2'] } });
    assert.equal(conn.status, 200, conn.text);
    assert.match(env.ok(['exec', 'demo_worker_1', 'ip', '-4', '-o', 'addr']), /eth1\s+inet 10\.251\.83\./);
    const disc = await api('POST', '/v1.41/networks/lnet/disconnect', { Container: 'demo_worker_1', Force: false });
    assert.equal(disc.status, 200, disc.text);
    assert.doesNotMatch(env.ok(['exec', 'demo_worker_1', 'ip', '-o', 'link']), /eth1/);
    assert.equal((await api('DELETE', '/v1.41/networks/cnet')).status, 403);
    for (const id of [worker.json.Id, app.json.Id]) assert.equal((await api('DELETE', `/v1.41/containers/${id}?force=1`)).status, 204);
    const pruned = await api('POST', '/v1.41/networks/prune');
    assert.deepEqual(pruned.json.NetworksDeleted.sort(), ['cnet', 'lnet']);
  });
});

describe('libpod network API', () => {
  test('create, list, inspect, exists, delete', async () => {
    const created = await api('POST', '/v4.0.0/libpod/networks/create', { name: 'lnet', subnets: [{ subnet: SUBNET_L }], labels: { a: 'b' } });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.json.network_interface.startsWith('tspod'), true);
    assert.deepEqual(created.json.subnets, [{ subnet: SUBNET_L, gateway: '10.251.83.1' }]);
    const list = await api('GET', `/v4.0.0/libpod/networks/json?filters=${encodeURIComponent(JSON.stringify({ label: ['a=b'] }))}`);
    assert.deepEqual(list.json.map((n: { name: string }) => n.name), ['lnet']);
    assert.equal((await api('GET', '/v4.0.0/libpod/networks/lnet/json')).json.id, created.json.id);
    assert.equal((await api('GET', '/v4.0.0/libpod/networks/lnet/exists')).status, 204);
    assert.equal((await api('GET', '/v4.0.0/libpod/networks/nosuch/exists')).status, 404);
    const del = await api('DELETE', '/v4.0.0/libpod/networks/lnet');
    assert.deepEqual(del.json, [{ Name: 'lnet' }]);
    assert.equal((await api('GET', '/v4.0.0/libpod/networks/lnet/json')).status, 404);
  });
});
