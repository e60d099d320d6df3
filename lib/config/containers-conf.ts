// containers.conf, read the way the containers ecosystem layers it: the
// distribution's file, then /etc, then the user's, later keys winning.
// Only the small TOML subset these files use: [tables], key = string | number | bool | [strings].
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRootless } from '../rootless/identity';

export type TomlValue = string | number | boolean | string[];
export type TomlTables = Record<string, Record<string, TomlValue>>;

export function parseToml(text: string): TomlTables {
  const tables: TomlTables = {};
  let current = '';
  tables[current] = {};
  // Join multi-line arrays first so each assignment is on one line.
  const lines = text.replace(/\[\s*\n([\s\S]*?)\]/g, (m) => m.replace(/\n/g, ' ')).split('\n');
  for (const raw of lines) {
    const line = stripComment(raw).trim();
    if (!line) continue;
    const table = /^\[+\s*([^\]]+?)\s*\]+$/.exec(line);
    if (table) {
      current = table[1];
      tables[current] ??= {};
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(.+)$/.exec(line);
    if (kv) tables[current][kv[1]] = parseValue(kv[2].trim());
  }
  return tables;
}

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function parseValue(v: string): TomlValue {
  if (v.startsWith('[')) {
    const items: string[] = [];
    for (const m of v.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)) items.push(m[1] !== undefined ? unescape(m[1]) : m[2]);
    return items;
  }
  if (v.startsWith('"')) return unescape(v.slice(1, v.lastIndexOf('"')));
  if (v.startsWith("'")) return v.slice(1, v.lastIndexOf("'"));
  if (v === 'true' || v === 'false') return v === 'true';
  const n = Number(v);
  return Number.isNaN(n) ? v : n;
}

const unescape = (s: string) => s.replace(/\\(["\\nt])/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);

export interface ContainersConf {
  runtime?: string;
  runtimePaths: Record<string, string[]>;
  serviceTimeout?: number;
  stopTimeout?: number;
  defaultUlimits: string[];
  eventsLogger?: string;
  /** [engine] events_logfile_path: the file backend's log instead of RUNROOT/events/events.log */
  eventsLogfilePath?: string;
  /** [containers] seccomp_profile: a file, or "unconfined" */
  seccompProfile?: string;
  /** [containers] pids_limit (Podman's default 2048; 0 = unlimited) */
  pidsLimit: number;
  /** [engine] cgroup_manager: "cgroupfs" or "systemd" (checked where it is used) */
  cgroupManager?: string;
  /** [network] default_rootless_network_cmd: "slirp4netns" (default) or "pasta" */
  defaultRootlessNetworkCmd?: string;
  /** [engine] infra_image and infra_command: a pod's infra container */
  infraImage?: string;
  infraCommand?: string[];
  /** [containers] userns: the --userns of containers created without one (Podman's default "host") */
  userns?: string;
}

export function containersConfFiles(): string[] {
  if (process.env.CONTAINERS_CONF) return [process.env.CONTAINERS_CONF];
  const files = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];
  const home = process.env.HOME;
  if (isRootless() && home)
    files.push(path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'containers.conf'));
  return files;
}

let cached: ContainersConf | undefined;

export function loadContainersConf(files = containersConfFiles()): ContainersConf {
  if (cached) return cached;
  const conf: ContainersConf = { runtimePaths: {}, defaultUlimits: [], pidsLimit: 2048 };
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const t = parseToml(text);
    const engine = t.engine ?? {};
    if (typeof engine.runtime === 'string') conf.runtime = engine.runtime;
    if (typeof engine.service_timeout === 'number') conf.serviceTimeout = engine.service_timeout;
    if (typeof engine.stop_timeout === 'number') conf.stopTimeout = engine.stop_timeout;
    if (typeof engine.events_logger === 'string') conf.eventsLogger = engine.events_logger;
    if (typeof engine.events_logfile_path === 'string' && engine.events_logfile_path) conf.eventsLogfilePath = path.resolve(engine.events_logfile_path);
    if (typeof engine.cgroup_manager === 'string') conf.cgroupManager = engine.cgroup_manager;
    if (typeof engine.infra_image === 'string' && engine.infra_image) conf.infraImage = engine.infra_image;
    if (typeof engine.infra_command === 'string' && engine.infra_command) conf.infraCommand = [engine.infra_command];
    for (const [k, v] of Object.entries(t['engine.runtimes'] ?? {})) if (Array.isArray(v)) conf.runtimePaths[k] = v;
    const ulimits = t.containers?.default_ulimits;
    if (Array.isArray(ulimits)) conf.defaultUlimits = ulimits;
    const containers = t.containers ?? {};
    if (typeof containers.seccomp_profile === 'string') conf.seccompProfile = containers.seccomp_profile;
    if (typeof containers.pids_limit === 'number') conf.pidsLimit = containers.pids_limit;
    if (typeof containers.userns === 'string') conf.userns = containers.userns;
    const network = t.network ?? {};
    if (typeof network.default_rootless_network_cmd === 'string') conf.defaultRootlessNetworkCmd = network.default_rootless_network_cmd;
  }
  cached = conf;
  return conf;
}
