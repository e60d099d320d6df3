// The shape of a tspod command and what it runs with.
import type { FlagDef, Parsed } from './parse';
import type { LocalEngine } from '../container/engine';
import type { Engine } from '../engine/engine';
import { EngineError, exitCodeFor } from '../errors';

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

/**
 * Runs op on each name, as Podman's multi-target commands do: prints what op
 * returns, reports every error and goes on; the exit code is that of the last error.
 */
export async function forEachTarget(
  names: string[],
  op: (name: string) => Promise<string | undefined> | string | undefined,
  codeFor: (e: unknown, code: number) => number = (e) => exitCodeFor(e),
): Promise<number> {
  let code = 0;
  for (const name of names) {
    try {
      const shown = await op(name);
      if (shown !== undefined) out(`${shown}\n`);
    } catch (e) {
      err(`Error: ${(e as Error).message}\n`);
      code = codeFor(e, code);
    }
  }
  return code;
}

/** Podman's rm exit codes (containers, volumes, networks): 1 when missing, 2 when in use. */
export function removalExitCode(e: unknown, code: number): number {
  if (e instanceof EngineError && (e.kind === 'no-such-container' || e.kind === 'no-such-object')) return code || 1;
  if (e instanceof EngineError && e.kind === 'state-improper') return 2;
  return exitCodeFor(e);
}
