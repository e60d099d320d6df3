// An exclusive flock on a file, waited for without blocking the event loop:
// for short critical sections that are not a container's lifecycle (those
// have lib/container/lifecycle-lock.ts) nor the store (lib/storage/store.ts).
import * as fs from 'node:fs';
import { native } from '../native';
import { EngineError } from '../errors';

const POLL_MS = 20;

/** Takes the lock (creating the file 0600), polling up to timeoutMs; resolves with its release. */
export async function lockFileExclusive(file: string, timeoutMs: number): Promise<() => void> {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  const deadline = Date.now() + timeoutMs;
  while (!native().flock(fd, true, true)) {
    if (Date.now() > deadline) {
      fs.closeSync(fd);
      throw new EngineError('internal', `timed out waiting for the lock ${file}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    fs.closeSync(fd); // closing drops the flock
  };
}
