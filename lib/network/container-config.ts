// The network part of a container's configuration: what --network and friends
// (or the API's NetworkMode/EndpointsConfig) mean, checked and completed at
// create time inside the store transaction (networks exist, container:X is
// resolved, host ports are chosen).
import type { ContainerConfig, Database, EndpointConfig, NetworkMode, PortMapping } from '../storage/records';
import type { StoragePaths } from '../storage/paths';
import { EngineError, invalidArgument, noSuchContainer } from '../errors';
import { defaultNetworkName } from './networks';
import { networkFor } from './endpoints';
import { assignHostPorts } from './ports';
import { parseIp } from './ipv4';
import { isRootless } from '../rootless/identity';
import { loadContainersConf } from '../config/containers-conf';
import { defaultUserModeTool, isUserMode, parseUserModeNetwork } from './usermode';

/** Bridge networking needs root; a user's default is a user-mode network (slirp4netns, as Podman 4.3). */
export const defaultNetworkMode = (): NetworkMode => (isRootless() ? defaultUserModeTool(loadContainersConf().defaultRootlessNetworkCmd) : 'bridge');

/** Bridges, addresses and NAT rules are root's: a user gets a clear error instead of EACCES on the host's network state. */
function rootlessBridgeRefused(): never {
  throw new EngineError('invalid-argument', 'bridge networks need root: rootless tspod supports --network=slirp4netns, pasta, none, private and host');
}

export interface NetworkChoice {
  network?: NetworkMode;
  networks?: Record<string, EndpointConfig>;
  networkOptions?: string[];
}

/**
 * --network's value: none, host, private, bridge, container:ID, or network
 * names separated by commas; undefined or `default` is the default network.
 */
export function parseNetworkMode(value: string | undefined, aliases: string[] = [], ip?: string): NetworkChoice {
  const v = value ?? '';
  if (v === 'none' || v === 'host' || v === 'private') return { network: v };
  const userMode = parseUserModeNetwork(v);
  if (userMode) return userMode;
  if (v.startsWith('container:')) {
    if (v.length === 'container:'.length) throw invalidArgument('container: network mode requires a container name or ID');
    return { network: v as NetworkMode };
  }
  if (v.startsWith('ns:')) throw invalidArgument(`network mode ${v} is not supported`);
  if (v === '' || v === 'default' || v === 'bridge') {
    const mode = v === '' || v === 'default' ? defaultNetworkMode() : 'bridge';
    if (mode !== 'bridge') return { network: mode };
    if (isRootless()) rootlessBridgeRefused();
    return { network: 'bridge', networks: { [defaultNetworkName()]: { aliases, ...(ip ? { ip } : {}) } } };
  }
  if (isRootless()) rootlessBridgeRefused();
  const networks: Record<string, EndpointConfig> = {};
  for (const name of v.split(',')) {
    if (!name) throw invalidArgument(`invalid network "${v}"`);
    networks[name] = { aliases: [...aliases], ...(ip ? { ip } : {}) };
  }
  return { network: 'bridge', networks };
}

/** --mac-address: six hex pairs, a unicast address (lower case, as the kernel shows it). */
export function checkMacAddress(mac: string): string {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw invalidArgument(`${mac} is not a valid mac address`);
  if (parseInt(mac.slice(0, 2), 16) & 1) throw invalidArgument(`${mac} is a multicast mac address`);
  return mac.toLowerCase();
}

/** --add-host host:ip */
export function checkAddHost(h: string): string {
  const i = h.indexOf(':');
  if (i <= 0 || parseIp(h.slice(i + 1)) === undefined) throw invalidArgument(`invalid IP address in add-host: "${h.slice(i + 1)}"`);
  return h;
}

/**
 * Completes config in place inside the create transaction: network names made
 * canonical (and checked), container:X pointed at X's id, -P's ports added
 * from the exposed ones, host ports chosen.
 */
export function resolveNetworkConfig(
  paths: StoragePaths,
  db: Database,
  ctrId: string,
  config: ContainerConfig,
  imageExposed: Record<string, unknown> | undefined,
): void {
  const exposed = new Set([...Object.keys(imageExposed ?? {}), ...(config.exposedPorts ?? [])].map((p) => (p.includes('/') ? p : `${p}/tcp`)));
  for (const p of config.ports ?? []) exposed.add(`${p.containerPort}/${p.protocol}`);
  config.exposedPorts = [...exposed];
  if (config.network.startsWith('container:')) {
    const ref = config.network.slice('container:'.length);
    const all = Object.values(db.containers);
    const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : [];
    const other = db.containers[ref] ?? all.find((c) => c.name === ref) ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
    if (!other) throw noSuchContainer(ref);
    config.network = `container:${other.id}`;
    if (config.ports?.length) throw invalidArgument('cannot set port bindings on an existing container network namespace');
    delete config.networks;
    return;
  }
  if (!isUserMode(config.network)) delete config.networkOptions;
  if (config.network !== 'bridge' && !isUserMode(config.network)) {
    if (config.ports?.length && config.network !== 'host')
      throw invalidArgument(`port bindings need a bridge, slirp4netns or pasta network, not --network ${config.network}`);
    delete config.networks;
    if (config.network === 'host') config.ports = [];
    return;
  }
  if (isUserMode(config.network)) {
    delete config.networks;
    config.ports = assignHostPorts(db, ctrId, withPublishAll(config, exposed, config.ports ?? []));
    return;
  }
  if (!config.networks || Object.keys(config.networks).length === 0) config.networks = { [defaultNetworkName()]: { aliases: [] } };
  const canonical: Record<string, EndpointConfig> = {};
  for (const [name, ep] of Object.entries(config.networks)) {
    const net = networkFor(paths, db, name);
    canonical[net.name] = { ...ep, aliases: [...new Set(ep.aliases)] };
  }
  const statics = Object.values(canonical).filter((e) => e.ip);
  if (statics.length > 0 && Object.keys(canonical).length > 1 && statics.length !== Object.keys(canonical).length)
    throw new EngineError('invalid-argument', '--ip can only be set for a single network');
  config.networks = canonical;
  config.ports = assignHostPorts(db, ctrId, withPublishAll(config, exposed, config.ports ?? []));
}

/** -P: every exposed port not published yet, on a host port to be chosen. */
function withPublishAll(config: ContainerConfig, exposed: Set<string>, ports: PortMapping[]): PortMapping[] {
  if (!config.publishAll) return ports;
  for (const e of exposed) {
    const [port, proto] = e.split('/');
    if (!ports.some((p) => p.containerPort === Number(port) && p.protocol === proto))
      ports = [...ports, { hostIp: '', hostPort: 0, containerPort: Number(port), protocol: proto as 'tcp' | 'udp' }];
  }
  return ports;
}
