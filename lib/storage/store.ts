// The one transactional store: a JSON database replaced atomically (write a
// temporary file, rename it over), with read-modify-write under an exclusive
// flock so that the CLI, the API service and monitors' cleanups never lose
// each other's changes. Readers need no lock: a rename is atomic.
import * as fs from 'node:fs';
import { native } from '../native';
import { type Database, emptyDatabase } from './records';
import { type StoragePaths, dbFile, lockFile } from './paths';

export class Store {
  constructor(readonly paths: StoragePaths) {}

  read(): Database {
    try {
      return JSON.parse(fs.readFileSync(dbFile(this.paths), 'utf8')) as Database;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyDatabase();
      throw err;
    }
  }

  /** Runs fn on the current database under the lock and saves what it changed. */
  update<T>(fn: (db: Database) => T): T {
    return this.locked(() => {
      const db = this.read();
      const before = JSON.stringify(db);
      const result = fn(db);
      const after = JSON.stringify(db);
      if (after !== before) this.writeText(after);
      return result;
    });
  }

  /** Holds the store lock around fn (for work that must not interleave with updates). */
  locked<T>(fn: () => T): T {
    // Re-entrant: a second flock on a new fd of the same file would wait for ourselves.
    if (this.held) return fn();
    fs.mkdirSync(this.paths.root, { recursive: true });
    const fd = fs.openSync(lockFile(this.paths), 'a');
    try {
      native().flock(fd, true, false);
      this.held = true;
      return fn();
    } finally {
      this.held = false;
      fs.closeSync(fd); // closing releases the flock
    }
  }
  private held = false;

  /** Whether this process is inside `locked` (its caller will write what it changes). */
  isHeld(): boolean {
    return this.held;
  }

  /** Saves db; the caller holds the lock (inside `locked`). */
  writeUnlocked(db: Database): void {
    this.writeText(JSON.stringify(db));
  }

  private writeText(json: string): void {
    const file = dbFile(this.paths);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, json);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }
}
