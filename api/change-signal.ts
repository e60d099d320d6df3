// Waiters for "something about the containers changed": a wait condition polls
// the store, and wakes early when a container changed (an operation of this
// service finished, an attached container exited, the state file or an exit
// file was written by anyone), so `docker run --rm`'s wait for the removal does
// not sit out a whole poll interval.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type StoragePaths, dbFile, exitDir } from '../lib/storage/paths';
export class ChangeSignal {
  private waiters = new Set<() => void>();

  /** Resolves at the next notify, or after ms. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * Wakes the signal when the store's state file is replaced or a container's exit file is
 * written, by any process (a monitor's cleanup, the CLI): inotify through fs.watch, so a wait
 * for "removed" or "not-running" answers at once instead of at its next poll. Returns the
 * function that stops watching; where a directory cannot be watched, the polls remain.
 * The store's roots must exist (Store.ensureRoots makes them, private).
 */
export function watchStore(paths: StoragePaths, signal: ChangeSignal): () => void {
  const watchers: fs.FSWatcher[] = [];
  const watch = (dir: string, wanted: (name: string) => boolean) => {
    try {
      const w = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (name && wanted(String(name))) signal.notify();
      });
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      /* polled instead */
    }
  };
  const db = path.basename(dbFile(paths));
  watch(path.dirname(dbFile(paths)), (name) => name === db);
  try {
    fs.mkdirSync(exitDir(paths), { recursive: true }); // as the engine makes it; the roots are there (ensureRoots)
  } catch {
    /* polled instead */
  }
  watch(exitDir(paths), () => true);
  return () => {
    for (const w of watchers.splice(0)) w.close();
  };
}
