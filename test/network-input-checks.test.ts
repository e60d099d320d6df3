// Fast logic of the input checks: the values that reach /etc/hosts,
// resolv.conf and iptables-restore, libpod port mappings under -p's rules,
// image layer digests, and the API's Origin rule.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkDnsOption, checkDnsSearch, checkDnsServer, checkExtraHost, checkHostName, checkNetworkValues } from '../lib/network/input-checks';
import { MAX_PUBLISHED_PORTS, checkPublishedPorts, parsePortMappingSpec, parsePublish } from '../lib/network/ports';
import { checkDiffIds } from '../lib/image/digests';
import { checkOrigin } from '../api/router';
import { EngineError } from '../lib/errors';

const refused = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof EngineError && e.kind === 'invalid-argument');

describe('names and resolver values', () => {
  test('host names and aliases: letters, digits, - _ .; no whitespace or control characters', () => {
    for (const ok of ['web', 'web_1', 'my-host.example.com', 'A1', 'project-web-1']) assert.equal(checkHostName(ok, 'alias'), ok);
    for (const bad of ['', 'a b', 'a\nb', 'a\tb', 'a\rb', '-web', '.web', 'x'.repeat(254), 'a\u0000b', 'caf\u00e9', 'a#b']) refused(() => checkHostName(bad, 'alias'));
  });

  test('DNS servers, search domains, options and extra hosts', () => {
    assert.equal(checkDnsServer('192.0.2.1'), '192.0.2.1');
    assert.equal(checkDnsServer('2001:db8::1'), '2001:db8::1');
    for (const bad of ['1.1.1.1\n', ' 1.1.1.1', '1.1.1.1 2.2.2.2', 'example.com', '999.1.1.1']) refused(() => checkDnsServer(bad));
    assert.equal(checkDnsSearch('.'), '.');
    refused(() => checkDnsSearch('a\nnameserver 6.6.6.6'));
    for (const ok of ['ndots:2', 'rotate', 'use-vc', 'timeout:1']) assert.equal(checkDnsOption(ok), ok);
    for (const bad of ['ndots:1\nnameserver x', 'a b', '']) refused(() => checkDnsOption(bad));
    assert.equal(checkExtraHost('db:10.0.0.1'), 'db:10.0.0.1');
    for (const bad of ['db', ':10.0.0.1', 'a b:10.0.0.1', 'db:10.0.0.1\n', 'db:10.0.0.1 evil', 'x\ny:1.2.3.4']) refused(() => checkExtraHost(bad));
  });

  test('a whole network config: one bad value anywhere refuses it', () => {
    checkNetworkValues({ hostname: 'h', networks: { n: { aliases: ['a'], ip: '10.0.0.2' } }, dns: ['1.1.1.1'], dnsSearch: ['x.y'], dnsOptions: ['ndots:1'], addHosts: ['h:1.2.3.4'] });
    refused(() => checkNetworkValues({ networks: { n: { aliases: [], ip: '10.0.0.2\n' } } }));
    refused(() => checkNetworkValues({ ports: [{ hostIp: '127.0.0.1\n', hostPort: 1, containerPort: 1, protocol: 'tcp' }] }));
  });
});

describe('port mappings', () => {
  test('-p: strict host address, bounded ranges', () => {
    refused(() => parsePublish('127.0.0.1\n:80:80'));
    refused(() => parsePublish(' 127.0.0.1:80:80'));
    refused(() => parsePublish(`1-${MAX_PUBLISHED_PORTS + 1}`));
    assert.equal(parsePublish('0.0.0.0:8080:80')[0].hostIp, '');
    assert.equal(parsePublish('1000-1002:2000-2002/udp').length, 3);
  });

  test('libpod portmappings: same rules, ranges within 1-65535', () => {
    assert.deepEqual(parsePortMappingSpec({ container_port: 80, host_port: 8080, host_ip: '127.0.0.1', range: 2, protocol: 'tcp,udp' }), [
      { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 8081, containerPort: 81, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' },
      { hostIp: '127.0.0.1', hostPort: 8081, containerPort: 81, protocol: 'udp' },
    ]);
    assert.deepEqual(parsePortMappingSpec({ container_port: 80 }), [{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
    for (const bad of [
      { container_port: 80, host_ip: '127.0.0.1\n-A INPUT -j ACCEPT' },
      { container_port: 80, host_ip: 5 },
      { container_port: 0 },
      { container_port: '80' },
      { container_port: 80, host_port: 65536 },
      { container_port: 80, range: -1 },
      { container_port: 80, range: MAX_PUBLISHED_PORTS + 1 },
      { container_port: 65535, range: 2 },
      { container_port: 80, host_port: 65535, range: 2 },
      { container_port: 80, protocol: 'sctp' },
    ])
      refused(() => parsePortMappingSpec(bad));
    refused(() => checkPublishedPorts(Array.from({ length: MAX_PUBLISHED_PORTS + 1 }, () => ({ hostIp: '', hostPort: 0, containerPort: 1, protocol: 'tcp' as const }))));
  });
});

test('layer digests: sha256 and 64 lowercase hex digits only', () => {
  const good = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(checkDiffIds([good], 'config'), [good]);
  for (const bad of ['sha256:../../x', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, 'a'.repeat(64), 5, `sha256:${'a'.repeat(64)}\n`])
    refused(() => checkDiffIds([bad], 'config'));
  refused(() => checkDiffIds('nope', 'config'));
});

test('Origin: state-changing requests only from origins --cors allows', () => {
  checkOrigin(undefined, 'POST', undefined);
  checkOrigin(undefined, 'GET', 'http://evil.example');
  checkOrigin('http://app.example', 'POST', 'http://app.example');
  checkOrigin('*', 'DELETE', 'http://any.example');
  for (const [cors, method] of [[undefined, 'POST'], ['http://app.example', 'POST'], [undefined, 'DELETE'], [undefined, 'PUT']] as const)
    assert.throws(() => checkOrigin(cors, method, 'http://evil.example'), (e: unknown) => (e as { status?: number }).status === 403);
});
