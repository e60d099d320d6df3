// Shell completion scripts (`tspod completion bash|zsh|fish`), written from
// the command index itself, so every command, subcommand and flag tspod has is
// completed and nothing it lacks. Container, image, pod, volume and network
// names are completed by asking tspod at completion time.
import type { CommandDef } from './command';
import type { FlagDef } from './parse';
import { GROUP_INDEX, allTop } from './command-index';
import { GLOBAL_FLAGS } from './global-flags';

/** One completable command: its words after `tspod` ("run", "container run"). */
export interface CompletionEntry {
  path: string;
  description: string;
  flags: FlagDef[];
  /** what its arguments name */
  args: ArgKind;
}

export type ArgKind = 'container' | 'image' | 'pod' | 'volume' | 'network' | 'secret' | 'file' | 'none';

/** What a command's arguments name, from its name (as Podman's completion functions are chosen). */
function argKind(group: string | undefined, name: string): ArgKind {
  const g = group ?? '';
  if (['volume', 'network', 'pod', 'secret'].includes(g) && !['create', 'ls', 'list', 'prune'].includes(name)) return g as ArgKind;
  if (g === 'image' || ['rmi', 'tag', 'untag', 'push', 'save', 'history'].includes(name)) return name === 'build' || name === 'import' || name === 'load' ? 'file' : 'image';
  if (['run', 'create', 'pull'].includes(name)) return 'image';
  if (['build', 'import', 'load'].includes(name)) return 'file';
  if (
    ['start', 'stop', 'kill', 'rm', 'logs', 'wait', 'inspect', 'exec', 'rename', 'attach', 'top', 'stats', 'cp', 'port', 'restart', 'pause', 'unpause', 'commit', 'diff', 'export', 'init', 'mount', 'unmount', 'update', 'tree', 'run'].includes(name) ||
    (g === 'container' && !['create', 'ls', 'list', 'prune'].includes(name)) ||
    (g === 'generate' && name === 'systemd') ||
    (g === 'healthcheck')
  )
    return 'container';
  return 'none';
}

/** Every visible command and subcommand, with its flags (global flags excluded). */
export function completionEntries(): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  const add = (c: CommandDef, group?: string) => {
    if (c.hidden) return;
    for (const n of [c.name, ...(c.aliases ?? [])]) {
      out.push({ path: group ? `${group} ${n}` : n, description: c.description, flags: c.flags.filter((f) => !f.hidden), args: argKind(group, c.name) });
    }
  };
  for (const c of allTop()) add(c);
  for (const [g, e] of Object.entries(GROUP_INDEX)) {
    out.push({ path: g, description: e.description, flags: [], args: 'none' });
    for (const c of e.load()) add(c, g);
  }
  return out;
}

const flagWords = (flags: FlagDef[]) => flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
const valueFlags = (flags: FlagDef[]) => flags.filter((f) => f.type !== 'bool').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
/** Safe inside single quotes in sh and fish. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The command that lists the names an argument kind completes to. */
const LISTERS: Record<Exclude<ArgKind, 'file' | 'none'>, string> = {
  container: "ps -a --format '{{.Names}}'",
  image: "images --format '{{.Repository}}:{{.Tag}}'",
  pod: "pod ps --format '{{.Name}}'",
  volume: "volume ls --format '{{.Name}}'",
  network: "network ls --format '{{.Name}}'",
  secret: "secret ls --format '{{.Name}}'",
};

export function bashCompletion(): string {
  const entries = completionEntries();
  const top = entries.filter((e) => !e.path.includes(' ')).map((e) => e.path);
  const groups = Object.keys(GROUP_INDEX);
  const L: string[] = [];
  L.push('# bash completion for tspod (written by `tspod completion bash`)');
  L.push('# shellcheck shell=bash');
  L.push('');
  L.push('__tspod_names() {');
  L.push('  local kind=$1 cmd=${COMP_WORDS[0]}');
  L.push('  case $kind in');
  // the store the command line names (--root, --runroot, --url, --remote) is the one to list
  for (const [k, v] of Object.entries(LISTERS)) L.push(`    ${k}) "$cmd" "\${__tspod_store[@]}" ${v} 2>/dev/null ;;`);
  L.push('  esac');
  L.push('}');
  L.push('');
  L.push('_tspod() {');
  L.push('  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}');
  L.push('  local path="" i w');
  L.push('  __tspod_store=()');
  L.push(`  local global_values=" ${valueFlags(GLOBAL_FLAGS.filter((f) => !f.hidden)).join(' ')} "`);
  L.push(`  local groups=" ${groups.join(' ')} "`);
  L.push('  # The command words so far (flags and their values skipped).');
  L.push('  for ((i = 1; i < COMP_CWORD; i++)); do');
  L.push('    w=${COMP_WORDS[i]}');
  L.push('    case $w in');
  L.push('      --root | --runroot | --url | --connection) __tspod_store+=("$w" "${COMP_WORDS[i+1]}") ;;');
  L.push('      --root=* | --runroot=* | --url=* | --connection=* | --remote | -r) __tspod_store+=("$w") ;;');
  L.push('    esac');
  L.push('    case $w in');
  L.push('      -*=*) continue ;;');
  L.push('      -*) [[ $global_values == *" $w "* || " $(__tspod_values "$path") " == *" $w "* ]] && ((i++)); continue ;;');
  L.push('    esac');
  L.push('    if [[ -z $path ]]; then path=$w; [[ $groups == *" $w "* ]] || break');
  L.push('    else path="$path $w"; break; fi');
  L.push('  done');
  L.push('  if [[ $cur == -* ]]; then');
  L.push(`    COMPREPLY=($(compgen -W "$(__tspod_flags "$path") ${flagWords(GLOBAL_FLAGS.filter((f) => !f.hidden)).join(' ')}" -- "$cur"))`);
  L.push('    return');
  L.push('  fi');
  L.push('  if [[ -z $path ]]; then');
  L.push(`    COMPREPLY=($(compgen -W "${top.join(' ')}" -- "$cur"))`);
  L.push('    return');
  L.push('  fi');
  L.push('  case $path in');
  for (const g of groups) {
    const subs = entries.filter((e) => e.path.startsWith(`${g} `)).map((e) => e.path.slice(g.length + 1));
    L.push(`    ${sq(g)}) COMPREPLY=($(compgen -W ${sq(subs.join(' '))} -- "$cur")); return ;;`);
  }
  L.push('  esac');
  L.push('  local kind');
  L.push('  kind=$(__tspod_args "$path")');
  L.push('  case $kind in');
  L.push('    file) COMPREPLY=($(compgen -f -- "$cur")) ;;');
  L.push('    none) COMPREPLY=() ;;');
  L.push('    *) COMPREPLY=($(compgen -W "$(__tspod_names "$kind")" -- "$cur")) ;;');
  L.push('  esac');
  L.push('}');
  L.push('');
  for (const [fn, pick] of [
    ['__tspod_flags', (e: CompletionEntry) => flagWords(e.flags).join(' ')],
    ['__tspod_values', (e: CompletionEntry) => valueFlags(e.flags).join(' ')],
    ['__tspod_args', (e: CompletionEntry) => e.args],
  ] as const) {
    L.push(`${fn}() {`);
    L.push('  case $1 in');
    for (const e of entries) {
      const v = pick(e);
      if (v) L.push(`    ${sq(e.path)}) echo ${sq(v)} ;;`);
    }
    L.push(`    *) echo ${fn === '__tspod_args' ? 'none' : "''"} ;;`);
    L.push('  esac');
    L.push('}');
    L.push('');
  }
  L.push('complete -o default -F _tspod tspod');
  return `${L.join('\n')}\n`;
}

/** zsh: the bash functions through zsh's bashcompinit, as many tools ship them. */
export function zshCompletion(): string {
  return `#compdef tspod\n# zsh completion for tspod (written by \`tspod completion zsh\`)\n(( $+functions[compdef] )) || { autoload -U compinit && compinit -u; }\nautoload -U +X bashcompinit && bashcompinit\n${bashCompletion()}`;
}

export function fishCompletion(): string {
  const entries = completionEntries();
  const groups = Object.keys(GROUP_INDEX);
  const L: string[] = ['# fish completion for tspod (written by `tspod completion fish`)', 'complete -c tspod -f'];
  const opt = (f: FlagDef) => `${f.short ? ` -s ${f.short}` : ''} -l ${f.name}${f.type === 'bool' ? '' : ' -r'}${f.help ? ` -d ${sq(f.help)}` : ''}`;
  for (const f of GLOBAL_FLAGS.filter((g) => !g.hidden)) L.push(`complete -c tspod${opt(f)}`);
  const topWords = entries.filter((e) => !e.path.includes(' ')).map((e) => e.path);
  for (const e of entries) {
    const words = e.path.split(' ');
    if (words.length === 1) L.push(`complete -c tspod -n ${sq(`not __fish_seen_subcommand_from ${topWords.join(' ')}`)} -a ${sq(e.path)} -d ${sq(e.description)}`);
    else L.push(`complete -c tspod -n ${sq(`__fish_seen_subcommand_from ${words[0]}; and not __fish_seen_subcommand_from ${entries.filter((x) => x.path.startsWith(`${words[0]} `)).map((x) => x.path.split(' ')[1]).join(' ')}`)} -a ${sq(words[1])} -d ${sq(e.description)}`);
    const cond = words.length === 1 ? (groups.includes(words[0]) ? undefined : `__fish_seen_subcommand_from ${words[0]}`) : `__fish_seen_subcommand_from ${words[0]}; and __fish_seen_subcommand_from ${words[1]}`;
    if (!cond) continue;
    for (const f of e.flags) L.push(`complete -c tspod -n ${sq(cond)}${opt(f)}`);
    if (e.args !== 'none' && e.args !== 'file') L.push(`complete -c tspod -n ${sq(cond)} -a ${sq(`(tspod ${LISTERS[e.args]} 2>/dev/null)`)}`);
    if (e.args === 'file') L.push(`complete -c tspod -n ${sq(cond)} -F`);
  }
  return `${L.join('\n')}\n`;
}
