// Quadlet: a `.container` or `.kube` unit file (Podman's podman-systemd.unit(5)
// format) converted into the `.service` unit that runs it with tspod, in the
// layout of Podman's quadlet (pkg/systemd/quadlet/quadlet.go, ConvertContainer
// in its v4.4–v5.x cidfile form, ConvertKube). Pure functions:
// lib/systemd/generator-main.ts reads the files and writes the results.

export const TSPOD_PATH = '/usr/local/bin/tspod';

export interface UnitLine {
  key: string;
  value: string;
}
export interface UnitSection {
  name: string;
  lines: UnitLine[];
}

export class QuadletError extends Error {}

/** Parses a systemd unit file: sections, `key=value`, comments, trailing-backslash continuations. */
export function parseUnitFile(text: string): UnitSection[] {
  const sections: UnitSection[] = [];
  let cur: UnitSection | undefined;
  const raw = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i].trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new QuadletError(`line ${i + 1}: invalid section header: ${line}`);
      const name = line.slice(1, -1);
      cur = sections.find((s) => s.name === name);
      if (!cur) sections.push((cur = { name, lines: [] }));
      continue;
    }
    while (line.endsWith('\\') && i + 1 < raw.length) {
      line = `${line.slice(0, -1)} ${raw[++i].trim()}`;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new QuadletError(`line ${i + 1}: expected key=value: ${line}`);
    if (!cur) throw new QuadletError(`line ${i + 1}: key outside of any section: ${line}`);
    cur.lines.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return sections;
}

/**
 * Splits a value into words like systemd's extract_first_word(EXTRACT_UNQUOTE|
 * EXTRACT_CUNESCAPE|EXTRACT_RELAX): whitespace separates, "..." and '...' quote,
 * backslash escapes (\n \t \\ \" \' and any other character as itself).
 */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  const s = value;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let w = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\' && i + 1 < s.length) w += unescapeChar(s[++i]);
        else w += c;
      } else if (/\s/.test(c)) break;
      else if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < s.length) w += unescapeChar(s[++i]);
      else w += c;
    }
    if (quote) throw new QuadletError(`unbalanced quotes in: ${value}`);
    words.push(w);
  }
  return words;
}

function unescapeChar(c: string): string {
  return c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c;
}

/**
 * One word of a command line as systemd reads it back. Specifiers (%) and
 * variables ($) are left alone on purpose, as quadlet does: `Volume=%h/data:/data`
 * means the user's home. Words with whitespace, quotes or backslashes are quoted.
 */
export function escapeWord(w: string): string {
  if (w !== '' && !/[\s"'\\;]/.test(w)) return w;
  return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

export function escapeWords(words: string[]): string {
  return words.map(escapeWord).join(' ');
}

const CONTAINER_KEYS = new Set([
  'Image',
  'Exec',
  'Network',
  'PublishPort',
  'Volume',
  'Environment',
  'EnvironmentFile',
  'ContainerName',
  'Notify',
  'PodmanArgs',
  'Label',
  'User',
  'Group',
  'WorkingDir',
  'HealthCmd',
  'HealthInterval',
  'HealthOnFailure',
  'HealthRetries',
  'HealthStartPeriod',
  'HealthTimeout',
  'AutoUpdate',
]);

/** Health check keys (quadlet 4.4+) and the run flags they become. */
const HEALTH_FLAGS: [string, string][] = [
  ['HealthCmd', '--health-cmd'],
  ['HealthInterval', '--health-interval'],
  ['HealthOnFailure', '--health-on-failure'],
  ['HealthRetries', '--health-retries'],
  ['HealthStartPeriod', '--health-start-period'],
  ['HealthTimeout', '--health-timeout'],
];

export interface ConvertOptions {
  /** the path of the .container file (SourcePath=, relative Volume= sources) */
  sourcePath: string;
  /** user (rootless) generator */
  user?: boolean;
  /** the tspod binary written into the Exec lines */
  tspod?: string;
  /** the generator's name for the header comment */
  generator?: string;
}

function parseBool(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(l)) return true;
  if (['0', 'no', 'false', 'off'].includes(l)) return false;
  return undefined;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** `<name>.container` → `<name>.service` text. Throws QuadletError for invalid input. */
/**
 * The generated unit's sections: the source's in order, [own] and [Quadlet] renamed X-...
 * (so systemd ignores them), [Unit] with the generator's dependencies and source, and a
 * way to add [Service] lines.
 */
function generatedSections(sections: UnitSection[], own: string, opts: ConvertOptions, defaultDeps: boolean, keep: (s: UnitSection) => UnitSection['lines']) {
  const out: UnitSection[] = sections.map((s) => ({ name: s.name === own || s.name === 'Quadlet' ? `X-${s.name}` : s.name, lines: keep(s) }));
  const get = (n: string): UnitSection => {
    let s = out.find((x) => x.name === n);
    if (!s) out.push((s = { name: n, lines: [] }));
    return s;
  };
  const unit = get('Unit');
  if (defaultDeps && !opts.user)
    unit.lines.unshift({ key: 'Wants', value: 'network-online.target' }, { key: 'After', value: 'network-online.target' });
  unit.lines.push({ key: 'SourcePath', value: opts.sourcePath }, { key: 'RequiresMountsFor', value: '%t/tspod' });
  const service = get('Service');
  return { out, unit, add: (key: string, value: string) => service.lines.push({ key, value }) };
}

export function convertContainer(text: string, opts: ConvertOptions): string {
  const tspod = opts.tspod ?? TSPOD_PATH;
  const sections = parseUnitFile(text);
  const container = sections.find((s) => s.name === 'Container');
  if (!container) throw new QuadletError('no [Container] section');
  const all = (k: string) => container.lines.filter((l) => l.key === k).map((l) => l.value);
  const last = (k: string) => all(k).at(-1);
  for (const l of container.lines) if (!CONTAINER_KEYS.has(l.key)) throw new QuadletError(`unsupported key '${l.key}' in group 'Container'`);

  const quadlet = sections.find((s) => s.name === 'Quadlet');
  const defaultDeps = parseBool(quadlet?.lines.filter((l) => l.key === 'DefaultDependencies').at(-1)?.value ?? 'true') !== false;

  const image = last('Image');
  if (!image) throw new QuadletError("no Image key specified");

  // [Service] checks, as quadlet: KillMode mixed|control-group, Type notify|oneshot
  const service = sections.find((s) => s.name === 'Service');
  const svc = (k: string) => service?.lines.filter((l) => l.key === k).at(-1)?.value;
  const killMode = svc('KillMode');
  if (killMode !== undefined && killMode !== 'mixed' && killMode !== 'control-group')
    throw new QuadletError(`invalid KillMode '${killMode}'`);
  const serviceType = svc('Type') ?? 'notify';
  if (serviceType !== 'notify' && serviceType !== 'oneshot') throw new QuadletError(`invalid service Type '${serviceType}'`);
  if (service?.lines.some((l) => l.key === 'ExecStart' || l.key === 'ExecStop'))
    throw new QuadletError('ExecStart and ExecStop are set by the generator; remove them from [Service]');

  const name = last('ContainerName') ?? 'systemd-%N';

  const args: string[] = ['run', `--name=${name}`, '--cidfile=%t/%N.cid', '--replace', '--rm', '--cgroups=split'];
  for (const n of all('Network')) if (n) args.push(`--network=${n}`);
  if (serviceType !== 'oneshot') {
    const notify = last('Notify');
    const on = notify === undefined ? false : parseBool(notify);
    if (on === undefined) throw new QuadletError(`invalid Notify value '${notify}'`);
    args.push(on ? '--sdnotify=container' : '--sdnotify=conmon');
    args.push('-d');
  }
  const user = last('User');
  const group = last('Group');
  if (group && !user) throw new QuadletError('Group set without User');
  if (user) args.push('--user', group ? `${user}:${group}` : user);
  const workdir = last('WorkingDir');
  if (workdir) args.push('--workdir', workdir);
  for (const v of all('Volume')) {
    if (!v) continue;
    let vol = v;
    const colon = v.indexOf(':');
    if (colon > 0) {
      const src = v.slice(0, colon);
      if (src.startsWith('./') || src.startsWith('../') || src === '.' || src === '..')
        vol = `${normalize(`${dirOf(opts.sourcePath)}/${src}`)}${v.slice(colon)}`;
    }
    args.push('-v', vol);
  }
  for (const p of all('PublishPort')) if (p) args.push('--publish', p);
  for (const [key, flag] of HEALTH_FLAGS) {
    const v = last(key);
    if (v) args.push(flag, v);
  }
  const autoUpdate = last('AutoUpdate');
  if (autoUpdate) {
    if (autoUpdate !== 'registry' && autoUpdate !== 'local') throw new QuadletError(`invalid AutoUpdate value '${autoUpdate}': registry or local`);
    args.push('--label', `io.containers.autoupdate=${autoUpdate}`);
  }
  for (const e of all('Environment'))
    for (const w of splitWords(e)) args.push('--env', w);
  for (const l of all('Label'))
    for (const w of splitWords(l)) args.push('--label', w);
  for (const f of all('EnvironmentFile')) {
    if (!f) continue;
    const abs = f.startsWith('/') || f.startsWith('%') ? f : normalize(`${dirOf(opts.sourcePath)}/${f}`);
    args.push('--env-file', abs);
  }
  for (const a of all('PodmanArgs')) args.push(...splitWords(a));
  args.push(image);
  const exec = last('Exec');
  if (exec) args.push(...splitWords(exec));

  // Output: the source sections in order, [Container] renamed [X-Container] (so
  // systemd ignores it), the generator's lines added to [Unit] and [Service].
  const { out, unit, add } = generatedSections(sections, 'Container', opts, defaultDeps, (s) => [...s.lines]);
  add('Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  if (killMode === undefined) add('KillMode', 'mixed');
  add('ExecStop', `${tspod} rm -v -f -i --cidfile=%t/%N.cid`);
  add('ExecStopPost', `-${tspod} rm -v -f -i --cidfile=%t/%N.cid`);
  add('Delegate', 'yes');
  if (serviceType === 'notify') {
    if (svc('Type') === undefined) add('Type', 'notify');
    add('NotifyAccess', 'all');
  }
  if (svc('SyslogIdentifier') === undefined) add('SyslogIdentifier', '%N');
  add('ExecStart', `${tspod} ${escapeWords(args)}`);

  const header = `# Automatically generated by ${opts.generator ?? 'tspod-systemd-generator'}\n#\n`;
  return header + out.map((sec) => `[${sec.name}]\n${sec.lines.map((l) => `${l.key}=${l.value}\n`).join('')}`).join('\n');
}

const KUBE_KEYS = new Set(['Yaml', 'ConfigMap', 'Network', 'PublishPort', 'LogDriver', 'UserNS', 'PodmanArgs']);

/** A file named in a quadlet file: relative to its directory, unless absolute or a systemd specifier (%h/...). */
function sourceRelative(p: string, sourcePath: string): string {
  return p.startsWith('/') || p.startsWith('%') ? p : normalize(`${dirOf(sourcePath)}/${p}`);
}

/** PublishPort=: [ip:][hostPort:]containerPort[/tcp|udp], ports or ranges (IPv6 in brackets), checked as quadlet does. */
function checkPublishPort(v: string): void {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]*):)?(?:([0-9]*(?:-[0-9]+)?):)?([0-9]+(?:-[0-9]+)?)(?:\/(tcp|udp|sctp))?$/.exec(v);
  const port = (x: string) => x.split('-').every((n) => /^[0-9]{1,5}$/.test(n) && Number(n) <= 65535);
  if (!m || (m[2] && !port(m[2])) || !port(m[3])) throw new QuadletError(`invalid published port '${v}'`);
}

/**
 * `<name>.kube` → `<name>.service`: `kube play --service-container` of the
 * YAML; the play tells systemd READY with the service container's monitor as
 * the main process, and `kube down` removes the pods. Throws QuadletError for
 * invalid input.
 */
export function convertKube(text: string, opts: ConvertOptions): string {
  const tspod = opts.tspod ?? TSPOD_PATH;
  const sections = parseUnitFile(text);
  const kube = sections.find((s) => s.name === 'Kube');
  if (!kube) throw new QuadletError('no [Kube] section');
  for (const l of kube.lines) if (!KUBE_KEYS.has(l.key)) throw new QuadletError(`unsupported key '${l.key}' in group 'Kube'`);
  const all = (k: string) => kube.lines.filter((l) => l.key === k).map((l) => l.value);
  const last = (k: string) => all(k).at(-1);

  const quadlet = sections.find((s) => s.name === 'Quadlet');
  const defaultDeps = parseBool(quadlet?.lines.filter((l) => l.key === 'DefaultDependencies').at(-1)?.value ?? 'true') !== false;

  const yamlKey = last('Yaml');
  if (!yamlKey) throw new QuadletError('no Yaml key specified');
  const yaml = sourceRelative(yamlKey, opts.sourcePath);

  const service = sections.find((s) => s.name === 'Service');
  const svc = (k: string) => service?.lines.filter((l) => l.key === k).at(-1)?.value;
  const killMode = svc('KillMode');
  if (killMode !== undefined && killMode !== 'mixed' && killMode !== 'control-group') throw new QuadletError(`invalid KillMode '${killMode}'`);
  if (service?.lines.some((l) => l.key === 'ExecStart' || l.key === 'ExecStop' || l.key === 'ExecStopPost'))
    throw new QuadletError('ExecStart, ExecStop and ExecStopPost are set by the generator; remove them from [Service]');

  const args = ['kube', 'play', '--replace', '--service-container=true'];
  const logDriver = last('LogDriver');
  if (logDriver) args.push('--log-driver', logDriver);
  const userns = last('UserNS');
  if (userns) args.push('--userns', userns);
  for (const n of all('Network')) if (n) args.push(`--network=${n}`);
  for (const c of all('ConfigMap')) for (const w of splitWords(c)) args.push('--configmap', sourceRelative(w, opts.sourcePath));
  for (const p of all('PublishPort')) {
    const v = p.trim();
    if (!v) continue;
    checkPublishPort(v);
    args.push('--publish', v);
  }
  for (const a of all('PodmanArgs')) args.push(...splitWords(a));
  args.push(yaml);

  // Type= and NotifyAccess= are the generator's (quadlet sets them over the user's)
  const { out, unit, add } = generatedSections(sections, 'Kube', opts, defaultDeps, (s) =>
    s.name === 'Service' ? s.lines.filter((l) => l.key !== 'Type' && l.key !== 'NotifyAccess') : [...s.lines],
  );
  if (killMode === undefined) add('KillMode', 'mixed');
  add('Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  add('Type', 'notify');
  add('NotifyAccess', 'all');
  if (svc('SyslogIdentifier') === undefined) add('SyslogIdentifier', '%N');
  add('ExecStart', `${tspod} ${escapeWords(args)}`);
  // The main process is the service container's monitor, which systemd did not
  // fork: it cannot wait for it, so with KillMode=mixed a stop would SIGKILL the
  // unit at once. ExecStop takes the pods down first (as Podman 4.4's quadlet),
  // ExecStopPost also after a failed start (as later ones); the second finds nothing.
  add('ExecStop', `${tspod} ${escapeWords(['kube', 'down', yaml])}`);
  add('ExecStopPost', `${tspod} ${escapeWords(['kube', 'down', yaml])}`);

  const header = `# Automatically generated by ${opts.generator ?? 'tspod-systemd-generator'}\n#\n`;
  return header + out.map((sec) => `[${sec.name}]\n${sec.lines.map((l) => `${l.key}=${l.value}\n`).join('')}`).join('\n');
}

function normalize(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** The `WantedBy=`/`RequiredBy=` targets of the [Install] section (the generator links them, as quadlet does). */
export function installTargets(text: string): { wants: string[]; requires: string[] } {
  const install = parseUnitFile(text).find((s) => s.name === 'Install');
  const pick = (k: string) => (install?.lines ?? []).filter((l) => l.key === k).flatMap((l) => splitWords(l.value));
  return { wants: pick('WantedBy'), requires: pick('RequiredBy') };
}
