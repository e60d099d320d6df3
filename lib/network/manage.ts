// Network operations for the CLI and both APIs (one implementation each):
// create, list with filters, inspect shapes, remove, prune, connect, disconnect.
import type { LocalEngine } from '../container/engine';
import type { ContainerRecord, Database, NetworkRecord } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { emitEvent } from '../events/journal';
import { type NetworkCreateOptions, addNetwork, containersOn, defaultNetworkName, dropNetwork, ensureDefaultNetwork, ensureDefaultNetworkFirst, findNetwork, noSuchNetwork } from './networks';
import { withHostLock } from './host-claims';
import { allocateExtraEndpoint, connectEndpoints, releaseEndpoints } from './endpoints';
import { removeIdleBridge } from './bridge';
import { parseIp } from './ipv4';
import { checkNetworkValues } from './input-checks';
import { removePod } from '../pod/pods';
import { podOfInfra } from '../pod/membership';

/** Bridge networks need root; without it only the default's record is ever shown. */
const canUseBridges = () => process.getuid?.() === 0;

export function createNetwork(engine: LocalEngine, opts: NetworkCreateOptions): NetworkRecord {
  if (!canUseBridges()) throw new EngineError('invalid-argument', 'bridge networks need root: rootless containers use --network private, none or host');
  // Host lock first, then the store lock (see ensureDefaultNetworkFirst): the claims inside nest.
  const rec = withHostLock(() =>
    engine.store.update((db) => {
      ensureDefaultNetwork(engine.paths, db); // never let a user network take its place
      return addNetwork(engine.paths, db, opts);
    }),
  );
  emitEvent(engine.paths, { Type: 'network', Status: 'create', ID: rec.id, Name: rec.name });
  return rec;
}

/** All networks, the default one first made if it is missing. */
export function listNetworks(engine: LocalEngine): NetworkRecord[] {
  if (canUseBridges()) ensureDefaultNetworkFirst(engine.paths, engine.store);
  const db = engine.store.read();
  return Object.values(db.networks ?? {}).sort((a, b) => a.name.localeCompare(b.name));
}

export function getNetwork(engine: LocalEngine, nameOrId: string): NetworkRecord {
  const found = listNetworks(engine) && findNetwork(engine.store.read(), nameOrId);
  if (!found) throw noSuchNetwork(nameOrId);
  return found;
}

export function networkExists(engine: LocalEngine, nameOrId: string): boolean {
  return Boolean(findNetwork(engine.store.read(), nameOrId)) || nameOrId === defaultNetworkName() || nameOrId === 'bridge';
}

/** Podman's filters: name (regex), id (prefix), driver, label (key or key=value, label! negated), dangling, until. */
export function filterNetworks(db: Database, nets: NetworkRecord[], filters: Map<string, string[]>): NetworkRecord[] {
  return nets.filter((n) =>
    [...filters].every(([key, vals]) => {
      const label = (v: string) => {
        const eq = v.indexOf('=');
        const k = eq < 0 ? v : v.slice(0, eq);
        return k in n.labels && (eq < 0 || n.labels[k] === v.slice(eq + 1));
      };
      switch (key) {
        case 'name':
          return vals.some((v) => new RegExp(v).test(n.name));
        case 'id':
          return vals.some((v) => n.id.startsWith(v));
        case 'driver':
          return vals.some((v) => v === n.driver);
        case 'type':
          return vals.some((v) => (v === 'custom') === (n.name !== defaultNetworkName()));
        case 'label':
          return vals.every(label);
        case 'label!':
          return !vals.some(label);
        case 'dangling':
          return vals.some((v) => (v === 'true' || v === '1') === (containersOn(db, n).length === 0));
        case 'until':
          return vals.some((v) => Date.parse(n.created) < untilTime(v));
        default:
          throw invalidArgument(`invalid filter "${key}"`);
      }
    }),
  );
}

function untilTime(v: string): number {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+)([smh])$/.exec(v);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid until filter "${v}"`);
  return t;
}

/** Removes a network; containers on it are refused (exit 2) or, with force, removed first. */
export async function removeNetwork(engine: LocalEngine, nameOrId: string, opts: { force?: boolean; timeout?: number } = {}): Promise<string> {
  const net = getNetwork(engine, nameOrId);
  if (net.name === defaultNetworkName()) throw new EngineError('invalid-argument', `default network ${net.name} cannot be removed`);
  const users = containersOn(engine.store.read(), net);
  if (users.length && !opts.force)
    throw new EngineError(
      'state-improper',
      `"${net.name}" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used`,
      'network is being used',
    );
  for (const id of users) {
    const pod = podOfInfra(engine.store.read(), id); // an infra container goes with its pod, as Podman's
    if (pod) await removePod(engine, pod, { force: true, timeout: opts.timeout, ignoreMissing: true });
    else await engine.removeAsync(id, { force: true, ignoreMissing: true, timeout: opts.timeout });
  }
  // Host lock first, then the store lock (see ensureDefaultNetworkFirst): releasing the claim nests.
  withHostLock(() =>
    engine.store.update((db) => {
      const cur = db.networks?.[net.id];
      if (!cur) throw noSuchNetwork(nameOrId);
      if (containersOn(db, cur).length) throw new EngineError('state-improper', `"${net.name}" has associated containers with it: network is being used`);
      dropNetwork(engine.paths, db, cur);
    }),
  );
  if (net.driver === 'bridge') removeIdleBridge(net.bridge, net.internal); // (a macvlan's `bridge` is its parent: never touched)
  emitEvent(engine.paths, { Type: 'network', Status: 'remove', ID: net.id, Name: net.name });
  return net.name;
}

/** Removes every network no container uses (never the default one); returns their names. */
export async function pruneNetworks(engine: LocalEngine, filters: Map<string, string[]> = new Map()): Promise<string[]> {
  const db = engine.store.read();
  const unused = filterNetworks(db, Object.values(db.networks ?? {}), filters).filter(
    (n) => n.name !== defaultNetworkName() && containersOn(db, n).length === 0,
  );
  const out: string[] = [];
  for (const n of unused) {
    try {
      out.push(await removeNetwork(engine, n.id));
    } catch (err) {
      if (!(err instanceof EngineError && err.kind === 'state-improper')) throw err; // taken meanwhile
    }
  }
  return out;
}

const isRunning = (c: ContainerRecord) => c.state.status === 'running';

/** Adds a container to a network (live when it runs), with aliases and an optional static address. */
export function connectNetwork(engine: LocalEngine, netRef: string, ctrRef: string, opts: { aliases?: string[]; ip?: string } = {}): void {
  if (opts.ip !== undefined && parseIp(opts.ip) === undefined) throw invalidArgument(`${opts.ip} is not an ip address`);
  checkNetworkValues({ networks: { [netRef]: { aliases: opts.aliases ?? [], ...(opts.ip ? { ip: opts.ip } : {}) } } });
  const ctr = engine.get(ctrRef);
  const net = getNetwork(engine, netRef);
  engine.store.update((db) => {
    const cur = engine.lookup(db, ctr.id);
    if (cur.config.network !== 'bridge')
      throw new EngineError('invalid-argument', `network mode "${cur.config.network}" is not supported: network connect needs a bridge network`);
    const nets = (cur.config.networks ??= {});
    if (net.name in nets) throw new EngineError('invalid-argument', `container ${cur.id} is already connected to network "${net.name}": network is already connected`);
    nets[net.name] = { aliases: opts.aliases ?? [], ...(opts.ip ? { ip: opts.ip } : {}) };
  });
  if (isRunning(ctr)) {
    try {
      allocateExtraEndpoint(engine, ctr.id, net.name);
      connectEndpoints(engine, engine.get(ctr.id), ctr.state.pid, [net.name]);
    } catch (err) {
      releaseEndpoints(engine, engine.get(ctr.id), [net.name]);
      engine.store.update((db) => delete db.containers[ctr.id]?.config.networks?.[net.name]);
      throw err;
    }
  }
  emitEvent(engine.paths, { Type: 'network', Status: 'connect', ID: net.id, Name: net.name, Attributes: { container: ctr.id } });
}

export function disconnectNetwork(engine: LocalEngine, netRef: string, ctrRef: string): void {
  const ctr = engine.get(ctrRef);
  const net = getNetwork(engine, netRef);
  if (!(net.name in (ctr.config.networks ?? {})))
    throw new EngineError('invalid-argument', `container ${ctrRef} is not connected to network ${netRef}`);
  if (isRunning(ctr)) releaseEndpoints(engine, ctr, [net.name]);
  engine.store.update((db) => {
    const cur = db.containers[ctr.id];
    if (cur?.config.networks) delete cur.config.networks[net.name];
  });
  emitEvent(engine.paths, { Type: 'network', Status: 'disconnect', ID: net.id, Name: net.name, Attributes: { container: ctr.id } });
}

/** Podman's network inspect/ls JSON. */
export function podmanNetwork(n: NetworkRecord) {
  return {
    name: n.name,
    id: n.id,
    driver: n.driver,
    network_interface: n.bridge,
    created: n.created,
    subnets: [{ subnet: n.subnet, gateway: n.gateway }],
    ipv6_enabled: false,
    internal: n.internal,
    dns_enabled: false,
    ...(Object.keys(n.labels).length ? { labels: n.labels } : {}),
    ...(Object.keys(n.options).length ? { options: n.options } : {}),
    ipam_options: { driver: 'host-local' },
  };
}

/** Docker's network object; containers: those with a live endpoint on it. */
export function dockerNetwork(db: Database, n: NetworkRecord) {
  const containers: Record<string, unknown> = {};
  for (const c of Object.values(db.containers)) {
    const ep = Object.values(c.state.endpoints ?? {}).find((e) => e.networkId === n.id);
    if (ep)
      containers[c.id] = { Name: c.name, EndpointID: ep.hostVeth, MacAddress: ep.mac, IPv4Address: `${ep.ip}/${ep.prefixLen}`, IPv6Address: '' };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.driver !== 'bridge' && n.bridge ? { ...n.options, parent: n.bridge } : n.options,
    Labels: n.labels,
  };
}
