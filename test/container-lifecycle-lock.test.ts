// The per-container lifecycle lock: real flocks on a private store directory.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { ContainerLocks } from '../lib/container/lifecycle-lock';
import { Store } from '../lib/storage/store';
import { containerDir } from '../lib/storage/paths';
import { EngineError } from '../lib/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-ctrlock-'));
const paths = { root: path.join(dir, 'root'), runroot: path.join(dir, 'run') };
const store = new Store(paths);
const locks = new ContainerLocks(store);
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ID = 'a'.repeat(64);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
fs.mkdirSync(containerDir(paths, ID), { recursive: true });

test('operations on one container take turns, also within one process', async () => {
  const events: string[] = [];
  const op = (name: string) =>
    locks.with(ID, async () => {
      events.push(`${name} in`);
      await sleep(50);
      events.push(`${name} out`);
    });
  await Promise.all([op('a'), op('b'), op('c')]);
  for (let i = 0; i < events.length; i += 2) assert.equal(events[i].replace(' in', ''), events[i + 1].replace(' out', ''), events.join(', '));
});

test('the call chain that holds the lock may take it again (cleanup -> remove)', async () => {
  const r = await locks.with(ID, () => locks.with(ID, async () => locks.withSync(ID, () => 42)));
  assert.equal(r, 42);
});

test('a synchronous waiter does not block on a lock another chain of its own process holds', async () => {
  let release!: () => void;
  const held = locks.with(ID, () => new Promise<void>((r) => (release = r)));
  await sleep(20);
  await new Promise<void>((r) => setImmediate(r)); // outside the holder's chain
  assert.throws(() => locks.withSync(ID, () => 1), (e) => e instanceof EngineError && e.kind === 'state-improper');
  release();
  await held;
});

test('another process holding it makes us wait; a removal while we wait is "no such container"', async () => {
  const file = path.join(containerDir(paths, ID), 'lifecycle.lock');
  // flock(1) holds the lock for a while, then removes the container's directory, as rm does.
  const holder = spawn('flock', [file, 'sh', '-c', `sleep 0.4; rm -rf ${containerDir(paths, ID)}`], { stdio: 'ignore' });
  const closed = new Promise((r) => holder.on('close', r));
  await sleep(150);
  const t0 = Date.now();
  await assert.rejects(
    locks.with(ID, async () => 'ran'),
    (e) => e instanceof EngineError && e.kind === 'no-such-container',
  );
  assert.ok(Date.now() - t0 >= 150, 'waited for the holder');
  await closed;
  await assert.rejects(locks.with(ID, async () => 'ran'), (e) => e instanceof EngineError && e.kind === 'no-such-container');
});
