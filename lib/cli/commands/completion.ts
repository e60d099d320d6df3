// `tspod completion bash|zsh|fish [-f FILE]`: the shell's completion script
// (lib/cli/completion.ts), on stdout or into a file.
import * as fs from 'node:fs';
import type { CommandDef } from '../command';
import { out } from '../command';
import { str, UsageError } from '../parse';

export const completionCommand: CommandDef = {
  name: 'completion',
  usage: 'tspod completion [options] bash|zsh|fish',
  description: 'Generate shell autocompletions',
  flags: [
    { name: 'file', short: 'f', type: 'string', help: 'Output the completion to file rather than stdout' },
    { name: 'no-desc', type: 'bool', help: 'Do not include descriptions in the completion output (accepted; the scripts have none but fish\'s)' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(_ctx, p) {
    const { bashCompletion, fishCompletion, zshCompletion } = await import('../completion');
    const shell = p.args[0];
    const make = ({ bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as Record<string, () => string>)[shell];
    if (!make) throw new UsageError(`invalid argument "${shell}" for "tspod completion": only bash, zsh and fish are supported`);
    const script = make();
    const file = str(p.flags.file);
    if (file) fs.writeFileSync(file === '-' ? 1 : file, script);
    else out(script);
    return 0;
  },
};

/** Hidden: `tspod __man DIR` writes the man pages (scripts/build.mjs runs it). */
export const manCommand: CommandDef = {
  name: '__man',
  usage: 'tspod __man DIR',
  description: 'Write the man pages into DIR',
  flags: [],
  hidden: true,
  minArgs: 1,
  maxArgs: 1,
  async run(_ctx, p) {
    const { writeManPages } = await import('../man-pages');
    out(`${writeManPages(p.args[0])} pages written to ${p.args[0]}\n`);
    return 0;
  },
};

export const COMPLETION_COMMANDS: CommandDef[] = [completionCommand, manCommand];
