// Bridge devices: their ports, and removing one (with its NAT and forwarding
// chains) once nothing is attached to it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { forgetPortChain, linkExists, orphanPortChains, unclaimedBridges, withHostLock } from './host-claims';
import { ipBatch } from './system';
import { removeNetworkRules, removePortRules } from './firewall';

export function bridgePorts(bridge: string): string[] {
  try {
    return fs.readdirSync(path.join('/sys/class/net', bridge, 'brif'));
  } catch {
    return [];
  }
}

/** Bridges tspod makes are named tspodN (host-claims); no other host link is ever deleted here. */
const OUR_BRIDGE = /^tspod\d+$/;

/** Removes a bridge and its rules; under the host lock. */
export function tearDownBridge(bridge: string, internal = false): void {
  if (!OUR_BRIDGE.test(bridge)) return;
  try {
    if (linkExists(bridge)) ipBatch([`link del ${bridge}`], undefined, { force: true });
  } catch {
    /* gone meanwhile */
  }
  removeNetworkRules(bridge, internal);
}

/**
 * What stores deleted without their containers being removed leave behind:
 * idle bridges of stale (or no) claims and port chains of containers that no
 * longer run. Runs when a network is created (every new store makes its
 * default one), under the host lock.
 */
export function collectLeftovers(staleBridges: string[]): void {
  for (const b of new Set([...staleBridges, ...unclaimedBridges()])) if (linkExists(b) && bridgePorts(b).length === 0) tearDownBridge(b);
  for (const chain of orphanPortChains()) {
    try {
      removePortRules(chain.slice('TSPOD-DN-'.length));
    } catch {
      /* gone already */
    }
    forgetPortChain(chain);
  }
}

/** Removes the bridge if no container is attached to it. */
export function removeIdleBridge(bridge: string, internal = false): void {
  withHostLock(() => {
    if (bridgePorts(bridge).length === 0) tearDownBridge(bridge, internal);
  });
}
