// Where import and load read from: a file, or standard input for '-'.
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors';

export function openInput(file: string): Readable {
  if (file === '-') return process.stdin;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EngineError('invalid-argument', `${file}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  if (!st.isFile()) throw new EngineError('invalid-argument', `${file}: not a regular file`);
  return fs.createReadStream(file);
}
