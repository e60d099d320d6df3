// Containerfile parsing. The syntax (parser directives such as `# escape`,
// line continuations, comments, flags, heredoc bodies) is read by
// dockerfile-ast, the parser behind the VS Code Docker tooling: maintained,
// typed, no native code, bundles with esbuild. This module turns its tree into
// stages of instructions; variable expansion is ours (lib/build/expand.ts).
import type { DockerfileParser as Parser, Instruction as AstInstruction } from 'dockerfile-ast';
import { EngineError } from '../errors';

export interface Instruction {
  keyword: string;
  /** the arguments as written, continuations joined, flags removed */
  args: string;
  /** --name=value flags, in order */
  flags: [string, string | undefined][];
  /** the exec (JSON) form's strings, when the arguments are one */
  json?: string[];
  /** ENV, LABEL, ARG: the key/value pairs (value undefined: `ARG NAME`) */
  properties?: [string, string | undefined][];
  /** the instruction as shown in STEP lines */
  text: string;
  line: number;
}

export interface Stage {
  index: number;
  /** `AS name`, lower case */
  name?: string;
  /** the FROM instruction */
  from: Instruction;
  steps: Instruction[];
}

export interface ParsedContainerfile {
  /** ARGs before the first FROM */
  globalArgs: Instruction[];
  stages: Stage[];
}

const SUPPORTED = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'USER', 'LABEL', 'EXPOSE', 'ENTRYPOINT', 'CMD', 'VOLUME', 'STOPSIGNAL', 'SHELL', 'MAINTAINER', 'ONBUILD', 'HEALTHCHECK']);

function jsonForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch {
    // shell form that happens to start with [
  }
  return undefined;
}

export function parseContainerfile(text: string): ParsedContainerfile {
  const { DockerfileParser } = require('dockerfile-ast') as { DockerfileParser: typeof Parser };
  const df = DockerfileParser.parse(text);
  const result: ParsedContainerfile = { globalArgs: [], stages: [] };
  for (const ast of df.getInstructions()) {
    const keyword = ast.getKeyword().toUpperCase();
    const line = ast.getRange().start.line + 1;
    if (!SUPPORTED.has(keyword)) throw new EngineError('invalid-argument', `Containerfile line ${line}: unknown instruction: ${ast.getKeyword()}`);
    const ins = toInstruction(ast, keyword, line);
    if (keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter(Boolean);
      if (words.length !== 1 && !(words.length === 3 && words[1].toUpperCase() === 'AS'))
        throw new EngineError('invalid-argument', `Containerfile line ${line}: FROM requires either one or three arguments`);
      result.stages.push({ index: result.stages.length, name: words[2]?.toLowerCase(), from: ins, steps: [] });
      continue;
    }
    const stage = result.stages[result.stages.length - 1];
    if (!stage) {
      if (keyword !== 'ARG') throw new EngineError('invalid-argument', `Containerfile line ${line}: no FROM before ${keyword}`);
      result.globalArgs.push(ins);
      continue;
    }
    stage.steps.push(ins);
  }
  if (result.stages.length === 0) throw new EngineError('invalid-argument', 'no FROM statement found in the Containerfile');
  return result;
}

function toInstruction(ast: AstInstruction, keyword: string, line: number): Instruction {
  const a = ast as AstInstruction & {
    getFlags?: () => { getName(): string; getValue(): string | null }[];
    getProperties?: () => { getName(): string; getValue(): string | null }[];
  };
  const args = (ast.getArgumentsContent() ?? '').trim();
  const flags: [string, string | undefined][] = (a.getFlags?.() ?? []).map((f) => [f.getName(), f.getValue() ?? undefined]);
  const properties = ['ENV', 'LABEL', 'ARG'].includes(keyword)
    ? (a.getProperties?.() ?? []).map((p): [string, string | undefined] => [p.getName(), p.getValue() ?? undefined])
    : undefined;
  const flagText = flags.map(([n, v]) => (v === undefined ? `--${n}` : `--${n}=${v}`)).join(' ');
  return {
    keyword,
    args,
    flags,
    json: ['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME'].includes(keyword) ? jsonForm(args) : undefined,
    properties,
    text: `${keyword}${flagText ? ` ${flagText}` : ''}${args ? ` ${args}` : ''}`,
    line,
  };
}
