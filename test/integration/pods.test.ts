// Pods with real containers: an infra container holds the network, ipc and
// uts namespaces; members reach each other on 127.0.0.1; the pod's published
// port answers from the host; pod stop/start/rm -f leave no process, mount or
// DNAT rule behind; errors as Podman gives them.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, sleep } from '../helpers/tspod-env';
import { answers } from '../helpers/http-probe';
import { ApiService, curlUnix } from '../helpers/api-service';

const env = new TspodEnv('pods');
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

const natRules = () => spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;
const alive = (pid: number) => pid > 0 && fs.existsSync(`/proc/${pid}`);
const mountsUnder = (dir: string) =>
  fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir)).length;
const SERVE = ['sh', '-c', 'hostname > /tmp/who; echo pod-says-hi > /tmp/hi; exec httpd -f -p 8080 -h /tmp'];

describe('pods', () => {
  test('two containers of a pod talk over 127.0.0.1, share the hostname, and the pod port answers from the host', async () => {
    const port = await freePort();
    const podId = env.ok(['pod', 'create', '--name', 'web', '-p', `127.0.0.1:${port}:8080`, '--label', 'tier=front']).trim();
    assert.match(podId, /^[0-9a-f]{64}$/);
    const infraId = env.ok(['pod', 'inspect', 'web', '--format', '{{.InfraContainerID}}']).trim();
    assert.equal(env.ok(['inspect', '--format', '{{.ImageName}} {{.IsInfra}} {{.Pod}}', infraId]).trim(), `localhost/podman-pause:0.1.0-0 true ${podId}`);
    env.ok(['run', '-d', '--pod', 'web', '--name', 'srv', 'localhost/busybox', ...SERVE]);
    // the other member reaches the server on loopback: one network namespace
    let got = '';
    for (let i = 0; i < 50 && got !== 'pod-says-hi'; i++) {
      const r = env.run(['run', '--rm', '--pod', 'web', 'localhost/busybox', 'wget', '-qO-', 'http://127.0.0.1:8080/hi']);
      got = r.stdout.trim();
      if (got !== 'pod-says-hi') await sleep(100);
    }
    assert.equal(got, 'pod-says-hi');
    assert.equal(await answers(port, 'hi', 'pod-says-hi\n'), 'pod-says-hi\n');
    assert.equal(await answers(port, 'who', 'web\n'), 'web\n', 'members have the pod hostname (one uts namespace)');
    assert.equal(env.ok(['inspect', '--format', '{{.Pod}}', 'srv']).trim(), podId);
    assert.equal(env.ok(['ps', '--filter', `pod=${podId.slice(0, 12)}`, '--format', '{{.Names}} {{.PodName}}']).split('\n').filter(Boolean).sort().join('|'), `${podId.slice(0, 12)}-infra web|srv web`);
    assert.match(env.ok(['ps', '--pod']), new RegExp(`^CONTAINER ID .*NAMES\\s+POD ID\\s+PODNAME\\n(.*\\n)*.*srv\\s+${podId.slice(0, 12)}\\s+web$`, 'm'));
    assert.match(env.ok(['pod', 'ps']), new RegExp(`^${podId.slice(0, 12)}\\s+web\\s+Running\\s+.*${infraId.slice(0, 12)}\\s+2$`, 'm'));
    assert.equal(env.ok(['pod', 'ps', '--filter', 'label=tier=front', '-q', '--no-trunc']).trim(), podId);
    assert.equal(env.ok(['pod', 'ps', '--ctr-names', '--format', '{{.ContainerNames}}']).trim(), `srv,${podId.slice(0, 12)}-infra`);
    assert.equal(env.run(['pod', 'exists', 'web']).code, 0);
    assert.match(natRules(), new RegExp(infraId.slice(0, 16)));

    // stop: every process down, rules gone; start brings the server back on the same port
    const pids = [infraId, 'srv'].map((c) => Number(env.ok(['inspect', '--format', '{{.State.Pid}}', c]).trim()));
    assert.equal(env.ok(['pod', 'stop', '-t', '0', 'web']).trim(), podId);
    assert.ok(pids.every((pid) => !alive(pid)), 'pod stop leaves no container process');
    assert.doesNotMatch(natRules(), new RegExp(infraId.slice(0, 16)));
    assert.equal(env.ok(['pod', 'inspect', 'web', '--format', '{{.State}}']).trim(), 'Exited');
    env.ok(['pod', 'start', 'web']);
    assert.equal(await answers(port, 'hi', 'pod-says-hi\n'), 'pod-says-hi\n');

    // rm without -f refuses a running pod (exit 2), rm -f removes it all
    const refused = env.run(['pod', 'rm', 'web']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cannot remove container [0-9a-f]{64} as it is running/);
    const running = [infraId, 'srv'].map((c) => Number(env.ok(['inspect', '--format', '{{.State.Pid}}', c]).trim()));
    assert.equal(env.ok(['pod', 'rm', '-f', '-t', '0', 'web']).trim(), podId);
    assert.ok(running.every((pid) => !alive(pid)), 'pod rm -f leaves no container process');
    assert.equal(env.ok(['ps', '-a', '-q']).trim(), '');
    assert.equal(env.run(['pod', 'exists', 'web']).code, 1);
    assert.doesNotMatch(natRules(), new RegExp(infraId.slice(0, 16)));
    assert.equal(mountsUnder(env.dir), 0, 'no rootfs mount left');
  });

  test('run --pod new:NAME makes the pod with the ports; --pod-id-file; pause/unpause/kill/restart', async () => {
    const idFile = path.join(env.dir, 'pod.id');
    const port = await freePort();
    env.ok(['pod', 'create', '--pod-id-file', idFile, '--name', 'filed']);
    const id = fs.readFileSync(idFile, 'utf8');
    assert.match(id, /^[0-9a-f]{64}$/);
    env.ok(['create', '--pod-id-file', idFile, '--name', 'member', 'localhost/busybox', 'sleep', '1000']);
    assert.equal(env.ok(['inspect', '--format', '{{.Pod}}', 'member']).trim(), id);
    env.ok(['pod', 'start', 'filed']);
    assert.equal(env.ok(['pod', 'pause', 'filed']).trim(), id);
    assert.equal(env.ok(['pod', 'inspect', 'filed', '--format', '{{.State}}']).trim(), 'Paused');
    env.ok(['pod', 'unpause', 'filed']);
    assert.equal(env.ok(['pod', 'inspect', 'filed', '--format', '{{.State}}']).trim(), 'Running');
    env.ok(['pod', 'restart', 'filed']);
    assert.equal(env.ok(['pod', 'inspect', 'filed', '--format', '{{.State}}']).trim(), 'Running');
    env.ok(['pod', 'kill', 'filed']);
    for (let i = 0; i < 50 && env.ok(['pod', 'inspect', 'filed', '--format', '{{.State}}']).trim() !== 'Exited'; i++) await sleep(100);
    assert.equal(env.ok(['pod', 'inspect', 'filed', '--format', '{{.State}}']).trim(), 'Exited');
    assert.equal(env.ok(['pod', 'prune', '-f']).trim(), id);
    assert.equal(env.run(['pod', 'exists', 'filed']).code, 1);

    env.ok(['run', '-d', '--pod', 'new:fresh', '--name', 'fresh-srv', '-p', `127.0.0.1:${port}:8080`, 'localhost/busybox', ...SERVE]);
    assert.equal(await answers(port, 'hi', 'pod-says-hi\n'), 'pod-says-hi\n');
    assert.equal(env.ok(['pod', 'inspect', 'fresh', '--format', '{{.NumContainers}}']).trim(), '2');
    env.ok(['pod', 'rm', '-f', '-t', '0', 'fresh']);
    assert.equal(env.ok(['ps', '-a', '-q']).trim(), '');
  });

  test('errors: unknown pod, a member with its own -p, a taken pod name', () => {
    const missing = env.run(['pod', 'rm', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: no pod with name or ID nope found: no such pod\n');
    assert.equal(env.run(['pod', 'inspect', 'nope']).code, 125);
    assert.equal(env.run(['pod', 'exists', 'nope']).code, 1);
    assert.equal(env.run(['pod', 'rm', '-i', 'nope']).code, 0);
    const noPod = env.run(['run', '--rm', '--pod', 'nope', 'localhost/busybox', 'true']);
    assert.equal(noPod.code, 125);
    assert.match(noPod.stderr, /no pod with name or ID nope found: no such pod/);
    env.ok(['pod', 'create', '--name', 'taken']);
    const dup = env.run(['pod', 'create', '--name', 'taken']);
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /name "taken" is in use: pod already exists/);
    const ports = env.run(['create', '--pod', 'taken', '-p', '9000:9000', 'localhost/busybox', 'true']);
    assert.equal(ports.code, 125);
    assert.equal(ports.stderr, 'Error: invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod\n');
    assert.equal(env.ok(['pod', 'inspect', 'taken', '--format', '{{.NumContainers}}']).trim(), '1', 'nothing was added');
    const share = env.run(['pod', 'create', '--share', 'bogus']);
    assert.equal(share.code, 125);
    env.ok(['pod', 'rm', 'taken']);
  });

  test('--share +pid, one /dev/shm for the pod, /etc/hosts lists members, --exit-policy stop, the infra goes only with its pod', async () => {
    const podId = env.ok(['pod', 'create', '--name', 'shared', '--share', '+pid', '--exit-policy', 'stop']).trim();
    assert.equal(env.ok(['pod', 'inspect', 'shared', '--format', '{{.SharedNamespaces}} {{.ExitPolicy}}']).trim(), '[net ipc uts pid] stop');
    const infraId = env.ok(['pod', 'inspect', 'shared', '--format', '{{.InfraContainerID}}']).trim();
    // inspect names the infra container for each namespace the pod shares, as Podman 4.3.1 (checked side by side)
    env.ok(['create', '--pod', 'shared', '--name', 'member', 'localhost/busybox', 'true']);
    const modes = '{{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}} {{.HostConfig.PidMode}} {{.HostConfig.NetworkMode}}';
    assert.equal(env.ok(['inspect', 'member', '--format', modes]).trim(), Array(4).fill(`container:${infraId}`).join(' '));
    assert.equal(env.ok(['inspect', infraId, '--format', modes]).trim(), 'shareable private private bridge');
    env.ok(['rm', 'member']);
    env.ok(['run', '--rm', '--pod', 'shared', 'localhost/busybox', 'sh', '-c', 'echo in-shm > /dev/shm/f']);
    assert.equal(env.ok(['run', '--rm', '--pod', 'shared', 'localhost/busybox', 'cat', '/dev/shm/f']).trim(), 'in-shm', 'members share /dev/shm');
    assert.match(env.ok(['run', '--rm', '--pod', 'shared', 'localhost/busybox', 'ps', '-o', 'pid,args']), /^\s*1 \/catatonit -P$/m, 'one pid namespace: the infra is pid 1');
    const hosts = env.ok(['run', '--rm', '--pod', 'shared', '--name', 'lister', 'localhost/busybox', 'cat', '/etc/hosts']);
    assert.match(hosts, /^127\.0\.0\.1\tlister$/m);
    assert.match(hosts, new RegExp(`\\sshared ${podId.slice(0, 12)}-infra\\s`));
    assert.doesNotMatch(env.ok(['run', '--rm', '--pod', 'shared', 'localhost/busybox', 'cat', '/etc/hosts']), /lister/, 'a member that left is no longer listed');
    const own = env.run(['run', '--rm', '--pod', 'shared', '--hostname', 'mine', 'localhost/busybox', 'true']);
    assert.equal(own.code, 125);
    assert.match(own.stderr, /cannot set hostname when joining the pod UTS namespace/);

    // exit policy stop: the last member's exit stops the infra
    env.ok(['start', infraId]);
    env.ok(['run', '--pod', 'shared', '--name', 'last', 'localhost/busybox', 'true']);
    let state = '';
    for (let i = 0; i < 100 && state !== 'Exited'; i++) {
      state = env.ok(['pod', 'inspect', 'shared', '--format', '{{.State}}']).trim();
      if (state !== 'Exited') await sleep(100);
    }
    assert.equal(state, 'Exited');
    // the stop that the exit policy made (in the last member's monitor) releases the run's mounts just after the record says so
    for (let i = 0; i < 100 && mountsUnder(env.dir) !== 0; i++) await sleep(100);
    assert.equal(mountsUnder(env.dir), 0, 'the pod /dev/shm went with the infra run');

    for (const args of [['rm', infraId], ['rm', '-f', infraId]]) {
      const r = env.run(args);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `Error: container ${infraId} is the infra container of pod ${podId} and cannot be removed without removing the pod\n`);
    }
    const lastId = env.ok(['inspect', '--format', '{{.Id}}', 'last']).trim();
    assert.deepEqual(env.ok(['rm', '--depend', infraId]).trim().split('\n').sort(), [infraId, lastId].sort());
    assert.equal(env.run(['pod', 'exists', 'shared']).code, 1);

    // rmi -f of the infra image takes the pod and its containers with it
    const bad = env.run(['pod', 'create', '--exit-policy', 'sometimes']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid pod exit policy: "sometimes"/);
    env.ok(['create', '--pod', 'new:doomed', 'localhost/busybox', 'true']);
    const inUse = env.run(['rmi', 'localhost/podman-pause:0.1.0-0']);
    assert.equal(inUse.code, 2);
    assert.match(inUse.stderr, /image is in use by a container/);
    assert.match(env.ok(['rmi', '-f', 'localhost/podman-pause:0.1.0-0']), /^Untagged: localhost\/podman-pause:0\.1\.0-0\nDeleted: [0-9a-f]{64}\n$/);
    assert.equal(env.ok(['ps', '-a', '-q']).trim(), '');
    assert.equal(env.ok(['pod', 'ps', '-q']).trim(), '');
  });

  test('pod logs, top and stats, locally and through --remote', async () => {
    const remote = (args: string[]) => env.run(['--remote', '--url', `unix://${sock}`, ...args]);
    env.ok(['pod', 'create', '--name', 'watched']);
    const a = env.ok(['create', '--pod', 'watched', '--name', 'wa', 'localhost/busybox', 'sh', '-c', 'echo a1; echo a2']).trim();
    assert.equal(env.ok(['start', '-a', 'wa']), 'a1\na2\n');
    const b = env.ok(['run', '-d', '--pod', 'watched', '--name', 'wb', 'localhost/busybox', 'sh', '-c', 'echo b1; exec sleep 1000']).trim();
    for (let i = 0; i < 50 && !env.ok(['logs', 'wb']).includes('b1'); i++) await sleep(100);
    for (const run of [(x: string[]) => env.run(x), remote]) {
      const ids = run(['pod', 'logs', 'watched']);
      assert.equal(ids.code, 0, ids.stderr);
      assert.equal(ids.stdout, `${a.slice(0, 12)} a1\n${a.slice(0, 12)} a2\n${b.slice(0, 12)} b1\n`, 'the members, not the infra, each line with its short id');
      assert.equal(run(['pod', 'logs', '--names', 'watched']).stdout, 'wa a1\nwa a2\nwb b1\n');
      assert.equal(run(['pod', 'logs', '-c', 'wb', 'watched']).stdout, 'b1\n');
      const notIn = run(['pod', 'logs', '-c', 'nope', 'watched']);
      assert.equal(notIn.code, 125);
      assert.match(notIn.stderr, /container nope is not in pod [0-9a-f]{64}/);
      const top = run(['pod', 'top', 'watched', 'pid,args']);
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, /^PID\s+COMMAND\n/);
      assert.match(top.stdout, /^1\s+sleep 1000$/m);
      assert.match(top.stdout, /^1\s+\/catatonit -P$/m);
      const stats = run(['pod', 'stats', '--no-stream', '--format', '{{.Name}} {{.PIDS}}', 'watched']);
      assert.equal(stats.code, 0, stats.stderr);
      assert.deepEqual(stats.stdout.trim().split('\n').sort(), [`${env.ok(['pod', 'inspect', 'watched', '--format', '{{.Id}}']).slice(0, 12)}-infra 1`, 'wa --', 'wb 1']); // an exited member: "--", as Podman's
    }
    const missing = env.run(['pod', 'stats', '--no-stream', 'nope']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /unable to get list of pods: no pod with name or ID nope found: no such pod/);
    env.ok(['pod', 'rm', '-f', '-t', '0', 'watched']);
  });

  test('--remote pod: create with a port, a member, ps, inspect, stop, rm -f through the libpod API', async () => {
    const remote = (args: string[]) => env.run(['--remote', '--url', `unix://${sock}`, ...args]);
    const port = await freePort();
    const created = remote(['pod', 'create', '--name', 'far', '-p', `127.0.0.1:${port}:8080`]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const run = remote(['run', '-d', '--pod', 'far', '--name', 'far-srv', 'localhost/busybox', ...SERVE]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await answers(port, 'hi', 'pod-says-hi\n'), 'pod-says-hi\n');
    assert.match(remote(['pod', 'ps', '--format', '{{.Name}} {{.Status}} {{.NumberOfContainers}}']).stdout, /^far Running 2$/m);
    assert.equal(remote(['pod', 'inspect', 'far', '--format', '{{.Id}} {{.NumContainers}}']).stdout.trim(), `${id} 2`);
    // both APIs' container inspect name the infra container for the namespaces the pod shares
    const infra = `container:${env.ok(['pod', 'inspect', 'far', '--format', '{{.InfraContainerID}}']).trim()}`;
    assert.equal(remote(['inspect', 'far-srv', '--format', '{{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}} {{.HostConfig.PidMode}}']).stdout.trim(), `${infra} ${infra} private`);
    const compat = JSON.parse(curlUnix(sock, 'GET', 'http://d/v1.41/containers/far-srv/json').body) as { HostConfig: Record<string, string> };
    assert.deepEqual([compat.HostConfig.IpcMode, compat.HostConfig.UTSMode, compat.HostConfig.PidMode, compat.HostConfig.NetworkMode], [infra, infra, 'private', infra]);
    assert.equal(remote(['pod', 'exists', 'far']).code, 0);
    assert.equal(remote(['pod', 'exists', 'nope']).code, 1);
    const missing = remote(['pod', 'stop', 'nope']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr, 'Error: no pod with name or ID nope found: no such pod\n');
    assert.equal(remote(['pod', 'stop', '-t', '0', 'far']).stdout.trim(), id);
    assert.equal(env.ok(['pod', 'inspect', 'far', '--format', '{{.State}}']).trim(), 'Exited');
    const rm = remote(['pod', 'rm', '-f', '-t', '0', 'far']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout.trim(), id);
    assert.equal(env.run(['pod', 'exists', 'far']).code, 1);
    assert.equal(env.ok(['ps', '-a', '-q']).trim(), '');
  });
});
