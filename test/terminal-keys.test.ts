// Detach keys (parsing, and finding them in typed input across chunks) and
// the event journal's Podman formats.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DetachFilter, parseDetachKeys } from '../lib/terminal/detach-keys';
import { goTimeString, parseEventFilters, parseEventTime, podmanEventLine, podmanEventObject, rfc3339Nano } from '../lib/events/query';
import { parseControl, resizeMessage } from '../lib/container/attach-protocol';

test('detach keys parse like Podman', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-_,a')], [0, 27, 31, 97]);
  assert.equal(parseDetachKeys('').length, 0);
  assert.throws(() => parseDetachKeys('ctrl-'), /invalid detach keys/);
  assert.throws(() => parseDetachKeys('ctrl-1'), /invalid detach keys/);
  assert.throws(() => parseDetachKeys('ab'), /invalid detach keys/);
});

test('the detach sequence is found across chunks; a broken sequence is passed on', () => {
  const f = new DetachFilter(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(f.push(Buffer.from('ab\x10')), { pass: Buffer.from('ab'), detach: false });
  assert.deepEqual(f.push(Buffer.from('c')), { pass: Buffer.from('\x10c'), detach: false });
  assert.deepEqual(f.push(Buffer.from('\x10\x10')), { pass: Buffer.from('\x10'), detach: false });
  const r = f.push(Buffer.from('\x11after'));
  assert.equal(r.detach, true);
  assert.equal(r.pass.length, 0);
  const none = new DetachFilter(Buffer.alloc(0));
  assert.deepEqual(none.push(Buffer.from('\x10\x11')), { pass: Buffer.from('\x10\x11'), detach: false });
});

test('resize control lines round-trip', () => {
  assert.equal(resizeMessage(40, 120), '1 40 120\n');
  assert.deepEqual(parseControl('1 40 120'), { rows: 40, cols: 120 });
  assert.equal(parseControl('2 0 0'), undefined);
  assert.equal(parseControl('garbage'), undefined);
});

test('event times and lines in Podman shapes', () => {
  const ns = Date.UTC(2026, 10, 27, 5, 35, 3, 260) * 1e6;
  assert.equal(goTimeString(ns), '2026-11-27 05:35:03.26 +0000 UTC');
  assert.equal(rfc3339Nano(Date.UTC(2026, 0, 1) * 1e6), '2026-01-01T00:00:00Z');
  const ev = { Type: 'container' as const, Status: 'died', ID: 'abc', Name: 'n', Image: 'img', ContainerExitCode: 3, Time: '', TimeNano: ns };
  assert.equal(podmanEventLine(ev), '2026-11-27 05:35:03.26 +0000 UTC container died abc (image=img, name=n)');
  assert.deepEqual(Object.keys(podmanEventObject(ev, false)), ['ContainerExitCode', 'ID', 'Image', 'Name', 'Status', 'Time', 'Type', 'Attributes']);
  assert.deepEqual(Object.keys(podmanEventObject({ ...ev, ContainerExitCode: 0 }, false)), ['ID', 'Image', 'Name', 'Status', 'Time', 'Type', 'Attributes']);
  const now = Date.UTC(2026, 0, 1, 12);
  assert.equal(parseEventTime('1h30m', now), now - 90 * 60_000);
  assert.equal(parseEventTime('1700000000', now), 1_700_000_000_000);
  assert.equal(parseEventTime('2026-01-01T00:00:00Z', now), Date.UTC(2026, 0, 1));
  assert.throws(() => parseEventTime('soon', now), /failed to parse time/);
  assert.deepEqual([...parseEventFilters(['event=start', 'event=died', 'type=container'])], [['event', ['start', 'died']], ['type', ['container']]]);
  assert.throws(() => parseEventFilters(['nokey']), /invalid filter/);
});
