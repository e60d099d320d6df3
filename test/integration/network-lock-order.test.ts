// The two locks a network change takes, the host-wide network lock and the
// store lock, are always taken in that order: a command waiting for the host
// lock never holds the store lock, so a process that holds the host lock and
// then needs the store (the API service bringing up a bridge) cannot deadlock
// with it. Proved with a real holder of the host lock.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TspodEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('netlock');
before(() => env.importTestImages());
after(() => {
  env.run(['network', 'rm', '-f', 'lockorder-net']);
  env.cleanup();
});

const HOST_LOCK = '/run/tspod-network/lock';

test('network create and the default network wait for the host lock without holding the store lock', async () => {
  // Another process holds the host network lock for a while (as a service bringing up a bridge does).
  const holder = spawn('flock', [HOST_LOCK, 'sleep', '4'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const waiting = env.spawn(['network', 'create', '--subnet', '10.251.71.0/24', 'lockorder-net'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    // The store lock is free meanwhile: a store write (create) finishes while the host lock is still held.
    const started = Date.now();
    env.ok(['create', '--name', 'lockorder-ctr', '--network', 'none', 'busybox', 'true']);
    assert.ok(holder.exitCode === null, 'the host lock holder is still running');
    assert.ok(Date.now() - started < 3000, 'create waited for the host lock');
    await until(() => waiting.exitCode !== null, 20_000);
    assert.equal(waiting.exitCode, 0);
    assert.equal(env.run(['network', 'exists', 'lockorder-net']).code, 0);
  } finally {
    if (holder.exitCode === null) holder.kill('SIGKILL');
  }
  env.ok(['rm', 'lockorder-ctr']);
});
