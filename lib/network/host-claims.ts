// Bridge device names and subnets are host-global, while network records live
// in each --root's store: installations (and tests with private roots) running
// side by side must not pick the same ones. Every choice is made under one
// host-wide lock and recorded in a claims file; a claim whose store no longer
// holds the network is stale and may be taken again. Routes already on the
// host (other engines' bridges, the uplink) are avoided too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { type Subnet, formatSubnet, overlaps, parseSubnet } from './ipv4';

export const HOST_NET_DIR = process.env.TSPOD_NETWORK_STATE_DIR || '/run/tspod-network';

export interface Claim {
  bridge: string;
  subnet: string;
  /** the state database of the store the network belongs to */
  db: string;
  networkId: string;
  claimedAt: number;
}

const claimsFile = () => path.join(HOST_NET_DIR, 'claims.json');

let depth = 0;
/** Runs fn holding the host-wide network lock (re-entrant within this process). */
export function withHostLock<T>(fn: () => T): T {
  if (depth > 0) {
    depth++;
    try {
      return fn();
    } finally {
      depth--;
    }
  }
  fs.mkdirSync(HOST_NET_DIR, { recursive: true, mode: 0o700 });
  const fd = fs.openSync(path.join(HOST_NET_DIR, 'lock'), 'a');
  try {
    native().flock(fd, true, false);
    depth = 1;
    return fn();
  } finally {
    depth = 0;
    fs.closeSync(fd);
  }
}

let asyncTail: Promise<unknown> = Promise.resolve();

/**
 * Holds the host lock across fn's awaits; async holders of this process take
 * turns. While one holds it, synchronous withHostLock calls of this process
 * run as nested ones (a second flock of ours would wait for ourselves
 * forever); callers tolerate that interleaving.
 */
export function withHostLockAsync<T>(fn: () => Promise<T>): Promise<T> {
  const turn = asyncTail.then(() => lockedAsync(fn));
  asyncTail = turn.catch(() => undefined);
  return turn;
}

async function lockedAsync<T>(fn: () => Promise<T>): Promise<T> {
  if (depth > 0) return fn();
  fs.mkdirSync(HOST_NET_DIR, { recursive: true, mode: 0o700 });
  const fd = fs.openSync(path.join(HOST_NET_DIR, 'lock'), 'a');
  try {
    native().flock(fd, true, false);
    depth = 1;
    return await fn();
  } finally {
    depth = 0;
    fs.closeSync(fd);
  }
}

export function readClaims(): Claim[] {
  try {
    return JSON.parse(fs.readFileSync(claimsFile(), 'utf8')) as Claim[];
  } catch {
    return [];
  }
}

function writeClaims(claims: Claim[]): void {
  const tmp = `${claimsFile()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(claims));
  fs.renameSync(tmp, claimsFile());
}

/**
 * A claim stands while its store holds the network, or while it is too new to
 * tell (the store's transaction may not be written yet); a store whose root is
 * gone holds nothing.
 */
function live(c: Claim): boolean {
  if (!fs.existsSync(path.dirname(c.db))) return false;
  if (Date.now() - c.claimedAt < 60_000) return true;
  try {
    const db = JSON.parse(fs.readFileSync(c.db, 'utf8')) as { networks?: Record<string, unknown> };
    return Boolean(db.networks?.[c.networkId]);
  } catch {
    return false;
  }
}

/** IPv4 routes of the main table (connected subnets of every interface), default route excluded. */
export function hostRoutes(): Subnet[] {
  const out: Subnet[] = [];
  let text = '';
  try {
    text = fs.readFileSync('/proc/net/route', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const le = (hex: string) => Buffer.from(hex, 'hex').readUInt32LE(0);
    const dest = le(f[1]);
    const mask = le(f[7]);
    if (mask === 0) continue;
    const prefix = mask.toString(2).replace(/0/g, '').length;
    out.push({ base: dest >>> 0, prefix });
  }
  return out;
}

export const linkExists = (name: string) => fs.existsSync(path.join('/sys/class/net', name));

export interface ClaimRequest {
  db: string;
  networkId: string;
  /** a subnet the user asked for; else the first free one of the candidates */
  subnet?: string;
  candidates: () => Iterable<string>;
}

export class SubnetInUseError extends Error {}

/**
 * Claims a bridge name and a subnet for a new network; call under withHostLock.
 * Also returns the stale claims it dropped (their bridges may be left over from
 * a store deleted without removing its networks).
 */
export function claim(req: ClaimRequest): { claim: Claim; stale: Claim[] } {
  // A retried transaction (the first one failed after claiming) claims again: the old claim goes.
  const all = readClaims().filter((c) => !(c.db === req.db && c.networkId === req.networkId));
  const claims = all.filter(live);
  const stale = all.filter((c) => !claims.includes(c));
  const used = [...hostRoutes(), ...claims.map((c) => parseSubnet(c.subnet) as Subnet)];
  const free = (s: Subnet) => !used.some((u) => overlaps(u, s));
  let subnet: string | undefined;
  if (req.subnet) {
    const s = parseSubnet(req.subnet) as Subnet;
    if (!free(s)) throw new SubnetInUseError(`subnet ${formatSubnet(s)} is already used on the host or by another config`);
    subnet = formatSubnet(s);
  } else {
    for (const cand of req.candidates()) {
      const s = parseSubnet(cand) as Subnet;
      if (free(s)) {
        subnet = formatSubnet(s);
        break;
      }
    }
    if (!subnet) throw new SubnetInUseError('could not find free subnet from subnet pools');
  }
  let bridge = '';
  for (let i = 0; i < 10_000; i++) {
    const name = `tspod${i}`;
    if (!claims.some((c) => c.bridge === name) && !linkExists(name)) {
      bridge = name;
      break;
    }
  }
  const c: Claim = { bridge, subnet, db: req.db, networkId: req.networkId, claimedAt: Date.now() };
  writeClaims([...claims, c]);
  return { claim: c, stale };
}

// Port DNAT chains are host-global too: each has a file naming its store and
// container, so that one left by a store deleted under a running container can
// be found and removed.
const portsDir = () => path.join(HOST_NET_DIR, 'ports');

export function recordPortChain(chain: string, db: string, ctrId: string): void {
  fs.mkdirSync(portsDir(), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(portsDir(), chain), JSON.stringify({ db, ctrId }));
}

export function forgetPortChain(chain: string): void {
  fs.rmSync(path.join(portsDir(), chain), { force: true });
}

/** Port chains whose container has no endpoints in its store any more (a starting one already has them). */
export function orphanPortChains(): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(portsDir());
  } catch {
    return [];
  }
  return names.filter((chain) => {
    try {
      const { db, ctrId } = JSON.parse(fs.readFileSync(path.join(portsDir(), chain), 'utf8')) as { db: string; ctrId: string };
      const store = JSON.parse(fs.readFileSync(db, 'utf8')) as { containers?: Record<string, { state?: { endpoints?: unknown } }> };
      return !store.containers?.[ctrId]?.state?.endpoints;
    } catch {
      return true;
    }
  });
}

/** tspodN bridges no claim stands for (left by a store deleted with containers running). */
export function unclaimedBridges(): string[] {
  const claimed = new Set(readClaims().map((c) => c.bridge));
  let links: string[] = [];
  try {
    links = fs.readdirSync('/sys/class/net');
  } catch {
    return [];
  }
  return links.filter((l) => /^tspod\d+$/.test(l) && !claimed.has(l));
}

export function releaseClaim(networkId: string, db: string): void {
  withHostLock(() => writeClaims(readClaims().filter((c) => !(c.networkId === networkId && c.db === db))));
}
