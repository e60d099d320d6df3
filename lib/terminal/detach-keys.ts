// Detach keys, as Podman and Docker take them: a comma-separated list of
// `ctrl-<x>` or single characters (default ctrl-p,ctrl-q). The sequence is
// looked for in the user's input; bytes that only started it are passed on
// once it turns out not to be the sequence.
import { invalidArgument } from '../errors';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** The byte sequence for a detach-keys string; empty when detaching is disabled (""). */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    const c = m?.[1];
    if (c === undefined) throw invalidArgument(`invalid detach keys: ${spec}: detach keys must be a comma-separated list of single characters or ctrl-<value>`);
    if (/[a-z]/.test(c)) out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if ('[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
    else throw invalidArgument(`invalid detach keys: ${spec}: unknown character ${JSON.stringify(c)}`);
  }
  return Buffer.from(out);
}

/** Watches an input stream for the detach sequence. */
export class DetachFilter {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** The bytes to pass on, and whether the sequence completed (what follows it is dropped). */
  push(chunk: Buffer): { pass: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { pass: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { pass: Buffer.from(out), detach: true };
        continue;
      }
      // Not the sequence after all: what was held back goes through first.
      if (this.matched > 0) out.push(...this.keys.subarray(0, this.matched));
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else out.push(b);
    }
    return { pass: out.length === chunk.length ? chunk : Buffer.from(out), detach: false };
  }
}
