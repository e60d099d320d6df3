// The shape of a tspod command and what it runs with.
import type { FlagDef, Parsed } from './parse';
import type { LocalEngine } from '../container/engine';

export interface CliContext {
  engine: LocalEngine;
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
export const err = (s: string) => process.stderr.write(s);
