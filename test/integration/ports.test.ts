// Published ports: -p reached from 127.0.0.1 and from the host's own address,
// -p IP:: binds one address only, -P publishes the image's EXPOSE, `port`,
// ps's PORTS column and inspect's Ports; the DNAT rules live while the
// container runs and are gone once it stops.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, TspodEnv, sleep } from '../helpers/tspod-env';

const env = new TspodEnv('ports');

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The body of GET / from host:port, or the error's code; bounded. */
function httpGet(host: string, port: number, file = 'hostname'): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('TIMEOUT');
    }, 3000);
    sock.on('connect', () => sock.write(`GET /${file} HTTP/1.0\r\n\r\n`));
    sock.on('data', (d) => (data += d.toString()));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? 'ERROR');
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(data.split('\r\n\r\n')[1] ?? data);
    });
  });
}

/** A non-loopback IPv4 address of this host, if it has one. */
function hostAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && !/^10\.(90|251)\./.test(a.address)) return a.address;
  return undefined;
}

/** Polls GET /hostname until it answers `want` (bounded); returns the last answer. */
async function answers(host: string, port: number, want: string): Promise<string> {
  let got = '';
  for (let i = 0; i < 100 && got !== want; i++) {
    got = await httpGet(host, port);
    if (got !== want) await sleep(50);
  }
  return got;
}

const natRules = () => spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;
const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/etc'];

before(() => {
  env.importTestImages();
  env.ok(['import', path.join(FIXTURES, 'busybox-rootfs.tar'), 'localhost/exposed', '--change', 'EXPOSE 8080', '--change', 'CMD ["httpd", "-f", "-p", "8080", "-h", "/etc"]']);
});
after(() => env.cleanup());

describe('published ports', () => {
  test('-p hostPort:containerPort is reached from 127.0.0.1 and the host address, and shown by port, ps and inspect', async () => {
    const port = await freePort();
    const id = env.ok(['run', '-d', '--name', 'pub', '-p', `${port}:8080`, 'localhost/busybox', ...HTTPD]).trim();
    const short = id.slice(0, 12);
    assert.equal(await answers('127.0.0.1', port, `${short}\n`), `${short}\n`);
    const addr = hostAddress();
    if (addr) assert.equal(await httpGet(addr, port), `${short}\n`);
    assert.equal(env.ok(['port', 'pub']), `8080/tcp -> 0.0.0.0:${port}\n`);
    assert.equal(env.ok(['port', 'pub', '8080']), `0.0.0.0:${port}\n`);
    assert.equal(env.ok(['container', 'port', 'pub', '8080/tcp']), `0.0.0.0:${port}\n`);
    const missing = env.run(['port', 'pub', '9999']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /failed to find published port "9999"/);
    assert.match(env.ok(['ps']), new RegExp(`0\\.0\\.0\\.0:${port}->8080/tcp\\s+pub`));
    const ports = JSON.parse(env.ok(['inspect', '--format', '{{json .NetworkSettings.Ports}}', 'pub']));
    assert.deepEqual(ports, { '8080/tcp': [{ HostIp: '', HostPort: String(port) }] }); // Podman's shape: "" is every address
    assert.match(natRules(), new RegExp(`TSPOD-DN-${id.slice(0, 16)}`));
    // as Podman 4.3.1: a port given badly is an error; a bad protocol is only not found
    assert.equal(env.run(['port', 'pub', 'http']).stderr, 'Error: strconv.ParseUint: parsing "http": invalid syntax\n');
    assert.equal(env.run(['port', 'pub', '80/tcp/x']).stderr, "Error: port formats are port/protocol. '80/tcp/x' is invalid\n");
    // A stopped container's rules go; a restart brings them back.
    env.ok(['stop', '-t', '0', 'pub']);
    assert.doesNotMatch(natRules(), new RegExp(id.slice(0, 16)));
    // and `port` of a container that does not run says nothing, as Podman's (nothing is published)
    const stopped = env.run(['port', 'pub', '8080']);
    assert.deepEqual([stopped.code, stopped.stdout, stopped.stderr], [0, '', '']);
    assert.notEqual(await httpGet('127.0.0.1', port), `${short}\n`);
    env.ok(['start', 'pub']);
    assert.equal(await answers('127.0.0.1', port, `${short}\n`), `${short}\n`);
    env.ok(['rm', '-f', '-t', '0', 'pub']);
    assert.doesNotMatch(natRules(), new RegExp(id.slice(0, 16)));
  });

  test('-p IP::containerPort picks a host port and binds only that address', async () => {
    const id = env.ok(['run', '-d', '-p', '127.0.0.1::8080', 'localhost/busybox', ...HTTPD]).trim();
    const line = env.ok(['port', id, '8080']).trim();
    const m = /^127\.0\.0\.1:(\d+)$/.exec(line);
    assert.ok(m, line);
    const port = Number(m[1]);
    assert.ok(port >= 1024 && port < 65536);
    assert.equal(await answers('127.0.0.1', port, `${id.slice(0, 12)}\n`), `${id.slice(0, 12)}\n`);
    const addr = hostAddress();
    if (addr) assert.notEqual(await httpGet(addr, port), `${id.slice(0, 12)}\n`);
    env.ok(['rm', '-f', '-t', '0', id]);
  });

  test("-P publishes the image's EXPOSE on free host ports; a container reaches a published port through the gateway", async () => {
    const id = env.ok(['run', '-d', '-P', 'localhost/exposed']).trim();
    const line = env.ok(['port', id]).trim();
    const m = /^8080\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(line);
    assert.ok(m, line);
    const port = Number(m[1]);
    assert.equal(await answers('127.0.0.1', port, `${id.slice(0, 12)}\n`), `${id.slice(0, 12)}\n`);
    const gw = JSON.parse(env.ok(['network', 'inspect', 'podman']))[0].subnets[0].gateway;
    const out = env.ok(['run', '--rm', 'localhost/busybox', 'wget', '-q', '-O', '-', `http://${gw}:${port}/hostname`]);
    assert.equal(out, `${id.slice(0, 12)}\n`);
    env.ok(['rm', '-f', '-t', '0', id]);
  });

  test('bad port specs are refused with 125; without a bridge network -p is dropped with Podman\'s warning', () => {
    for (const spec of ['abc', '70000:80', '80:80/sctp', '1-3:5-6'])
      assert.equal(env.run(['create', '-p', spec, 'localhost/busybox']).code, 125, spec);
    const r = env.run(['create', '--network', 'none', '-p', '8080', 'localhost/busybox']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, 'Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use\n');
    assert.equal(env.ok(['inspect', '--format', '{{json .HostConfig.PortBindings}}', r.stdout.trim()]), '{}\n');
    env.ok(['rm', r.stdout.trim()]);
  });
});
