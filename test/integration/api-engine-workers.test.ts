// The API service runs create, start, stop, kill and rm in engine worker
// processes (lib/engine/workers.ts), off the event loop that answers every
// client: the operations work there, their errors keep their kind (and so their
// status and message) across the processes, TSPOD_ENGINE_WORKERS=0 runs them in
// process, and the workers end with the service.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiService, curlUnix } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('api-engine-workers');
const inWorkers = new ApiService(env, path.join(env.dir, 'workers.sock'));
const inProcess = new ApiService(env, path.join(env.dir, 'inprocess.sock'), { TSPOD_ENGINE_WORKERS: '0', TSPOD_SERVICE_REALTIME: '0' });

before(async () => {
  env.importTestImages();
  await inWorkers.start();
  await inProcess.start();
});
after(async () => {
  await inWorkers.stop();
  await inProcess.stop();
  env.cleanup();
});

/** The engine workers among a process's children (their command line names the worker's script). */
function workerChildren(pid: number): number[] {
  const out: number[] = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    for (const child of fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        if (fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('tspod-engine-worker')) out.push(Number(child));
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return out;
}

/** A thread's scheduling policy (0 normal, 2 round-robin) and nice value, from /proc/PID/stat. */
function scheduling(pid: number, tid = pid): { policy: number; nice: number } {
  const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return { nice: Number(fields[19 - 3]), policy: Number(fields[41 - 3]) }; // stat(5) fields 19 and 41
}

/** A container's whole life through the libpod API, and the statuses of the failures on the way. */
function lifecycle(sock: string, name: string): void {
  const url = (p: string) => `http://d/v4.0.0/libpod${p}`;
  const created = curlUnix(sock, 'POST', url('/containers/create'), JSON.stringify({ name, image: 'localhost/busybox', command: ['sleep', '1000'], netns: { nsmode: 'none' } }));
  assert.equal(created.status, 201, created.body);
  const id = (JSON.parse(created.body) as { Id: string }).Id;
  // kill of a container that does not run: the engine's state-improper error, 409
  const early = curlUnix(sock, 'POST', url(`/containers/${id}/kill`));
  assert.equal(early.status, 409, early.body);
  assert.match(early.body, /can only kill running containers/);
  assert.equal(curlUnix(sock, 'POST', url(`/containers/${id}/start`)).status, 204);
  const running = JSON.parse(curlUnix(sock, 'GET', url(`/containers/${id}/json`)).body) as { State: { Status: string; Pid: number } };
  assert.equal(running.State.Status, 'running');
  assert.ok(running.State.Pid > 0);
  assert.equal(curlUnix(sock, 'POST', url(`/containers/${id}/kill?signal=KILL`)).status, 204);
  const removed = curlUnix(sock, 'DELETE', url(`/containers/${id}?force=true`));
  assert.equal(removed.status, 200, removed.body);
  assert.equal((JSON.parse(removed.body) as Array<{ Id: string }>)[0].Id, id);
  // unknown names and images: no-such-container and no-such-image keep their 404 and Podman's text
  const gone = curlUnix(sock, 'DELETE', url(`/containers/${id}`));
  assert.equal(gone.status, 404, gone.body);
  assert.match(gone.body, /no container with name or ID/);
  const noImage = curlUnix(sock, 'POST', url('/containers/create'), JSON.stringify({ image: 'localhost/no-such-image', command: ['true'] }));
  assert.equal(noImage.status, 404, noImage.body);
  assert.match(noImage.body, /image not known/);
  // the Docker tree's create and stop go the same way
  const dockerCreated = curlUnix(sock, 'POST', `http://d/v1.41/containers/create?name=${name}-docker`, JSON.stringify({ Image: 'localhost/busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } }));
  assert.equal(dockerCreated.status, 201, dockerCreated.body);
  assert.equal(curlUnix(sock, 'POST', `http://d/v1.41/containers/${name}-docker/start`).status, 204);
  assert.equal(curlUnix(sock, 'POST', `http://d/v1.41/containers/${name}-docker/stop?t=0`).status, 204);
  assert.equal(curlUnix(sock, 'DELETE', `http://d/v1.41/containers/${name}-docker`).status, 204);
}

describe('engine workers of the API service', () => {
  let workerPids: number[] = [];
  test('lifecycle operations in the engine workers: results and errors as in process', () => {
    lifecycle(inWorkers.sock, 'workers');
    lifecycle(inProcess.sock, 'inprocess');
  });

  test('the service has its two engine workers, TSPOD_ENGINE_WORKERS=0 none', () => {
    workerPids = workerChildren(inWorkers.pid as number);
    assert.equal(workerPids.length, 2, `engine workers of the service: ${workerPids.join(' ')}`);
    assert.deepEqual(workerChildren(inProcess.pid as number), []);
  });

  test('the service runs ahead (real-time, or nice -10 where that is refused), every thread of it; what it starts does not', () => {
    const pid = inWorkers.pid as number;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`).map(Number)) {
      const t = scheduling(pid, tid);
      assert.ok(t.policy === 2 || t.nice === -10, `the service's thread ${tid}: ${JSON.stringify(t)}`);
    }
    for (const w of workerPids) assert.deepEqual(scheduling(w), { policy: 0, nice: 0 }, `engine worker ${w}`);
    const url = (p: string) => `http://d/v4.0.0/libpod${p}`;
    const created = curlUnix(inWorkers.sock, 'POST', url('/containers/create'), JSON.stringify({ name: 'sched', image: 'localhost/busybox', command: ['sleep', '1000'], netns: { nsmode: 'none' } }));
    assert.equal(created.status, 201, created.body);
    assert.equal(curlUnix(inWorkers.sock, 'POST', url('/containers/sched/start')).status, 204);
    try {
      const inspected = JSON.parse(curlUnix(inWorkers.sock, 'GET', url('/containers/sched/json')).body) as { State: { Pid: number; ConmonPid: number } };
      assert.deepEqual(scheduling(inspected.State.Pid), { policy: 0, nice: 0 }, 'the container');
      assert.deepEqual(scheduling(inspected.State.ConmonPid), { policy: 0, nice: 0 }, 'its monitor');
    } finally {
      curlUnix(inWorkers.sock, 'DELETE', url('/containers/sched?force=true&timeout=0'));
    }
    // TSPOD_SERVICE_REALTIME=0 leaves the thread alone
    assert.deepEqual(scheduling(inProcess.pid as number), { policy: 0, nice: 0 });
  });

  test('the workers exit with the service', async () => {
    await inWorkers.stop();
    for (let i = 0; i < 100 && workerPids.some((p) => fs.existsSync(`/proc/${p}`)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      workerPids.filter((p) => fs.existsSync(`/proc/${p}`)),
      [],
      'engine workers left running after the service stopped',
    );
  });
});
