// The flags shared by `create` and `run`, and their translation into a create request.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlagDef, Parsed } from './parse';
import { arr, bool, int, str } from './parse';
import type { CreateRequest } from '../container/engine';
import type { ContainerConfig, MountSpec } from '../storage/records';
import { invalidArgument } from '../errors';
import { signalNumber } from '../container/signals';
import { checkAddHost, checkMacAddress, parseNetworkMode } from '../network/container-config';
import { parseUserns } from '../container/idmap';
import { checkPublishedPorts, parseExpose, parsePublish } from '../network/ports';
import { checkNetworkValues } from '../network/input-checks';
import { parseIp } from '../network/ipv4';
import { parseSecretFlag } from '../secret/container-secrets';
import { formatRestartPolicy, parseRestartPolicy } from '../container/restart-policy';
import type { ResourceConfig } from '../storage/records';
import { parseSecurityOpts } from '../oci/security-options';
import { checkResources, createWarnings, swappiness, parseCpus, parseDevice, parseDeviceCgroupRule, parseMemory, parseUlimit } from '../oci/resources';
import { checkTimezone } from '../oci/timezone';
import { listenConfig } from '../activation/listen-address';
import { log } from './log';

export const CREATE_FLAGS: FlagDef[] = [
  { name: 'name', type: 'string', help: 'Assign a name to the container' },
  { name: 'rootfs', type: 'bool', help: 'The first argument is not an image but the rootfs to the exploded container (PATH[:O])' },
  { name: 'env', short: 'e', type: 'array', help: 'Set environment variables in container' },
  { name: 'env-file', type: 'array', help: 'Read in a file of environment variables' },
  { name: 'entrypoint', type: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'workdir', short: 'w', type: 'string', help: 'Working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'volume', short: 'v', type: 'array', help: 'Bind mount a volume into the container' },
  { name: 'secret', type: 'array', help: 'Add secret to container (NAME[,type=mount|env,target=...])' },
  { name: 'mount', type: 'array', help: 'Attach a filesystem mount to the container' },
  { name: 'pod', type: 'string', help: 'Run container in an existing pod, or new:NAME to create one' },
  { name: 'pod-id-file', type: 'string', help: 'Read the pod ID from the file' },
  { name: 'network', type: 'string', help: 'Connect a container to a network (bridge, none, host, private, slirp4netns[:OPTIONS], pasta[:OPTIONS], container:ID, NAME[,NAME...])' },
  { name: 'net', type: 'string', hidden: true },
  { name: 'network-alias', type: 'array', help: 'Add network-scoped alias for the container' },
  { name: 'ip', type: 'string', help: 'Specify a static IPv4 address for the container' },
  { name: 'mac-address', type: 'string', help: 'Container MAC address (e.g. 92:d0:c6:0a:29:33)' },
  { name: 'userns', type: 'string', help: 'User namespace to use (keep-id for your own uid and gid inside, host)' },
  { name: 'uidmap', type: 'array', help: 'UID map for the container\'s user namespace (CONTAINER_UID:HOST_UID:SIZE)' },
  { name: 'gidmap', type: 'array', help: 'GID map for the container\'s user namespace (CONTAINER_GID:HOST_GID:SIZE)' },
  { name: 'http-proxy', type: 'bool', default: true, help: 'Set proxy environment variables in the container based on the host proxy vars' },
  { name: 'dns', type: 'array', help: 'Set custom DNS servers' },
  { name: 'dns-search', type: 'array', help: 'Set custom DNS search domains' },
  { name: 'dns-option', type: 'array', help: 'Set custom DNS options' },
  { name: 'dns-opt', type: 'array', hidden: true },
  { name: 'add-host', type: 'array', help: 'Add a custom host-to-IP mapping (host:ip)' },
  { name: 'publish', short: 'p', type: 'array', help: 'Publish a container\'s port, or a range of ports, to the host' },
  { name: 'publish-all', short: 'P', type: 'bool', help: 'Publish all exposed ports to random ports on the host interface' },
  { name: 'expose', type: 'array', help: 'Expose a port or a range of ports' },
  { name: 'hostname', short: 'h', type: 'string', help: 'Set container hostname' },
  { name: 'label', short: 'l', type: 'array', help: 'Set metadata on container' },
  { name: 'annotation', type: 'array', help: 'Add annotations to container (key=value)' },
  { name: 'stop-signal', type: 'string', help: 'Signal to stop a container. Default is SIGTERM' },
  { name: 'stop-timeout', type: 'int', help: 'Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL.' },
  { name: 'replace', type: 'bool', help: 'If a container with the same name exists, replace it' },
  { name: 'health-cmd', type: 'string', help: 'set a healthcheck command for the container (\'none\' disables the existing healthcheck)' },
  { name: 'health-interval', type: 'string', help: 'set an interval for the healthcheck (a value of disable results in no automatic timer setup) (default "30s")' },
  { name: 'health-retries', type: 'int', help: 'the number of retries allowed before a healthcheck is considered to be unhealthy (default 3)' },
  { name: 'health-start-period', type: 'string', help: 'the initialization time needed for a container to bootstrap (default "0s")' },
  { name: 'health-timeout', type: 'string', help: 'the maximum time allowed to complete the healthcheck before an interval is considered failed (default "30s")' },
  { name: 'health-on-failure', type: 'string', help: 'action to take once the container turns unhealthy: none, kill, restart, stop (default "none")' },
  { name: 'no-healthcheck', type: 'bool', help: 'Disable healthchecks on container' },
  { name: 'pull', type: 'string', default: 'missing', help: 'Pull image policy (always, missing, never, newer)' },
  { name: 'rm', type: 'bool', help: 'Remove container (and pod if created) after exit' },
  { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', type: 'bool', help: 'Allocate a pseudo-TTY for container' },
  { name: 'log-driver', type: 'string', default: 'k8s-file', help: 'Logging driver for the container (k8s-file, passthrough, none)' },
  { name: 'sdnotify', type: 'string', default: 'container', help: 'control sd-notify behavior (container, conmon, ignore)' },
  { name: 'privileged', type: 'bool', help: 'Give extended privileges to container' },
  { name: 'pid', type: 'string', help: 'PID namespace to use (host or private)' },
  { name: 'read-only', type: 'bool', help: "Make containers root filesystem read-only" },
  { name: 'systemd', type: 'string', default: 'true', help: 'Run container in systemd mode ("true"|"false"|"always")' },
  { name: 'cap-add', type: 'array', help: 'Add capabilities to the container' },
  { name: 'cap-drop', type: 'array', help: 'Drop capabilities from the container' },
  { name: 'init', type: 'bool', hidden: true },
  { name: 'listen', type: 'array', help: 'Hold a socket (PORT, IP:PORT, [IPv6]:PORT or /path) and start the container on its first connection (tspod)' },
  { name: 'idle-timeout', type: 'string', help: 'With --listen: stop the container after SECONDS without a connection (default 0: never) (tspod)' },
  { name: 'restart', type: 'string', help: 'Restart policy to apply when a container exits' },
  { name: 'cidfile', type: 'string', help: 'Write the container ID to the file' },
  { name: 'cgroups', type: 'string', hidden: true }, // accepted and ignored (generate systemd --new emits --cgroups=no-conmon)
  { name: 'tmpfs', type: 'array', help: 'Mount a temporary filesystem (tmpfs) into a container' },
  { name: 'security-opt', type: 'array', help: 'Security Options (seccomp=unconfined|PATH, no-new-privileges, apparmor=, label=, mask=, unmask=, proc-opts=)' },
  { name: 'read-only-tmpfs', type: 'bool', default: true, help: 'When running --read-only containers mount read-write tmpfs on /dev, /dev/shm, /run, /tmp and /var/tmp' },
  { name: 'memory', short: 'm', type: 'string', help: 'Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))' },
  { name: 'kernel-memory', type: 'string', hidden: true }, // accepted and ignored with Podman's warning (cgroup v2 has no such limit)
  { name: 'memory-reservation', type: 'string', help: 'Memory soft limit (format: <number>[<unit>])' },
  { name: 'memory-swappiness', type: 'int', help: 'Tune container memory swappiness (0 to 100, or -1 for system default) (default -1)' },
  { name: 'memory-swap', type: 'string', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'oom-kill-disable', type: 'bool', help: 'Disable OOM Killer' },
  { name: 'oom-score-adj', type: 'int', help: 'Tune the host\'s OOM preferences (-1000 to 1000)' },
  { name: 'cpus', type: 'string', help: 'Number of CPUs. The default is 0.000 which means no limit' },
  { name: 'cpu-shares', short: 'c', type: 'int', help: 'CPU shares (relative weight)' },
  { name: 'cpu-period', type: 'int', help: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'int', help: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpuset-cpus', type: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', type: 'string', help: 'Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.' },
  { name: 'pids-limit', type: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'blkio-weight', type: 'int', help: 'Block IO weight (relative weight) accepts a weight value between 10 and 1000.' },
  { name: 'ulimit', type: 'array', help: 'Ulimit options' },
  { name: 'device', type: 'array', help: 'Add a host device to the container' },
  { name: 'device-cgroup-rule', type: 'array', help: 'Add a rule to the cgroup allowed devices list' },
  { name: 'tz', type: 'string', help: 'Set timezone in container (a zone name, or local)' },
  { name: 'conmon-pidfile', type: 'string', help: 'Path to the file that will receive the PID of conmon' },
  { name: 'log-opt', type: 'array', help: 'Logging driver options (max-size=SIZE)' },
  { name: 'timeout', type: 'int', help: 'Maximum length of time a container is allowed to run. The container will be killed automatically after the time expires.' },
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

const VOLUME_OPTIONS = ['ro', 'rw', 'z', 'Z', 'U', 'O', 'copy', 'nocopy', 'shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec'];

/** `-v`: `/ctr` (anonymous volume), `/host:/ctr[:opts]` (bind) or `name:/ctr[:opts]` (named volume, made on demand). */
export function parseVolume(spec: string): MountSpec {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((x) => x === '')) throw invalidArgument(`incorrect volume format "${spec}", should be [host-dir:]ctr-dir[:option]`);
  if (parts.length === 1) {
    if (!path.isAbsolute(parts[0])) throw invalidArgument(`invalid container path "${parts[0]}", must be an absolute path`);
    return { type: 'volume', source: '', destination: parts[0], rw: true, options: [] };
  }
  const [src, dst, opts = ''] = parts;
  if (!path.isAbsolute(dst)) throw invalidArgument(`invalid container path "${dst}", must be an absolute path`);
  const options = opts.split(',').filter(Boolean);
  for (const o of options) if (!VOLUME_OPTIONS.includes(o)) throw invalidArgument(`invalid option "${o}" in volume "${spec}"`);
  // nocopy stays with a volume mount: its first use then skips the copy-up
  const kept = options.filter((o) => !['ro', 'rw', 'z', 'Z', 'U', 'O', 'copy'].includes(o));
  const bind = path.isAbsolute(src) || src.startsWith('.');
  if (!bind && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(src))
    throw invalidArgument(`invalid volume name "${src}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  return { type: bind ? 'bind' : 'volume', source: bind ? path.resolve(src) : src, destination: dst, rw: !options.includes('ro'), options: bind ? kept.filter((o) => o !== 'nocopy') : kept };
}

/** `--mount type=bind|volume|tmpfs,src=...,dst=...,ro,...` as Podman reads it. */
export function parseMount(spec: string): MountSpec {
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
  if (!path.isAbsolute(dst)) throw invalidArgument(`invalid container path "${dst}", must be an absolute path`);
  const truthy = (k: string) => flagsOnly.includes(k) || ['true', '1'].includes(kv.get(k) ?? '');
  const ro = truthy('ro') || truthy('readonly');
  const src = kv.get('source') ?? kv.get('src');
  switch (type) {
    case 'tmpfs': {
      const options: string[] = [];
      const size = kv.get('tmpfs-size');
      if (size) options.push(`size=${size}`);
      const mode = kv.get('tmpfs-mode');
      if (mode) {
        if (!/^[0-7]+$/.test(mode)) throw invalidArgument(`invalid tmpfs-mode "${mode}"`);
        options.push(`mode=${mode}`);
      }
      if (ro) options.push('ro');
      if (truthy('notmpcopyup')) options.push('notmpcopyup');
      return { type: 'tmpfs', source: 'tmpfs', destination: dst, rw: !ro, options };
    }
    case 'bind': {
      if (!src) throw invalidArgument(`must set source of bind mount: "${spec}"`);
      const propagation = kv.get('bind-propagation');
      return { type: 'bind', source: path.resolve(src), destination: dst, rw: !ro, options: propagation ? [propagation] : [] };
    }
    case 'volume': {
      if (src && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(src)) throw invalidArgument(`invalid volume name "${src}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
      return { type: 'volume', source: src ?? '', destination: dst, rw: !ro, options: truthy('volume-nocopy') ? ['nocopy'] : [] };
    }
    case 'image': {
      if (!src) throw invalidArgument(`must set source of image mount: "${spec}"`);
      // read-only unless rw=true or readwrite=true (Podman's keys)
      return { type: 'image', source: src, destination: dst, rw: truthy('rw') || truthy('readwrite'), options: [] };
    }
    default:
      throw invalidArgument(`invalid filesystem type "${type}"`);
  }
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

/** As Podman's CLI: -p with a network mode that has no ports of its own is dropped with a warning, not refused. */
function portsForMode(mode: ContainerConfig['network'] | undefined, ports: NonNullable<ContainerConfig['ports']>): ContainerConfig['ports'] {
  if (!ports.length || !(mode === 'host' || mode === 'none' || mode?.startsWith('container:'))) return ports;
  process.stderr.write('Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use\n');
  return [];
}
/** --http-proxy (the default): tspod's own proxy variables go into the container, before --env (which may override them), as in Podman. */
const PROXY_VARS = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY'];
const proxyEnv = () => PROXY_VARS.filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`);

export function createRequest(p: Parsed): CreateRequest {
  const f = p.flags;
  const [image, ...command] = p.args;
  const ip = str(f.ip);
  if (ip !== undefined && parseIp(ip) === undefined) throw invalidArgument(`${ip} is not an ip address`);
  const net = parseNetworkMode(str(f.network) ?? str(f.net), arr(f['network-alias']), ip);
  const mac = str(f['mac-address']);
  if (mac !== undefined) for (const cfg of Object.values(net.networks ?? {})) cfg.mac = checkMacAddress(mac);
  const logDriver = str(f['log-driver']) ?? 'k8s-file';
  if (!['k8s-file', 'passthrough', 'none', 'journald'].includes(logDriver))
    throw invalidArgument(`invalid log driver: "${logDriver}"`);
  const sdnotify = str(f.sdnotify) ?? 'container';
  if (!['container', 'conmon', 'ignore'].includes(sdnotify))
    throw new Error(`invalid config provided: invalid argument: invalid sdnotify value "${sdnotify}": must be container, conmon or ignore`);
  const systemd = str(f.systemd) ?? 'true';
  if (!['true', 'false', 'always'].includes(systemd)) throw invalidArgument(`invalid systemd value "${systemd}"`);
  const env = [...(bool(f['http-proxy']) ? proxyEnv() : []), ...arr(f['env-file']).flatMap(readEnvFile), ...parseEnvList(arr(f.env))];
  const entrypoint = str(f.entrypoint);
  const stopSignal = str(f['stop-signal']);
  const config: Partial<ContainerConfig> = {
    env,
    entrypoint: entrypoint === undefined ? [] : entrypoint.startsWith('[') ? (JSON.parse(entrypoint) as string[]) : entrypoint ? [entrypoint] : [],
    entrypointSet: entrypoint !== undefined,
    workdir: str(f.workdir) ?? '',
    user: str(f.user) ?? '',
    hostname: str(f.hostname),
    // Started by a unit (generate systemd, quadlet): the unit's name as a label, for auto-update.
    labels: { ...(process.env.PODMAN_SYSTEMD_UNIT ? { PODMAN_SYSTEMD_UNIT: process.env.PODMAN_SYSTEMD_UNIT } : {}), ...parseKeyValues(arr(f.label)) },
    annotations: {
      ...parseKeyValues(arr(f.annotation)),
      // As Podman: removing the container removes its --cidfile (a unit's next `run --cidfile` then starts).
      ...(str(f.cidfile) ? { 'io.podman.annotations.cid-file': path.resolve(str(f.cidfile) as string) } : {}),
    },
    mounts: [
      ...arr(f.volume).map(parseVolume),
      ...arr(f.mount).map(parseMount),
      ...arr(f.tmpfs).map(parseTmpfs),
    ],
    ...net,
    ...(str(f.pod) !== undefined ? { pod: str(f.pod) } : {}),
    ports: portsForMode(net.network, checkPublishedPorts(arr(f.publish).flatMap(parsePublish))),
    publishAll: bool(f['publish-all']),
    exposedPorts: arr(f.expose).flatMap(parseExpose),
    dns: arr(f.dns),
    dnsSearch: arr(f['dns-search']),
    dnsOptions: [...arr(f['dns-option']), ...arr(f['dns-opt'])],
    addHosts: arr(f['add-host']).map(checkAddHost),
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
    restartPolicy: formatRestartPolicy(parseRestartPolicy(str(f.restart) ?? '')),
  };
  checkNetworkValues(config);
  const idMappings = parseUserns(str(f.userns), arr(f.uidmap), arr(f.gidmap));
  if (idMappings) config.idMappings = idMappings;
  if (parsePidMode(str(f.pid)) === 'host') config.pidMode = 'host';
  if (p.given.has('preserve-fds')) config.preserveFds = int(f['preserve-fds']) ?? 0;
  Object.assign(config, listenConfig(arr(f.listen), str(f['idle-timeout']), bool(f.rm)));
  config.security = parseSecurityOpts(arr(f['security-opt']));
  if (!bool(f['read-only-tmpfs'])) config.readOnlyTmpfs = false;
  if (str(f['conmon-pidfile'])) config.conmonPidFile = path.resolve(str(f['conmon-pidfile']) as string);
  for (const o of arr(f['log-opt'])) config.logSizeMax = parseLogOpt(o);
  const timeout = int(f.timeout);
  if (timeout !== undefined) {
    if (timeout < 0) throw invalidArgument(`invalid timeout "${timeout}": must not be negative`);
    if (timeout > 0) config.timeout = timeout;
  }
  if (arr(f.secret).length) config.secrets = arr(f.secret).map(parseSecretFlag);
  if (str(f.tz)) config.timezone = checkTimezone(str(f.tz) as string);
  if (p.given.has('kernel-memory')) log('warn', 'The --kernel-memory flag is no longer supported. This flag is a noop.');
  const resources = resourceFlags(p);
  if (resources) {
    checkResources(resources);
    for (const w of createWarnings(resources)) process.stderr.write(`WARN[0000] ${w}\n`);
    config.resources = resources;
  }
  const health = {
    cmd: str(f['health-cmd']),
    interval: str(f['health-interval']),
    timeout: str(f['health-timeout']),
    startPeriod: str(f['health-start-period']),
    retries: int(f['health-retries']),
    onFailure: str(f['health-on-failure']),
    noHealthcheck: bool(f['no-healthcheck']),
  };
  if (bool(f.rootfs)) config.rootfs = { path: image.replace(/:O$/, ''), overlay: image.endsWith(':O') };
  return { image, name: str(f.name), command, config, replace: bool(f.replace), health };
}

/**
 * --log-opt: only max-size (go-units FromHumanSize: decimal, "3.5m" = 3500000 bytes), which
 * the k8s-file log honours; other options (tag, path) are refused rather than silently ignored.
 */
export function parseLogOpt(opt: string): number {
  const [key, value = ''] = opt.split(/=(.*)/s);
  if (key !== 'max-size') throw invalidArgument(`log option "${opt}" is not supported (tspod supports max-size=SIZE only)`);
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)b?$/i.exec(value);
  if (!m) throw invalidArgument(`invalid max-size "${value}" in log option "${opt}"`);
  const bytes = Math.floor(Number(m[1]) * 1000 ** ' kmgtp'.indexOf((m[2] || ' ').toLowerCase()));
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw invalidArgument(`invalid max-size "${value}" in log option "${opt}"`);
  return bytes;
}

/** The limit flags given, or undefined when none was (also `update`'s). */
export function resourceFlags(p: Parsed): ResourceConfig | undefined {
  const f = p.flags;
  const r: ResourceConfig = {};
  const mem = (name: string, unlimited = false) => (p.given.has(name) ? parseMemory(str(f[name]) ?? '', name, unlimited) : undefined);
  r.memory = mem('memory');
  r.memoryReservation = mem('memory-reservation');
  r.memorySwap = mem('memory-swap', true);
  r.memorySwappiness = swappiness(int(f['memory-swappiness']));
  if (p.given.has('oom-kill-disable')) r.oomKillDisable = bool(f['oom-kill-disable']);
  r.oomScoreAdj = int(f['oom-score-adj']);
  if (p.given.has('cpus')) r.nanoCpus = parseCpus(str(f.cpus) ?? '');
  r.cpuShares = int(f['cpu-shares']);
  r.cpuPeriod = int(f['cpu-period']);
  r.cpuQuota = int(f['cpu-quota']);
  r.cpusetCpus = str(f['cpuset-cpus']);
  r.cpusetMems = str(f['cpuset-mems']);
  r.pidsLimit = int(f['pids-limit']);
  r.blkioWeight = int(f['blkio-weight']);
  if (arr(f.ulimit).length) r.ulimits = arr(f.ulimit).map(parseUlimit);
  if (arr(f.device).length) r.devices = arr(f.device).map(parseDevice);
  const rules = arr(f['device-cgroup-rule']);
  rules.forEach(parseDeviceCgroupRule);
  if (rules.length) r.deviceCgroupRules = rules;
  const given = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as ResourceConfig;
  return Object.keys(given).length ? given : undefined;
}

/** --pid: the host's namespace or the container's own; joining another's is not supported. */
function parsePidMode(v: string | undefined): 'host' | undefined {
  if (v === undefined || v === '' || v === 'private') return undefined;
  if (v === 'host') return 'host';
  throw invalidArgument(`--pid ${JSON.stringify(v)}: only host and private are supported`);
}

const TMPFS_OPTION = /^(rw|ro|exec|noexec|suid|nosuid|dev|nodev|tmpcopyup|notmpcopyup|(size|mode|uid|gid|nr_inodes|nr_blocks)=[0-9a-zA-Z%]+)$/;

/** `--tmpfs /dst[:opts]`: options checked (they reach the mount call). */
export function parseTmpfs(spec: string): MountSpec {
  const [destination, opts = ''] = spec.split(/:(.*)/s);
  if (!path.isAbsolute(destination)) throw invalidArgument(`invalid container path "${destination}", must be an absolute path`);
  const options = opts.split(',').filter(Boolean);
  for (const o of options) if (!TMPFS_OPTION.test(o)) throw invalidArgument(`invalid tmpfs option "${o}" in "${spec}"`);
  return { type: 'tmpfs', source: 'tmpfs', destination, rw: !options.includes('ro'), options };
}
