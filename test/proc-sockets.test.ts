// The /proc socket table parsers: addresses, states, and what malformed lines become.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { decodeInetAddress, parseInetTable, parseUnixTable } from '../lib/system/proc-sockets';

test('inet addresses decode as ss shows them', () => {
  assert.equal(decodeInetAddress('0100007F:1F90', false), '127.0.0.1:8080');
  assert.equal(decodeInetAddress('00000000:0000', false), '0.0.0.0:0');
  assert.equal(decodeInetAddress('00000000000000000000000001000000:0050', true), '[::1]:80');
  assert.equal(decodeInetAddress('0000000000000000FFFF00000100007F:0016', true), '[::ffff:7f00:1]:22');
  assert.equal(decodeInetAddress('zz:1', false), undefined);
  assert.equal(decodeInetAddress('0100007F:1F90', true), undefined);
});

test('tcp and udp tables: state names, unconnected remotes empty, bad lines skipped', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 20 4 30 10 -1',
    '   2: garbage',
    '   3: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1',
  ].join('\n');
  assert.deepEqual(parseInetTable(tcp, 'tcp'), [
    { proto: 'tcp', local: '127.0.0.1:8080', remote: '', state: 'LISTEN', inode: 4242 },
    { proto: 'tcp', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', state: 'ESTABLISHED', inode: 4243 },
  ]);
  const udp = 'header\n  5: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 77 2 0000000000000000 0\n';
  assert.deepEqual(parseInetTable(udp, 'udp6'), [{ proto: 'udp6', local: '[::1]:53', remote: '', state: 'UNCONN', inode: 77 }]);
});

test('unix table: listening by SO_ACCEPTCON, paths kept, no path empty', () => {
  const unix = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    '0000000000000000: 00000002 00000000 00010000 0001 01 9001 /run/a.sock',
    '0000000000000000: 00000003 00000000 00000000 0001 03 9002',
    '0000000000000000: 00000002 00000000 00000000 0002 01 9003 @abstract name',
    'nonsense',
  ].join('\n');
  assert.deepEqual(parseUnixTable(unix), [
    { proto: 'unix', local: '/run/a.sock', remote: '', state: 'LISTEN', inode: 9001 },
    { proto: 'unix', local: '', remote: '', state: 'CONNECTED', inode: 9002 },
    { proto: 'unix', local: '@abstract name', remote: '', state: 'UNCONNECTED', inode: 9003 },
  ]);
});
