// A container's attachment to its bridge networks, per run:
//   allocate  (store lock)  an address, MAC and veth name per network, before the
//             spec is generated so /etc/hosts can list them;
//   connect   after the runtime created the container (its netns exists) and
//             before it starts: the bridge on first use, a veth pair with one end
//             moved into the netns as ethN, addresses, default route, port DNAT;
//   release   when the run is over: port rules, host veth, and the bridge with its
//             NAT rules once no container is left on it (as netavark does).
// Peers' /etc/hosts are rewritten after connect and release.
import { randomBytes } from 'node:crypto';
import type { Store } from '../storage/store';
import type { ContainerRecord, Database, Endpoint, EndpointConfig, NetworkRecord } from '../storage/records';
import { type StoragePaths, dbFile } from '../storage/paths';
import { EngineError } from '../errors';
import { rewritePeerHosts } from '../container/etc-files';
import { contains, formatIp, lastAddress, nthHost, parseIp, parseSubnet } from './ipv4';
import { defaultNetworkName, defaultRouteInterface, ensureDefaultNetwork, ensureDefaultNetworkFirst, findNetwork, noSuchNetwork } from './networks';
import { forgetPortChain, linkExists, recordPortChain, withHostLock, withHostLockAsync } from './host-claims';
import { ipBatch, ipBatchAsync, setSysctl } from './system';
import { addNetworkRules, addNetworkRulesAsync, addPortRules, portChain, removePortRules } from './firewall';
import { bridgePorts, tearDownBridge } from './bridge';

/** Whether the endpoint is a veth on a bridge (a network record gone meanwhile counts as one: its veth is looked for). */
const onBridgeNetwork = (db: Database, ep: Endpoint) => (db.networks?.[ep.networkId]?.driver ?? 'bridge') === 'bridge';

export interface NetContext {
  paths: StoragePaths;
  store: Store;
}

/** The network a container names (the default one is made on first use). */
export function networkFor(paths: StoragePaths, db: Database, name: string): NetworkRecord {
  const net = findNetwork(db, name);
  if (net) return net;
  if (name === defaultNetworkName() || name === 'bridge') return ensureDefaultNetwork(paths, db);
  throw noSuchNetwork(name);
}

/**
 * The MAC follows from the address, as Docker's does (02:42 + the IPv4 bytes): a
 * container restarted with its address keeps its MAC, so the host's neighbour
 * entry for it stays right (a new random MAC left published ports dead until the
 * stale entry expired).
 */
const macFor = (ip: string) => ['02', '42', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');

/** Picks an address on net for a container (the requested one if free). */
function allocateIp(db: Database, net: NetworkRecord, ctrId: string, want?: string): string {
  const subnet = parseSubnet(net.subnet)!;
  const used = new Map<number, string>([[parseIp(net.gateway)!, 'the gateway']]);
  for (const c of Object.values(db.containers))
    if (c.id !== ctrId) for (const ep of Object.values(c.state.endpoints ?? {})) if (ep.networkId === net.id) used.set(parseIp(ep.ip)!, c.id);
  if (want) {
    const ip = parseIp(want);
    if (ip === undefined || !contains(subnet, ip) || ip === subnet.base || ip === lastAddress(subnet))
      throw new EngineError('invalid-argument', `requested static ip ${want} not in any subnet on network ${net.name}`);
    const holder = used.get(ip);
    if (holder) throw new EngineError('invalid-argument', `IPAM error: requested ip address ${want} is already allocated to container ID ${holder}`);
    return want;
  }
  for (let n = 2; nthHost(subnet, n) < lastAddress(subnet); n++) if (!used.has(nthHost(subnet, n))) return formatIp(nthHost(subnet, n));
  throw new EngineError('internal', `IPAM error: failed to find free IP in network ${net.name}`);
}

function newEndpoint(db: Database, net: NetworkRecord, cfg: EndpointConfig, ctrId: string, ifname: string): Endpoint {
  const ip = allocateIp(db, net, ctrId, cfg.ip);
  return {
    networkId: net.id,
    ip,
    prefixLen: parseSubnet(net.subnet)!.prefix,
    gateway: net.gateway,
    mac: cfg.mac ?? macFor(ip),
    hostVeth: `${net.driver === 'bridge' ? 'veth' : 'mv'}${randomBytes(4).toString('hex')}`,
    ifname,
  };
}

/** Gives a starting container its endpoints (replacing a previous run's); returns the record and db after. */
export function allocateEndpoints(ctx: NetContext, id: string): { rec: ContainerRecord; db: Database } {
  const wanted = Object.keys(ctx.store.read().containers[id]?.config.networks ?? {});
  if (wanted.some((n) => n === defaultNetworkName() || n === 'bridge')) ensureDefaultNetworkFirst(ctx.paths, ctx.store);
  return ctx.store.update((db) => {
    const cur = db.containers[id];
    if (!cur) throw new EngineError('no-such-container', `no container with ID ${id} found: no such container`);
    if (cur.config.network !== 'bridge') delete cur.state.endpoints;
    else {
      const eps: Record<string, Endpoint> = {};
      cur.state.endpoints = eps; // our own old addresses are free again
      let i = 0;
      for (const [name, cfg] of Object.entries(cur.config.networks ?? {})) {
        eps[name] = newEndpoint(db, networkFor(ctx.paths, db, name), cfg, id, `eth${i++}`);
      }
    }
    return { rec: structuredClone(cur), db }; // db is not used by the store after this
  });
}

/** Adds one endpoint to a running container (network connect); returns it. */
export function allocateExtraEndpoint(ctx: NetContext, id: string, name: string): Endpoint {
  return ctx.store.update((db) => {
    const cur = db.containers[id];
    const eps = (cur.state.endpoints ??= {});
    const taken = new Set(Object.values(eps).map((e) => e.ifname));
    let i = 0;
    while (taken.has(`eth${i}`)) i++;
    const ep = newEndpoint(db, networkFor(ctx.paths, db, name), cur.config.networks?.[name] ?? { aliases: [] }, id, `eth${i}`);
    eps[name] = ep;
    return ep;
  });
}

/**
 * Starts bringing up the missing bridges of a starting container (device, NAT
 * and forwarding rules) while the monitor and the runtime start: none of it
 * needs the container's netns, and on a cold network it is most of the cost.
 * Never rejects: connectEndpoints does whatever is still missing.
 */
export async function prepareBridges(ctx: NetContext, rec: ContainerRecord): Promise<void> {
  const db = ctx.store.read();
  const missing = Object.values(rec.state.endpoints ?? {})
    .map((ep) => db.networks?.[ep.networkId])
    .filter((n): n is NetworkRecord => n !== undefined && n.driver === 'bridge' && !linkExists(n.bridge));
  if (missing.length === 0) return;
  await withHostLockAsync(async () => {
    for (const net of missing) {
      if (linkExists(net.bridge)) continue;
      try {
        await ipBatchAsync(bridgeLines(net, []));
        bridgeSysctls(net);
        await addNetworkRulesAsync(net);
      } catch {
        // Half made: undo, so that connectEndpoints makes it whole (and reports what fails).
        if (linkExists(net.bridge) && bridgePorts(net.bridge).length === 0) ipBatch([`link del ${net.bridge}`], undefined, { force: true });
      }
    }
  }).catch(() => undefined);
}

function bridgeSysctls(net: NetworkRecord): void {
  // 127.0.0.1 -> published port: the DNATed packet leaves through the bridge with a loopback source.
  setSysctl(`net.ipv4.conf.${net.bridge}.route_localnet`, '1');
  if (!net.internal) setSysctl('net.ipv4.ip_forward', '1');
}

/** Brings up the bridge (and its NAT rules) if it is not there; under the host lock. */
function bridgeLines(net: NetworkRecord, created: NetworkRecord[]): string[] {
  if (linkExists(net.bridge) || created.some((n) => n.bridge === net.bridge)) return [];
  created.push(net);
  const prefix = parseSubnet(net.subnet)!.prefix;
  const mtu = net.options.mtu ? ` mtu ${net.options.mtu}` : '';
  return [`link add name ${net.bridge}${mtu} type bridge`, `addr add ${net.gateway}/${prefix} dev ${net.bridge}`, `link set ${net.bridge} up`];
}

/**
 * A macvlan device on the network's parent, made straight into the
 * container's netns (under the endpoint's host-unique name, renamed inside).
 */
function lanDeviceLine(net: NetworkRecord, ep: Endpoint, mtu: string, netns: string): string {
  const parent = net.bridge || defaultRouteInterface();
  if (!parent) throw new EngineError('invalid-argument', `network ${net.name}: no parent interface given and the host has no default route`);
  if (!linkExists(parent)) throw new EngineError('invalid-argument', `network ${net.name}: parent interface ${parent} does not exist`);
  return `link add link ${parent} name ${ep.hostVeth}${mtu} address ${ep.mac} netns ${netns} type macvlan mode ${net.options.mode ?? 'bridge'}`;
}

/**
 * Wires the endpoints (all of them, or the named ones) into the container's
 * netns at /proc/PID/ns/net. When it throws, the caller undoes what was done
 * with releaseEndpoints (cleanupRuntime does).
 */
export function connectEndpoints(ctx: NetContext, rec: ContainerRecord, pid: number, only?: string[]): void {
  const eps = Object.entries(rec.state.endpoints ?? {}).filter(([n]) => !only || only.includes(n));
  if (eps.length === 0) return;
  const db = ctx.store.read();
  const netns = `/proc/${pid}/ns/net`;
  const nets = eps.map(([name, ep]) => {
    const net = db.networks?.[ep.networkId];
    if (!net) throw noSuchNetwork(name);
    return net;
  });
  withHostLock(() => {
    const created: NetworkRecord[] = [];
    const lines: string[] = [];
    eps.forEach(([, ep], i) => {
      const mtu = nets[i].options.mtu ? ` mtu ${nets[i].options.mtu}` : '';
      if (nets[i].driver !== 'bridge') {
        lines.push(lanDeviceLine(nets[i], ep, mtu, netns));
        return;
      }
      lines.push(...bridgeLines(nets[i], created));
      lines.push(
        `link add ${ep.hostVeth}${mtu} type veth peer name ${ep.ifname}${mtu} address ${ep.mac} netns ${netns}`,
        `link set ${ep.hostVeth} master ${nets[i].bridge} up`,
      );
    });
    ipBatch(lines);
    for (const net of created) {
      bridgeSysctls(net);
      addNetworkRules(net);
    }
    const ports = rec.config.ports ?? [];
    // published ports are DNAT to a bridge address; a macvlan container is on the LAN itself (as with netavark)
    if (ports.length && !only && nets[0].driver === 'bridge') {
      addPortRules(rec.id, eps[0][1].ip, nets[0].subnet, ports);
      recordPortChain(portChain(rec.id), dbFile(ctx.paths), rec.id);
    }
  });
  const inside: string[] = [];
  let route = Object.keys(rec.state.endpoints ?? {}).length > eps.length; // a route already exists
  eps.forEach(([, ep], i) => {
    if (nets[i].driver !== 'bridge') inside.push(`link set ${ep.hostVeth} name ${ep.ifname}`); // made under a name free on the host
    inside.push(`addr add ${ep.ip}/${ep.prefixLen} dev ${ep.ifname}`, `link set ${ep.ifname} up`);
    if (!route && !nets[i].internal) {
      inside.push(`route add default via ${ep.gateway} dev ${ep.ifname}`);
      route = true;
    }
  });
  ipBatch(inside, netns);
  const names = eps.map(([n]) => n);
  const hasPeers = (d: Database) => Object.values(d.containers).some((c) => c.id !== rec.id && names.some((n) => n in (c.state.endpoints ?? {})));
  if (hasPeers(db)) ctx.store.locked(() => rewritePeerHosts(ctx.paths, ctx.store.read(), names, rec.id));
}

/**
 * Undoes a run's endpoints (all, or the named ones): port rules, host veths,
 * bridges left without ports; then forgets them in the record (the given object
 * and the store) and updates the peers' /etc/hosts. Idempotent.
 */
export function releaseEndpoints(ctx: NetContext, rec: ContainerRecord, only?: string[]): void {
  const all = rec.state.endpoints ?? {};
  const eps = Object.entries(all).filter(([n]) => !only || only.includes(n));
  if (eps.length === 0) return;
  const db = ctx.store.read();
  withHostLock(() => {
    if (!only && rec.config.ports?.length) {
      removePortRules(rec.id);
      forgetPortChain(portChain(rec.id));
    }
    // One ip process: our veths, and the bridges they leave without ports (their rules go after).
    // (A macvlan device lives in the container's netns only and goes with it.)
    const onBridge = eps.filter(([, ep]) => onBridgeNetwork(db, ep));
    const veths = new Set(onBridge.map(([, ep]) => ep.hostVeth).filter(linkExists));
    const idle = [...new Map(onBridge.map(([, ep]) => [ep.networkId, db.networks?.[ep.networkId]])).values()].filter(
      (net): net is NetworkRecord => net !== undefined && linkExists(net.bridge) && bridgePorts(net.bridge).every((p) => veths.has(p)),
    );
    const lines = [...[...veths].map((v) => `link del ${v}`), ...idle.map((n) => `link del ${n.bridge}`)];
    try {
      if (lines.length) ipBatch(lines, undefined, { force: true });
    } catch {
      /* a veth goes by itself when its netns dies, maybe just now; -force did the rest */
    }
    for (const net of idle) tearDownBridge(net.bridge, net.internal);
  });
  // network disconnect of a running container: its macvlan device goes now
  const lan = eps.filter(([, ep]) => !onBridgeNetwork(db, ep));
  if (only && lan.length && rec.state.status === 'running' && rec.state.pid > 0) {
    try {
      ipBatch(lan.map(([, ep]) => `link del ${ep.ifname}`), `/proc/${rec.state.pid}/ns/net`, { force: true });
    } catch {
      /* the netns went meanwhile, and the device with it */
    }
  }
  const names = eps.map(([n]) => n);
  const released = new Set(eps.map(([, ep]) => ep.hostVeth));
  const forget = (r: ContainerRecord) => {
    for (const [n, ep] of Object.entries(r.state.endpoints ?? {})) if (released.has(ep.hostVeth)) delete r.state.endpoints?.[n];
    if (r.state.endpoints && Object.keys(r.state.endpoints).length === 0) delete r.state.endpoints;
  };
  forget(rec);
  if (ctx.store.isHeld()) {
    // Inside the caller's transaction (cleanup, rm): it writes rec; peers see the db as it will be.
    const db2 = ctx.store.read();
    const cur = db2.containers[rec.id];
    if (cur) forget(cur);
    rewritePeerHosts(ctx.paths, db2, names, rec.id);
    return;
  }
  // Not saved on a full disk: the links are gone already, and stop and rm must go on there (rm frees space).
  ctx.store.updateUnlessFull((db2) => {
    const cur = db2.containers[rec.id];
    if (cur) forget(cur);
    rewritePeerHosts(ctx.paths, db2, names, rec.id);
  });
}
