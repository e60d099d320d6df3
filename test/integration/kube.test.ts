// Kubernetes YAML with real pods: a pod round-trips through `kube generate`
// (checked against the Kubernetes schemas with kubernetes-models) -> `pod rm`
// -> `kube play` and works again (its containers talk over 127.0.0.1, its
// port answers from the host) -> `kube down` leaves nothing behind; a
// Deployment written as the Kubernetes documentation writes them plays; bad
// input is refused before anything is made; the same through the libpod API.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Pod, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parseAllDocuments } from 'yaml';
import { TspodEnv, cleanEnv, sleep, until } from '../helpers/tspod-env';
import { answers } from '../helpers/http-probe';
import { native } from '../../lib/native';
import { ApiService } from '../helpers/api-service';

const env = new TspodEnv('kube');
const sock = path.join(env.dir, 'api.sock');
const service = new ApiService(env, sock);
before(async () => {
  env.importTestImages();
  await service.start();
});
after(async () => {
  await service.stop();
  env.run(['pod', 'rm', '-af', '-t', '0'], { timeout: 30_000 });
  env.cleanup();
});

/** A free TCP port on 127.0.0.1, from this branch's range (41400-41499). */
async function freePort(): Promise<number> {
  for (let p = 41400 + Math.floor(Math.random() * 50), n = 0; n < 100; n++, p = 41400 + ((p - 41400 + 1) % 100)) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '0.0.0.0', () => s.close(() => resolve(true)));
    });
    if (free) return p;
  }
  throw new Error('no free port in 41400-41499');
}

/** Every document of a generated file, validated against the Kubernetes schema of its kind. */
function validateAll(text: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(text).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Record<string, unknown>;
  });
  for (const d of docs) {
    const model = d.kind === 'Pod' ? new Pod(d as never) : d.kind === 'Service' ? new Service(d as never) : d.kind === 'Deployment' ? new Deployment(d as never) : undefined;
    assert.ok(model, `unexpected kind ${String(d.kind)}`);
    model.validate(); // throws with the schema's complaint
  }
  return docs;
}

const natRules = () => spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;
const SERVE = 'echo pod-says-hi > /tmp/hi; exec httpd -f -p 8080 -h /tmp';

describe('kube generate -> play -> down', () => {
  test('a pod round-trips: generated YAML validates, plays back, its containers talk over 127.0.0.1, down leaves nothing', async () => {
    const port = await freePort();
    env.ok(['pod', 'create', '--name', 'kt', '-p', `${port}:8080`]);
    env.ok(['create', '--pod', 'kt', '--name', 'kt-srv', '-e', 'GREETING=hi there', '-v', 'ktvol:/data', 'localhost/busybox', 'sh', '-c', SERVE]);
    env.ok(['create', '--pod', 'kt', '--name', 'kt-cli', 'localhost/busybox', 'sleep', '1000']);
    const yaml = env.ok(['kube', 'generate', '-s', 'kt']);
    assert.match(yaml, /^# Save the output of this file and use kubectl create -f to import/);
    const docs = validateAll(yaml);
    assert.deepEqual(docs.map((d) => d.kind), ['Service', 'Pod']);
    const pod = docs[1] as { metadata: { name: string }; spec: { containers: { name: string; ports?: unknown[]; env?: unknown[] }[]; volumes: unknown[] } };
    assert.equal(pod.metadata.name, 'kt');
    // played containers are named POD-NAME; the generated names drop the pod's prefix
    assert.deepEqual(pod.spec.containers.map((c) => c.name).sort(), ['cli', 'srv']);
    const srv = pod.spec.containers.find((c) => c.name === 'srv');
    assert.deepEqual(srv?.env, [{ name: 'GREETING', value: 'hi there' }]);
    assert.deepEqual(pod.spec.volumes, [{ name: 'ktvol-pvc', persistentVolumeClaim: { claimName: 'ktvol' } }]);
    // `generate kube` is the same command; --type deployment validates too
    const dep = validateAll(env.ok(['generate', 'kube', '--type', 'deployment', 'kt']));
    assert.equal(dep[0].kind, 'Deployment');

    env.ok(['pod', 'rm', '-f', '-t', '0', 'kt']);
    const file = path.join(env.dir, 'kt.yaml');
    fs.writeFileSync(file, yaml);
    const played = env.ok(['kube', 'play', file]);
    assert.match(played, /^Pod:\n[0-9a-f]{64}\nContainers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\n$/);
    assert.equal(env.ok(['pod', 'inspect', 'kt', '--format', '{{.State}} {{.ExitPolicy}} {{.NumContainers}}']).trim(), 'Running stop 3');
    assert.equal(env.ok(['inspect', 'kt-srv', '--format', '{{.Config.Image}}']).trim(), 'localhost/busybox:latest');
    // the two containers share the pod's network: the client reaches the server on 127.0.0.1
    let got = '';
    for (let i = 0; i < 50 && got !== 'pod-says-hi'; i++) {
      got = env.run(['exec', 'kt-cli', 'wget', '-qO-', 'http://127.0.0.1:8080/hi']).stdout.trim();
      if (got !== 'pod-says-hi') await sleep(100);
    }
    assert.equal(got, 'pod-says-hi');
    assert.equal(env.ok(['exec', 'kt-srv', 'sh', '-c', 'echo $GREETING']).trim(), 'hi there');
    assert.equal(await answers(port, 'hi', 'pod-says-hi\n'), 'pod-says-hi\n');
    assert.match(natRules(), new RegExp(`--dport ${port}\\b`));

    const down = env.ok(['kube', 'down', file]);
    assert.match(down, /^Pods stopped:\n[0-9a-f]{64}\nPods removed:\n[0-9a-f]{64}\n$/);
    assert.equal(env.ok(['pod', 'ps', '-q']), '');
    assert.equal(env.ok(['ps', '-aq']), '');
    assert.doesNotMatch(natRules(), new RegExp(`--dport ${port}\\b`));
    assert.notEqual(await answers(port, 'hi', 'pod-says-hi\n'), 'pod-says-hi\n');
    // the claim's volume stays, as a cluster keeps its PVCs
    assert.equal(env.ok(['volume', 'exists', 'ktvol']), '');
    env.ok(['volume', 'rm', 'ktvol']);
  });

  test('a Deployment in the style of the Kubernetes documentation plays and answers on its port', async () => {
    const port = await freePort();
    const yaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: hello-config
data:
  index.html: |
    hello from a configmap
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  labels:
    app: hello
spec:
  replicas: 1
  selector:
    matchLabels:
      app: hello
  template:
    metadata:
      labels:
        app: hello
    spec:
      containers:
      - name: web
        image: localhost/busybox
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c"]
        args: ["echo $GREETING > /tmp/greeting; cp /config/index.html /tmp/; exec httpd -f -p 8080 -h /tmp"]
        env:
        - name: GREETING
          value: "hello, kube"
        ports:
        - containerPort: 8080
          hostPort: ${port}
        volumeMounts:
        - name: config
          mountPath: /config
          readOnly: true
        - name: scratch
          mountPath: /scratch
      volumes:
      - name: config
        configMap:
          name: hello-config
      - name: scratch
        emptyDir: {}
`;
    // Podman's own spelling, from stdin
    const played = env.run(['play', 'kube', '-'], { input: yaml });
    assert.equal(played.code, 0, played.stderr);
    assert.equal(env.ok(['pod', 'inspect', 'hello-pod-0', '--format', '{{.Labels.app}} {{.State}}']).trim(), 'hello Running');
    assert.equal(await answers(port, 'greeting', 'hello, kube\n'), 'hello, kube\n');
    assert.equal(await answers(port, 'index.html', 'hello from a configmap\n'), 'hello from a configmap\n');
    assert.equal(env.ok(['inspect', 'hello-pod-0-web', '--format', '{{.HostConfig.RestartPolicy.Name}}']).trim(), 'always');
    // --replace makes it again; `play --down` takes it away
    assert.equal(env.run(['kube', 'play', '--replace', '-'], { input: yaml }).code, 0);
    assert.equal(await answers(port, 'greeting', 'hello, kube\n'), 'hello, kube\n');
    assert.match(env.run(['kube', 'play', '--down', '-'], { input: yaml }).stdout, /^Pods stopped:/);
    assert.equal(env.ok(['pod', 'ps', '-q']), '');
    env.run(['volume', 'rm', '-f', 'hello-config']);
  });

  test('restartPolicy OnFailure: the pod (exit policy stop) is Exited once its container is done', async () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: OnFailure
  containers:
  - name: ctr
    image: localhost/busybox
    command: ["true"]
`;
    env.ok(['kube', 'play', '-'], { input: yaml });
    await until(() => env.ok(['pod', 'inspect', 'once', '--format', '{{.State}}']).trim() === 'Exited', 20_000, 100);
    assert.equal(env.ok(['pod', 'inspect', 'once', '--format', '{{.ExitPolicy}}']).trim(), 'stop');
    env.ok(['kube', 'down', '-'], { input: yaml });
  });

  test('livenessProbe becomes the health check (exec, tcpSocket, httpGet), restarting under restartPolicy Always; bad probes are refused', async () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  containers:
  - name: exec
    image: localhost/busybox
    command: ["sh", "-c", "touch /tmp/alive; sleep 1000"]
    livenessProbe:
      exec: {command: ["test", "-f", "/tmp/alive"]}
      periodSeconds: 1
      failureThreshold: 1
  - name: tcp
    image: localhost/busybox
    command: ["httpd", "-f", "-p", "8089", "-h", "/etc"]
    livenessProbe: {tcpSocket: {port: 8089}, periodSeconds: 30, initialDelaySeconds: 2, timeoutSeconds: 3}
  - name: http
    image: localhost/busybox
    command: ["httpd", "-f", "-p", "8090", "-h", "/etc"]
    livenessProbe: {httpGet: {path: /hostname, port: 8090}}
`;
    env.ok(['kube', 'play', '-'], { input: yaml });
    try {
      const hc = (c: string) => env.ok(['inspect', '--format', '{{json .Config.Healthcheck}} {{.HostConfig.RestartPolicy.Name}}', `probed-${c}`]).trim();
      assert.equal(hc('exec'), '{"Test":["CMD","test","-f","/tmp/alive"],"Interval":1000000000,"Timeout":1000000000,"Retries":1} always');
      assert.match(hc('tcp'), /^\{"Test":\["CMD-SHELL","nc -z 'localhost' 8089 2>\/dev\/null \|\| nc -w 1 'localhost' 8089 <\/dev\/null >\/dev\/null 2>&1 \|\| exit 1"\],"Interval":30000000000,"Timeout":3000000000,"StartPeriod":2000000000,"Retries":3\} always$/);
      assert.match(hc('http'), /wget -q -O \/dev\/null 'http:\/\/localhost:8090\/hostname'/);
      for (const c of ['exec', 'tcp', 'http']) await until(() => env.run(['healthcheck', 'run', `probed-${c}`]).code === 0, 10_000, 200); // healthy once serving
      // the exec check fails once its file is gone: the container is restarted (restartPolicy Always)
      const started = env.ok(['inspect', '--format', '{{.State.StartedAt}}', 'probed-exec']).trim();
      env.ok(['exec', 'probed-exec', 'rm', '/tmp/alive']);
      await until(() => env.ok(['inspect', '--format', '{{.State.StartedAt}}', 'probed-exec']).trim() !== started, 20_000, 200);
    } finally {
      env.run(['kube', 'down', '-'], { input: yaml });
    }
    for (const [probe, message] of [
      ['{httpGet: {port: http}}', /httpGet\.port must be a port number/],
      ['{tcpSocket: {port: 80, host: "a b"}}', /invalid host "a b"/],
      ["{httpGet: {port: 80, path: \"/x'y\"}}", /invalid path/],
      ['{grpc: {port: 80}}', /grpc is not supported/],
      ['{periodSeconds: 5}', /needs exec, httpGet or tcpSocket/],
      ['{exec: {command: ["true"]}, periodSeconds: 0}', /periodSeconds must be a positive integer/],
    ] as const) {
      const bad = env.run(['kube', 'play', '-'], { input: `apiVersion: v1\nkind: Pod\nmetadata: {name: badprobe}\nspec:\n  containers:\n  - {name: c, image: localhost/busybox, livenessProbe: ${probe}}\n` });
      assert.equal(bad.code, 125, probe);
      assert.match(bad.stderr, message, probe);
      assert.equal(env.run(['pod', 'exists', 'badprobe']).code, 1, 'nothing is left of a refused play');
    }
  });

  test('--start=false, --annotation, --log-driver, hostNetwork, Secrets for env', () => {
    // a Kubernetes Secret kept as a tspod secret, as Podman reads them for secretKeyRef
    const stored = path.join(env.dir, 'stored-secret.json');
    fs.writeFileSync(stored, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { password: Buffer.from('s3cret').toString('base64') } }));
    env.ok(['secret', 'create', 'db', stored]);
    const yaml = `apiVersion: v1
kind: Secret
metadata:
  name: api
data:
  token: ${Buffer.from('tok-123').toString('base64')}
stringData:
  user: alice
---
apiVersion: v1
kind: Pod
metadata:
  name: quiet
  annotations:
    note: from-yaml
spec:
  hostNetwork: true
  containers:
  - name: ctr
    image: localhost/busybox
    command: ["sleep", "100"]
    securityContext:
      runAsUser: 1000
      runAsGroup: 3000
    env:
    - name: TOKEN
      valueFrom:
        secretKeyRef: {name: api, key: token}
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: db, key: password}
    envFrom:
    - secretRef: {name: api}
      prefix: API_
`;
    env.ok(['kube', 'play', '--start=false', '--annotation', 'extra=yes', '--log-driver', 'none', '-'], { input: yaml });
    const ctr = JSON.parse(env.ok(['inspect', 'quiet-ctr']))[0];
    assert.equal(ctr.State.Status, 'created');
    assert.equal(ctr.Config.Annotations.note, 'from-yaml');
    assert.equal(ctr.Config.Annotations.extra, 'yes');
    assert.equal(ctr.Config.User, '1000:3000');
    assert.equal(ctr.HostConfig.LogConfig.Type, 'none');
    for (const e of ['TOKEN=tok-123', 'DB_PASSWORD=s3cret', 'API_token=tok-123', 'API_user=alice']) assert.ok(ctr.Config.Env.includes(e), `${e} in ${ctr.Config.Env}`);
    assert.equal(env.ok(['pod', 'inspect', 'quiet', '--format', '{{.InfraConfig.HostNetwork}}']).trim(), 'true');
    env.ok(['kube', 'down', '-'], { input: yaml });
    env.ok(['secret', 'rm', 'db']);
  });
});

describe('kube play --service-container', () => {
  test('the service container runs with the pod, stops after it, cannot be removed alone, goes with the pod', async () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: svc
spec:
  containers:
  - name: main
    image: localhost/busybox
    command: ["sleep", "1000"]
`;
    const file = path.join(env.dir, 'svc.yaml');
    fs.writeFileSync(file, yaml);
    env.ok(['kube', 'play', '--service-container', file]);
    const svc = `${createHash('sha256').update(yaml).digest('hex').slice(0, 12)}-service`;
    assert.equal(env.ok(['container', 'inspect', svc, '--format', '{{.State.Running}} {{.IsService}}']).trim(), 'true true');
    env.ok(['stop', '-t', '0', 'svc-main']);
    await until(() => env.ok(['pod', 'inspect', 'svc', '--format', '{{.State}}']).trim() === 'Exited', 20_000, 100);
    await until(() => env.ok(['container', 'inspect', svc, '--format', '{{.State.Running}}']).trim() === 'false', 20_000, 100);
    const rm = env.run(['container', 'rm', svc]);
    assert.equal(rm.code, 125);
    assert.match(rm.stderr, /is the service container of pod\(s\) [0-9a-f]{64} and cannot be removed without removing the pod\(s\)/);
    env.ok(['pod', 'start', 'svc']);
    assert.equal(env.ok(['container', 'inspect', svc, '--format', '{{.State.Running}}']).trim(), 'true');
    env.ok(['pod', 'rm', '-f', '-t', '0', 'svc']);
    assert.equal(env.run(['container', 'exists', svc]).code, 1);
  });
});

describe('kube play under systemd (NOTIFY_SOCKET), --publish, --userns', () => {
  test('--service-container: READY=1 with the service container\'s monitor as MAINPID once the pod runs; the containers ignore sd-notify', async () => {
    const file = path.join(env.dir, 'notify.sock');
    const fd = native().dgramBind(file);
    const received: string[] = [];
    const drain = () => {
      for (let m = native().dgramRecv(fd); m; m = native().dgramRecv(fd)) received.push(m.toString());
      return received;
    };
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: ntf
spec:
  hostNetwork: true
  containers:
  - name: main
    image: localhost/busybox
    command: ["sleep", "1000"]
`;
    const svc = `${createHash('sha256').update(yaml).digest('hex').slice(0, 12)}-service`;
    try {
      env.ok(['kube', 'play', '--replace', '--service-container=true', '-'], { input: yaml, env: cleanEnv({ NOTIFY_SOCKET: file, PODMAN_SYSTEMD_UNIT: 'ntf.service' }) });
      assert.equal(env.ok(['inspect', '--format', '{{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}}', 'ntf-main']).trim(), 'ntf.service');
      const conmon = env.ok(['inspect', '--format', '{{.State.ConmonPid}}', svc]).trim();
      assert.match(conmon, /^[1-9][0-9]*$/);
      // exactly one message: neither the infra, the service nor the pod's container sent their own
      await sleep(300);
      assert.deepEqual(drain(), [`MAINPID=${conmon}\nREADY=1`]);
      assert.doesNotMatch(env.ok(['exec', 'ntf-main', 'env']), /NOTIFY_SOCKET/);
      // without --service-container nothing is sent
      env.ok(['kube', 'play', '--replace', '-'], { input: yaml, env: cleanEnv({ NOTIFY_SOCKET: file }) });
      await sleep(300);
      assert.equal(drain().length, 1);
    } finally {
      fs.closeSync(fd);
      env.run(['kube', 'down', '-'], { input: yaml });
    }
    assert.equal(env.run(['container', 'exists', svc]).code, 1);
  });

  test('a play that fails leaves no service container behind; --service-container needs --start', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: nonet
spec:
  containers:
  - name: c
    image: localhost/busybox
    ports:
    - containerPort: 80
`;
    const r = env.run(['kube', 'play', '--service-container', '--network', 'none', '-'], { input: yaml });
    assert.equal(r.code, 125, r.stderr);
    assert.equal(env.ok(['ps', '-a', '-q', '--filter', 'name=-service']), '');
    assert.equal(env.ok(['pod', 'ps', '-q']), '');
    const s = env.run(['kube', 'play', '--service-container', '--start=false', '-'], { input: yaml });
    assert.equal(s.code, 125);
    assert.match(s.stderr, /running a service container requires starting the pod\(s\)/);
  });

  test('--publish overrides the YAML\'s host port for that container port and adds others', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: pub
spec:
  containers:
  - name: c
    image: localhost/busybox
    ports:
    - containerPort: 80
      hostPort: 8080
    - containerPort: 90
      hostPort: 9090
`;
    try {
      env.ok(['kube', 'play', '--start=false', '--publish', '127.0.0.1:18080:80', '--publish', '53/udp', '-'], { input: yaml });
      const ports = JSON.parse(env.ok(['pod', 'inspect', 'pub', '--format', '{{json .InfraConfig.PortBindings}}'])) as Record<string, { HostIp: string; HostPort: string }[]>;
      assert.deepEqual(ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '18080' }]);
      assert.deepEqual(ports['90/tcp'], [{ HostIp: '', HostPort: '9090' }]);
      assert.ok(ports['53/udp'], JSON.stringify(ports));
    } finally {
      env.run(['kube', 'down', '-'], { input: yaml });
    }
    const bad = env.run(['kube', 'play', '--start=false', '--publish', '1.2.3:80', '-'], { input: yaml });
    assert.equal(bad.code, 125);
    assert.equal(env.ok(['pod', 'ps', '-q']), '');
  });

  test('--userns: host is the pods\' namespace; others are refused before anything is made', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata:
  name: uns
spec:
  containers:
  - name: c
    image: localhost/busybox
`;
    env.ok(['kube', 'play', '--start=false', '--userns', 'host', '-'], { input: yaml });
    env.ok(['kube', 'down', '-'], { input: yaml });
    for (const [mode, msg] of [['keep-id', /keep-id is only supported in rootless mode/], ['auto', /--userns=auto/]] as const) {
      const r = env.run(['kube', 'play', '--userns', mode, '-'], { input: yaml });
      assert.equal(r.code, 125, mode);
      assert.match(r.stderr, msg);
    }
    assert.equal(env.ok(['pod', 'ps', '-q']), '');
  });
});

describe('kube play refuses bad input before making anything', () => {
  const pod = (extra: string) => `apiVersion: v1
kind: Pod
metadata:
  name: bad
${extra}`;
  const cases: [string, string, RegExp][] = [
    ['not YAML', 'a: [b\n', /unable to read YAML as Kube/],
    ['no kind', 'apiVersion: v1\nmetadata: {name: x}\n', /has no kind/],
    ['no containers', pod('spec: {}\n'), /has no containers/],
    ['a port that is not a number', pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    ports:\n    - containerPort: web\n'), /containerPort must be a port number/],
    ['an unsupported volume', pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    volumeMounts:\n    - {name: v, mountPath: /v}\n  volumes:\n  - name: v\n    nfs: {server: x, path: /}\n'), /volume type nfs is not supported/],
    ['a hostPath that must exist', pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    volumeMounts:\n    - {name: v, mountPath: /v}\n  volumes:\n  - name: v\n    hostPath: {path: /nonexistent/kube-test, type: Directory}\n'), /is not a directory/],
    ['an annotation over 63 characters', pod(`  annotations:\n    test: ${'x'.repeat(64)}\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox\n`), /invalid annotation "test"="x{64}"/],
    ['a Secret that is not base64', `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: "not base64!"}\n---\n${pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n')}`, /data.k is not base64/],
    ['a missing Secret', pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    env:\n    - name: X\n      valueFrom: {secretKeyRef: {name: nope, key: k}}\n'), /no key k in Secret nope/],
    ['a missing ConfigMap', pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    envFrom:\n    - configMapRef: {name: nope}\n'), /no ConfigMap named nope/],
  ];
  for (const [what, yaml, msg] of cases)
    test(what, () => {
      const r = env.run(['kube', 'play', '-'], { input: yaml });
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(env.ok(['pod', 'ps', '-q']), '');
    });

  test('--annotation over 63 characters is refused as Podman does', () => {
    const r = env.run(['kube', 'play', '--annotation', `name=${'y'.repeat(65)}`, '-'], { input: pod('spec:\n  containers:\n  - name: c\n    image: localhost/busybox\n') });
    assert.equal(r.code, 125);
    assert.match(r.stderr, /annotation exceeds maximum size, 63, of kubernetes annotation: y{65}/);
  });

  test('unknown kinds and fields are warnings that name them', () => {
    const yaml = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
---
${pod(`spec:
  containers:
  - name: c
    image: localhost/busybox
    command: ["sleep", "100"]
    readinessProbe: {exec: {command: ["true"]}}
    frobnicate: 1
`)}`;
    const r = env.run(['kube', 'play', '--start=false', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kind \\"CronJob\\" \(document 1\) is not supported/);
    assert.match(r.stderr, /readinessProbe is not supported by tspod; ignored/);
    assert.match(r.stderr, /field frobnicate is not known to tspod; ignored/);
    env.ok(['kube', 'down', '-'], { input: yaml });
  });
});

describe('kube through the libpod API (--remote)', () => {
  test('generate, play and down through the service', () => {
    const remote = (args: string[], input?: string) => env.run(['--remote', '--url', `unix://${sock}`, ...args], { input });
    env.ok(['create', '--name', 'lone', '-e', 'X=1', 'localhost/busybox', 'sleep', '100']);
    const gen = remote(['kube', 'generate', '-s', 'lone']);
    assert.equal(gen.code, 0, gen.stderr);
    const docs = validateAll(gen.stdout);
    assert.deepEqual(docs.map((d) => d.kind), ['Service', 'Pod']);
    env.ok(['rm', 'lone']);
    const play = remote(['kube', 'play', '-'], gen.stdout);
    assert.equal(play.code, 0, play.stderr);
    assert.match(play.stdout, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
    assert.equal(env.ok(['inspect', 'lone-pod-lone', '--format', '{{.State.Running}}']).trim(), 'true');
    const down = remote(['kube', 'down', '-'], gen.stdout);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(env.ok(['pod', 'ps', '-q']), '');
  });

  test('a cross-site "simple" request cannot play YAML', async () => {
    const r = spawnSync('curl', ['-s', '--unix-socket', sock, '-X', 'POST', '-H', 'Content-Type: text/plain', '--data-binary', 'kind: Pod', 'http://d/v4.0.0/libpod/kube/play'], { encoding: 'utf8' });
    assert.match(r.stdout, /"response":400/);
  });
});
