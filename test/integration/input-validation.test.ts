// Strings that reach files and firewall rules tspod writes as root are checked
// where they come in: libpod port mappings (a newline in host_ip would add
// iptables rules, an unbounded range exhausts the service), network aliases,
// DNS values, extra hosts and host names (lines of /etc/hosts and
// resolv.conf), and image layer digests (path components in the store) from a
// registry or an archive. Refused with exit 125 on the CLI and 400 on the API,
// nothing stored.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { FIXTURES, type Result, TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('input-validation');
const sock = path.join(env.dir, 'api.sock');
const svc = new ApiService(env, sock);
const MARK = `tspod-injected-${process.pid}`;
const NET = `tvalid${process.pid % 10000}`;

function api(method: string, p: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath: sock, method, path: p, agent: false, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const containerCount = () => env.ok(['ps', '-a', '-q']).split('\n').filter(Boolean).length;
const injected = () => ['nat', 'filter'].some((t) => spawnSync('iptables-save', ['-t', t], { encoding: 'utf8' }).stdout.includes(MARK));

before(async () => {
  env.importTestImages();
  // A free subnet can be taken by a parallel test between our pick and our bridge: pick again (bounded).
  for (let i = 0; ; i++) {
    const r = env.run(['network', 'create', NET]);
    if (r.code === 0) break;
    if (i === 4 || !/already used/.test(r.stderr)) throw new Error(`network create: ${r.stderr}`);
  }
  await svc.start();
});

after(async () => {
  await svc.stop();
  env.run(['rm', '-af', '-t', '0']);
  env.run(['network', 'rm', '-f', NET]);
  env.cleanup();
});

describe('libpod port mappings', () => {
  const create = (portmappings: unknown[]) => api('POST', '/v4.3.1/libpod/containers/create', { image: 'localhost/busybox', command: ['true'], portmappings });

  test('a host_ip with a newline is refused 400, no container, no rule', async () => {
    const r = await create([{ host_ip: `127.0.0.1\n-A INPUT -m comment --comment ${MARK} -j ACCEPT`, host_port: 18080, container_port: 80 }]);
    assert.equal(r.status, 400, r.text);
    assert.match(JSON.parse(r.text).message as string, /invalid IP address/);
    assert.equal(containerCount(), 0);
    assert.equal(injected(), false);
    assert.equal((await create([{ host_ip: '::1', host_port: 18080, container_port: 80 }])).status, 400, 'an IPv6 host address');
  });

  test('ranges and ports are bounded', async () => {
    const accepted: string[] = [];
    for (const m of [
      { container_port: 80, range: 100000 },
      { container_port: 80, host_port: 18000, range: 5000 },
      { container_port: 65000, host_port: 18000, range: 1000 },
      { container_port: 80, host_port: 65000, range: 1000 },
      { container_port: 0 },
      { container_port: 70000 },
      { container_port: 80, host_port: -1 },
      { container_port: 80, range: 1.5 },
      { container_port: 80, protocol: 'tcp\n-A' },
    ]) {
      const r = await create([m]);
      if (r.status !== 400) accepted.push(`${JSON.stringify(m)}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(accepted, []);
    // Many mappings add up to the same limit.
    const many = Array.from({ length: 3 }, (_, i) => ({ container_port: 1000 + i * 2000, range: 2000 }));
    assert.equal((await create(many)).status, 400);
    assert.equal(containerCount(), 0);
    const ok = await create([{ host_ip: '127.0.0.1', host_port: 18100, container_port: 80, range: 3, protocol: 'tcp,udp' }]);
    assert.equal(ok.status, 201, ok.text);
    const id = JSON.parse(ok.text).Id as string;
    // 3 ports x 2 protocols (`port` lists a running container's only, as Podman's)
    assert.equal(Object.keys(JSON.parse(env.ok(['inspect', '--format', '{{json .HostConfig.PortBindings}}', id]))).length, 6);
    env.ok(['rm', id]);
  });
});

describe('names and DNS values for /etc/hosts and resolv.conf', () => {
  const bad: [string, string][] = [
    ['--network-alias', 'web\n10.0.0.1 evil'],
    ['--network-alias', 'two words'],
    ['--dns-search', 'example.com\nnameserver 6.6.6.6'],
    ['--dns-search', 'a b'],
    ['--dns-option', 'ndots:1\nnameserver 6.6.6.6'],
    ['--dns', '1.1.1.1\nnameserver 6.6.6.6'],
    ['--add-host', 'evil\n10.0.0.1 bank:1.2.3.4'],
    ['--add-host', 'a b:1.2.3.4'],
    ['--add-host', 'host:1.2.3.4\n'],
    ['--hostname', 'h\n10.9.9.9 bank'],
    ['--ip', '10.0.0.5\n'],
    ['-p', '127.0.0.1\n:18081:80'],
  ];

  test('the CLI refuses each with exit 125 and creates nothing', () => {
    const accepted: string[] = [];
    for (const [flag, value] of bad) {
      const args = ['create', ...(flag === '--ip' ? ['--network', NET] : []), flag, value, 'localhost/busybox', 'true'];
      const r: Result = env.run(args);
      if (r.code !== 125 || !/invalid/.test(r.stderr)) accepted.push(`${flag} ${JSON.stringify(value)}: exit ${r.code} ${r.stderr}`);
    }
    assert.deepEqual(accepted, []);
    assert.equal(containerCount(), 0);
  });

  test('valid values still work and land in the files', () => {
    const out = env.ok(['run', '--rm', '--network', NET, '--network-alias', 'web_1', '--hostname', 'my-host.example', '--dns-search', 'example.com', '--dns-option', 'ndots:2', '--dns', '192.0.2.53', '--add-host', 'db.local:10.1.2.3', 'localhost/busybox', 'sh', '-c', 'cat /etc/hosts /etc/resolv.conf']);
    assert.match(out, /^10\.1\.2\.3\tdb\.local$/m);
    assert.match(out, /\tmy-host\.example .*\bweb_1\b/);
    assert.match(out, /^search example\.com$/m);
    assert.match(out, /^nameserver 192\.0\.2\.53$/m);
    assert.match(out, /^options ndots:2$/m);
  });

  test('the Docker and libpod create bodies refuse them with 400', async () => {
    const accepted: string[] = [];
    const docker = (extra: Record<string, unknown>) => api('POST', '/v1.41/containers/create', { Image: 'localhost/busybox', Cmd: ['true'], ...extra });
    for (const body of [
      { HostConfig: { ExtraHosts: ['evil\n10.0.0.1 bank:1.2.3.4'] } },
      { HostConfig: { DnsSearch: ['a b'] } },
      { HostConfig: { DnsOptions: ['ndots:1\nnameserver 6.6.6.6'] } },
      { HostConfig: { Dns: ['1.1.1.1 6.6.6.6'] } },
      { Hostname: 'h\nx' },
      { HostConfig: { NetworkMode: NET }, NetworkingConfig: { EndpointsConfig: { [NET]: { Aliases: ['a\nb'] } } } },
      { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1\n', HostPort: '18082' }] } } },
    ]) {
      const r = await docker(body);
      if (r.status !== 400) accepted.push(`${JSON.stringify(body)}: ${r.status} ${r.text}`);
    }
    const libpod = (extra: Record<string, unknown>) => api('POST', '/v4.3.1/libpod/containers/create', { image: 'localhost/busybox', command: ['true'], ...extra });
    for (const body of [
      { hostadd: ['evil\n10.0.0.1 bank:1.2.3.4'] },
      { dns_search: ['a\nb'] },
      { dns_option: ['x y'] },
      { dns_server: ['8.8.8.8\n'] },
      { hostname: 'a b' },
      { networks: { [NET]: { aliases: ['a\tb'] } } },
    ]) {
      const r = await libpod(body);
      if (r.status !== 400) accepted.push(`${JSON.stringify(body)}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(accepted, []);
    assert.equal(containerCount(), 0);
  });

  test('network connect refuses a bad alias (CLI 125, API 400)', async () => {
    env.ok(['create', '--name', 'joiner', 'localhost/busybox', 'true']);
    try {
      const r = env.run(['network', 'connect', '--alias', 'a\nb', NET, 'joiner']);
      assert.equal(r.code, 125, r.stderr);
      assert.equal((await api('POST', `/v1.41/networks/${NET}/connect`, { Container: 'joiner', EndpointConfig: { Aliases: ['x y'] } })).status, 400);
      assert.equal((await api('POST', `/v4.3.1/libpod/networks/${NET}/connect`, { container: 'joiner', aliases: ['x\ny'] })).status, 400);
      const nets = env.ok(['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'joiner']);
      assert.doesNotMatch(nets, new RegExp(NET));
    } finally {
      env.run(['rm', '-f', '-t', '0', 'joiner']);
    }
  });
});

// ---- layer digests

const sha = (b: Buffer | string) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
const EVIL_DIFF_ID = 'sha256:../../escaped';

describe('layer digests from a registry or an archive', () => {
  const layerTar = fs.readFileSync(path.join(FIXTURES, 'echo-rootfs.tar'));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [EVIL_DIFF_ID] } }));
  const escaped = () => ['escaped', 'root/escaped', 'root/layers/escaped'].filter((p) => fs.existsSync(path.join(env.dir, p)));
  const storeState = () => env.ok(['images', '-q', '--no-trunc']);

  test('a registry config with diff_id sha256:../.. is refused and nothing is written outside', async () => {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', size: layerTar.length, digest: sha(layerTar) }],
      }),
    );
    const server = http.createServer((req, res) => {
      const send = (b: Buffer, type = 'application/octet-stream') => res.writeHead(200, { 'Content-Type': type, 'Content-Length': b.length, 'Docker-Content-Digest': sha(b) }).end(req.method === 'HEAD' ? undefined : b);
      const url = req.url ?? '';
      if (url === '/v2/') return send(Buffer.from('{}'), 'application/json');
      if (url.endsWith('/manifests/latest') || url.endsWith(`/manifests/${sha(manifest)}`)) return send(manifest, 'application/vnd.docker.distribution.manifest.v2+json');
      if (url.endsWith(`/blobs/${sha(config)}`)) return send(config);
      if (url.endsWith(`/blobs/${sha(layerTar)}`)) return send(layerTar);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const before = storeState();
    try {
      const r = await new Promise<Result>((resolve) => {
        const child = env.spawn(['pull', '--tls-verify=false', `${host}/evil/img`], { env: cleanEnv() });
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (d) => (stdout += d));
        child.stderr?.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code: code ?? 137, stdout, stderr }));
      });
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /unsupported layer digest "sha256:\.\.\/\.\.\/escaped"/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    assert.deepEqual(escaped(), []);
    assert.equal(storeState(), before);
  });

  test('a docker-archive with diff_id sha256:../.. is refused by load', () => {
    const dir = path.join(env.dir, 'archive');
    fs.mkdirSync(dir);
    const configName = `${sha(config).slice(7)}.json`;
    fs.writeFileSync(path.join(dir, configName), config);
    fs.writeFileSync(path.join(dir, 'layer.tar'), layerTar);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['localhost/evil:1'], Layers: ['layer.tar'] }]));
    const tarFile = path.join(env.dir, 'evil.tar');
    const t = spawnSync('tar', ['-cf', tarFile, '-C', dir, configName, 'layer.tar', 'manifest.json']);
    assert.equal(t.status, 0);
    const before = storeState();
    const r = env.run(['load', '-i', tarFile]);
    assert.equal(r.code, 125, r.stdout + r.stderr);
    assert.match(r.stderr, /unsupported layer digest "sha256:\.\.\/\.\.\/escaped"/);
    assert.deepEqual(escaped(), []);
    assert.equal(storeState(), before);
  });
});
