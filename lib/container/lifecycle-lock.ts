// One lifecycle operation at a time per container (start, stop, rm, the
// monitor's cleanup), across the CLI, the API service and exit commands: an
// flock on a file in the container's directory, as Podman holds a lock per
// container. The store lock stays short (state transitions only); this one
// covers the slow work (mounting, spawning the monitor, waiting for an exit,
// tearing down). The file goes with the container's directory when it is
// removed, so whoever gets the lock afterwards learns that the container is gone.
// Order: a container lock is taken before the store lock, never inside it.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { EngineError, noSuchContainer } from '../errors';
import type { Store } from '../storage/store';
import { containerDir } from '../storage/paths';
import { sleepSync } from '../sleep-sync';

const LOCK_FILE = 'lifecycle.lock';
const POLL_MS = 15;
/** A synchronous caller gives up after this long (it blocks its process meanwhile). */
const SYNC_WAIT_MS = 30_000;

/** The containers the current call chain holds (re-entrant: cleanup -> remove). */
const heldByChain = new AsyncLocalStorage<ReadonlySet<string>>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ContainerLocks {
  /** Containers some call chain of this process holds: a synchronous waiter cannot wait for those. */
  private readonly heldHere = new Set<string>();

  constructor(private readonly store: Store) {}

  /** Runs fn holding id's lock; waits (without blocking the process) for another holder. */
  async with<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    if (heldByChain.getStore()?.has(id)) return fn();
    const fd = this.open(id);
    try {
      while (!native().flock(fd, true, true)) await sleep(POLL_MS);
      return await this.holding(id, fd, fn);
    } finally {
      fs.closeSync(fd); // releases the flock
    }
  }

  /** The same for synchronous callers: polls (blocking this process) for a bounded time. */
  withSync<T>(id: string, fn: () => T): T {
    if (heldByChain.getStore()?.has(id)) return fn();
    const fd = this.open(id);
    try {
      const deadline = Date.now() + SYNC_WAIT_MS;
      while (!native().flock(fd, true, true)) {
        // Another call chain of this very process holds it: it cannot go on while we block.
        if (this.heldHere.has(id) || Date.now() > deadline) throw busy(id);
        sleepSync(POLL_MS);
      }
      return this.holding(id, fd, fn) as T;
    } finally {
      fs.closeSync(fd);
    }
  }

  private holding<T>(id: string, fd: number, fn: () => T): T {
    if (fs.fstatSync(fd).nlink === 0) throw noSuchContainer(id); // removed while we waited
    const chain = new Set(heldByChain.getStore() ?? []).add(id);
    this.heldHere.add(id);
    const release = () => this.heldHere.delete(id);
    try {
      const r = heldByChain.run(chain, fn);
      if (r instanceof Promise) return r.finally(release) as T;
      release();
      return r;
    } catch (err) {
      release();
      throw err;
    }
  }

  /** The lock file; a container made before locks existed (or just being created) gets its directory here. */
  private open(id: string): number {
    const file = path.join(containerDir(this.store.paths, id), LOCK_FILE);
    try {
      return fs.openSync(file, 'a', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // Under the store lock: rm deletes the record and the directory in one transaction.
    return this.store.locked(() => {
      if (!this.store.read().containers[id]) throw noSuchContainer(id);
      fs.mkdirSync(containerDir(this.store.paths, id), { recursive: true, mode: 0o700 });
      return fs.openSync(file, 'a', 0o600);
    });
  }
}

const busy = (id: string) =>
  new EngineError('state-improper', `container ${id} is busy with another operation: container state improper`);
