// dockerode (a real Node Docker client) against `tspod system service` on a
// private unix socket: ping, version, containers from create to remove, images.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import Docker from 'dockerode';
import { ApiService } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('api-dockerode');
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

/** Docker's multiplexed stream: [stream, 0, 0, 0, length BE32] + payload. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (let b = buf; b.length >= 8; ) {
    const len = b.readUInt32BE(4);
    const payload = b.subarray(8, 8 + len).toString();
    if (b[0] === 2) stderr += payload;
    else stdout += payload;
    b = b.subarray(8 + len);
  }
  return { stdout, stderr };
}

describe('dockerode against tspod', () => {
  test('ping and version', async () => {
    const pong = await docker.ping();
    assert.equal(Buffer.isBuffer(pong) ? pong.toString() : String(pong), 'OK');
    const v = await docker.version();
    assert.equal(v.ApiVersion, '1.41');
    assert.equal(v.Os, 'linux');
  });

  test('images: list and inspect', async () => {
    const imgs = await docker.listImages();
    const tags = imgs.flatMap((i) => i.RepoTags ?? []);
    assert.ok(tags.includes('localhost/busybox:latest'), tags.join(','));
    const info = await docker.getImage('localhost/busybox').inspect();
    assert.match(info.Id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(info.Config.Cmd, ['sh']);
    await assert.rejects(docker.getImage('localhost/nosuch').inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  test('a container: create, start, wait, logs, list, remove', async () => {
    const c = await docker.createContainer({ Image: 'localhost/busybox', name: 'dode1', Cmd: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 3'] });
    assert.match(c.id, /^[0-9a-f]{64}$/);
    const listed = await docker.listContainers({ all: true });
    assert.ok(listed.some((x) => x.Id === c.id && x.Names.includes('/dode1')));
    await c.start();
    const waited = (await c.wait()) as { StatusCode: number };
    assert.equal(waited.StatusCode, 3);
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const { stdout, stderr } = demux(Buffer.from(logs));
    assert.equal(stdout, 'out-line\n');
    assert.equal(stderr, 'err-line\n');
    const info = await c.inspect();
    assert.equal(info.State.ExitCode, 3);
    assert.equal(info.State.Status, 'exited');
    await c.remove();
    const after = await docker.listContainers({ all: true });
    assert.ok(!after.some((x) => x.Id === c.id));
    await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  test('a running container: list, top, stats, archive, remove with force', async () => {
    const c = await docker.createContainer({ Image: 'localhost/busybox', Cmd: ['sleep', '1000'] });
    await c.start();
    const running = await docker.listContainers();
    assert.ok(running.some((x) => x.Id === c.id && x.State === 'running'));
    const top = (await c.top()) as { Titles: string[]; Processes: string[][] };
    assert.ok(top.Processes.some((p) => p[7] === 'sleep 1000'));
    const stats = (await c.stats({ stream: false })) as unknown as { pids_stats: { current: number } };
    assert.ok(stats.pids_stats.current >= 1);
    const tar = await c.getArchive({ path: '/etc/passwd' });
    const chunks: Buffer[] = [];
    for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    assert.equal(body.subarray(0, 6).toString(), 'passwd'); // the entry is named by the base name
    assert.match(body.toString('latin1'), /root:x:0:0:/);
    await c.remove({ force: true });
  });
});
