// Network records in the store: create (claiming a host-global bridge name and
// subnet), look up, list, remove, and the default network created on first use.
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Database, NetworkRecord } from '../storage/records';
import type { Store } from '../storage/store';
import { type StoragePaths, dbFile } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { containersConfFiles, parseToml } from '../config/containers-conf';
import { claim, releaseClaim, SubnetInUseError, withHostLock } from './host-claims';
import { collectLeftovers } from './bridge';
import { contains, formatIp, formatSubnet, lastAddress, nthHost, parseIp, parseSubnet } from './ipv4';

/** Podman's id for its default network, kept so scripts that know it still match. */
export const DEFAULT_NETWORK_ID = '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

interface NetworkConf {
  defaultNetwork: string;
  defaultSubnet?: string;
}

let conf: NetworkConf | undefined;
/** containers.conf [network] default_network and default_subnet. */
export function networkConf(): NetworkConf {
  if (conf) return conf;
  conf = { defaultNetwork: 'podman' };
  for (const file of containersConfFiles()) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const t = parseToml(text).network ?? {};
    if (typeof t.default_network === 'string' && NAME_RE.test(t.default_network)) conf.defaultNetwork = t.default_network;
    if (typeof t.default_subnet === 'string' && parseSubnet(t.default_subnet)) conf.defaultSubnet = t.default_subnet;
  }
  return conf;
}

export const defaultNetworkName = () => networkConf().defaultNetwork;

/** Free /24s are looked for here (Podman's own pools are 10.88.0.0/16 and 10.89.0.0/16). */
function* subnetPool(): Generator<string> {
  for (let b = 90; b < 100; b++) for (let c = 0; c < 256; c++) yield `10.${b}.${c}.0/24`;
}

export const noSuchNetwork = (nameOrId: string) =>
  new EngineError('no-such-object', `unable to find network with name or ID ${nameOrId}: network not found`, 'network not found');

/** By exact name, full id, or unique id prefix; `bridge` is the default network (Docker's name). */
export function findNetwork(db: Database, nameOrId: string): NetworkRecord | undefined {
  const nets = Object.values(db.networks ?? {});
  const name = nameOrId === 'bridge' && !nets.some((n) => n.name === 'bridge') ? defaultNetworkName() : nameOrId;
  const exact = nets.find((n) => n.name === name || n.id === name);
  if (exact) return exact;
  if (name === defaultNetworkName()) return undefined;
  if (/^[0-9a-f]+$/.test(name)) {
    const byPrefix = nets.filter((n) => n.id.startsWith(name));
    if (byPrefix.length === 1) return byPrefix[0];
  }
  return undefined;
}

export interface NetworkCreateOptions {
  name?: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  /** do not fail when the name exists (returns the existing one) */
  ignoreExisting?: boolean;
}

/** Adds a network to db (inside a store transaction); the host-global choices are claimed under the host lock. */
export function addNetwork(paths: StoragePaths, db: Database, opts: NetworkCreateOptions, id?: string): NetworkRecord {
  db.networks ??= {};
  const driver = opts.driver ?? 'bridge';
  if (driver !== 'bridge') throw invalidArgument(`unsupported driver ${driver}`);
  for (const [k, v] of Object.entries(opts.options ?? {})) {
    if (k !== 'mtu') throw new EngineError('invalid-argument', `unsupported bridge network option ${k}`);
    if (!/^\d+$/.test(v) || Number(v) < 68) throw new EngineError('invalid-argument', `invalid mtu "${v}"`);
  }
  let name = opts.name;
  if (name !== undefined) {
    if (!NAME_RE.test(name)) throw invalidArgument(`network name ${name} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    const existing = Object.values(db.networks).find((n) => n.name === name);
    if (existing) {
      if (opts.ignoreExisting) return existing;
      throw new EngineError('name-in-use', `network name ${name} already used: network already exists`, 'network already exists');
    }
  } else {
    for (let i = 1; ; i++) {
      if (!Object.values(db.networks).some((n) => n.name === `podman${i}`)) {
        name = `podman${i}`;
        break;
      }
    }
  }
  let subnet: string | undefined;
  if (opts.subnet) {
    const s = parseSubnet(opts.subnet);
    if (!s) throw new EngineError('invalid-argument', `invalid CIDR address: ${opts.subnet}`); // Go's wording, as Podman reports it
    if (s.prefix > 30) throw invalidArgument(`invalid subnet ${opts.subnet}`);
    subnet = formatSubnet(s);
    for (const n of Object.values(db.networks)) {
      const o = parseSubnet(n.subnet);
      if (o && (contains(o, s.base) || contains(s, o.base)))
        throw new EngineError('invalid-argument', `subnet ${subnet} is already used on the host or by another config`);
    }
  } else if (opts.gateway) throw invalidArgument('cannot set gateway without subnet');
  const netId = id ?? randomBytes(32).toString('hex');
  const candidates = name === defaultNetworkName() && networkConf().defaultSubnet ? () => [networkConf().defaultSubnet as string, ...subnetPool()] : subnetPool;
  let c;
  try {
    c = withHostLock(() => {
      const r = claim({ db: dbFile(paths), networkId: netId, subnet, candidates });
      collectLeftovers(r.stale.map((old) => old.bridge));
      return r.claim;
    });
  } catch (err) {
    if (err instanceof SubnetInUseError) throw new EngineError('invalid-argument', err.message);
    throw err;
  }
  const s = parseSubnet(c.subnet)!;
  let gateway = formatIp(nthHost(s, 1));
  if (opts.gateway) {
    const g = parseIp(opts.gateway);
    if (g === undefined || !contains(s, g) || g === s.base || g === lastAddress(s)) {
      releaseClaim(netId, dbFile(paths));
      throw invalidArgument(`gateway ${opts.gateway} not in subnet ${c.subnet}`);
    }
    gateway = formatIp(g);
  }
  const rec: NetworkRecord = {
    id: netId,
    name,
    driver: 'bridge',
    bridge: c.bridge,
    subnet: c.subnet,
    gateway,
    internal: opts.internal ?? false,
    labels: opts.labels ?? {},
    options: opts.options ?? {},
    created: new Date().toISOString(),
  };
  db.networks[netId] = rec;
  return rec;
}

/** The default network, added to db when missing (inside a store transaction). */
export function ensureDefaultNetwork(paths: StoragePaths, db: Database): NetworkRecord {
  const existing = Object.values(db.networks ?? {}).find((n) => n.name === defaultNetworkName());
  if (existing) return existing;
  return addNetwork(paths, db, { name: defaultNetworkName() }, DEFAULT_NETWORK_ID);
}

/** Drops a network from db (inside a store transaction) and gives its host-global claims back. */
export function dropNetwork(paths: StoragePaths, db: Database, net: NetworkRecord): void {
  delete db.networks?.[net.id];
  releaseClaim(net.id, dbFile(paths));
}

/** Names of containers attached to the network (by config, running or not). */
export function containersOn(db: Database, net: NetworkRecord): string[] {
  return Object.values(db.containers)
    .filter((c) => c.config.network === 'bridge' && c.config.networks && net.name in c.config.networks)
    .map((c) => c.id);
}

/**
 * Makes the default network if it is missing, taking the host network lock
 * before the store lock: the one order in which both are ever taken together
 * (a process holding the host lock across awaits may wait for the store lock,
 * so the store lock must never wait for the host lock). A caller already
 * inside the store lock cannot keep that order and leaves it to networkFor.
 */
export function ensureDefaultNetworkFirst(paths: StoragePaths, store: Store): void {
  if (store.isHeld() || Object.values(store.read().networks ?? {}).some((n) => n.name === defaultNetworkName())) return;
  withHostLock(() => store.update((db) => void ensureDefaultNetwork(paths, db)));
}
