// The YAML writer behind `info`: yaml.v2's layout and quoting.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { toYaml } from '../lib/format/yaml';
import { infoTemplateView } from '../lib/system/info';

test('maps, nested maps, lists at their key indent, empty values', () => {
  const doc = { host: { arch: 'amd64', cpus: 2, distribution: { version: '12' } }, plugins: { log: ['k8s-file', 'none'] }, empty: {}, none: [], nil: null };
  assert.equal(
    toYaml(doc),
    'host:\n  arch: amd64\n  cpus: 2\n  distribution:\n    version: "12"\nplugins:\n  log:\n  - k8s-file\n  - none\nempty: {}\nnone: []\nnil: null\n',
  );
});

test('strings that would read as other types or break the syntax are quoted', () => {
  assert.equal(toYaml({ a: '', b: 'true', c: '1.5', d: 'x: y', e: 'plain text', f: '-dash', g: 'a\nb' }), 'a: ""\nb: "true"\nc: "1.5"\nd: "x: y"\ne: plain text\nf: "-dash"\ng: "a\\nb"\n');
});

test('lists of maps', () => {
  assert.equal(toYaml({ l: [{ a: 1, b: 2 }] }), 'l:\n- a: 1\n  b: 2\n');
});

test("info's template view uses Podman's Go field names and keeps map keys", () => {
  const view = infoTemplateView({ host: { cpus: 2, ociRuntime: { name: 'runc' }, cgroupVersion: 'v1' }, registries: { search: ['x'] }, store: { graphStatus: { 'Supports d_type': 'true' } } });
  assert.deepEqual(view, { Host: { CPUs: 2, OCIRuntime: { Name: 'runc' }, CgroupsVersion: 'v1' }, Registries: { search: ['x'] }, Store: { GraphStatus: { 'Supports d_type': 'true' } } });
});
