// Limits and security options through the APIs: dockerode's HostConfig
// (Memory, NanoCpus, PidsLimit, SecurityOpt, Ulimits ...: what docker-compose's
// mem_limit, cpus and pids_limit become), the libpod SpecGenerator as
// `tspod --remote` sends it, and inspect in Docker's shape.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import Docker from 'dockerode';
import { ApiService } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('api-limits');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);
let docker: Docker;

before(async () => {
  env.importTestImages();
  await svc.start();
  docker = new Docker({ socketPath: sock });
});
after(async () => {
  await svc.stop();
  env.cleanup();
});

/** stdout of a finished container (Docker's multiplexed log stream). */
async function output(c: Docker.Container): Promise<string> {
  const buf = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  let out = '';
  for (let b = buf; b.length >= 8; b = b.subarray(8 + b.readUInt32BE(4))) out += b.subarray(8, 8 + b.readUInt32BE(4)).toString();
  return out;
}

const READ_LIMITS = 'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us pids/pids.max; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; ulimit -n';

describe('limits through the APIs', () => {
  test('Docker HostConfig limits reach the cgroup; inspect shows them as asked', async () => {
    const c = await docker.createContainer({
      Image: 'localhost/busybox',
      name: 'dlimits',
      Cmd: ['sh', '-c', READ_LIMITS],
      HostConfig: { Memory: 64 << 20, NanoCpus: 5e8, PidsLimit: 50, SecurityOpt: ['no-new-privileges'], Ulimits: [{ Name: 'nofile', Soft: 256, Hard: 512 }] },
    });
    await c.start();
    assert.equal((await c.wait()).StatusCode, 0);
    assert.equal(await output(c), `${64 << 20}\n50000\n50\nNoNewPrivs:\t1\nSeccomp:\t2\n256\n`);
    const hc = (await c.inspect()).HostConfig;
    assert.equal(hc.Memory, 64 << 20);
    assert.equal(hc.NanoCpus, 5e8);
    assert.equal(hc.CpuQuota, 0); // Docker shows what was asked
    assert.equal(hc.PidsLimit, 50);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 256, Hard: 512 }]);
    const plain = await docker.createContainer({ Image: 'localhost/busybox', Cmd: ['true'] });
    const phc = (await plain.inspect()).HostConfig;
    assert.equal(phc.Memory, 0);
    assert.equal(phc.PidsLimit, null);
    assert.equal(phc.SecurityOpt, null);
    await plain.remove();
    await c.remove();
  });

  test('Docker update and the remote client\'s update change a running container', async () => {
    const c = await docker.createContainer({ Image: 'localhost/busybox', name: 'dupd', Cmd: ['sleep', '600'], HostConfig: { Memory: 64 << 20 } });
    await c.start();
    await c.update({ Memory: 96 << 20, PidsLimit: 33 });
    const hc = (await c.inspect()).HostConfig;
    assert.equal(hc.Memory, 96 << 20);
    assert.equal(hc.PidsLimit, 33);
    const read = ['exec', 'dupd', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max'];
    assert.equal(env.ok(read), `${96 << 20}\n33\n`);
    const r = env.run(['--remote', '--url', `unix://${sock}`, 'update', '--memory', '80m', '--pids-limit', '44', 'dupd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(env.ok(read), `${80 << 20}\n44\n`);
    await c.remove({ force: true });
  });

  test('create answers with Podman\'s warnings for a limit this host cannot apply', async () => {
    const hard = Number(spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim());
    const body = { Image: 'localhost/busybox', Cmd: ['true'], HostConfig: { Ulimits: [{ Name: 'nofile', Soft: hard * 2, Hard: hard * 2 }] } };
    const created = await new Promise<{ Id: string; Warnings: string[] }>((resolve, reject) => {
      const req = http.request({ socketPath: sock, path: '/v1.41/containers/create', method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    assert.equal(created.Warnings.length, 1);
    assert.match(created.Warnings[0], /^ulimit nofile=\d+:\d+ is above this process's hard limit/);
    await docker.getContainer(created.Id).remove();
  });

  test('bad limits and security options are a 400', async () => {
    for (const HostConfig of [{ Memory: 1024 }, { SecurityOpt: ['seccomp=/nonexistent.json'] }, { MemorySwap: 1 << 30 }, { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }]) {
      await assert.rejects(docker.createContainer({ Image: 'localhost/busybox', Cmd: ['true'], HostConfig }), (e: { statusCode?: number }) => e.statusCode === 400, JSON.stringify(HostConfig));
    }
  });

  test('the remote client sends limits and security options in the SpecGenerator', () => {
    const r = env.run(['--remote', '--url', `unix://${sock}`, 'run', '--name', 'rlimits', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50',
      '--security-opt', 'no-new-privileges', '--ulimit', 'nofile=256:512', 'localhost/busybox', 'sh', '-c', READ_LIMITS]);
    assert.equal(r.stdout, `${64 << 20}\n50000\n50\nNoNewPrivs:\t1\nSeccomp:\t2\n256\n`, r.stderr);
    assert.equal(r.code, 0);
    const hc = JSON.parse(env.ok(['inspect', 'rlimits', '--format', '{{json .HostConfig}}'])) as Record<string, unknown>;
    assert.equal(hc.Memory, 64 << 20);
    assert.equal(hc.CpuQuota, 50000);
    assert.equal(hc.PidsLimit, 50);
    const bad = env.run(['--remote', '--url', `unix://${sock}`, 'run', '--rm', '--security-opt', 'seccomp=unconfined', 'localhost/busybox', 'grep', 'Seccomp:', '/proc/self/status']);
    assert.equal(bad.stdout, 'Seccomp:\t0\n', bad.stderr);
  });
});
