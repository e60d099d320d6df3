// The network part of the Engine contract (Podman's NetworkCreate/List/
// Inspect/Exists/Remove/Prune/Connect/Disconnect) and its in-process
// implementation over lib/network/manage.ts. Results are libpod's network
// documents, so the CLI prints the same whichever engine answers.
import type { LocalEngine } from '../container/engine';
import type { NetworkCreateOptions } from '../network/networks';
import { connectNetwork, createNetwork, disconnectNetwork, filterNetworks, getNetwork, listNetworks, networkExists, podmanNetwork, pruneNetworks, removeNetwork } from '../network/manage';

export type { NetworkCreateOptions };
export type NetworkInspect = ReturnType<typeof podmanNetwork>;

export interface NetworkEngine {
  /** With ignoreExisting, an existing name answers that network. */
  createNetwork(opts: NetworkCreateOptions): Promise<NetworkInspect>;
  /** Sorted by name; filters: key -> values as `network ls --filter`. */
  listNetworks(filters: Map<string, string[]>): Promise<NetworkInspect[]>;
  inspectNetwork(ref: string): Promise<NetworkInspect>;
  networkExists(ref: string): Promise<boolean>;
  /** Resolves with the removed network's name; force removes its containers first. */
  removeNetwork(ref: string, opts: { force?: boolean; timeout?: number }): Promise<string>;
  /** Removes the unused networks the filters select; resolves with their names. */
  pruneNetworks(filters: Map<string, string[]>): Promise<string[]>;
  connectNetwork(net: string, container: string, opts: { aliases?: string[]; ip?: string }): Promise<void>;
  disconnectNetwork(net: string, container: string): Promise<void>;
}

export class LocalNetworks implements NetworkEngine {
  constructor(private readonly local: LocalEngine) {}

  async createNetwork(opts: NetworkCreateOptions): Promise<NetworkInspect> {
    return podmanNetwork(createNetwork(this.local, opts));
  }

  async listNetworks(filters: Map<string, string[]>): Promise<NetworkInspect[]> {
    const nets = listNetworks(this.local);
    return filterNetworks(this.local.store.read(), nets, filters).map(podmanNetwork);
  }

  async inspectNetwork(ref: string): Promise<NetworkInspect> {
    return podmanNetwork(getNetwork(this.local, ref));
  }

  async networkExists(ref: string): Promise<boolean> {
    return networkExists(this.local, ref);
  }

  removeNetwork(ref: string, opts: { force?: boolean; timeout?: number }): Promise<string> {
    return removeNetwork(this.local, ref, opts);
  }

  pruneNetworks(filters: Map<string, string[]>): Promise<string[]> {
    return pruneNetworks(this.local, filters);
  }

  async connectNetwork(net: string, container: string, opts: { aliases?: string[]; ip?: string }): Promise<void> {
    connectNetwork(this.local, net, container, opts);
  }

  async disconnectNetwork(net: string, container: string): Promise<void> {
    disconnectNetwork(this.local, net, container);
  }
}
