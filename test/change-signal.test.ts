// The API service's change signal: waiters wake on notify (or at their timeout),
// and a replaced state file or a new exit file (by any process) notifies them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChangeSignal, watchStore } from '../api/change-signal';

/** Which settles first: the wait, or a long sentinel timer. */
async function wokeBy(wait: Promise<void>, act: () => void): Promise<'signal' | 'sentinel'> {
  let timer: NodeJS.Timeout | undefined;
  const sentinel = new Promise<'sentinel'>((r) => (timer = setTimeout(() => r('sentinel'), 20_000)));
  act();
  const r = await Promise.race([wait.then(() => 'signal' as const), sentinel]);
  clearTimeout(timer);
  return r;
}

test('a waiter wakes at notify, every waiter at once; without one, at its timeout', async () => {
  const s = new ChangeSignal();
  const a = s.wait(60_000);
  const b = s.wait(60_000);
  assert.equal(await wokeBy(Promise.all([a, b]).then(() => undefined), () => s.notify()), 'signal');
  const t0 = Date.now();
  await s.wait(20);
  assert.ok(Date.now() - t0 >= 15);
  s.notify(); // nobody waits: nothing happens
});

test('watchStore: a replaced db.json and a new exit file notify the waiters', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-change-'));
  const paths = { root: path.join(dir, 'root'), runroot: path.join(dir, 'run') };
  fs.mkdirSync(paths.root, { recursive: true });
  fs.mkdirSync(paths.runroot, { recursive: true });
  const s = new ChangeSignal();
  const stop = watchStore(paths, s);
  try {
    const db = path.join(paths.root, 'db.json');
    assert.equal(
      await wokeBy(s.wait(60_000), () => {
        fs.writeFileSync(`${db}.tmp`, '{}');
        fs.renameSync(`${db}.tmp`, db);
      }),
      'signal',
    );
    assert.equal(await wokeBy(s.wait(60_000), () => fs.writeFileSync(path.join(paths.runroot, 'exits', 'abc'), '0')), 'signal');
  } finally {
    stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
