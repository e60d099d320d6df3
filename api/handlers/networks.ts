// Network endpoints of both trees: Docker's /networks (what docker-compose and
// the docker CLI use) and libpod's /libpod/networks. They all go through
// lib/network/manage.ts, as the CLI does.
import type { RouteContext } from '../router';
import { ApiError, badRequest, optBool, optObject, optString, optStringMap, optStrings, qbool, qfiltersGo, qint, readJson, sendEmpty, sendJson } from '../http';
import { EngineError } from '../../lib/errors';
import {
  connectNetwork,
  createNetwork,
  disconnectNetwork,
  dockerNetwork,
  filterNetworks,
  getNetwork,
  listNetworks,
  networkExists,
  podmanNetwork,
  pruneNetworks,
  removeNetwork,
} from '../../lib/network/manage';
import { defaultNetworkName } from '../../lib/network/networks';
import { checkAddHost, parseNetworkMode } from '../../lib/network/container-config';
import { checkPublishedPorts, parsePortMappingSpec, parsePublish } from '../../lib/network/ports';
import type { ContainerConfig, PortMapping } from '../../lib/storage/records';

/** Docker's wording for a missing network (compose creates the network on this 404). */
function dockerMissing(err: unknown, ref: string): never {
  if (err instanceof EngineError && err.kind === 'no-such-object') throw new ApiError(404, `network ${ref} not found`, 'network not found');
  throw err;
}

function getDocker(ctx: RouteContext, ref: string) {
  try {
    // Docker's clients know the default network as `bridge` (Podman's compat API answers to both names)
    if (ref === 'bridge' && !networkExists(ctx.engine, ref)) return getNetwork(ctx.engine, defaultNetworkName());
    return getNetwork(ctx.engine, ref);
  } catch (err) {
    dockerMissing(err, ref);
  }
}

/** Docker filters: name is a substring, the rest as Podman's. */
function dockerFilters(ctx: RouteContext): Map<string, string[]> {
  const f = qfiltersGo(ctx.query);
  if ((f.get('dangling')?.length ?? 0) > 1) {
    const why = 'got more than one value for filter key "dangling"';
    throw new ApiError(500, why, why);
  }
  const name = f.get('name');
  if (name) f.set('name', name.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const scope = f.get('scope');
  if (scope) {
    f.delete('scope');
    if (!scope.includes('local')) f.set('id', ['-none-']);
  }
  const type = f.get('type');
  if (type) f.set('type', type.map((t) => (t === 'builtin' ? 'builtin' : 'custom')));
  return f;
}

export function listDocker(ctx: RouteContext): void {
  const db = ctx.engine.store.read();
  const nets = filterNetworks(db, listNetworks(ctx.engine), dockerFilters(ctx));
  const fresh = ctx.engine.store.read();
  sendJson(ctx.res, 200, nets.map((n) => asBridge(dockerNetwork(fresh, n), n.name === defaultNetworkName())));
}

/** The default network under Docker's name for it. */
const asBridge = <T extends { Name: string }>(doc: T, isDefault: boolean): T => (isDefault ? { ...doc, Name: 'bridge' } : doc);

export function inspectDocker(ctx: RouteContext): void {
  const net = getDocker(ctx, ctx.params.id);
  const doc = dockerNetwork(ctx.engine.store.read(), net);
  sendJson(ctx.res, 200, asBridge(doc, ctx.params.id === 'bridge' && net.name === defaultNetworkName()));
}

export async function createDocker(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const name = optString(body, 'Name');
  if (!name) throw badRequest('network name is required');
  if (optBool(body, 'EnableIPv6')) throw badRequest('IPv6 networks are not supported by tspod');
  const ipam = optObject(body, 'IPAM') ?? {};
  const configs = Array.isArray(ipam.Config) ? (ipam.Config as Record<string, unknown>[]) : [];
  if (configs.length > 1) throw badRequest('tspod networks have one subnet');
  const cfg = configs[0] ?? {};
  try {
    const net = createNetwork(ctx.engine, {
      name,
      driver: optString(body, 'Driver') || 'bridge',
      subnet: optString(cfg, 'Subnet') || undefined,
      gateway: optString(cfg, 'Gateway') || undefined,
      internal: optBool(body, 'Internal') ?? false,
      labels: optStringMap(body, 'Labels') ?? {},
      options: optStringMap(body, 'Options') ?? {},
    });
    sendJson(ctx.res, 201, { Id: net.id, Warning: '' });
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'name-in-use') throw new ApiError(409, `network with name ${name} already exists`, 'network already exists');
    throw err;
  }
}

export async function removeDocker(ctx: RouteContext): Promise<void> {
  const net = getDocker(ctx, ctx.params.id);
  if (net.name === defaultNetworkName()) throw new ApiError(403, `${ctx.params.id} is a pre-defined network and cannot be removed`, 'forbidden');
  try {
    await removeNetwork(ctx.engine, net.id);
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'state-improper') throw new ApiError(403, `error while removing network: network ${net.name} has active endpoints`, 'network is being used');
    throw err;
  }
  sendEmpty(ctx.res, 204);
}

export async function connectDocker(ctx: RouteContext): Promise<void> {
  const net = getDocker(ctx, ctx.params.id);
  const body = await readJson(ctx.req);
  const ctr = optString(body, 'Container');
  if (!ctr) throw badRequest('Container is required');
  const ep = optObject(body, 'EndpointConfig') ?? {};
  const ipam = optObject(ep, 'IPAMConfig') ?? {};
  connectNetwork(ctx.engine, net.id, ctr, { aliases: optStrings(ep, 'Aliases') ?? [], ip: optString(ipam, 'IPv4Address') || undefined });
  sendEmpty(ctx.res, 200);
}

export async function disconnectDocker(ctx: RouteContext): Promise<void> {
  const net = getDocker(ctx, ctx.params.id);
  const body = await readJson(ctx.req);
  const ctr = optString(body, 'Container');
  if (!ctr) throw badRequest('Container is required');
  disconnectNetwork(ctx.engine, net.id, ctr);
  sendEmpty(ctx.res, 200);
}

export async function pruneDocker(ctx: RouteContext): Promise<void> {
  const names = await pruneNetworks(ctx.engine, qfiltersGo(ctx.query));
  sendJson(ctx.res, 200, { NetworksDeleted: names });
}

// ---- libpod

export function listLibpod(ctx: RouteContext): void {
  const nets = filterNetworks(ctx.engine.store.read(), listNetworks(ctx.engine), qfiltersGo(ctx.query));
  sendJson(ctx.res, 200, nets.map(podmanNetwork));
}

export function inspectLibpod(ctx: RouteContext): void {
  sendJson(ctx.res, 200, podmanNetwork(getNetwork(ctx.engine, ctx.params.name)));
}

export function existsLibpod(ctx: RouteContext): void {
  if (!networkExists(ctx.engine, ctx.params.name)) throw new EngineError('no-such-object', `unable to find network with name or ID ${ctx.params.name}: network not found`, 'network not found');
  sendEmpty(ctx.res, 204);
}

/** Podman's libpod network create answers a bad configuration with a 500, the reason as the cause. */
function podmanCreateStatus<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof EngineError && err.kind === 'invalid-argument') {
      const why = err.message.replace(/: invalid argument$/, '');
      throw new ApiError(500, err.message, why, err.kind);
    }
    throw err;
  }
}

export async function createLibpod(ctx: RouteContext): Promise<void> {
  // Podman 4's network configuration: an older client's request is refused (Podman's 400)
  const major = /^\/v(\d+)\./.exec(ctx.req.url ?? '')?.[1];
  if (major !== undefined && Number(major) < 4) throw new ApiError(400, 'given version is not supported', 'given version is not supported');
  const body = await readJson(ctx.req);
  const subnets = Array.isArray(body.subnets) ? (body.subnets as Record<string, unknown>[]) : [];
  if (subnets.length > 1) throw badRequest('tspod networks have one subnet');
  if (optBool(body, 'ipv6_enabled')) throw badRequest('IPv6 networks are not supported by tspod');
  const net = podmanCreateStatus(() => createNetwork(ctx.engine, {
    name: optString(body, 'name') || undefined,
    driver: optString(body, 'driver') || 'bridge',
    subnet: subnets[0] ? optString(subnets[0], 'subnet') : undefined,
    gateway: subnets[0] ? optString(subnets[0], 'gateway') || undefined : undefined,
    internal: optBool(body, 'internal') ?? false,
    labels: optStringMap(body, 'labels') ?? {},
    options: optStringMap(body, 'options') ?? {},
    networkInterface: optString(body, 'network_interface') || undefined,
  }));
  sendJson(ctx.res, 200, podmanNetwork(net));
}

export async function removeLibpod(ctx: RouteContext): Promise<void> {
  const name = await removeNetwork(ctx.engine, ctx.params.name, { force: qbool(ctx.query, 'force'), timeout: qint(ctx.query, 'timeout') });
  sendJson(ctx.res, 200, [{ Name: name }]);
}

export async function connectLibpod(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const ctr = optString(body, 'container');
  if (!ctr) throw badRequest('container is required');
  const ips = optStrings(body, 'static_ips') ?? [];
  connectNetwork(ctx.engine, ctx.params.name, ctr, { aliases: optStrings(body, 'aliases') ?? [], ip: ips[0] });
  sendEmpty(ctx.res, 200);
}

export async function disconnectLibpod(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const ctr = optString(body, 'Container') ?? optString(body, 'container');
  if (!ctr) throw badRequest('Container is required');
  disconnectNetwork(ctx.engine, ctx.params.name, ctr);
  sendEmpty(ctx.res, 200);
}

export async function pruneLibpod(ctx: RouteContext): Promise<void> {
  const names = await pruneNetworks(ctx.engine, qfiltersGo(ctx.query));
  sendJson(ctx.res, 200, names.map((n) => ({ Name: n })));
}

// ---- the network part of container create bodies

function portBindings(host: Record<string, unknown>): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, list] of Object.entries(optObject(host, 'PortBindings') ?? {})) {
    const [ctr, proto = 'tcp'] = key.split('/');
    for (const b of Array.isArray(list) ? (list as Record<string, unknown>[]) : []) {
      const hostPort = optString(b, 'HostPort') ?? '';
      const hostIp = optString(b, 'HostIp') ?? '';
      try {
        out.push(...parsePublish(`${hostIp ? `${hostIp}:` : ''}${hostPort}${hostPort || hostIp ? ':' : ''}${ctr}/${proto}`));
        checkPublishedPorts(out);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    }
  }
  return out;
}

/** HostConfig.NetworkMode, NetworkingConfig.EndpointsConfig, ports, DNS and extra hosts of a Docker create body. */
export function dockerNetworkConfig(body: Record<string, unknown>, host: Record<string, unknown>): Partial<ContainerConfig> {
  const mode = optString(host, 'NetworkMode') ?? '';
  const endpoints = optObject(optObject(body, 'NetworkingConfig') ?? {}, 'EndpointsConfig') ?? {};
  const epOf = (name: string) => {
    const ep = (endpoints[name] ?? {}) as Record<string, unknown>;
    const ipam = optObject(ep, 'IPAMConfig') ?? {};
    return { aliases: optStrings(ep, 'Aliases') ?? [], ip: optString(ipam, 'IPv4Address') || undefined };
  };
  let choice;
  try {
    if (['host', 'none', 'private'].includes(mode) || mode.startsWith('container:')) choice = parseNetworkMode(mode);
    else {
      // "" and "default" are the default network; its endpoint settings may sit under "default" or "bridge".
      const key = mode && mode !== 'default' ? mode : (Object.keys(endpoints).find((k) => k === 'default' || k === 'bridge') ?? '');
      const ep = epOf(key);
      choice = parseNetworkMode(mode || 'default', ep.aliases, ep.ip);
      // Further networks named in EndpointsConfig (newer clients send all of them here).
      for (const k of Object.keys(endpoints))
        if (k !== key && k !== 'default' && k !== 'bridge' && choice.networks) {
          const more = epOf(k);
          choice.networks[k] = { aliases: more.aliases, ...(more.ip ? { ip: more.ip } : {}) };
        }
    }
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  const extraHosts = optStrings(host, 'ExtraHosts') ?? [];
  return {
    ...choice,
    ports: portBindings(host),
    publishAll: optBool(host, 'PublishAllPorts') ?? false,
    exposedPorts: Object.keys(optObject(body, 'ExposedPorts') ?? {}),
    dns: optStrings(host, 'Dns') ?? [],
    dnsSearch: optStrings(host, 'DnsSearch') ?? [],
    dnsOptions: optStrings(host, 'DnsOptions') ?? [],
    addHosts: extraHosts.map((h) => {
      try {
        return checkAddHost(h);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    }),
  };
}

/** libpod SpecGenerator: netns, networks, portmappings, dns_*, hostadd, expose, publish_image_ports. */
export function libpodNetworkConfig(body: Record<string, unknown>): Partial<ContainerConfig> {
  const ns = optObject(body, 'netns') ?? {};
  const nsmode = optString(ns, 'nsmode') ?? '';
  const networks = optObject(body, 'networks') ?? {};
  let choice;
  try {
    if (nsmode === 'container') choice = parseNetworkMode(`container:${optString(ns, 'value') ?? ''}`);
    else if (nsmode.startsWith('container:')) choice = parseNetworkMode(nsmode);
    else if (nsmode === 'slirp4netns' || nsmode === 'pasta') {
      // SpecGenerator's network_options: {"slirp4netns": ["cidr=..."]}
      const opts = optStrings(optObject(body, 'network_options') ?? {}, nsmode) ?? [];
      choice = parseNetworkMode(opts.length ? `${nsmode}:${opts.join(',')}` : nsmode);
    } else if (['host', 'none', 'private'].includes(nsmode)) choice = parseNetworkMode(nsmode);
    else if (Object.keys(networks).length) {
      choice = parseNetworkMode(Object.keys(networks).join(','));
      for (const [k, v] of Object.entries(networks)) {
        const o = (v ?? {}) as Record<string, unknown>;
        const ip = (optStrings(o, 'static_ips') ?? [])[0];
        choice.networks![k] = { aliases: optStrings(o, 'aliases') ?? [], ...(ip ? { ip } : {}) };
      }
    } else choice = parseNetworkMode(nsmode === 'bridge' ? 'bridge' : undefined);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  const raw = body.portmappings ?? [];
  if (!Array.isArray(raw) || raw.some((m) => !m || typeof m !== 'object' || Array.isArray(m))) throw badRequest('portmappings: must be an array of objects');
  const ports: PortMapping[] = [];
  for (const m of raw as Record<string, unknown>[]) {
    ports.push(...parsePortMappingSpec(m));
    checkPublishedPorts(ports);
  }
  const expose = optObject(body, 'expose') ?? {};
  return {
    ...choice,
    ports,
    publishAll: optBool(body, 'publish_image_ports') ?? false,
    exposedPorts: Object.entries(expose).map(([p, proto]) => `${p}/${typeof proto === 'string' && proto ? proto : 'tcp'}`),
    dns: optStrings(body, 'dns_server') ?? [],
    dnsSearch: optStrings(body, 'dns_search') ?? [],
    dnsOptions: optStrings(body, 'dns_option') ?? [],
    addHosts: optStrings(body, 'hostadd') ?? [],
  };
}
