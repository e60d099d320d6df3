// Bridge networks with the CLI: the default network, user networks with name,
// alias and short-id resolution through /etc/hosts (rewritten in place when
// peers come and go), TCP between containers, --network none|host|container:,
// --ip/--add-host/--dns, the `network` commands with Podman's outputs and exit
// codes, and the cleanup: no bridge, veth or iptables rule left behind.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('network');
// Subnets of this file only (other files use others), so parallel files never collide.
const NET_A = 'tnet-a';
const SUBNET_A = '10.251.61.0/24';
const NET_B = 'tnet-b';
const SUBNET_B = '10.251.62.0/24';

const bridges = new Set<string>();
const ids = new Set<string>();

function runD(args: string[]): string {
  const id = env.ok(['run', '-d', ...args]).trim();
  ids.add(id);
  return id;
}

function networks(id: string): Record<string, { IPAddress: string; Gateway: string; MacAddress: string; Aliases: string[] }> {
  return JSON.parse(env.ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id]));
}

/** Shell that waits (bounded) until a busybox httpd answers on host:8080. */
const waitHttp = (host: string) => `for i in $(seq 100); do wget -q -O /dev/null http://${host}:8080/hostname && break; sleep 0.05; done`;
const iptablesRules = () => spawnSync('iptables-save', [], { encoding: 'utf8' }).stdout;
const hostLinks = () => spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
const natRulesOf = (id: string) => iptablesRules().split('\n').filter((l) => l.includes(id.slice(0, 16))).join('\n');
const vethsOn = (bridge: string) => hostLinks().split('\n').filter((l) => l.includes(`master ${bridge} `));

before(() => {
  env.importTestImages();
  env.ok(['network', 'create', '--subnet', SUBNET_A, '--label', 'suite=network', NET_A]);
  env.ok(['network', 'create', '--subnet', SUBNET_B, NET_B]);
  for (const n of [NET_A, NET_B]) bridges.add(env.ok(['network', 'inspect', '--format', '{{.NetworkInterface}}', n]).trim());
});

after(() => {
  env.run(['rm', '-af', '-t', '0']);
  for (const n of [NET_A, NET_B, 'tnet-prune', 'tnet-c', 'tnet-int', 'tnet-auto', 'tnet-gc']) env.run(['network', 'rm', '-f', n]);
  env.cleanup();
});

describe('bridge networks', () => {
  test('the default network gives eth0 an address in its subnet, a default route via the host, and a usable resolv.conf', () => {
    const inspect = JSON.parse(env.ok(['network', 'inspect', 'podman']))[0];
    assert.equal(inspect.name, 'podman');
    assert.equal(inspect.driver, 'bridge');
    const { subnet, gateway } = inspect.subnets[0];
    const out = env.ok(['run', '--rm', 'localhost/busybox', 'sh', '-c', 'ip -4 -o addr show eth0; ip route; cat /etc/resolv.conf']);
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(out);
    assert.ok(ip, out);
    assert.equal(subnet.split('.').slice(0, 3).join('.'), ip[1].split('.').slice(0, 3).join('.'), out);
    assert.match(out, new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
    assert.doesNotMatch(out, /nameserver 127\./);
    assert.match(out, /nameserver /);
  });

  test('containers on a network reach each other by name, alias and short id over TCP', () => {
    const web = runD(['--name', 'web', '--network', NET_A, '--network-alias', 'webalias', 'localhost/busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    const script = `${waitHttp('web')}; for h in web webalias ${web.slice(0, 12)}; do wget -q -O - http://$h:8080/hostname || echo FAIL $h; done`;
    const out = env.ok(['run', '--rm', '--network', NET_A, 'localhost/busybox', 'sh', '-c', script]);
    assert.equal(out, `${web.slice(0, 12)}\n`.repeat(3));
    const nets = networks(web);
    assert.match(nets[NET_A].IPAddress, /^10\.251\.61\.\d+$/);
    assert.equal(nets[NET_A].Gateway, '10.251.61.1');
    assert.deepEqual(nets[NET_A].Aliases, ['webalias', web.slice(0, 12)]);
  });

  test('concurrent runs on one network get distinct addresses', async () => {
    const outs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<string>((resolve) => {
            const child = env.spawn(['run', '--rm', '--network', NET_B, 'localhost/busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { stdio: ['ignore', 'pipe', 'inherit'] });
            let text = '';
            child.stdout?.on('data', (d) => (text += d));
            child.on('close', () => resolve(text));
          }),
      ),
    );
    const ips = outs.map((o) => /inet (10\.251\.62\.\d+)\//.exec(o)?.[1]);
    assert.ok(ips.every(Boolean), outs.join('|'));
    assert.equal(new Set(ips).size, 4, ips.join(' '));
  });

  test("a running peer's /etc/hosts is rewritten in place when a container joins and leaves", async () => {
    const a = runD(['--name', 'hosts-a', '--network', NET_B, 'localhost/busybox', 'sleep', '300']);
    const inode = () => env.ok(['exec', a, 'stat', '-c', '%i', '/etc/hosts']).trim();
    const before1 = inode();
    assert.doesNotMatch(env.ok(['exec', a, 'cat', '/etc/hosts']), /hosts-b/);
    const b = runD(['--name', 'hosts-b', '--network', NET_B, 'localhost/busybox', 'httpd', '-f', '-p', '8080', '-h', '/etc']);
    const bIp = networks(b)[NET_B].IPAddress;
    assert.match(env.ok(['exec', a, 'cat', '/etc/hosts']), new RegExp(`^${bIp.replace(/\./g, '\\.')}\\s.*\\bhosts-b\\b`, 'm'));
    assert.equal(env.ok(['exec', a, 'sh', '-c', `${waitHttp('hosts-b')}; wget -q -O - http://hosts-b:8080/hostname`]), `${b.slice(0, 12)}\n`);
    env.ok(['stop', '-t', '0', b]);
    await until(() => !env.ok(['exec', a, 'cat', '/etc/hosts']).includes('hosts-b'), 5000);
    assert.equal(inode(), before1, 'same inode: the bind mount still shows the file');
  });

  test('--network none has only loopback, host sees the host links, container: shares the other netns', () => {
    const none = env.ok(['run', '--rm', '--network', 'none', 'localhost/busybox', 'ip', '-o', 'link']);
    assert.deepEqual(none.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
    const host = env.ok(['run', '--rm', '--network', 'host', 'localhost/busybox', 'ip', '-o', 'link']);
    // A stable host link (not one of the veths and bridges tests come and go with) is seen inside.
    const stable = fs.readdirSync('/sys/class/net').find((n) => n !== 'lo' && !/^(veth|tspod|podman)/.test(n));
    if (stable) assert.match(host, new RegExp(`: ${stable}[:@]`), host);
    const owner = runD(['--name', 'ns-owner', '--network', NET_A, 'localhost/busybox', 'sleep', '300']);
    const ip = networks(owner)[NET_A].IPAddress;
    const shared = env.ok(['run', '--rm', '--network', `container:ns-owner`, 'localhost/busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.match(shared, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    const joined = env.run(['run', '--rm', '--network', 'container:nosuch', 'localhost/busybox', 'true']);
    assert.equal(joined.code, 125);
  });

  test('--ip, --add-host, --dns, --dns-search, --dns-option and --hostname', () => {
    const out = env.ok([
      'run', '--rm', '--network', NET_A, '--ip', '10.251.61.77', '--add-host', 'extra.example:192.0.2.99', '--dns', '192.0.2.53',
      '--dns-search', 'example.test', '--dns-option', 'ndots:2', '--hostname', 'myhost', 'localhost/busybox',
      'sh', '-c', 'ip -4 -o addr show eth0; cat /etc/hosts /etc/resolv.conf; hostname',
    ]);
    assert.match(out, /inet 10\.251\.61\.77\/24/);
    assert.match(out, /^192\.0\.2\.99\textra\.example$/m);
    assert.match(out, /^10\.251\.61\.77\tmyhost\b/m);
    assert.match(out, /^nameserver 192\.0\.2\.53$/m);
    assert.match(out, /^search example\.test$/m);
    assert.match(out, /^options ndots:2$/m);
    assert.match(out, /^myhost$/m);
    const taken = runD(['--network', NET_A, '--ip', '10.251.61.78', 'localhost/busybox', 'sleep', '300']);
    assert.ok(taken);
    const clash = env.run(['run', '--rm', '--network', NET_A, '--ip', '10.251.61.78', 'localhost/busybox', 'true']);
    assert.equal(clash.code, 125);
    assert.match(clash.stderr, /already allocated/);
    assert.equal(env.run(['run', '--rm', '--network', NET_A, '--ip', 'nonsense', 'localhost/busybox', 'true']).code, 125);
    assert.equal(env.run(['run', '--rm', '--add-host', 'bad', 'localhost/busybox', 'true']).code, 125);
  });

  test('--dns-opt (Podman\'s other name of --dns-option) and --mac-address', () => {
    assert.match(env.ok(['run', '--rm', '--dns-opt', 'timeout:3', 'localhost/busybox', 'cat', '/etc/resolv.conf']), /^options timeout:3$/m);
    const out = env.ok(['run', '--rm', '--network', NET_A, '--mac-address', '0A:01:73:78:43:18', 'localhost/busybox', 'cat', '/sys/class/net/eth0/address']);
    assert.equal(out, '0a:01:73:78:43:18\n');
    const id = runD(['--network', NET_A, '--mac-address', '0a:01:73:78:43:19', 'localhost/busybox', 'sleep', '300']);
    assert.equal(networks(id)[NET_A].MacAddress, '0a:01:73:78:43:19');
    for (const bad of ['01:00:5e:00:00:01', 'zz:00:00:00:00:00', '0a:01:73'])
      assert.equal(env.run(['run', '--rm', '--mac-address', bad, 'localhost/busybox', 'true']).code, 125, bad);
  });

  test('network connect and disconnect on a running container add and remove eth1 and its names', () => {
    const c = runD(['--name', 'multi', '--network', NET_A, 'localhost/busybox', 'sleep', '300']);
    const peer = runD(['--name', 'peer-b', '--network', NET_B, 'localhost/busybox', 'sleep', '300']);
    env.ok(['network', 'connect', '--alias', 'multi-b', NET_B, 'multi']);
    const links = env.ok(['exec', c, 'ip', '-4', '-o', 'addr']);
    assert.match(links, /eth1\s+inet 10\.251\.62\.\d+\/24/);
    assert.match(env.ok(['exec', peer, 'cat', '/etc/hosts']), /\bmulti-b\b/);
    assert.equal(env.run(['network', 'connect', NET_B, 'multi']).code, 125);
    env.ok(['network', 'disconnect', NET_B, 'multi']);
    assert.doesNotMatch(env.ok(['exec', c, 'ip', '-o', 'link']), /eth1/);
    assert.doesNotMatch(env.ok(['exec', peer, 'cat', '/etc/hosts']), /\bmulti-b\b/);
    assert.deepEqual(Object.keys(networks(c)), [NET_A]);
    assert.equal(env.run(['network', 'disconnect', NET_B, 'multi']).code, 125);
  });
});

describe('network commands', () => {
  test('create, ls, inspect and exists in Podman formats', () => {
    const dup = env.run(['network', 'create', NET_A]);
    assert.equal(dup.code, 125);
    assert.equal(dup.stderr, `Error: network name ${NET_A} already used: network already exists\n`);
    const overlap = env.run(['network', 'create', '--subnet', SUBNET_A, 'tnet-c']);
    assert.equal(overlap.code, 125);
    assert.match(overlap.stderr, /subnet 10\.251\.61\.0\/24 is already used on the host or by another config/);
    const table = env.ok(['network', 'ls']);
    assert.match(table.split('\n')[0], /^NETWORK ID\s+NAME\s+DRIVER$/);
    assert.match(table, new RegExp(`^[0-9a-f]{12}\\s+${NET_A}\\s+bridge$`, 'm'));
    assert.match(table, /^2f259bab93aa\s+podman\s+bridge$/m);
    assert.deepEqual(env.ok(['network', 'ls', '-q', '--filter', 'label=suite=network']).split('\n').filter(Boolean), [NET_A]);
    assert.equal(env.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}', '--filter', `name=^${NET_B}$`]), `${NET_B} bridge\n`);
    const [net] = JSON.parse(env.ok(['network', 'inspect', NET_A]));
    assert.deepEqual(net.subnets, [{ subnet: SUBNET_A, gateway: '10.251.61.1' }]);
    assert.equal(net.labels.suite, 'network');
    assert.equal(net.ipam_options.driver, 'host-local');
    assert.match(net.id, /^[0-9a-f]{64}$/);
    const missing = env.run(['network', 'inspect', 'nosuch']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stdout, '[]\n');
    assert.match(missing.stderr, /unable to find network with name or ID nosuch: network not found/);
    assert.equal(env.run(['network', 'exists', NET_A]).code, 0);
    assert.equal(env.run(['network', 'exists', 'nosuch']).code, 1);
    const bad = env.run(['run', '--rm', '--network', 'nosuch', 'localhost/busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /unable to find network with name or ID nosuch: network not found/);
  });

  test('--internal networks give no default route; networks without --subnet get a free /24', () => {
    env.ok(['network', 'create', '--internal', '--subnet', '10.251.64.0/24', 'tnet-int']);
    const out = env.ok(['run', '--rm', '--network', 'tnet-int', 'localhost/busybox', 'ip', 'route']);
    assert.doesNotMatch(out, /default/);
    assert.match(out, /10\.251\.64\.0\/24 dev eth0/);
    assert.equal(JSON.parse(env.ok(['network', 'inspect', 'tnet-int']))[0].internal, true);
    env.ok(['network', 'create', 'tnet-auto']);
    const [auto] = JSON.parse(env.ok(['network', 'inspect', 'tnet-auto']));
    assert.match(auto.subnets[0].subnet, /^\d+\.\d+\.\d+\.0\/24$/);
    assert.match(auto.network_interface, /^tspod\d+$/);
    env.ok(['network', 'rm', 'tnet-int', 'tnet-auto']);
  });

  test('rm: missing is 1, in use is 2, -f removes the containers; prune keeps the default network', () => {
    const rmMissing = env.run(['network', 'rm', 'nosuch']);
    assert.equal(rmMissing.code, 1);
    assert.equal(rmMissing.stderr, 'Error: unable to find network with name or ID nosuch: network not found\n');
    // --force: a missing network is nothing to do (Podman: no output, exit 0)
    const forced = env.run(['network', 'rm', '--force', 'nosuch']);
    assert.deepEqual([forced.code, forced.stdout, forced.stderr], [0, '', '']);
    env.ok(['network', 'create', '--subnet', '10.251.63.0/24', 'tnet-c']);
    const user = runD(['--network', 'tnet-c', 'localhost/busybox', 'sleep', '300']);
    const inUse = env.run(['network', 'rm', 'tnet-c']);
    assert.equal(inUse.code, 2);
    assert.match(inUse.stderr, /network is being used/);
    assert.equal(env.ok(['network', 'rm', '-f', '-t', '0', 'tnet-c']), 'tnet-c\n');
    assert.equal(env.run(['container', 'exists', user]).code, 1);
    const def = env.run(['network', 'rm', 'podman']);
    assert.equal(def.code, 125);
    env.ok(['network', 'create', 'tnet-prune']);
    const pruned = env.ok(['network', 'prune', '-f']);
    assert.match(pruned, /^tnet-prune$/m);
    assert.doesNotMatch(pruned, /podman/);
    assert.equal(env.run(['network', 'exists', 'podman']).code, 0);
  });

  test("a store deleted under a running container: its bridge and port rules go at the next network creation", async () => {
    const lost = new TspodEnv('network-lost');
    try {
      lost.importTestImages();
      const id = lost.ok(['run', '-d', '-p', '127.0.0.1::8080', 'localhost/busybox', 'sleep', '300']).trim();
      const bridge = lost.ok(['network', 'inspect', '--format', '{{.NetworkInterface}}', 'podman']).trim();
      assert.match(natRulesOf(id), /DNAT/);
      // What a test cleanup that only kills processes and deletes files leaves.
      const st = JSON.parse(lost.ok(['inspect', '--format', '{{json .State}}', id]));
      for (const pid of [st.Pid, st.ConmonPid]) process.kill(pid, 'SIGKILL');
      await until(() => vethsOn(bridge).length === 0, 5000);
      fs.rmSync(path.join(lost.root, 'db.json')); // so the cleanup's `rm -af` finds nothing to remove properly
      lost.cleanup();
      env.ok(['network', 'create', 'tnet-gc']);
      env.ok(['network', 'rm', 'tnet-gc']);
      assert.doesNotMatch(hostLinks(), new RegExp(`: ${bridge}:`));
      assert.doesNotMatch(natRulesOf(id), /DNAT/);
    } finally {
      lost.cleanup();
    }
  });

  test('stopping and removing containers leaves no veth, bridge or iptables rule behind', async () => {
    const c = runD(['--network', NET_B, '-p', '127.0.0.1:0:8080', 'localhost/busybox', 'sleep', '300']);
    assert.ok(hostLinks().match(new RegExp(`master ${[...bridges][1]}\\b`)), 'a veth on the bridge while it runs');
    env.run(['rm', '-af', '-t', '0']);
    ids.clear();
    const links = hostLinks();
    for (const b of bridges) assert.doesNotMatch(links, new RegExp(`: ${b}[:@]`), `bridge ${b} removed with its last container`);
    const rules = iptablesRules();
    assert.doesNotMatch(rules, /10\.251\.6[1234]\./, 'no NAT/forward rule for the test subnets');
    assert.doesNotMatch(rules, new RegExp(c.slice(0, 16)), 'no port rule for the container');
    for (const b of bridges) assert.doesNotMatch(rules, new RegExp(`TSPOD-[NF]-${b}\\b`));
    await until(() => [...bridges].every((b) => vethsOn(b).length === 0), 5000);
  });
});
