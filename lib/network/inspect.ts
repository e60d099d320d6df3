// A container's NetworkSettings, in Podman's inspect shape and Docker's.
import type { ContainerRecord, Database } from '../storage/records';
import { defaultNetworkName } from './networks';
import { portsMap } from './ports';

const EMPTY_ENDPOINT = { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '' };

/**
 * Networks{name: endpoint} (empty addresses while stopped), the legacy top-level
 * fields for the default network, and Ports. Podman names a network by its name
 * in NetworkID, Docker by its id (db gives the ids).
 */
export function networkSettings(ctr: ContainerRecord, flavor: 'podman' | 'docker', db?: Database) {
  const c = ctr.config;
  const running = ctr.state.status === 'running';
  const networks: Record<string, Record<string, unknown>> = {};
  let top = { ...EMPTY_ENDPOINT };
  for (const [name, cfg] of Object.entries(c.network === 'bridge' ? (c.networks ?? {}) : {})) {
    const ep = running ? ctr.state.endpoints?.[name] : undefined;
    const fields = ep
      ? { ...EMPTY_ENDPOINT, EndpointID: flavor === 'docker' ? ep.hostVeth : '', Gateway: ep.gateway, IPAddress: ep.ip, IPPrefixLen: ep.prefixLen, MacAddress: ep.mac }
      : { ...EMPTY_ENDPOINT };
    const netId = flavor === 'podman' ? name : (ep?.networkId ?? Object.values(db?.networks ?? {}).find((n) => n.name === name)?.id ?? name);
    const aliases = [...cfg.aliases, ctr.id.slice(0, 12)];
    networks[name] =
      flavor === 'podman'
        ? { ...fields, NetworkID: netId, DriverOpts: null, IPAMConfig: cfg.ip ? { IPv4Address: cfg.ip } : null, Links: null, Aliases: aliases }
        : { IPAMConfig: cfg.ip ? { IPv4Address: cfg.ip } : null, Links: null, Aliases: aliases, NetworkID: netId, ...fields, DriverOpts: null };
    if (name === defaultNetworkName() && ep) top = { ...fields };
  }
  if (flavor === 'docker' && (c.network === 'host' || c.network === 'none'))
    networks[c.network] = { IPAMConfig: null, Links: null, Aliases: null, NetworkID: c.network, ...EMPTY_ENDPOINT, DriverOpts: null };
  const sandbox = running && c.network !== 'host' ? `/proc/${ctr.state.pid}/ns/net` : '';
  return {
    ...top,
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portsMap(c.ports ?? [], c.exposedPorts ?? [], flavor),
    SandboxKey: sandbox,
    Networks: networks,
  };
}

/** Docker's HostConfig.PortBindings. */
export function portBindings(ctr: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of ctr.config.ports ?? []) (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return out;
}

/** HostConfig.NetworkMode as Docker clients expect it: the network's name, `default` never. */
export function networkModeName(ctr: ContainerRecord): string {
  const c = ctr.config;
  if (c.network !== 'bridge') return c.network;
  const first = Object.keys(c.networks ?? {})[0];
  return !first || first === defaultNetworkName() ? 'bridge' : first;
}

/** Docker's container list Ports: [{IP, PrivatePort, PublicPort, Type}], exposed-only ports without the host side. */
export function listPorts(ctr: ContainerRecord) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const p of ctr.config.ports ?? []) out.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol });
  for (const e of ctr.config.exposedPorts ?? []) {
    const [port, proto] = e.split('/');
    if (!out.some((o) => o.PrivatePort === Number(port) && o.Type === proto)) out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}
