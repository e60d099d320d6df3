// Where import and load read from: a file, standard input for '-', or an
// http(s) URL (as Podman's load -i and import take one).
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { EngineError } from '../errors';

const MAX_REDIRECTS = 5;

/** The body of a GET of url (redirects followed), streamed; an error status fails the stream. */
function urlInput(url: string): Readable {
  const out = new PassThrough();
  const fail = (msg: string) => out.destroy(new EngineError('invalid-argument', `${url}: ${msg}`));
  const get = (u: string, hops: number) => {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return fail('invalid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return fail(`unsupported URL scheme ${parsed.protocol}`);
    // loaded lazily: the CLI's start-up does not pay for the http modules
    const mod = (parsed.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
    const req = mod.get(parsed, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hops >= MAX_REDIRECTS) return fail('too many redirects');
        return get(new URL(res.headers.location, parsed).toString(), hops + 1);
      }
      if (status !== 200) {
        res.resume();
        return fail(`${status} ${res.statusMessage ?? ''}`.trim());
      }
      res.on('error', (e) => fail(e.message));
      res.pipe(out);
    });
    req.on('error', (e) => fail(e.message));
  };
  get(url, 0);
  return out;
}

export function openInput(file: string): Readable {
  if (file === '-') return process.stdin;
  if (/^https?:\/\//i.test(file)) return urlInput(file);
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
