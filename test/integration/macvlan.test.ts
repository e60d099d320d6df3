// macvlan networks: containers get a device of their own on a host interface
// (here one end of a veth pair this file makes, so nothing reaches a real
// LAN), with addresses from the network's subnet; no bridge, no NAT, and the
// parent interface is never touched by network rm. Also the API's create as
// Podman's API test sends it, and the errors for a bad parent, mode or no subnet.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TspodEnv } from '../helpers/tspod-env';
import { ApiService, curlUnix } from '../helpers/api-service';

const env = new TspodEnv('macvlan');
const sock = path.join(env.dir, 'api.sock');
const svc = new ApiService(env, sock);
const SUBNET = '10.251.91.0/24';
// Host link names of this run only (15 characters at most).
const PARENT = `tsmv${process.pid % 100000}a`;
const PEER = `tsmv${process.pid % 100000}b`;

const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
const linkUp = (name: string) => ip('-o', 'link', 'show', name).status === 0;

const curl = (method: string, p: string, body?: string) => curlUnix(sock, method, `http://d${p}`, body);

before(() => {
  env.importTestImages();
  const made = ip('link', 'add', PARENT, 'type', 'veth', 'peer', 'name', PEER);
  assert.equal(made.status, 0, made.stderr);
  ip('link', 'set', PARENT, 'up');
  ip('link', 'set', PEER, 'up');
});

after(async () => {
  await svc.stop();
  env.run(['rm', '-af', '-t', '0']);
  for (const n of ['tmv', 'tmv-api']) env.run(['network', 'rm', '-f', n]);
  ip('link', 'del', PARENT);
  env.cleanup();
});

describe('macvlan networks', () => {
  test('two containers on a macvlan network talk over their own addresses; connect, disconnect and rm leave the parent alone', () => {
    env.ok(['network', 'create', '-d', 'macvlan', '-o', `parent=${PARENT}`, '--subnet', SUBNET, 'tmv']);
    const net = JSON.parse(env.ok(['network', 'inspect', 'tmv']))[0];
    assert.equal(net.driver, 'macvlan');
    assert.equal(net.network_interface, PARENT);
    assert.deepEqual(net.subnets, [{ subnet: SUBNET, gateway: '10.251.91.1' }]);
    assert.equal(net.options, undefined, 'parent is not kept among the options (as Podman)');
    assert.match(env.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']), /^tmv macvlan$/m);

    const srv = env.ok(['run', '-d', '--name', 'mv-srv', '--network', 'tmv', 'localhost/busybox', 'sh', '-c', 'echo hello-lan > /tmp/i; exec httpd -f -p 8080 -h /tmp']).trim();
    const srvIp = env.ok(['inspect', '--format', '{{.NetworkSettings.Networks.tmv.IPAddress}}', srv]).trim();
    assert.equal(srvIp, '10.251.91.2');
    const out = env.ok([
      'run', '--rm', '--network', 'tmv', 'localhost/busybox', 'sh', '-c',
      `ip -o -4 addr show eth0; ip route; for i in $(seq 100); do wget -qO- http://${srvIp}:8080/i && break; sleep 0.05; done`,
    ]);
    assert.match(out, /eth0\s+inet 10\.251\.91\.3\/24/);
    assert.match(out, /^default via 10\.251\.91\.1 dev eth0/m);
    assert.match(out, /^hello-lan$/m);
    // the devices live in the containers' namespaces only: nothing new on the host but the parent's veth pair
    assert.doesNotMatch(ip('-o', 'link').stdout, /\bmv[0-9a-f]{8}\b/);

    // connect and disconnect a running container: eth1 comes and goes
    const c = env.ok(['run', '-d', '--name', 'mv-late', 'localhost/busybox', 'sleep', '1000']).trim();
    env.ok(['network', 'connect', 'tmv', c]);
    assert.match(env.ok(['exec', c, 'ip', '-o', '-4', 'addr']), /eth1\s+inet 10\.251\.91\.\d+\/24/);
    env.ok(['network', 'disconnect', 'tmv', c]);
    assert.doesNotMatch(env.ok(['exec', c, 'ip', '-o', 'link']), /eth1/);

    assert.equal(env.run(['network', 'rm', 'tmv']).code, 2, 'in use');
    env.ok(['rm', '-f', '-t', '0', srv, c]);
    env.ok(['network', 'rm', 'tmv']);
    assert.ok(linkUp(PARENT) && linkUp(PEER), 'the parent interface stays');
  });

  test('bad parent, bad mode, no subnet, unknown driver: Podman-like errors, exit 125, nothing stored', () => {
    const cases: [string[], RegExp][] = [
      [['-d', 'macvlan', '-o', 'parent=tsmv-none0', '--subnet', SUBNET], /parent interface tsmv-none0 does not exist/],
      [['-d', 'macvlan', '-o', 'parent=../../x', '--subnet', SUBNET], /parent interface \.\.\/\.\.\/x does not exist/],
      [['-d', 'macvlan', '-o', `parent=${PARENT}`, '-o', 'mode=weird', '--subnet', SUBNET], /unknown macvlan mode "weird"/],
      [['-d', 'macvlan', '-o', `parent=${PARENT}`, '-o', 'vlan=3', '--subnet', SUBNET], /unsupported macvlan network option vlan/],
      [['-d', 'macvlan', '-o', `parent=${PARENT}`], /macvlan networks need a subnet/],
      [['-d', 'ipvlan', '--subnet', SUBNET], /unsupported driver ipvlan/],
    ];
    for (const [args, why] of cases) {
      const r = env.run(['network', 'create', ...args, 'tmv-bad']);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
    }
    assert.equal(env.run(['network', 'exists', 'tmv-bad']).code, 1);
  });

  test('the libpod API creates, inspects and removes one (as Podman\'s 35-networks does), the Docker API shows the parent', async () => {
    await svc.start();
    try {
      const made = curl('POST', '/v4.3.1/libpod/networks/create', JSON.stringify({ name: 'tmv-api', driver: 'macvlan', network_interface: PARENT, subnets: [{ subnet: SUBNET }] }));
      assert.equal(made.status, 200, made.body);
      assert.equal(JSON.parse(made.body).driver, 'macvlan');
      const docker = curl('GET', '/v1.41/networks/tmv-api');
      assert.equal(docker.status, 200, docker.body);
      assert.equal(JSON.parse(docker.body).Driver, 'macvlan');
      assert.equal(JSON.parse(docker.body).Options.parent, PARENT);
      const rm = curl('DELETE', '/v4.3.1/libpod/networks/tmv-api');
      assert.equal(rm.status, 200, rm.body);
      assert.deepEqual(JSON.parse(rm.body), [{ Name: 'tmv-api' }]);
    } finally {
      await svc.stop();
    }
  });
});
