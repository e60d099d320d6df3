// registries.conf (containers-registries.conf(5)), version 2 with the v1 tables
// still read: `unqualified-search-registries`, `[[registry]]` entries (prefix,
// location, insecure, blocked), `[aliases]` short names. Files: the one named by
// CONTAINERS_REGISTRIES_CONF, else /etc/containers/registries.conf (the user's
// ~/.config/containers/registries.conf replaces it when present), then the
// registries.conf.d drop-ins in lexical order.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml, type TomlValue } from './containers-conf';
import { isRootless } from '../rootless/identity';

export interface RegistryEntry {
  /** what references are matched against (defaults to location) */
  prefix: string;
  /** where the matched part of a reference is fetched from */
  location: string;
  insecure: boolean;
  blocked: boolean;
}

export interface RegistriesConf {
  unqualifiedSearch: string[];
  registries: RegistryEntry[];
  aliases: Record<string, string>;
  shortNameMode?: string;
}

export function registriesConfFiles(): string[] {
  if (process.env.CONTAINERS_REGISTRIES_CONF) return [process.env.CONTAINERS_REGISTRIES_CONF];
  let main = '/etc/containers/registries.conf';
  const home = process.env.HOME;
  if (isRootless() && home) {
    const user = path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'registries.conf');
    if (fs.existsSync(user)) main = user;
  }
  const files = [main];
  const dropins = `${main}.d`;
  try {
    for (const f of fs.readdirSync(dropins).sort()) if (f.endsWith('.conf')) files.push(path.join(dropins, f));
  } catch {
    // no drop-in directory
  }
  return files;
}

/** Splits the text at table headers so that `[[registry]]` arrays of tables keep each entry apart. */
function sections(text: string): { header: string; values: Record<string, TomlValue>; lines: string[] }[] {
  const uncommented = text.split('\n').map(stripComment).join('\n');
  const joined = uncommented.replace(/=\s*\[[^\]]*\]/g, (m) => m.replace(/\n/g, ' '));
  const out: { header: string; lines: string[] }[] = [{ header: '', lines: [] }];
  for (const line of joined.split('\n')) {
    const h = /^\s*(\[\[?\s*[^\]]+?\s*\]\]?)\s*(?:#.*)?$/.exec(line);
    if (h) out.push({ header: h[1].replace(/\s+/g, ''), lines: [] });
    else out[out.length - 1].lines.push(line);
  }
  return out.map((s) => ({ header: s.header, values: parseToml(s.lines.join('\n'))[''] ?? {}, lines: s.lines }));
}

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

const strList = (v: TomlValue | undefined): string[] => (Array.isArray(v) ? v : []);

export function parseRegistriesConf(text: string, into: RegistriesConf = emptyConf()): RegistriesConf {
  let current: RegistryEntry | undefined;
  for (const { header, values, lines } of sections(text)) {
    switch (header) {
      case '':
        if (Array.isArray(values['unqualified-search-registries'])) into.unqualifiedSearch = strList(values['unqualified-search-registries']);
        if (typeof values['short-name-mode'] === 'string') into.shortNameMode = values['short-name-mode'];
        break;
      case '[[registry]]': {
        const location = typeof values.location === 'string' ? values.location : '';
        const prefix = typeof values.prefix === 'string' && values.prefix ? values.prefix : location;
        if (!prefix) break;
        current = { prefix, location: location || prefix, insecure: values.insecure === true, blocked: values.blocked === true };
        into.registries = into.registries.filter((r) => r.prefix !== prefix);
        into.registries.push(current);
        break;
      }
      case '[aliases]':
        // keys are quoted names with slashes: "foo/bar" = "quay.io/foo/bar"
        for (const line of lines) {
          const m = /^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_.\/-]+))\s*=\s*(?:"([^"]*)"|'([^']*)')\s*$/.exec(line);
          if (m) into.aliases[m[1] ?? m[2] ?? m[3]] = m[4] ?? m[5];
        }
        break;
      // v1 tables
      case '[registries.search]':
        into.unqualifiedSearch = strList(values.registries);
        break;
      case '[registries.insecure]':
      case '[registries.block]':
        for (const loc of strList(values.registries)) {
          const existing = into.registries.find((r) => r.prefix === loc);
          const entry = existing ?? { prefix: loc, location: loc, insecure: false, blocked: false };
          if (header === '[registries.insecure]') entry.insecure = true;
          else entry.blocked = true;
          if (!existing) into.registries.push(entry);
        }
        break;
      default:
        break; // [[registry.mirror]] and others: not used
    }
  }
  return into;
}

const emptyConf = (): RegistriesConf => ({ unqualifiedSearch: [], registries: [], aliases: {} });

let cached: { key: string; conf: RegistriesConf } | undefined;

export function loadRegistriesConf(files = registriesConfFiles()): RegistriesConf {
  const key = files.join('\0');
  if (cached?.key === key) return cached.conf;
  const conf = emptyConf();
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    parseRegistriesConf(text, conf);
  }
  cached = { key, conf };
  return conf;
}

/** Does prefix match name as containers/image matches it: whole components (or a *.domain wildcard)? */
function prefixMatches(prefix: string, name: string): boolean {
  if (prefix.startsWith('*.')) {
    const host = name.split('/')[0];
    return host.endsWith(prefix.slice(1));
  }
  if (!name.startsWith(prefix)) return false;
  const next = name[prefix.length];
  return next === undefined || next === '/' || next === ':' || next === '@';
}

/** The [[registry]] entry for a repository name (registry/path), longest prefix first. */
export function findRegistry(conf: RegistriesConf, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const r of conf.registries) if (prefixMatches(r.prefix, name) && (!best || r.prefix.length > best.prefix.length)) best = r;
  return best;
}

/** name (registry/path) rewritten to the entry's location. */
export function rewriteLocation(entry: RegistryEntry | undefined, name: string): string {
  if (!entry || entry.prefix.startsWith('*.') || entry.location === entry.prefix) return name;
  return entry.location + name.slice(entry.prefix.length);
}
