// The one transactional store: a JSON database replaced atomically (write a
// temporary file, rename it over), with read-modify-write under an exclusive
// flock so that the CLI, the API service and monitors' cleanups never lose
// each other's changes. Readers need no lock: a rename is atomic.
//
// The state before each write is kept as db.json.bak (a hard link to the
// replaced file: no data written twice), so a damaged db.json can be restored
// by `tspod system check --repair`.
import * as fs from 'node:fs';
import { native } from '../native';
import { EngineError } from '../errors';
import { type Database, emptyDatabase } from './records';
import { type StoragePaths, dbBackupFile, dbFile, lockFile } from './paths';
import { ensurePrivateRoots } from './roots';

/** Errors that mean the store's filesystem takes no more data (full disk, quota, read-only). */
const STORAGE_FULL = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);
export const isStorageFull = (err: unknown): boolean =>
  STORAGE_FULL.has((err instanceof EngineError ? err.cause_ : (err as NodeJS.ErrnoException)?.code) ?? '');

/** Parses a state file; throws a clear error naming it when it is damaged. */
export function parseDatabase(file: string, text: string): Database {
  let db: unknown;
  try {
    db = JSON.parse(text);
  } catch (err) {
    throw damaged(file, text.length === 0 ? 'the file is empty' : (err as Error).message);
  }
  const d = db as Partial<Database> | null;
  if (!d || typeof d !== 'object' || d.version !== 1 || typeof d.containers !== 'object' || !d.containers || typeof d.images !== 'object' || !d.images)
    throw damaged(file, 'not a tspod state database');
  return d as Database;
}

function damaged(file: string, why: string): EngineError {
  return new EngineError(
    'internal',
    `state file ${file} is damaged (${why}): run "tspod system check --repair" to restore the last good copy`,
  );
}

export class Store {
  constructor(readonly paths: StoragePaths) {}

  /**
   * Makes the roots private (creates them 0700, closes old open ones) at the
   * first use of the store: a monitor's exit command that finds the store
   * deleted does not bring its directories back.
   */
  /** Makes the roots (private, parents 0711) before anything is written under them; once per process. */
  ensureRoots(): void {
    if (this.rootsChecked) return;
    ensurePrivateRoots(this.paths);
    this.rootsChecked = true;
  }
  private rootsChecked = false;

  read(): Database {
    return this.readWithText().db;
  }

  /** The database and the text it was read from (undefined: no file yet). */
  private readWithText(): { db: Database; text?: string } {
    this.ensureRoots();
    const file = dbFile(this.paths);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { db: emptyDatabase() };
      throw err;
    }
    return { db: parseDatabase(file, text), text };
  }

  /** Runs fn on the current database under the lock and saves what it changed. */
  update<T>(fn: (db: Database) => T): T {
    return this.locked(() => {
      // The file holds JSON.stringify's text (writeText), so comparing with it tells a change
      // with one serialization instead of two (the database is read and written whole).
      const { db, text } = this.readWithText();
      const before = text ?? JSON.stringify(db);
      const result = fn(db);
      const after = JSON.stringify(db);
      if (after !== before) this.writeText(after);
      return result;
    });
  }

  /**
   * An update whose loss is harmless (a record brought up to date with an exit
   * that happened, a hint): when the store's filesystem is full, the result is
   * still returned, just not saved. So reads never fail for want of space.
   */
  updateUnlessFull<T>(fn: (db: Database) => T): T {
    try {
      return this.update(fn);
    } catch (err) {
      if (!isStorageFull(err)) throw err;
      return fn(this.read());
    }
  }

  /** Holds the store lock around fn (for work that must not interleave with updates). */
  locked<T>(fn: () => T): T {
    // Re-entrant: a second flock on a new fd of the same file would wait for ourselves.
    if (this.held) return fn();
    this.ensureRoots();
    const fd = fs.openSync(lockFile(this.paths), 'a', 0o600);
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

  /**
   * Saves db; the caller holds the lock (inside `locked`). freesSpace: a write
   * that removed data first (rm) and so must succeed on a full disk: it may
   * take the backup's blocks when no new ones can be had (the backup is then
   * gone until the next write). Other writes leave that reserve alone.
   */
  writeUnlocked(db: Database, opts: { freesSpace?: boolean } = {}): void {
    this.writeText(JSON.stringify(db), opts.freesSpace ?? false);
  }

  private writeText(json: string, mayTakeBackup = false): void {
    const file = dbFile(this.paths);
    const backup = dbBackupFile(this.paths);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSynced(tmp, json, 'w');
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      if (!isStorageFull(err)) throw err;
      // A full disk: the backup's blocks take the new state (it is not larger
      // in the writes that free space, such as rm), then replace db.json.
      try {
        if (!mayTakeBackup || fs.statSync(backup).size < Buffer.byteLength(json)) throw err;
        writeFileSynced(backup, json, 'r+');
        fs.renameSync(backup, file);
        return;
      } catch {
        throw new EngineError('internal', `saving the state file ${file}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).code);
      }
    }
    // Keep the current state as the backup: readers see db.json at every moment.
    try {
      fs.rmSync(backup, { force: true });
      fs.linkSync(file, backup);
    } catch {
      // no db.json yet (the first write), or links unsupported: no backup this time
    }
    try {
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}

/** Writes text and fsyncs it; 'r+' rewrites an existing file in place (no new blocks when it fits). */
function writeFileSynced(file: string, text: string, flags: 'w' | 'r+'): void {
  const fd = fs.openSync(file, flags, 0o600);
  try {
    const buf = Buffer.from(text);
    fs.writeSync(fd, buf, 0, buf.length, 0);
    fs.ftruncateSync(fd, buf.length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
