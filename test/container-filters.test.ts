// The one container filter module (ps --filter, Docker and libpod lists) and
// the volume filters, with Docker's rule that label values must all match.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { filterContainers, filterFlags, matchLabels } from '../lib/container/filters';
import { filterVolumes } from '../lib/volume/inspect';
import type { ContainerRecord, Database, VolumeRecord } from '../lib/storage/records';

function ctr(id: string, name: string, status: ContainerRecord['state']['status'], labels: Record<string, string>, created: string, extra: Partial<ContainerRecord['config']> = {}): ContainerRecord {
  return {
    id,
    name,
    created,
    imageId: `${id}ffff`,
    imageName: 'localhost/busybox:latest',
    config: { image: 'localhost/busybox', labels, mounts: [], restartPolicy: '', network: 'private', ...extra } as unknown as ContainerRecord['config'],
    state: { status, pid: 0, conmonPid: 0, exitCode: status === 'exited' ? 3 : 0, startedAt: '', finishedAt: '', error: '', restartCount: 0, mounted: false },
  };
}

const P = 'com.docker.compose.project';
const recs = [
  ctr('aaa111', 'demo_web_1', 'running', { [P]: 'demo', 'com.docker.compose.oneoff': 'False', 'com.docker.compose.service': 'web' }, '2026-01-01T00:00:01Z', {
    mounts: [{ type: 'volume', source: 'demo_site', destination: '/www', rw: true, options: [] }],
  }),
  ctr('bbb222', 'demo_run_1', 'exited', { [P]: 'demo', 'com.docker.compose.oneoff': 'True' }, '2026-01-01T00:00:02Z'),
  ctr('ccc333', 'other', 'created', { [P]: 'other' }, '2026-01-01T00:00:03Z', { restartPolicy: 'always' }),
];
const names = (l: ContainerRecord[]) => l.map((c) => c.name);
const f = (o: Record<string, string[]>) => new Map(Object.entries(o));

test('label values must all match (compose: project AND oneoff)', () => {
  assert.deepEqual(names(filterContainers(recs, f({ label: [`${P}=demo`, 'com.docker.compose.oneoff=False'] }))), ['demo_web_1']);
  assert.deepEqual(names(filterContainers(recs, f({ label: [P] }))), ['demo_web_1', 'demo_run_1', 'other']);
  assert.deepEqual(names(filterContainers(recs, f({ label: ['nosuch'] }))), []);
  assert.equal(matchLabels({ a: '' }, ['a=']), true);
  assert.equal(matchLabels({ a: 'x=y' }, ['a=x=y']), true);
});

test('other keys: values are alternatives, keys all apply', () => {
  assert.deepEqual(names(filterContainers(recs, f({ status: ['created', 'exited'] }))), ['demo_run_1', 'other']);
  assert.deepEqual(names(filterContainers(recs, f({ status: ['exited'], label: [`${P}=demo`] }))), ['demo_run_1']);
  assert.deepEqual(names(filterContainers(recs, f({ name: ['^demo_'] }))), ['demo_web_1', 'demo_run_1']);
  assert.deepEqual(names(filterContainers(recs, f({ name: ['/other'] }))), ['other']);
  assert.deepEqual(names(filterContainers(recs, f({ id: ['bbb', 'ccc'] }))), ['demo_run_1', 'other']);
  assert.deepEqual(names(filterContainers(recs, f({ exited: ['3'] }))), ['demo_run_1']);
  assert.deepEqual(names(filterContainers(recs, f({ volume: ['demo_site'] }))), ['demo_web_1']);
  assert.deepEqual(names(filterContainers(recs, f({ ancestor: ['localhost/busybox'] }))).length, 3);
  assert.deepEqual(names(filterContainers(recs, f({ before: ['other'] }))), ['demo_web_1', 'demo_run_1']);
  assert.deepEqual(names(filterContainers(recs, f({ since: ['demo_web_1'] }))), ['demo_run_1', 'other']);
  assert.deepEqual(names(filterContainers(recs, f({ 'restart-policy': ['always'] }))), ['other']);
});

test('bad keys and values are invalid arguments', () => {
  assert.throws(() => filterContainers(recs, f({ nosuch: ['x'] })), /nosuch is an invalid filter/);
  assert.throws(() => filterContainers(recs, f({ status: ['sleeping'] })), /invalid argument "sleeping" for status filter/);
});

test('--filter flags collect repeated keys', () => {
  assert.deepEqual([...filterFlags(['label=a=b', 'label=c', 'status=running'])], [
    ['label', ['a=b', 'c']],
    ['status', ['running']],
  ]);
});

test('volume filters: name, label, dangling', () => {
  const vol = (name: string, labels: Record<string, string>): VolumeRecord => ({ name, driver: 'local', labels, options: {}, created: '', anonymous: false, needsCopyUp: true });
  const vols = [vol('demo_site', { [P]: 'demo' }), vol('loose', {})];
  const db = { version: 1, containers: Object.fromEntries(recs.map((c) => [c.id, c])), images: {}, volumes: {} } as Database;
  const vnames = (m: Record<string, string[]>) => filterVolumes(db, vols, f(m)).map((v) => v.name);
  assert.deepEqual(vnames({ label: [`${P}=demo`] }), ['demo_site']);
  assert.deepEqual(vnames({ dangling: ['true'] }), ['loose']);
  assert.deepEqual(vnames({ dangling: ['false'] }), ['demo_site']);
  assert.deepEqual(vnames({ name: ['demo'] }), ['demo_site']);
  assert.throws(() => vnames({ bogus: ['1'] }), /invalid filter/);
});
