// Man pages (troff, section 1) for tspod and every command and subcommand,
// written from the same definitions the parser and --help use: tspod(1),
// tspod-run(1), tspod-generate-systemd(1)... `scripts/build.mjs` writes them
// into dist/man/man1 (through the hidden `tspod __man DIR`), setup links them
// under /usr/local/share/man, and generated units point at them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandDef } from './command';
import type { FlagDef } from './parse';
import { GROUP_INDEX, allTop } from './command-index';
import { GLOBAL_FLAGS } from './global-flags';
import { VERSION } from '../version';

/** Text as troff reads it: backslashes, dashes, and a leading dot or quote kept literal. */
export function troff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function options(flags: FlagDef[]): string[] {
  const L: string[] = [];
  for (const f of flags.filter((x) => !x.hidden)) {
    const value = f.type === 'bool' ? '' : ` \\fI${f.type === 'int' || f.type === 'uint' ? f.type : f.type === 'array' ? 'value' : 'string'}\\fR`;
    L.push('.TP', `.B ${f.short ? `\\-${troff(f.short)}, ` : ''}\\-\\-${troff(f.name)}${value}`);
    L.push(troff(`${f.help ?? ''}${f.default !== undefined && f.type !== 'bool' ? ` (default ${f.default})` : ''}`) || '.');
  }
  return L;
}

function page(title: string, name: string, description: string, synopsis: string, body: string[], seeAlso: string[]): string {
  return [
    `.TH ${troff(title.toUpperCase())} 1 "" "tspod ${VERSION}" "tspod Manual"`,
    '.SH NAME',
    `${troff(name)} \\- ${troff(description)}`,
    '.SH SYNOPSIS',
    `.B ${troff(synopsis)}`,
    ...body,
    '.SH SEE ALSO',
    troff(seeAlso.join(', ')),
    '',
  ].join('\n');
}

function commandPage(c: CommandDef, group?: string): { file: string; text: string } {
  const words = ['tspod', ...(group ? [group] : []), c.name];
  const name = words.join('-');
  const body = ['.SH DESCRIPTION', troff(c.description)];
  if (c.aliases?.length) body.push('.PP', troff(`Also available as: ${c.aliases.map((a) => [...words.slice(0, -1), a].join(' ')).join(', ')}.`));
  const opts = options(c.flags);
  if (opts.length) body.push('.SH OPTIONS', ...opts);
  body.push('.SH GLOBAL OPTIONS', troff('See tspod(1).'));
  return { file: `${name}.1`, text: page(name, name, c.description, c.usage, body, ['tspod(1)', ...(group ? [`tspod-${group}(1)`] : [])]) };
}

/** Every page: file name -> troff text. */
export function manPages(): Map<string, string> {
  const pages = new Map<string, string>();
  const top = allTop().filter((c) => !c.hidden);
  const groups = Object.entries(GROUP_INDEX);
  const commandList = [...groups.map(([g, e]) => [g, e.description] as const), ...top.map((c) => [c.name, c.description] as const)]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([n, d]) => ['.TP', `.B tspod\\-${troff(n)}(1)`, troff(d)]);
  pages.set(
    'tspod.1',
    page(
      'tspod',
      'tspod',
      'a daemonless container engine with Podman\'s command line',
      'tspod [options] command',
      [
        '.SH DESCRIPTION',
        troff('tspod runs containers with an OCI runtime (crun or runc), without a daemon. Its commands, flags, output and exit codes are those of Podman; where it differs on purpose, its README says so. systemd socket activation reaches into the container without a proxy.'),
        '.SH GLOBAL OPTIONS',
        ...options(GLOBAL_FLAGS),
        '.SH COMMANDS',
        ...commandList,
        '.SH EXIT STATUS',
        troff('0 on success; 125 for an error of tspod itself; 126 when the container command cannot be invoked; 127 when it is not found; otherwise the exit code of the container command.'),
      ],
      ['containers.conf(5)', 'systemd.unit(5)'],
    ),
  );
  for (const c of top) {
    const p = commandPage(c);
    pages.set(p.file, p.text);
  }
  for (const [g, e] of groups) {
    const subs = e.load().filter((c) => !c.hidden);
    pages.set(
      `tspod-${g}.1`,
      page(`tspod-${g}`, `tspod-${g}`, e.description, `tspod ${g} subcommand`, ['.SH DESCRIPTION', troff(e.description), '.SH COMMANDS', ...subs.flatMap((c) => ['.TP', `.B tspod\\-${troff(g)}\\-${troff(c.name)}(1)`, troff(c.description)])], ['tspod(1)']),
    );
    for (const c of subs) {
      const p = commandPage(c, g);
      pages.set(p.file, p.text);
    }
  }
  return pages;
}

/** Writes every page into dir (made if needed); returns how many. */
export function writeManPages(dir: string): number {
  fs.mkdirSync(dir, { recursive: true });
  const pages = manPages();
  for (const [file, text] of pages) fs.writeFileSync(path.join(dir, file), text);
  return pages.size;
}
