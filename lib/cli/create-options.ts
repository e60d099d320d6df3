// The flags shared by `create` and `run`, and their translation into a create request.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlagDef, Parsed } from './parse';
import { arr, bool, int, str } from './parse';
import type { CreateRequest } from '../container/engine';
import type { ContainerConfig, MountSpec } from '../storage/records';
import { invalidArgument } from '../errors';
import { signalNumber } from '../container/signals';

export const CREATE_FLAGS: FlagDef[] = [
  { name: 'name', type: 'string', help: 'Assign a name to the container' },
  { name: 'env', short: 'e', type: 'array', help: 'Set environment variables in container' },
  { name: 'env-file', type: 'array', help: 'Read in a file of environment variables' },
  { name: 'entrypoint', type: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'workdir', short: 'w', type: 'string', help: 'Working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'volume', short: 'v', type: 'array', help: 'Bind mount a volume into the container' },
  { name: 'mount', type: 'array', help: 'Attach a filesystem mount to the container' },
  { name: 'network', type: 'string', help: 'Connect a container to a network (none, host, private)' },
  { name: 'net', type: 'string', hidden: true },
  { name: 'hostname', short: 'h', type: 'string', help: 'Set container hostname' },
  { name: 'label', short: 'l', type: 'array', help: 'Set metadata on container' },
  { name: 'annotation', type: 'array', help: 'Add annotations to container (key=value)' },
  { name: 'stop-signal', type: 'string', help: 'Signal to stop a container. Default is SIGTERM' },
  { name: 'stop-timeout', type: 'int', help: 'Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL.' },
  { name: 'replace', type: 'bool', help: 'If a container with the same name exists, replace it' },
  { name: 'pull', type: 'string', default: 'missing', help: 'Pull image policy (always, missing, never, newer)' },
  { name: 'rm', type: 'bool', help: 'Remove container (and pod if created) after exit' },
  { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', type: 'bool', help: 'Allocate a pseudo-TTY for container' },
  { name: 'log-driver', type: 'string', default: 'k8s-file', help: 'Logging driver for the container (k8s-file, passthrough, none)' },
  { name: 'sdnotify', type: 'string', default: 'container', help: 'control sd-notify behavior (container, conmon, ignore)' },
  { name: 'privileged', type: 'bool', help: 'Give extended privileges to container' },
  { name: 'read-only', type: 'bool', help: "Make containers root filesystem read-only" },
  { name: 'systemd', type: 'string', default: 'true', help: 'Run container in systemd mode ("true"|"false"|"always")' },
  { name: 'cap-add', type: 'array', help: 'Add capabilities to the container' },
  { name: 'cap-drop', type: 'array', help: 'Drop capabilities from the container' },
  { name: 'init', type: 'bool', hidden: true },
  { name: 'restart', type: 'string', help: 'Restart policy to apply when a container exits' },
  { name: 'cidfile', type: 'string', help: 'Write the container ID to the file' },
  { name: 'cgroups', type: 'string', hidden: true }, // accepted and ignored (generate systemd --new emits --cgroups=no-conmon)
  { name: 'tmpfs', type: 'array', help: 'Mount a temporary filesystem (tmpfs) into a container' },
];

/** KEY=VALUE lines; `KEY` alone takes the value from our environment, as Podman does. */
export function parseEnvList(items: string[]): string[] {
  const out: string[] = [];
  for (const e of items) {
    if (e.includes('=')) out.push(e);
    else if (process.env[e] !== undefined) out.push(`${e}=${process.env[e]}`);
  }
  return out;
}

export function readEnvFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw invalidArgument(`open ${file}: no such file or directory`);
  }
  return parseEnvList(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

function parseVolume(spec: string): MountSpec {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw invalidArgument(`incorrect volume format "${spec}", should be [host-dir:]ctr-dir[:option]`);
  const [src, dst, opts = ''] = parts;
  if (!path.isAbsolute(dst)) throw invalidArgument(`invalid container path "${dst}", must be an absolute path`);
  if (!path.isAbsolute(src)) throw invalidArgument(`named volumes are not supported yet: "${src}"`);
  const options = opts.split(',').filter(Boolean);
  for (const o of options)
    if (!['ro', 'rw', 'z', 'Z', 'U', 'O', 'shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec'].includes(o))
      throw invalidArgument(`invalid option "${o}" in volume "${spec}"`);
  return {
    type: 'bind',
    source: src,
    destination: dst,
    rw: !options.includes('ro'),
    options: options.filter((o) => !['ro', 'rw', 'z', 'Z', 'U', 'O'].includes(o)),
  };
}

function parseMount(spec: string): MountSpec {
  const kv = new Map<string, string>();
  const flagsOnly: string[] = [];
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) flagsOnly.push(part);
    else kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  const dst = kv.get('destination') ?? kv.get('dst') ?? kv.get('target');
  if (!dst) throw invalidArgument(`must set container destination: "${spec}"`);
  const ro = flagsOnly.includes('ro') || flagsOnly.includes('readonly') || kv.get('ro') === 'true' || kv.get('readonly') === 'true';
  if (type === 'tmpfs') return { type: 'tmpfs', source: 'tmpfs', destination: dst, rw: true, options: kv.get('tmpfs-size') ? [`size=${kv.get('tmpfs-size')}`] : [] };
  if (type !== 'bind') throw invalidArgument(`mount type "${type}" is not supported yet`);
  const src = kv.get('source') ?? kv.get('src');
  if (!src || !path.isAbsolute(src)) throw invalidArgument(`bind mount source must be an absolute path: "${spec}"`);
  return { type: 'bind', source: src, destination: dst, rw: !ro, options: [] };
}

function parseKeyValues(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of items) {
    const eq = l.indexOf('=');
    if (eq < 0) out[l] = '';
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

export function createRequest(p: Parsed): CreateRequest {
  const f = p.flags;
  const [image, ...command] = p.args;
  const network = str(f.network) ?? str(f.net) ?? 'private';
  if (!['none', 'host', 'private', 'bridge', 'slirp4netns', 'pasta'].includes(network))
    throw invalidArgument(`network "${network}" is not supported yet (none, host, private)`);
  const logDriver = str(f['log-driver']) ?? 'k8s-file';
  if (!['k8s-file', 'passthrough', 'none', 'journald'].includes(logDriver))
    throw invalidArgument(`invalid log driver: "${logDriver}"`);
  const sdnotify = str(f.sdnotify) ?? 'container';
  if (!['container', 'conmon', 'ignore'].includes(sdnotify))
    throw new Error(`invalid config provided: invalid argument: invalid sdnotify value "${sdnotify}": must be container, conmon or ignore`);
  const systemd = str(f.systemd) ?? 'true';
  if (!['true', 'false', 'always'].includes(systemd)) throw invalidArgument(`invalid systemd value "${systemd}"`);
  const env = [...arr(f['env-file']).flatMap(readEnvFile), ...parseEnvList(arr(f.env))];
  const entrypoint = str(f.entrypoint);
  const stopSignal = str(f['stop-signal']);
  const config: Partial<ContainerConfig> = {
    env,
    entrypoint: entrypoint === undefined ? [] : entrypoint.startsWith('[') ? (JSON.parse(entrypoint) as string[]) : entrypoint ? [entrypoint] : [],
    entrypointSet: entrypoint !== undefined,
    workdir: str(f.workdir) ?? '',
    user: str(f.user) ?? '',
    hostname: str(f.hostname),
    labels: parseKeyValues(arr(f.label)),
    annotations: parseKeyValues(arr(f.annotation)),
    mounts: [
      ...arr(f.volume).map(parseVolume),
      ...arr(f.mount).map(parseMount),
      ...arr(f.tmpfs).map((t) => ({ type: 'tmpfs' as const, source: 'tmpfs', destination: t.split(':')[0], rw: true, options: t.split(':')[1]?.split(',') ?? [] })),
    ],
    network: network === 'none' || network === 'host' ? network : 'private',
    stopSignal: stopSignal ? signalNumber(stopSignal) : undefined,
    stopTimeout: int(f['stop-timeout']),
    autoRemove: bool(f.rm),
    tty: bool(f.tty),
    stdin: bool(f.interactive),
    logDriver: logDriver === 'journald' ? 'k8s-file' : (logDriver as ContainerConfig['logDriver']),
    sdnotify: sdnotify as ContainerConfig['sdnotify'],
    privileged: bool(f.privileged),
    readOnly: bool(f['read-only']),
    systemd: systemd as ContainerConfig['systemd'],
    capAdd: arr(f['cap-add']),
    capDrop: arr(f['cap-drop']),
    restartPolicy: str(f.restart) ?? '',
  };
  if (p.given.has('preserve-fds')) config.preserveFds = int(f['preserve-fds']) ?? 0;
  return { image, name: str(f.name), command, config, replace: bool(f.replace) };
}
