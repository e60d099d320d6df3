// The API service runs create, start, stop, kill and rm on engine threads
// (lib/engine/threads.ts), off the event loop that answers every client: the
// operations work there, their errors keep their kind (and so their status and
// message) across the threads, and TSPOD_ENGINE_THREADS=0 runs them in process.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiService, curlUnix } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('api-engine-threads');
const threaded = new ApiService(env, path.join(env.dir, 'threads.sock'));
const inProcess = new ApiService(env, path.join(env.dir, 'inprocess.sock'), { TSPOD_ENGINE_THREADS: '0' });

before(async () => {
  env.importTestImages();
  await threaded.start();
  await inProcess.start();
});
after(async () => {
  await threaded.stop();
  await inProcess.stop();
  env.cleanup();
});

/** The service process's thread count (/proc/PID/status). */
function threadCount(pid: number): number {
  const m = /^Threads:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
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

describe('engine threads of the API service', () => {
  test('lifecycle operations on the engine threads: results and errors as in process', () => {
    lifecycle(threaded.sock, 'threads');
    lifecycle(inProcess.sock, 'inprocess');
  });

  test('the threaded service has its two engine threads, TSPOD_ENGINE_THREADS=0 none', () => {
    // both services did the same work: the libuv pool and V8's threads are there in both
    const withThreads = threadCount(threaded.pid as number);
    const without = threadCount(inProcess.pid as number);
    assert.ok(withThreads >= without + 2, `${withThreads} threads in the threaded service, ${without} in the in-process one`);
  });
});
