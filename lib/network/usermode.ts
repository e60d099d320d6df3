// User-mode networks: `--network=slirp4netns[:opts]` and `--network=pasta[:opts]`,
// an outbound network that needs no root on the host (the rootless default,
// as in Podman 4.3: slirp4netns). The helper is started for a run once the
// runtime made the container's netns (before its process starts) and lives
// until the run is cleaned up; it is found again by pid, checked against its
// command line (which names this container's files) before it is killed.
//   slirp4netns: a tap0 device at CIDR+100 (default 10.0.2.0/24), gateway .2,
//     DNS .3; published ports through its API socket (add_hostfwd), so that
//     connections to 127.0.0.1:HOSTPORT reach the container.
//   pasta: the host's addresses copied into the namespace; published ports
//     with -t/-u.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { ContainerRecord, PortMapping } from '../storage/records';
import { type StoragePaths, bundleDir } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { isRootless } from '../rootless/identity';
import { MNT_DETACH, MS_BIND, native } from '../native';
import { formatIp, parseSubnet } from './ipv4';
import { sleepSync } from '../sleep-sync';

export type UserModeTool = 'slirp4netns' | 'pasta';

export interface UserNetState {
  pid: number;
  tool: UserModeTool;
}

const BIN: Record<UserModeTool, string> = { slirp4netns: '/usr/bin/slirp4netns', pasta: '/usr/bin/pasta' };
const PACKAGE: Record<UserModeTool, string> = { slirp4netns: 'slirp4netns', pasta: 'passt' };
const READY_TIMEOUT_MS = 10_000;
/** How long stopping waits for a killed helper to exit (and free its ports). */
const HELPER_EXIT_WAIT_MS = 3000;
const DEFAULT_MTU = 65520;

export const isUserMode = (mode: string): mode is UserModeTool => mode === 'slirp4netns' || mode === 'pasta';

// ---- options (checked at create; stored as given, normalized)

export interface SlirpOptions {
  cidr: string;
  /** the container's address (CIDR + 100), its gateway (+2) and DNS forwarder (+3) */
  ip: string;
  gateway: string;
  dns: string;
  prefixLen: number;
  mtu: number;
  ipv6: boolean;
  allowHostLoopback: boolean;
  outboundAddr?: string;
  outboundAddr6?: string;
}

const bool = (k: string, v: string): boolean => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidArgument(`slirp4netns option ${k}: "${v}" is not true or false`);
};

/** The slirp4netns options Podman 4.3 knows, checked; unknown ones are refused. */
export function slirpOptions(opts: readonly string[] = []): SlirpOptions {
  let cidr = '10.0.2.0/24';
  let mtu = DEFAULT_MTU;
  let ipv6 = true;
  let allowHostLoopback = false;
  let outboundAddr: string | undefined;
  let outboundAddr6: string | undefined;
  for (const o of opts) {
    const eq = o.indexOf('=');
    const [k, v] = eq < 0 ? [o, ''] : [o.slice(0, eq), o.slice(eq + 1)];
    switch (k) {
      case 'cidr': {
        const s = parseSubnet(v);
        // .100 must be a host of the network (slirp4netns puts the container there)
        if (!s || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(v) || s.prefix < 1 || s.prefix > 25) throw invalidArgument(`invalid slirp4netns cidr "${v}": must be an IPv4 network with a prefix of at most /25`);
        cidr = `${formatIp(s.base)}/${s.prefix}`;
        break;
      }
      case 'mtu':
        if (!/^\d{1,5}$/.test(v) || Number(v) < 68 || Number(v) > 65521) throw invalidArgument(`invalid slirp4netns mtu "${v}": must be 68-65521`);
        mtu = Number(v);
        break;
      case 'enable_ipv6':
        ipv6 = bool(k, v);
        break;
      case 'allow_host_loopback':
        allowHostLoopback = bool(k, v);
        break;
      case 'outbound_addr':
        if (!net.isIPv4(v)) throw invalidArgument(`invalid slirp4netns outbound_addr "${v}": must be an IPv4 address`);
        outboundAddr = v;
        break;
      case 'outbound_addr6':
        if (!net.isIPv6(v)) throw invalidArgument(`invalid slirp4netns outbound_addr6 "${v}": must be an IPv6 address`);
        outboundAddr6 = v;
        break;
      case 'port_handler':
        // Ports go through slirp4netns's own API; rootlesskit's forwarder (which keeps the client's address) is not part of tspod.
        if (v !== 'slirp4netns') throw invalidArgument(`slirp4netns port_handler "${v}" is not supported: only port_handler=slirp4netns`);
        break;
      default:
        throw invalidArgument(`unknown option for slirp4netns: "${k}"`);
    }
  }
  const s = parseSubnet(cidr)!;
  return {
    cidr,
    ip: formatIp(s.base + 100),
    gateway: formatIp(s.base + 2),
    dns: formatIp(s.base + 3),
    prefixLen: s.prefix,
    mtu,
    ipv6,
    allowHostLoopback,
    outboundAddr,
    outboundAddr6,
  };
}

/** pasta's options that make sense per container (addresses, MTU, interfaces); ports come from -p. */
const PASTA_FLAGS = new Set(['-4', '--ipv4-only', '-6', '--ipv6-only', '--no-map-gw', '--no-dhcp', '--no-ndp', '--no-dhcpv6', '--no-ra', '--no-icmp']);
const PASTA_VALUED: Record<string, (v: string) => boolean> = {
  '-a': (v) => net.isIP(v) !== 0,
  '--address': (v) => net.isIP(v) !== 0,
  '-n': (v) => /^\d{1,3}$/.test(v) || net.isIPv4(v),
  '--netmask': (v) => /^\d{1,3}$/.test(v) || net.isIPv4(v),
  '-g': (v) => net.isIP(v) !== 0,
  '--gateway': (v) => net.isIP(v) !== 0,
  '-m': (v) => /^\d{1,5}$/.test(v),
  '--mtu': (v) => /^\d{1,5}$/.test(v),
  '-I': (v) => /^[A-Za-z0-9_.-]{1,15}$/.test(v),
  '--ns-ifname': (v) => /^[A-Za-z0-9_.-]{1,15}$/.test(v),
  '-i': (v) => /^[A-Za-z0-9_.-]{1,15}$/.test(v),
  '--interface': (v) => /^[A-Za-z0-9_.-]{1,15}$/.test(v),
  '-o': (v) => net.isIP(v) !== 0,
  '--outbound': (v) => net.isIP(v) !== 0,
};

/** pasta options as Podman passes them (`pasta:-a,10.0.0.5,--no-map-gw`), checked one by one. */
export function pastaOptions(opts: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    if (PASTA_FLAGS.has(o)) {
      out.push(o);
      continue;
    }
    const eq = o.indexOf('=');
    const [k, inline] = o.startsWith('--') && eq > 0 ? [o.slice(0, eq), o.slice(eq + 1)] : [o, undefined];
    const check = PASTA_VALUED[k];
    if (!check) throw invalidArgument(`pasta option "${o}" is not supported (addresses, netmask, gateway, mtu, interfaces, -4/-6, --no-map-gw; ports come from -p)`);
    const v = inline ?? opts[++i];
    if (v === undefined || !check(v)) throw invalidArgument(`invalid value ${JSON.stringify(v ?? '')} for pasta option ${k}`);
    out.push(k, v);
  }
  return out;
}

/** `slirp4netns`, `slirp4netns:a=b,c=d`, `pasta`, `pasta:-a,1.2.3.4`: the mode and its checked options, or undefined. */
export function parseUserModeNetwork(v: string): { network: UserModeTool; networkOptions?: string[] } | undefined {
  const colon = v.indexOf(':');
  const name = colon < 0 ? v : v.slice(0, colon);
  if (!isUserMode(name)) return undefined;
  const opts = colon < 0 ? [] : v.slice(colon + 1).split(',').filter((o) => o !== '');
  if (name === 'slirp4netns') slirpOptions(opts);
  else pastaOptions(opts);
  return opts.length ? { network: name, networkOptions: opts } : { network: name };
}

/** The rootless default: slirp4netns, as Podman 4.3 (pasta when containers.conf's default_rootless_network_cmd says so). */
export function defaultUserModeTool(configured?: string): UserModeTool {
  return configured === 'pasta' ? 'pasta' : 'slirp4netns';
}

// ---- /etc/hosts and resolv.conf

/** The host's first non-loopback address (IPv4 first), which Podman names host.containers.internal on slirp4netns. */
export function hostAddress(): string | undefined {
  let v6: string | undefined;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || a.address.startsWith('fe80:')) continue;
      if (a.family === 'IPv4') return a.address;
      v6 ??= a.address;
    }
  }
  return v6;
}

// ---- the helper process

function bundleOf(paths: StoragePaths, id: string): string {
  return bundleDir(paths, id);
}

/** A short API socket path (sun_path holds 108 bytes; the bundle path is longer). */
function apiSocketPath(paths: StoragePaths, id: string): string {
  return path.join(paths.runroot, 'net', `${id.slice(0, 20)}.sock`);
}

function checkTun(tool: UserModeTool): void {
  try {
    fs.accessSync('/dev/net/tun', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw new EngineError(
      'internal',
      `${tool} needs read and write access to /dev/net/tun${isRootless() ? ' (as an ordinary user: mode 0666, the kernel default)' : ''}: use --network=none or --network=host, or fix the device's mode`,
    );
  }
}

function checkBinary(tool: UserModeTool): void {
  if (!fs.existsSync(BIN[tool])) throw new EngineError('internal', `${tool} is not installed: install the ${PACKAGE[tool]} package, or use --network=none or --network=host`);
}

/** Starts the run's helper for the container whose init has pid; ports published. Kills it on failure. */
export async function startUserNetwork(paths: StoragePaths, rec: ContainerRecord, pid: number): Promise<UserNetState> {
  const tool = rec.config.network as UserModeTool;
  checkBinary(tool);
  checkTun(tool);
  const state = tool === 'slirp4netns' ? await startSlirp(paths, rec, pid) : await startPasta(paths, rec, pid);
  return state;
}

function logFile(paths: StoragePaths, rec: ContainerRecord, tool: UserModeTool): string {
  return path.join(bundleOf(paths, rec.id), `${tool}.log`);
}

function readLog(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('; ');
  } catch {
    return '';
  }
}

async function startSlirp(paths: StoragePaths, rec: ContainerRecord, pid: number): Promise<UserNetState> {
  const o = slirpOptions(rec.config.networkOptions);
  const sock = apiSocketPath(paths, rec.id);
  fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
  fs.rmSync(sock, { force: true });
  const log = logFile(paths, rec, 'slirp4netns');
  const args = [
    ...(o.allowHostLoopback ? [] : ['--disable-host-loopback']),
    `--mtu=${o.mtu}`,
    '--enable-sandbox',
    '--enable-seccomp',
    ...(o.ipv6 ? ['--enable-ipv6'] : []),
    `--cidr=${o.cidr}`,
    ...(o.outboundAddr ? [`--outbound-addr=${o.outboundAddr}`] : []),
    ...(o.outboundAddr6 ? [`--outbound-addr6=${o.outboundAddr6}`] : []),
    '-c',
    '-r',
    '3',
    // The socket names the container on the command line: the pid is checked against it before a kill.
    `--api-socket=${sock}`,
    '--netns-type=path',
    `/proc/${pid}/ns/net`,
    'tap0',
  ];
  const logFd = fs.openSync(log, 'w', 0o600);
  let child;
  try {
    child = spawn(BIN.slirp4netns, args, { detached: true, stdio: ['ignore', logFd, logFd, 'pipe'], cwd: '/', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, argv0: `slirp4netns` });
  } finally {
    fs.closeSync(logFd);
  }
  const state: UserNetState = { pid: child.pid ?? 0, tool: 'slirp4netns' };
  if (state.pid) fs.writeFileSync(path.join(bundleOf(paths, rec.id), 'slirp4netns.pid'), `${state.pid}\n`);
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = child.stdio[3] as NodeJS.ReadableStream;
      const timer = setTimeout(() => reject(new EngineError('internal', `slirp4netns did not get ready in ${READY_TIMEOUT_MS / 1000}s: ${readLog(log)}`)), READY_TIMEOUT_MS);
      const done = (err?: Error) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      ready.once('data', () => done());
      child.once('error', (e) => done(new EngineError('internal', `starting slirp4netns: ${e.message}`)));
      child.once('exit', (code) => done(new EngineError('internal', `slirp4netns exited (${code}) while setting up the network: ${readLog(log)}`)));
    });
    (child.stdio[3] as unknown as { destroy(): void }).destroy();
    child.removeAllListeners('exit');
    child.unref();
    for (const p of rec.config.ports ?? []) await slirpHostFwd(sock, p, o.ip);
  } catch (err) {
    stopUserNetwork(paths, rec.id, state);
    throw err;
  }
  return state;
}

/** One request on slirp4netns's API socket (one request per connection): {"return": ...} or {"error": ...}. */
function slirpApi(sock: string, req: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let data = '';
    const timer = setTimeout(() => c.destroy(new Error('no answer')), 5000);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify(req)));
    c.on('data', (d) => (data += d));
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(new EngineError('internal', `slirp4netns API: ${e.message}`));
    });
    c.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as Record<string, unknown>);
      } catch {
        reject(new EngineError('internal', `slirp4netns API: unexpected answer ${JSON.stringify(data.slice(0, 200))}`));
      }
    });
  });
}

async function slirpHostFwd(sock: string, p: PortMapping, guest: string): Promise<void> {
  const res = await slirpApi(sock, {
    execute: 'add_hostfwd',
    arguments: { proto: p.protocol, host_addr: p.hostIp || '0.0.0.0', host_port: p.hostPort, guest_addr: guest, guest_port: p.containerPort },
  });
  if (res.error !== undefined) {
    const desc = (res.error as { desc?: string }).desc ?? JSON.stringify(res.error);
    throw new EngineError('internal', `cannot publish port ${p.hostIp || '0.0.0.0'}:${p.hostPort} -> ${p.containerPort}/${p.protocol} through slirp4netns: ${desc} (is the host port in use${isRootless() ? ", or below net.ipv4.ip_unprivileged_port_start" : ""}?)`);
  }
}

/** pasta's -t/-u specs for the published ports (`[ADDR/]HOST:CTR` each), `none` when there are none. */
export function pastaPortArgs(ports: readonly PortMapping[]): string[] {
  const spec = (proto: 'tcp' | 'udp') =>
    ports
      .filter((p) => p.protocol === proto)
      .map((p) => `${p.hostIp ? `${p.hostIp}/` : ''}${p.hostPort}:${p.containerPort}`)
      .join(',') || 'none';
  return ['-t', spec('tcp'), '-u', spec('udp'), '-T', 'none', '-U', 'none'];
}

/** pasta resolves a --netns path and /proc/PID/ns/net is a magic link: the netns is bind-mounted on a file of ours, as Podman does. */
const netnsFile = (paths: StoragePaths, id: string) => path.join(paths.runroot, 'netns', `netns-${id.slice(0, 20)}`);

function bindNetns(paths: StoragePaths, id: string, pid: number): string {
  const file = netnsFile(paths, id);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  unbindNetns(paths, id);
  fs.closeSync(fs.openSync(file, 'w', 0o600));
  native().mount(`/proc/${pid}/ns/net`, file, 'none', MS_BIND, null);
  return file;
}

function unbindNetns(paths: StoragePaths, id: string): void {
  const file = netnsFile(paths, id);
  try {
    native().umount(file, MNT_DETACH);
  } catch {
    /* not mounted */
  }
  fs.rmSync(file, { force: true });
}

async function startPasta(paths: StoragePaths, rec: ContainerRecord, pid: number): Promise<UserNetState> {
  const extra = pastaOptions(rec.config.networkOptions);
  const netns = bindNetns(paths, rec.id, pid);
  const pidFile = path.join(bundleOf(paths, rec.id), 'pasta.pid');
  fs.rmSync(pidFile, { force: true });
  const log = logFile(paths, rec, 'pasta');
  // Without -f pasta goes to the background once the namespace is configured: its exit (0) is the readiness.
  // --runas 0: as root (host root or the user namespace's), pasta otherwise drops to nobody before it opens the netns.
  const args = ['--config-net', '-q', '--runas', '0', ...extra, ...pastaPortArgs(rec.config.ports ?? []), '-P', pidFile, '--netns', netns];
  const logFd = fs.openSync(log, 'w', 0o600);
  let child;
  try {
    child = spawn(BIN.pasta, args, { stdio: ['ignore', logFd, logFd], cwd: '/', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  } finally {
    fs.closeSync(logFd);
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new EngineError('internal', `pasta did not get ready in ${READY_TIMEOUT_MS / 1000}s: ${readLog(log)}`));
    }, READY_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new EngineError('internal', `starting pasta: ${e.message}`));
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const text = (() => {
    try {
      return fs.readFileSync(pidFile, 'utf8').trim();
    } catch {
      return '';
    }
  })();
  if (code !== 0 || !/^\d+$/.test(text)) {
    stopUserNetwork(paths, rec.id, /^\d+$/.test(text) ? { pid: Number(text), tool: 'pasta' } : undefined);
    throw new EngineError('internal', `pasta could not set up the network (exit ${code}): ${readLog(log)}`);
  }
  return { pid: Number(text), tool: 'pasta' };
}

function pidFileState(paths: StoragePaths, id: string): UserNetState | undefined {
  for (const tool of ['slirp4netns', 'pasta'] as const) {
    try {
      const text = fs.readFileSync(path.join(bundleOf(paths, id), `${tool}.pid`), 'utf8').trim();
      if (/^\d+$/.test(text)) return { pid: Number(text), tool };
    } catch {
      /* none */
    }
  }
  return undefined;
}

/** Ends the run's helper if pid is still it (its command line names this container's files). Idempotent. */
export function stopUserNetwork(paths: StoragePaths, id: string, recorded: UserNetState | undefined): void {
  if (fs.existsSync(netnsFile(paths, id))) unbindNetns(paths, id);
  // Not recorded (a tspod that died between starting the helper and saving it): the pid file in the bundle.
  const state = recorded ?? pidFileState(paths, id);
  if (!state || !(state.pid > 1)) return;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${state.pid}/cmdline`, 'utf8');
  } catch {
    return; // gone
  }
  const mark = state.tool === 'slirp4netns' ? apiSocketPath(paths, id) : path.join(bundleOf(paths, id), 'pasta.pid');
  if (!cmdline.split('\0').some((a) => a.includes(mark))) return; // the pid is someone else's now
  try {
    process.kill(state.pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  // A restart publishes the same host ports at once: they are free only when the helper has exited.
  waitExited(state.pid, HELPER_EXIT_WAIT_MS);
  if (state.tool === 'slirp4netns') fs.rmSync(apiSocketPath(paths, id), { force: true });
}

/** Waits (bounded) until pid has exited: gone, or a zombie, whose sockets are closed already. */
function waitExited(pid: number, ms: number): void {
  const deadline = Date.now() + ms;
  for (;;) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    const st = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (st === 'Z' || st === 'X' || Date.now() >= deadline) return;
    sleepSync(5);
  }
}
