// The shape of a tspod command and what it runs with.
import type { FlagDef, Parsed } from './parse';
import type { LocalEngine } from '../container/engine';
import type { Engine } from '../engine/engine';

export interface CliContext {
  /** The local engine itself, for commands without remote support: with --remote, using it is an error (125). */
  engine: LocalEngine;
  /** The Engine interface: in process, or a service's libpod API (--remote, --url, CONTAINER_HOST). */
  client: Engine;
  remote: boolean;
  /** the name the user typed for this command, for messages like `See 'tspod run --help'` */
  commandPath: string;
}

export interface CommandDef {
  name: string;
  aliases?: string[];
  usage: string;
  description: string;
  flags: FlagDef[];
  /** false: flags end at the first argument (run, exec, create: the rest is the container's command) */
  interspersed?: boolean;
  minArgs?: number;
  maxArgs?: number;
  hidden?: boolean;
  run(ctx: CliContext, p: Parsed): Promise<number> | number;
}

export interface CommandGroup {
  name: string;
  description: string;
  commands: CommandDef[];
}

export const out = (s: string) => process.stdout.write(s);

/** Asks on stdout and reads one answer from stdin (prune's question); only y or yes agree. */
export function confirmed(question: string): boolean {
  out(question);
  const buf = Buffer.alloc(256);
  let n = 0;
  try {
    n = require('node:fs').readSync(0, buf, 0, buf.length, null);
  } catch {
    return false;
  }
  return /^y(es)?$/i.test(buf.subarray(0, n).toString().trim());
}
export const err = (s: string) => process.stderr.write(s);
