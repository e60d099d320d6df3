// A build context given as a tar (a file, or `-` for stdin, plain or gzip):
// unpacked into a private directory of the store's scratch space, every entry
// resolved inside it. Input that is not a tar is a Containerfile with an empty
// context, as `docker build - < Dockerfile` takes it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Store } from '../storage/store';
import { storageTmpDir } from '../storage/paths';
import { extractTar } from '../container/archive';
import { archiveStream, isTarArchive } from './builder';

export interface UnpackedContext {
  dir: string;
  /** set when the input was a Containerfile rather than a tar */
  containerfile?: string;
  remove(): void;
}

export async function unpackContext(store: Store, input: Readable): Promise<UnpackedContext> {
  const base = path.join(storageTmpDir(store.paths), `build-context-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  const dir = path.join(base, 'context');
  const remove = () => fs.rmSync(base, { recursive: true, force: true });
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(base, 'input');
    await pipeline(input, fs.createWriteStream(file, { mode: 0o600 }));
    if (!isTarArchive(file)) {
      const containerfile = path.join(base, 'Containerfile');
      fs.renameSync(file, containerfile);
      return { dir, containerfile, remove };
    }
    await extractTar(dir, '/', archiveStream(file));
    fs.rmSync(file);
    return { dir, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
