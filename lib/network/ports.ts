// Published ports: `-p [ip:][hostPort:]containerPort[/tcp|udp]` (ranges too),
// `-P` for the exposed ports, host ports picked when not given, and the ways
// they are shown (ps, port, inspect).
import * as fs from 'node:fs';
import type { ContainerRecord, Database, PortMapping } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { isIPv4 } from './input-checks';

/** More published ports than this per container is a mistake, not a wish (each is three firewall rules and a host port). */
export const MAX_PUBLISHED_PORTS = 4096;

function checkPortCount(n: number, spec: string): void {
  if (n > MAX_PUBLISHED_PORTS) throw invalidArgument(`too many ports in "${spec}": ${n} (at most ${MAX_PUBLISHED_PORTS} per container)`);
}

/** The host address of a mapping: a strict IPv4 address, or "" (0.0.0.0) for all. */
function hostIpOf(ip: string, spec: string): string {
  if (ip === '' || ip === '0.0.0.0') return '';
  if (!isIPv4(ip)) throw invalidArgument(`invalid IP address ${JSON.stringify(ip)} in port mapping "${spec}"`);
  return ip;
}

function parseRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw invalidArgument(`invalid ${what} "${s}"`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b > 65535 || b < a) throw invalidArgument(`invalid ${what} "${s}"`);
  return [a, b];
}

/** One -p value; hostPort 0 = to be chosen. */
export function parsePublish(spec: string): PortMapping[] {
  let rest = spec;
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`invalid protocol "${proto}" in port mapping "${spec}"`);
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  const parts = rest.split(':');
  if (parts.length > 3) throw invalidArgument(`invalid port format "${spec}"`);
  const ctr = parts[parts.length - 1];
  const host = parts.length >= 2 ? parts[parts.length - 2] : '';
  const hostIp = hostIpOf(parts.length === 3 ? parts[0].replace(/^\[|\]$/g, '') : '', spec);
  const [c1, c2] = parseRange(ctr, 'container port');
  const count = c2 - c1 + 1;
  checkPortCount(count, spec);
  let h1 = 0;
  if (host && host !== '0') {
    const [a, b] = parseRange(host, 'host port');
    if (b - a + 1 !== count) throw invalidArgument(`host port range must have the same length as the container port range in "${spec}"`);
    h1 = a;
  }
  const out: PortMapping[] = [];
  for (let i = 0; i < count; i++) out.push({ hostIp, hostPort: h1 ? h1 + i : 0, containerPort: c1 + i, protocol });
  return out;
}

const isPort = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= 65535;

/**
 * libpod's SpecGenerator `portmappings` entry ({host_ip, host_port,
 * container_port, range, protocol}) under the same rules as `-p`: a strict
 * IPv4 host address or none, ports 1-65535 (host port 0 = to be chosen), a
 * range that stays below 65536 on both sides, tcp/udp.
 */
export function parsePortMappingSpec(m: Record<string, unknown>): PortMapping[] {
  const spec = JSON.stringify(m);
  const text = (v: unknown, key: string): string => {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw invalidArgument(`invalid ${key} in port mapping ${spec}: must be a string`);
    return v;
  };
  const hostIp = hostIpOf(text(m.host_ip, 'host_ip'), spec);
  const cport = m.container_port;
  const hport = m.host_port ?? 0;
  const range = m.range === undefined || m.range === null || m.range === 0 ? 1 : m.range;
  if (!isPort(cport, 1)) throw invalidArgument(`invalid container port in port mapping ${spec}: must be 1-65535`);
  if (!isPort(hport, 0)) throw invalidArgument(`invalid host port in port mapping ${spec}: must be 1-65535`);
  if (typeof range !== 'number' || !Number.isInteger(range) || range < 1) throw invalidArgument(`invalid range in port mapping ${spec}: must be a positive integer`);
  checkPortCount(range, spec);
  if (cport + range - 1 > 65535 || (hport && hport + range - 1 > 65535)) throw invalidArgument(`invalid range in port mapping ${spec}: the ports would go beyond 65535`);
  const protocols = [...new Set((text(m.protocol, 'protocol') || 'tcp').split(','))];
  const out: PortMapping[] = [];
  for (const proto of protocols) {
    if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`invalid protocol "${proto}" in port mapping ${spec}`);
    for (let i = 0; i < range; i++) out.push({ hostIp, hostPort: hport ? hport + i : 0, containerPort: cport + i, protocol: proto });
  }
  return out;
}

/** All of a container's published ports, counted against the limit. */
export function checkPublishedPorts(ports: PortMapping[]): PortMapping[] {
  checkPortCount(ports.length, 'the published ports');
  return ports;
}

/** "8080", "8080/udp", "8000-8002/tcp" into "port/proto" strings. */
export function parseExpose(spec: string): string[] {
  const [ports, proto = 'tcp'] = spec.split('/');
  if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`invalid protocol "${proto}" in "${spec}"`);
  const [a, b] = parseRange(ports, 'port');
  const out: string[] = [];
  for (let p = a; p <= b; p++) out.push(`${p}/${proto}`);
  return out;
}

/**
 * Local ports of the host's sockets (/proc/net/{tcp,udp}[6]); boundOnly: TCP
 * sockets that listen (state 0A) and UDP sockets, else every socket (what a new
 * host port must avoid).
 */
function hostSocketPorts(protocol: 'tcp' | 'udp', boundOnly: boolean): Set<number> {
  const out = new Set<number>();
  for (const f of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && (!boundOnly || protocol === 'udp' || cols[3] === '0A')) out.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return out;
}

/**
 * Gives each mapping without a host port a free one (not listened on, not
 * published by another container), and refuses a host port published twice.
 */
export function assignHostPorts(db: Database, ctrId: string, ports: PortMapping[]): PortMapping[] {
  const taken = new Set<string>();
  for (const c of Object.values(db.containers)) {
    if (c.id === ctrId) continue;
    for (const p of c.config.ports ?? []) taken.add(`${p.protocol}/${p.hostPort}`);
  }
  const listening = { tcp: hostSocketPorts('tcp', false), udp: hostSocketPorts('udp', false) };
  const out: PortMapping[] = [];
  for (const p of ports) {
    let hostPort = p.hostPort;
    if (!hostPort) {
      for (let tries = 0; tries < 1000; tries++) {
        const cand = 30000 + Math.floor(Math.random() * 30000);
        if (!taken.has(`${p.protocol}/${cand}`) && !listening[p.protocol].has(cand)) {
          hostPort = cand;
          break;
        }
      }
    }
    taken.add(`${p.protocol}/${hostPort}`);
    out.push({ ...p, hostPort });
  }
  return out;
}

/**
 * A host port of ctr that is already taken, by a running container or by a
 * process on the host, as Podman finds it when it binds the port at start.
 */
export function hostPortConflict(db: Database, ctrId: string, ports: PortMapping[], stillRunning: (c: ContainerRecord) => boolean): EngineError | undefined {
  if (!ports.length) return undefined;
  const bound = { tcp: hostSocketPorts('tcp', true), udp: hostSocketPorts('udp', true) };
  for (const p of ports) {
    const clash =
      bound[p.protocol].has(p.hostPort) ||
      Object.values(db.containers).some(
        (c) =>
          c.id !== ctrId &&
          c.state.status === 'running' &&
          (c.config.ports ?? []).some((q) => q.protocol === p.protocol && q.hostPort === p.hostPort && (!q.hostIp || !p.hostIp || q.hostIp === p.hostIp)) &&
          stillRunning(c), // its exit may not be recorded yet
      );
    if (clash)
      return new EngineError('port-in-use', `cannot listen on the ${p.protocol.toUpperCase()} port: listen ${p.protocol}4 ${p.hostIp}:${p.hostPort}: bind: address already in use`);
  }
  return undefined;
}

/** NetworkSettings.Ports: every exposed or published port, with its bindings or null; Podman leaves HostIp "" for all addresses, Docker says 0.0.0.0. */
export function portsMap(ports: PortMapping[], exposed: string[], flavor: 'podman' | 'docker' = 'docker'): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const e of exposed) out[e] = null;
  for (const p of ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    const list = out[key] ?? [];
    list.push({ HostIp: p.hostIp || (flavor === 'docker' ? '0.0.0.0' : ''), HostPort: String(p.hostPort) });
    out[key] = list;
  }
  return out;
}

/** ps's PORTS column as Podman prints it: 0.0.0.0:8080->80/tcp, ranges joined. */
export function portsColumn(ports: PortMapping[]): string {
  const out: string[] = [];
  const sorted = [...ports];
  let i = 0;
  while (i < sorted.length) {
    const p = sorted[i];
    let j = i;
    while (
      j + 1 < sorted.length &&
      sorted[j + 1].protocol === p.protocol &&
      sorted[j + 1].hostIp === p.hostIp &&
      sorted[j + 1].hostPort === sorted[j].hostPort + 1 &&
      sorted[j + 1].containerPort === sorted[j].containerPort + 1
    )
      j++;
    const ip = p.hostIp || '0.0.0.0';
    const q = sorted[j];
    out.push(
      j === i
        ? `${ip}:${p.hostPort}->${p.containerPort}/${p.protocol}`
        : `${ip}:${p.hostPort}-${q.hostPort}->${p.containerPort}-${q.containerPort}/${p.protocol}`,
    );
    i = j + 1;
  }
  return out.join(', ');
}
