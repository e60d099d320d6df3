// `tspod generate systemd`: systemd service units for a container, in the
// exact layout of Podman 4.3.1's `podman generate systemd`
// (pkg/systemd/generate/containers.go). Pure functions: the command in
// lib/cli/commands/generate.ts gathers the container's data and writes the result.

/** The data of one container that a unit is generated from. */
export interface ContainerUnitInput {
  id: string;
  name: string;
  /** the container's stop timeout in seconds (--stop-timeout at create) */
  stopTimeout: number;
  /** the container's --restart value ('' or 'no' when none) */
  restartPolicy: string;
  /** the original command line: [tspod script path, ...user args]; empty when not created by the CLI */
  createCommand: string[];
  /** the container's environment, KEY=VALUE */
  env: string[];
  /** the monitor's pid file (PIDFile= without --new) */
  conmonPidFile: string;
  /** the run root (RequiresMountsFor= without --new) */
  runRoot: string;
  /** a pod member: the pod's unit (BindsTo=, After=) and, with --new, its pod id file */
  pod?: { serviceName: string; podIdFile: string };
}

/** The data of a pod whose units are generated (the infra container's unit is the pod's). */
export interface PodUnitInput {
  id: string;
  name: string;
  infraId: string;
  infraName: string;
  /** the infra container's stop timeout */
  stopTimeout: number;
  /** the original `pod create` command line: [tspod script path, ...user args] */
  createCommand: string[];
  /** the infra container's monitor pid file (PIDFile= without --new) */
  infraConmonPidFile: string;
  runRoot: string;
}

export interface GenerateOptions {
  new?: boolean;
  /** use the container's name instead of its id */
  name?: boolean;
  noHeader?: boolean;
  template?: boolean;
  restartPolicy?: string;
  restartSec?: number;
  startTimeout?: number;
  /** overrides the container's stop timeout */
  stopTimeout?: number;
  containerPrefix?: string;
  separator?: string;
  wants?: string[];
  after?: string[];
  requires?: string[];
  /** extra Environment= lines (--env/-e) */
  env?: string[];
  podPrefix?: string;
}

/** What the generator needs from its surroundings, fixed in tests. */
export interface GenerateContext {
  /** path of the tspod executable for ExecStart= and friends */
  executable: string;
  version: string;
  /** header timestamp; undefined: now */
  now?: Date;
  /**
   * Flags of `tspod run`/`create` by name and shorthand, and whether they take
   * a value: lets the create command be split into options and image+command
   * correctly. Unknown flags are treated the way Podman's pflag parse does.
   */
  knownFlags?: KnownFlag[];
}

export interface KnownFlag {
  name: string;
  short?: string;
  takesValue: boolean;
}

export interface GeneratedUnit {
  /** unit name without `.service` (and without `@` for templates), e.g. container-web */
  serviceName: string;
  /** file name for --files: container-web.service, container-web@.service */
  fileName: string;
  content: string;
  warnings: string[];
}

export class GenerateError extends Error {}

/** systemd.service(5) Restart= values accepted by --restart-policy. */
export const RESTART_POLICIES = ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always'];

const MIN_TIMEOUT_STOP_SEC = 60;
/** runtime directory specifier paths used by --new units */
export const CIDFILE = '%t/%n.ctr-id';
/** --new units: the run root under systemd's runtime directory (/run or $XDG_RUNTIME_DIR) */
export const NEW_RUN_ROOT = '%t/tspod';
export const ENV_VARIABLE = 'PODMAN_SYSTEMD_UNIT';

export function validateRestartPolicy(p: string): void {
  if (!RESTART_POLICIES.includes(p)) throw new GenerateError(`${p} is not a valid restart policy`);
}

/** Go's strconv.Quote for the strings that reach it (printable text, maybe with controls). */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * One argument for a systemd command line (systemd.service(5), "Command lines"):
 * `$` → `$$` (no variable expansion), `%` → `%%` (no specifier), quoted when it
 * contains a space, a tab or a double quote, backslashes doubled.
 */
export function escapeSystemdArg(arg: string): string {
  arg = arg.replaceAll('$', '$$$$').replaceAll('%', '%%');
  if (/[ \t"]/.test(arg)) return goQuote(arg);
  if (arg.includes('\\')) return arg.replaceAll('\\', '\\\\');
  return arg;
}

export const escapeSystemdArguments = (args: string[]) => args.map(escapeSystemdArg);

/** Words joined by spaces; every word that starts with `-` begins a continuation line. */
export function formatOptions(words: string[]): string {
  if (words.length === 0) return '';
  let s = words[0];
  for (const w of words.slice(1)) s += w.startsWith('-') ? ` \\\n\t${w}` : ` ${w}`;
  return s;
}

const formatOptionsString = (cmd: string) => formatOptions(cmd.split(' '));

/** Go's time.UnixDate layout: `Mon Jan _2 15:04:05 MST 2006`, local time. */
export function unixDate(d: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    year: 'numeric',
    timeZoneName: 'short',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('weekday')} ${get('month')} ${get('day').padStart(2, ' ')} ${get('hour')}:${get('minute')}:${get('second')} ${get('timeZoneName')} ${get('year')}`;
}

// --- the create command, read the way Podman's pflag FlagSet reads it ---

interface ParsedCreate {
  /** how many trailing words are the image and the container's command */
  nArg: number;
  detach: boolean;
  detachChanged: boolean;
  nameChanged: boolean;
  replace: boolean;
  replaceChanged: boolean;
  env: string[];
  sdnotify?: string;
  restart: string;
}

/** The flags Podman itself looks at, plus `-h` taking a value (podman#15124). */
const PODMAN_PARSE_FLAGS: KnownFlag[] = [
  { name: 'detach', short: 'd', takesValue: false },
  { name: 'name', takesValue: true },
  { name: 'replace', takesValue: false },
  { name: 'env', short: 'e', takesValue: true },
  { name: 'sdnotify', takesValue: true },
  { name: 'restart', takesValue: true },
  { name: 'help', short: 'h', takesValue: true },
];

function parseBool(v: string, flag: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new GenerateError(`parsing remaining command-line arguments: invalid argument "${v}" for "${flag}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/** pflag's stripUnknownFlagValue: an unknown flag takes the next word as its value unless it looks like a flag. */
function stripUnknownFlagValue(args: string[]): string[] {
  if (args.length === 0) return args;
  if (args[0].startsWith('-')) return args;
  return args.slice(1);
}

export function parseCreateArgs(args: string[], known: KnownFlag[] = []): ParsedCreate {
  const res: ParsedCreate = { nArg: 0, detach: false, detachChanged: false, nameChanged: false, replace: false, replaceChanged: false, env: [], restart: '' };
  const byName = new Map<string, KnownFlag>();
  const byShort = new Map<string, KnownFlag>();
  for (const f of [...known, ...PODMAN_PARSE_FLAGS]) {
    byName.set(f.name, f);
    if (f.short) byShort.set(f.short, f);
  }
  const own = new Set(PODMAN_PARSE_FLAGS.map((f) => f.name));
  const set = (f: KnownFlag, value: string, shown: string) => {
    if (!own.has(f.name)) return;
    switch (f.name) {
      case 'detach':
        res.detach = parseBool(value, shown);
        res.detachChanged = true;
        break;
      case 'name':
        res.nameChanged = true;
        break;
      case 'replace':
        res.replace = parseBool(value, shown);
        res.replaceChanged = true;
        break;
      case 'env':
        res.env.push(value);
        break;
      case 'sdnotify':
        res.sdnotify = value;
        break;
      case 'restart':
        res.restart = value;
        break;
    }
  };
  let rest = args;
  while (rest.length > 0) {
    const s = rest[0];
    rest = rest.slice(1);
    if (s.length < 2 || !s.startsWith('-')) {
      // not interspersed: the first positional word ends the options
      res.nArg = rest.length + 1;
      return res;
    }
    if (s === '--') {
      res.nArg = rest.length;
      return res;
    }
    if (s.startsWith('--')) {
      const body = s.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new GenerateError(`parsing remaining command-line arguments: bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const f = byName.get(name);
      if (!f) {
        if (eq < 0) rest = stripUnknownFlagValue(rest);
        continue;
      }
      let value: string;
      if (eq >= 0) value = body.slice(eq + 1);
      else if (!f.takesValue) value = 'true';
      else if (rest.length > 0) {
        value = rest[0];
        rest = rest.slice(1);
      } else throw new GenerateError(`parsing remaining command-line arguments: flag needs an argument: ${s}`);
      set(f, value, `--${name}`);
      continue;
    }
    // -abc: pflag's parseShortArg hands the same remaining words to every letter
    const original = rest;
    let shorthands = s.slice(1);
    while (shorthands.length > 0) {
      const c = shorthands[0];
      const f = byShort.get(c);
      let next = shorthands.slice(1);
      if (!f) {
        if (shorthands.length > 2 && shorthands[1] === '=') next = '';
        else rest = stripUnknownFlagValue(original);
        shorthands = next;
        continue;
      }
      let value: string;
      if (shorthands.length > 2 && shorthands[1] === '=') {
        value = shorthands.slice(2);
        next = '';
      } else if (!f.takesValue) value = 'true';
      else if (shorthands.length > 1) {
        value = shorthands.slice(1);
        next = '';
      } else if (original.length > 0) {
        value = original[0];
        rest = original.slice(1);
      } else throw new GenerateError(`parsing remaining command-line arguments: flag needs an argument: '${c}' in -${shorthands}`);
      set(f, value, `-${c}, --${f.name}`);
      shorthands = next;
    }
  }
  return res;
}

/** Drops --pod, --pod-id-file and --infra-conmon-pidfile (every spelling) from the options part: the unit sets its own. */
export function filterPodFlags(command: string[], argCount: number): string[] {
  const out: string[] = [];
  const end = command.length - argCount;
  for (let i = 0; i < end; i++) {
    const s = command[i];
    if (s === '--pod' || s === '--pod-id-file' || s === '--infra-conmon-pidfile') {
      i++;
      continue;
    }
    if (['--pod=', '--pod-id-file=', '--infra-conmon-pidfile='].some((p) => s.startsWith(p))) continue;
    out.push(s);
  }
  return [...out, ...command.slice(end)];
}

/** Drops --rm, --cgroups, --cidfile and --restart (every spelling) from the options part. */
export function filterCommonContainerFlags(command: string[], argCount: number): string[] {
  const out: string[] = [];
  const end = command.length - argCount;
  for (let i = 0; i < end; i++) {
    const s = command[i];
    if (s === '--rm') continue;
    if (s === '--cgroups' || s === '--cidfile' || s === '--restart') {
      i++;
      continue;
    }
    if (['--rm=', '--cgroups=', '--cidfile=', '--restart='].some((p) => s.startsWith(p))) continue;
    out.push(s);
  }
  return [...out, ...command.slice(end)];
}

function removeSdNotifyArg(args: string[], argCount: number): string[] {
  const out: string[] = [];
  const end = args.length - argCount;
  for (let i = 0; i < end; i++) {
    const s = args[i];
    if (s === '--sdnotify') {
      i++;
      continue;
    }
    if (s.startsWith('--sdnotify=')) continue;
    out.push(s);
  }
  return [...out, ...args.slice(end)];
}

/** Removes the first option matching (only --detach=false / --replace=false can get here). */
function removeFirst(args: string[], argCount: number, match: (s: string) => boolean): string[] {
  const i = args.slice(0, args.length - argCount).findIndex(match);
  return i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 1)];
}

export const serviceName = (prefix: string, separator: string, nameOrId: string) => `${prefix}${separator}${nameOrId}`;

/** Go's %v of a []string. */
const goSlice = (a: string[]) => `[${a.join(' ')}]`;

/**
 * The `--template` rewrite: `%i` appended to the container name, or
 * `--name=<service>-%i` added after `run` when the command had no name.
 */
function setContainerNameForTemplate(cmd: string[], svc: string): string[] {
  const out = [...cmd];
  let nameIx = -1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--name') {
      nameIx = i + 1;
      break;
    }
    if (out[i].startsWith('--name=')) {
      nameIx = i;
      break;
    }
  }
  if (nameIx === -1) {
    const runIx = out.indexOf('run');
    if (runIx === -1) throw new GenerateError('"run" is missing in the command arguments');
    out.splice(runIx + 1, 0, `--name=${svc}-%i`);
  } else out[nameIx] = `${out[nameIx]}-%i`;
  return out;
}

export function generateContainerUnit(ctr: ContainerUnitInput, opts: GenerateOptions, ctx: GenerateContext): GeneratedUnit {
  const warnings: string[] = [];
  const isNew = !!opts.new || !!opts.template;
  const stopTimeout = opts.stopTimeout ?? ctr.stopTimeout;
  const startTimeout = opts.startTimeout ?? 0;
  if (!isNew && ctr.restartPolicy && ctr.restartPolicy !== 'no')
    warnings.push(
      `Container ${ctr.id} has restart policy "${ctr.restartPolicy}" which can lead to issues on shutdown: consider recreating the container without a restart policy and use systemd's restart mechanism instead`,
    );
  if (isNew && ctr.createCommand.length === 0)
    throw new GenerateError(`cannot use --new on container "${ctr.id}": no create command found: only works on containers created directly with tspod but not via REST API`);
  if (!isNew && !ctr.conmonPidFile) throw new GenerateError('conmon PID file path is empty, try to recreate the container with --conmon-pidfile flag');

  const nameOrId = opts.name ? ctr.name : ctr.id;
  const svc = serviceName(opts.containerPrefix ?? 'container', opts.separator ?? '-', nameOrId);
  let restartPolicy = 'on-failure';
  if (opts.restartPolicy !== undefined) {
    validateRestartPolicy(opts.restartPolicy);
    restartPolicy = opts.restartPolicy;
  }
  let startLimitBurst = '';
  const extraEnvs: string[] = [];
  const additionalEnvs = (opts.env ?? []).map(escapeSystemdArg);
  const exe = escapeSystemdArg(ctx.executable);

  // Where `run`/`create` is in the original command line; the words before it
  // (after the script path) are root flags such as --root and --runroot. They go
  // to every tspod command of the unit so that all of them use the same store.
  const cc = ctr.createCommand;
  const index = cc.findIndex((a) => a === 'run' || a === 'create') + 1;
  const rootFlags = index > 2 ? escapeSystemdArguments(cc.slice(1, index - 1)) : [];

  let type = 'forking';
  let notifyAccess = '';
  let pidFile = ctr.conmonPidFile;
  let runRoot = ctr.runRoot;
  let execStartPre = '';
  let execStart = formatOptions([exe, ...rootFlags, 'start', nameOrId]);
  // `stop  -t`: two spaces, where Podman's template has an empty word
  let execStop = formatOptions([exe, ...rootFlags, 'stop', '', '-t', String(stopTimeout), nameOrId]);
  let execStopPost = execStop;

  if (isNew) {
    type = 'notify';
    notifyAccess = 'all';
    pidFile = '';
    runRoot = NEW_RUN_ROOT;
    if (index === 0) throw new GenerateError(`container's create command is too short or invalid: ${goSlice(cc)}`);
    execStartPre = formatOptionsString(`/bin/rm -f ${CIDFILE}`);
    // Podman splits its command templates into words before expanding them, so
    // `-t N` stays on the `--ignore` line; the same layout here.
    execStop = formatOptions([exe, ...rootFlags, 'stop', `--ignore -t ${stopTimeout}`, `--cidfile=${CIDFILE}`]);
    execStopPost = formatOptions([exe, ...rootFlags, 'rm', '-f', `--ignore -t ${stopTimeout}`, `--cidfile=${CIDFILE}`]);

    let remaining = cc.slice(index);
    const parsed = parseCreateArgs(remaining, ctx.knownFlags);
    remaining = filterCommonContainerFlags(remaining, parsed.nArg);
    const fixed = [`--cidfile=${CIDFILE}`, '--cgroups=no-conmon', '--rm'];
    // a pod member joins the pod the pod's unit made, named by its id file
    if (ctr.pod) {
      fixed.push('--pod-id-file', ctr.pod.podIdFile);
      remaining = filterPodFlags(remaining, parsed.nArg);
    }
    if (parsed.sdnotify === undefined) fixed.push('--sdnotify=conmon');
    else if (parsed.sdnotify === 'ignore') {
      remaining = removeSdNotifyArg(remaining, parsed.nArg);
      fixed.push('--sdnotify=conmon');
    }
    if (!parsed.detach) {
      fixed.push('-d');
      if (parsed.detachChanged) remaining = removeFirst(remaining, parsed.nArg, (s) => s.startsWith('--detach=') || s.startsWith('-d='));
    }
    if (parsed.nameChanged && !parsed.replace) {
      fixed.push('--replace');
      if (parsed.replaceChanged) remaining = removeFirst(remaining, parsed.nArg, (s) => s.startsWith('--replace='));
    }
    if (opts.restartPolicy === undefined && parsed.restart) {
      let rp = parsed.restart;
      if (rp.startsWith('on-failure:')) {
        startLimitBurst = rp.split(':')[1];
        rp = 'on-failure';
      } else if (rp === 'unless-stopped') rp = 'always';
      restartPolicy = rp;
    }
    for (const e of parsed.env)
      if (!e.includes('='))
        for (const ce of ctr.env) if (ce.split('=')[0] === e) extraEnvs.push(escapeSystemdArg(ce));

    let words = [exe, ...rootFlags, 'run', ...fixed, ...escapeSystemdArguments(remaining)];
    if (opts.template) words = setContainerNameForTemplate(words, svc);
    execStart = formatOptions(words);
  }

  const timeoutStopSec = MIN_TIMEOUT_STOP_SEC + stopTimeout;
  const L: string[] = [];
  L.push(`# ${svc}${opts.template ? '@' : ''}.service`);
  if (!opts.noHeader) {
    L.push(`# autogenerated by tspod ${ctx.version}`);
    L.push(`# ${unixDate(ctx.now ?? new Date())}`);
  }
  L.push('', '[Unit]');
  L.push(`Description=tspod ${svc}.service${opts.template ? ' for %I' : ''}`);
  L.push('Documentation=man:tspod-generate-systemd(1)');
  L.push('Wants=network-online.target', 'After=network-online.target');
  L.push(`RequiresMountsFor=${runRoot}`);
  if (ctr.pod) L.push(`BindsTo=${ctr.pod.serviceName}.service`, `After=${ctr.pod.serviceName}.service`);
  pushUserDependencies(L, opts);
  L.push('', '[Service]');
  L.push(`Environment=${ENV_VARIABLE}=%n${opts.template ? '-%i' : ''}`);
  if (extraEnvs.length) L.push(`Environment=${extraEnvs.join(' ')}`);
  for (const e of additionalEnvs) L.push(`Environment=${e}`);
  L.push(`Restart=${restartPolicy}`);
  if (opts.restartSec) L.push(`RestartSec=${opts.restartSec}`);
  if (startLimitBurst) L.push(`StartLimitBurst=${startLimitBurst}`);
  if (startTimeout) L.push(`TimeoutStartSec=${startTimeout}`);
  L.push(`TimeoutStopSec=${timeoutStopSec}`);
  if (execStartPre) L.push(`ExecStartPre=${execStartPre}`);
  L.push(`ExecStart=${execStart}`);
  L.push(`ExecStop=${execStop}`);
  L.push(`ExecStopPost=${execStopPost}`);
  if (pidFile) L.push(`PIDFile=${pidFile}`);
  L.push(`Type=${type}`);
  if (notifyAccess) L.push(`NotifyAccess=${notifyAccess}`);
  L.push('', '[Install]', 'WantedBy=default.target', '');
  return { serviceName: svc, fileName: `${svc}${opts.template ? '@' : ''}.service`, content: L.join('\n'), warnings };
}

/** --wants, --after, --requires */
function pushUserDependencies(L: string[], opts: GenerateOptions): void {
  const wants = opts.wants ?? [];
  const after = opts.after ?? [];
  const requires = opts.requires ?? [];
  if (wants.length || after.length || requires.length) L.push('', '# User-defined dependencies');
  if (wants.length) L.push(`Wants=${wants.join(' ')}`);
  if (after.length) L.push(`After=${after.join(' ')}`);
  if (requires.length) L.push(`Requires=${requires.join(' ')}`);
}

/** The pod's service name and, for --new, the files its unit keeps under the runtime directory. */
export function podServiceFiles(pod: Pick<PodUnitInput, 'id' | 'name'>, opts: GenerateOptions) {
  const serviceName = `${opts.podPrefix ?? 'pod'}${opts.separator ?? '-'}${opts.name ? pod.name : pod.id}`;
  return { serviceName, pidFile: `%t/${serviceName}.pid`, podIdFile: `%t/${serviceName}.pod-id` };
}

/**
 * The pod's own unit, in the layout of Podman 4.3.1's pods.go: it starts and
 * stops the infra container (or, with --new, creates the pod from its create
 * command with --exit-policy=stop) and requires its containers' units.
 */
export function generatePodUnit(pod: PodUnitInput, requiredServices: string[], opts: GenerateOptions, ctx: GenerateContext): GeneratedUnit {
  if (opts.template) throw new GenerateError('--template is not supported for pods');
  const stopTimeout = opts.stopTimeout ?? pod.stopTimeout;
  const { serviceName: svc, pidFile: newPidFile, podIdFile } = podServiceFiles(pod, opts);
  let restartPolicy = 'on-failure';
  if (opts.restartPolicy !== undefined) {
    validateRestartPolicy(opts.restartPolicy);
    restartPolicy = opts.restartPolicy;
  }
  const exe = escapeSystemdArg(ctx.executable);
  const infra = opts.name ? pod.infraName : pod.infraId;
  const cc = pod.createCommand;
  const at = cc.findIndex((a, i) => i > 0 && cc[i - 1] === 'pod' && a === 'create');
  // tspod's addition: the root flags of the command that made the pod (--root, --runroot) in every line, so the unit uses that store
  const first = cc.findIndex((a, i) => i > 0 && ['pod', 'run', 'create'].includes(a));
  const rootFlags = first > 1 ? escapeSystemdArguments(cc.slice(1, first)) : [];
  let pidFile = pod.infraConmonPidFile;
  const pre: string[] = [];
  let execStart = formatOptions([exe, ...rootFlags, 'start', infra]);
  let execStop = formatOptions([exe, ...rootFlags, 'stop', '-t', String(stopTimeout), infra]);
  let execStopPost = execStop;
  if (opts.new) {
    if (cc.length < 3 || at < 0) throw new GenerateError(`pod does not appear to be created via \`tspod pod create\`: ${goSlice(cc)}`);
    let args = filterPodFlags(cc.slice(at + 1), 0);
    const parsed = parseCreateArgs(args, [{ name: 'name', takesValue: true }]);
    if (parsed.nameChanged && !parsed.replace) {
      if (parsed.replaceChanged) args = removeFirst(args, parsed.nArg, (s) => s.startsWith('--replace='));
      args = [...args, '--replace'];
    }
    pidFile = newPidFile;
    pre.push(formatOptions(['/bin/rm', '-f', pidFile, podIdFile]));
    pre.push(formatOptions([exe, ...rootFlags, 'pod', 'create', '--infra-conmon-pidfile', pidFile, '--pod-id-file', podIdFile, '--exit-policy=stop', ...escapeSystemdArguments(args)]));
    execStart = formatOptions([exe, ...rootFlags, 'pod', 'start', '--pod-id-file', podIdFile]);
    execStop = formatOptions([exe, ...rootFlags, 'pod', 'stop', '--ignore', '--pod-id-file', podIdFile, '-t', String(stopTimeout)]);
    execStopPost = formatOptions([exe, ...rootFlags, 'pod', 'rm', '--ignore', '-f', '--pod-id-file', podIdFile]);
  }
  const required = [...requiredServices].sort().map((s) => `${s}.service`).join(' ');
  const L: string[] = [`# ${svc}.service`];
  if (!opts.noHeader) L.push(`# autogenerated by tspod ${ctx.version}`, `# ${unixDate(ctx.now ?? new Date())}`);
  L.push('', '[Unit]', `Description=tspod ${svc}.service`, 'Documentation=man:tspod-generate-systemd(1)');
  L.push('Wants=network-online.target', 'After=network-online.target', `RequiresMountsFor=${pod.runRoot}`);
  L.push(`Requires=${required}`, `Before=${required}`);
  pushUserDependencies(L, opts);
  L.push('', '[Service]', `Environment=${ENV_VARIABLE}=%n`, `Restart=${restartPolicy}`);
  if (opts.restartSec) L.push(`RestartSec=${opts.restartSec}`);
  L.push(`TimeoutStopSec=${MIN_TIMEOUT_STOP_SEC + stopTimeout}`);
  for (const p of pre) L.push(`ExecStartPre=${p}`);
  L.push(`ExecStart=${execStart}`, `ExecStop=${execStop}`, `ExecStopPost=${execStopPost}`, `PIDFile=${pidFile}`, 'Type=forking');
  L.push('', '[Install]', 'WantedBy=default.target', '');
  return { serviceName: svc, fileName: `${svc}.service`, content: L.join('\n'), warnings: [] };
}
