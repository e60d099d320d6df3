// Reading Kubernetes YAML for kube play: kinds, pod names, warnings, quantities.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readDocuments } from '../lib/kube/objects';
import { parseQuantity } from '../lib/kube/play';
import { dnsLabel } from '../lib/kube/generate';

const template = `  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - {name: c, image: busybox}
`;

test('Pods, Deployments and DaemonSets become pods named as Podman names them', () => {
  const docs = readDocuments(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {tier: front}}
spec:
  replicas: 3
${template}---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
${template}---
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: "1", b: two}
---
apiVersion: v1
kind: Service
metadata: {name: s}
`);
  assert.deepEqual(docs.workloads.map((w) => [w.kind, w.podName]), [['Pod', 'p'], ['Deployment', 'd-pod-0'], ['Deployment', 'd-pod-1'], ['Deployment', 'd-pod-2'], ['DaemonSet', 'ds-pod']]);
  assert.deepEqual(docs.workloads[1].meta.labels, { tier: 'front', app: 'web' });
  assert.deepEqual(docs.configMaps.get('cm'), { a: '1', b: 'two' });
  assert.deepEqual(docs.warnings, []);
  assert.throws(() => readDocuments(`kind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 1000\n${template}`), /replicas must be an integer from 0 to 64/);
});

test('unknown kinds are named in a warning; broken documents are errors', () => {
  assert.match(readDocuments('kind: Pod\nmetadata: {name: p}\n---\nkind: Ingress\n').warnings[0], /kind "Ingress" \(document 2\) is not supported/);
  assert.throws(() => readDocuments('- a\n- b\n'), /document 1 is not a mapping/);
  assert.throws(() => readDocuments(''), /no documents/);
  assert.throws(() => readDocuments('kind: Deployment\nmetadata: {name: d}\nspec: {template: 3}\n'), /spec.template must be a mapping/);
  assert.throws(() => readDocuments('kind: Pod\nmetadata: {name: p}\n', ['kind: Pod\n']), /--configmap/);
});

test('quantities and names', () => {
  assert.equal(parseQuantity('128Mi', 'x'), 128 * 1024 * 1024);
  assert.equal(parseQuantity('500m', 'x'), 0.5);
  assert.equal(parseQuantity(2, 'x'), 2);
  assert.throws(() => parseQuantity('lots', 'x'), /invalid quantity/);
  assert.equal(dnsLabel('Test_Pod'), 'testpod');
  assert.equal(dnsLabel('___'), 'ctr');
  assert.equal(dnsLabel('a'.repeat(80)).length, 63);
});
