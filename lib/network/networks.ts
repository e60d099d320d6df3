// Network records in the store: create (claiming a host-global bridge name and
// subnet), look up, list, remove, and the default network created on first use.
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Database, NetworkDriver, NetworkRecord } from '../storage/records';
import type { Store } from '../storage/store';
import { type StoragePaths, dbFile } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { containersConfFiles, parseToml } from '../config/containers-conf';
import { claim, linkExists, releaseClaim, SubnetInUseError, withHostLock } from './host-claims';
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
  /** macvlan: the parent interface (also taken from the option `parent`, as Podman's CLI does) */
  networkInterface?: string;
  /** do not fail when the name exists (returns the existing one) */
  ignoreExisting?: boolean;
}

/** Adds a network to db (inside a store transaction); the host-global choices are claimed under the host lock. */
export function addNetwork(paths: StoragePaths, db: Database, opts: NetworkCreateOptions, id?: string): NetworkRecord {
  db.networks ??= {};
  const driver = opts.driver ?? 'bridge';
  if (driver !== 'bridge' && driver !== 'macvlan') throw invalidArgument(`unsupported driver ${driver}`);
  const options = { ...(opts.options ?? {}) };
  let parent = '';
  if (driver !== 'bridge') {
    parent = opts.networkInterface || options.parent || '';
    delete options.parent;
    checkParent(parent);
  }
  checkDriverOptions(driver, options);
  const name = networkName(db, opts.name);
  if (typeof name !== 'string') {
    if (opts.ignoreExisting) return name.existing;
    throw new EngineError('name-in-use', `network name ${opts.name} already used: network already exists`, 'network already exists');
  }
  if (driver !== 'bridge') return addLanNetwork(db, { ...opts, options, driver }, name, parent, id);
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
    options,
    created: new Date().toISOString(),
  };
  db.networks[netId] = rec;
  return rec;
}

/** The new network's name (the first free podmanN when none is given), or the network that has it. */
function networkName(db: Database, wanted: string | undefined): string | { existing: NetworkRecord } {
  const nets = Object.values(db.networks ?? {});
  if (wanted === undefined) {
    for (let i = 1; ; i++) if (!nets.some((n) => n.name === `podman${i}`)) return `podman${i}`;
  }
  if (!NAME_RE.test(wanted)) throw invalidArgument(`network name ${wanted} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  const existing = nets.find((n) => n.name === wanted);
  return existing ? { existing } : wanted;
}

const MODES: Record<NetworkDriver, string[]> = { bridge: [], macvlan: ['bridge', 'private', 'vepa', 'passthru'] };

/** Podman's options per driver: mtu for both, mode for macvlan. */
function checkDriverOptions(driver: NetworkDriver, options: Record<string, string>): void {
  for (const [k, v] of Object.entries(options)) {
    if (k === 'mtu') {
      if (!/^\d+$/.test(v) || Number(v) < 68) throw new EngineError('invalid-argument', `invalid mtu "${v}"`);
    } else if (k === 'mode' && driver !== 'bridge') {
      if (!MODES[driver].includes(v)) throw invalidArgument(`unknown ${driver} mode "${v}"`);
    } else throw invalidArgument(`unsupported ${driver} network option ${k}`);
  }
}

/** A parent interface name must be one the host has now (it goes into ip's command lines). */
function checkParent(parent: string): void {
  if (parent === '') return;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(parent) || !linkExists(parent)) throw invalidArgument(`parent interface ${parent} does not exist`);
}

/**
 * A macvlan network: its containers get a device on the parent
 * interface, with addresses from the subnet given (the LAN's: no host-global
 * claim, no bridge, no NAT). Without a subnet Podman hands out addresses by
 * DHCP, which tspod does not do.
 */
function addLanNetwork(db: Database, opts: NetworkCreateOptions & { driver: NetworkDriver; options: Record<string, string> }, name: string, parent: string, id?: string): NetworkRecord {
  if (!opts.subnet) throw invalidArgument(`${opts.driver} networks need a subnet (--subnet): tspod has no DHCP client for them`);
  const s = parseSubnet(opts.subnet);
  if (!s) throw new EngineError('invalid-argument', `invalid CIDR address: ${opts.subnet}`);
  if (s.prefix > 30) throw invalidArgument(`invalid subnet ${opts.subnet}`);
  let gateway = formatIp(nthHost(s, 1));
  if (opts.gateway) {
    const g = parseIp(opts.gateway);
    if (g === undefined || !contains(s, g) || g === s.base || g === lastAddress(s)) throw invalidArgument(`gateway ${opts.gateway} not in subnet ${formatSubnet(s)}`);
    gateway = formatIp(g);
  }
  const rec: NetworkRecord = {
    id: id ?? randomBytes(32).toString('hex'),
    name,
    driver: opts.driver,
    bridge: parent,
    subnet: formatSubnet(s),
    gateway,
    internal: opts.internal ?? false,
    labels: opts.labels ?? {},
    options: opts.options,
    created: new Date().toISOString(),
  };
  (db.networks ??= {})[rec.id] = rec;
  return rec;
}

/** The host interface of the default route (/proc/net/route), the parent of a macvlan network that names none. */
export function defaultRouteInterface(): string | undefined {
  for (const line of fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '00000000' && f[7] === '00000000') return f[0];
  }
  return undefined;
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
