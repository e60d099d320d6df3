// Command-line parsing with the conventions of Podman's (cobra/pflag) CLI:
// --flag value, --flag=value, -f value, grouped short booleans (-it), --bool=false,
// `--` ends flags, and commands like `run` stop at their first argument.

/** uint: Go's ParseUint (no sign), as Podman's UintVar flags (stop/restart/rm/pod stop --time) */
export type FlagType = 'bool' | 'string' | 'int' | 'uint' | 'array';

export interface FlagDef {
  name: string;
  short?: string;
  type: FlagType;
  help?: string;
  default?: string | number | boolean;
  hidden?: boolean;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {}

export interface Parsed {
  flags: FlagValues;
  args: string[];
  /** Flags the user actually gave (to tell a default from an explicit value). */
  given: Set<string>;
}

export function parseArgs(argv: string[], defs: FlagDef[], interspersed: boolean): Parsed {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short as string, d]));
  const flags: FlagValues = {};
  const given = new Set<string>();
  for (const d of defs) {
    if (d.type === 'array') flags[d.name] = [];
    else if (d.default !== undefined) flags[d.name] = d.default;
    else if (d.type === 'bool') flags[d.name] = false;
  }
  const args: string[] = [];
  // `missing`: pflag's words for a value that is not there ("--name", or "'n' in -n")
  const set = (d: FlagDef, raw: string | undefined, takeNext: () => string | undefined, shown: string, missing = shown) => {
    given.add(d.name);
    if (d.type === 'bool') {
      if (raw === undefined) flags[d.name] = true;
      else if (/^(true|1|t|TRUE|True)$/.test(raw)) flags[d.name] = true;
      else if (/^(false|0|f|FALSE|False)$/.test(raw)) flags[d.name] = false;
      else throw new UsageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return;
    }
    const value = raw ?? takeNext();
    if (value === undefined) throw new UsageError(`flag needs an argument: ${missing}`);
    if (d.type === 'int' || d.type === 'uint') {
      const signed = d.type === 'int';
      if (!(signed ? /^-?\d+$/ : /^\d+$/).test(value))
        throw new UsageError(`invalid argument "${value}" for "${shown}" flag: strconv.Parse${signed ? 'Int' : 'Uint'}: parsing "${value}": invalid syntax`);
      flags[d.name] = Number(value);
    } else if (d.type === 'array') (flags[d.name] as string[]).push(value);
    else flags[d.name] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const takeNext = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const d = byName.get(name);
      if (!d) throw new UsageError(`unknown flag: --${name}`);
      set(d, eq < 0 ? undefined : a.slice(eq + 1), takeNext, `--${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // -abc: booleans grouped, the last may take a value (-e FOO or -eFOO)
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const d = byShort.get(c);
        if (!d) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        const rest = a.slice(j + 1);
        if (d.type === 'bool') {
          if (rest.startsWith('=')) {
            set(d, rest.slice(1), takeNext, `-${c}, --${d.name}`);
            break;
          }
          set(d, undefined, takeNext, `-${c}, --${d.name}`);
          continue;
        }
        set(d, rest ? rest.replace(/^=/, '') : undefined, takeNext, `-${c}, --${d.name}`, `'${c}' in -${a.slice(j)}`);
        break;
      }
      continue;
    }
    args.push(a);
    if (!interspersed) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, args, given };
}

export const str = (v: FlagValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);
export const arr = (v: FlagValues[string]): string[] => (Array.isArray(v) ? v : []);
export const bool = (v: FlagValues[string]): boolean => v === true;
export const int = (v: FlagValues[string]): number | undefined => (typeof v === 'number' ? v : undefined);

/** Help text in Podman's layout. */
export function helpText(usage: string, description: string, defs: FlagDef[]): string {
  const lines = defs
    .filter((d) => !d.hidden)
    .map((d) => {
      const left = `${d.short ? `-${d.short}, ` : '    '}--${d.name}${d.type === 'bool' ? '' : ` ${d.type === 'int' || d.type === 'uint' ? d.type : 'string'}`}`;
      return `  ${left.padEnd(30)} ${d.help ?? ''}`;
    });
  return `${description}\n\nUsage:\n  ${usage}\n\nOptions:\n${lines.join('\n')}\n`;
}

/** `--label k=v` / `--opt k=v` lists as a map (`k` alone maps to ''). */
export function keyValues(items: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of items) {
    const eq = l.indexOf('=');
    if (eq < 0) o[l] = '';
    else o[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return o;
}
