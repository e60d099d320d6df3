// The network operations of the remote engine: the libpod API's /networks endpoints.
import type { ServiceConnection } from './connection';
import type { NetworkCreateOptions, NetworkEngine, NetworkInspect } from '../engine/networks';
import { EngineError } from '../errors';

const enc = encodeURIComponent;
const filterQuery = (filters: Map<string, string[]>) => (filters.size ? `?filters=${enc(JSON.stringify(Object.fromEntries(filters)))}` : '');

export class RemoteNetworks implements NetworkEngine {
  constructor(private readonly conn: ServiceConnection) {}

  async createNetwork(opts: NetworkCreateOptions): Promise<NetworkInspect> {
    const body = {
      name: opts.name ?? '',
      driver: opts.driver ?? 'bridge',
      subnets: opts.subnet ? [{ subnet: opts.subnet, ...(opts.gateway ? { gateway: opts.gateway } : {}) }] : [],
      internal: !!opts.internal,
      labels: opts.labels ?? {},
      options: opts.options ?? {},
      ...(opts.networkInterface ? { network_interface: opts.networkInterface } : {}),
    };
    try {
      return await this.conn.json<NetworkInspect>('POST', '/networks/create', body);
    } catch (e) {
      // --ignore: the network that has the name
      if (opts.ignoreExisting && opts.name !== undefined && e instanceof EngineError && e.kind === 'name-in-use') return this.inspectNetwork(opts.name);
      throw e;
    }
  }

  listNetworks(filters: Map<string, string[]>): Promise<NetworkInspect[]> {
    return this.conn.json<NetworkInspect[]>('GET', `/networks/json${filterQuery(filters)}`);
  }

  inspectNetwork(ref: string): Promise<NetworkInspect> {
    return this.conn.json<NetworkInspect>('GET', `/networks/${enc(ref)}/json`);
  }

  async networkExists(ref: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/networks/${enc(ref)}/exists`);
    r.resume();
    if (r.statusCode === 204 || r.statusCode === 404) return r.statusCode === 204;
    throw new EngineError('internal', `network exists: the service answered ${r.statusCode}`);
  }

  async removeNetwork(ref: string, opts: { force?: boolean; timeout?: number }): Promise<string> {
    const q = new URLSearchParams({ force: String(!!opts.force), ...(opts.timeout !== undefined ? { timeout: String(opts.timeout) } : {}) });
    const r = await this.conn.json<{ Name: string; Err?: string | null }[]>('DELETE', `/networks/${enc(ref)}?${q}`);
    if (r[0]?.Err) throw new EngineError('internal', r[0].Err);
    return r[0]?.Name ?? ref;
  }

  async pruneNetworks(filters: Map<string, string[]>): Promise<string[]> {
    const r = await this.conn.json<{ Name: string }[]>('POST', `/networks/prune${filterQuery(filters)}`);
    return r.map((x) => x.Name);
  }

  async connectNetwork(net: string, container: string, opts: { aliases?: string[]; ip?: string }): Promise<void> {
    await this.conn.request('POST', `/networks/${enc(net)}/connect`, { container, aliases: opts.aliases ?? [], static_ips: opts.ip ? [opts.ip] : [] });
  }

  async disconnectNetwork(net: string, container: string): Promise<void> {
    await this.conn.request('POST', `/networks/${enc(net)}/disconnect`, { Container: container });
  }
}
