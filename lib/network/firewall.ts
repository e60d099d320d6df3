// NAT and forwarding with iptables, in tspod-owned chains only:
//   nat    POSTROUTING -> TSPOD-POSTROUTING -> TSPOD-N-<bridge>   masquerade what leaves a network
//          PREROUTING/OUTPUT (local destinations) -> TSPOD-HOSTPORT-DNAT -> TSPOD-DN-<ctr>   published ports
//   filter FORWARD -> TSPOD-FORWARD -> TSPOD-F-<bridge>        accept (or, --internal, confine) a network's traffic
// A network's chains exist while its bridge does; a container's while it runs.
// Connections to a published port from 127.0.0.1 or from the same network are
// marked and masqueraded (with route_localnet on the bridge), as netavark does,
// so replies come back through the host.
import type { NetworkRecord, PortMapping } from '../storage/records';
import { type Ruleset, iptablesRestore as restoreUnchecked, iptablesRestoreAsync as restoreUncheckedAsync, iptablesSave, iptablesSaveAsync } from './system';
import { EngineError } from '../errors';
import { isIPv4 } from './input-checks';

/**
 * iptables-restore reads one rule per line: a value with a line break or a
 * control character would add rules of its own. Every value was checked where
 * it came in; a ruleset that still has one is refused here, before any rule
 * is applied.
 */
function checkRules(tables: Record<string, string[]>): Record<string, string[]> {
  for (const rules of Object.values(tables))
    for (const r of rules) if (/[\x00-\x1f\x7f]/.test(r)) throw new EngineError('invalid-argument', `refusing a firewall rule with a control character: ${JSON.stringify(r)}`);
  return tables;
}
const iptablesRestore = (tables: Record<string, string[]>) => restoreUnchecked(checkRules(tables));
const iptablesRestoreAsync = (tables: Record<string, string[]>) => restoreUncheckedAsync(checkRules(tables));

const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
const SUBNET = /^\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}$/;

const MARK = '0x20000/0x20000';
const netChain = (prefix: string, id: string) => `${prefix}${id.slice(0, 16)}`;
/** Per network chains are named by the bridge: host-unique, while ids repeat across stores (the default network's). */
const bridgeChain = (prefix: string, net: NetworkRecord) => `${prefix}${net.bridge}`;

interface Plan {
  nat: string[];
  filter: string[];
}

function has(rs: Ruleset, table: string, chain: string): boolean {
  return rs.get(table)?.chains.has(chain) ?? false;
}

/** The base chains and their jumps, when missing. */
function base(rs: Ruleset, plan: Plan): void {
  if (!has(rs, 'nat', 'TSPOD-POSTROUTING'))
    plan.nat.push(':TSPOD-POSTROUTING - [0:0]', '-A POSTROUTING -j TSPOD-POSTROUTING', `-A TSPOD-POSTROUTING -m mark --mark ${MARK} -j MASQUERADE`);
  if (!has(rs, 'nat', 'TSPOD-HOSTPORT-DNAT'))
    plan.nat.push(
      ':TSPOD-HOSTPORT-DNAT - [0:0]',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j TSPOD-HOSTPORT-DNAT',
      '-A OUTPUT -m addrtype --dst-type LOCAL -j TSPOD-HOSTPORT-DNAT',
    );
  if (!has(rs, 'filter', 'TSPOD-FORWARD')) plan.filter.push(':TSPOD-FORWARD - [0:0]', '-I FORWARD -j TSPOD-FORWARD');
}

/** Removes a chain and the jump to it (as iptables-save spells the jump). */
function dropChain(rs: Ruleset, table: 'nat' | 'filter', from: string, chain: string, plan: Plan): void {
  if (!has(rs, table, chain)) return;
  for (const r of rs.get(table)?.rules ?? []) if (r.startsWith(`-A ${from} `) && r.endsWith(`-j ${chain}`)) plan[table].push(`-D ${r.slice(3)}`);
  plan[table].push(`-F ${chain}`, `-X ${chain}`);
}

function apply(plan: Plan): void {
  iptablesRestore({ nat: plan.nat, filter: plan.filter });
}

/** A network's NAT and forwarding rules (idempotent). */
export function addNetworkRules(net: NetworkRecord): void {
  apply(networkRulesPlan(iptablesSave(), net));
}

export async function addNetworkRulesAsync(net: NetworkRecord): Promise<void> {
  const plan = networkRulesPlan(await iptablesSaveAsync(), net);
  await iptablesRestoreAsync({ nat: plan.nat, filter: plan.filter });
}

function networkRulesPlan(rs: Ruleset, net: NetworkRecord): Plan {
  const plan: Plan = { nat: [], filter: [] };
  base(rs, plan);
  const n = bridgeChain('TSPOD-N-', net);
  const f = bridgeChain('TSPOD-F-', net);
  if (!net.internal && !has(rs, 'nat', n))
    plan.nat.push(
      `:${n} - [0:0]`,
      `-A ${n} ! -s ${net.subnet} -j RETURN`,
      `-A ${n} -d ${net.subnet} -j RETURN`,
      `-A ${n} ! -d 224.0.0.0/4 -j MASQUERADE`,
      `-I TSPOD-POSTROUTING -j ${n}`,
    );
  if (!has(rs, 'filter', f)) {
    plan.filter.push(`:${f} - [0:0]`);
    if (net.internal)
      plan.filter.push(`-A ${f} -s ${net.subnet} -d ${net.subnet} -j ACCEPT`, `-A ${f} -s ${net.subnet} -j DROP`, `-A ${f} -d ${net.subnet} -j DROP`);
    else
      plan.filter.push(`-A ${f} -d ${net.subnet} -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`, `-A ${f} -s ${net.subnet} -j ACCEPT`);
    plan.filter.push(`-A TSPOD-FORWARD -j ${f}`);
  }
  return plan;
}

/**
 * A network's chains, found by its bridge's name. The rules tspod wrote are
 * known, so the usual case is one iptables-restore; when that fails (a chain is
 * missing, or an internal network has no NAT chain) nothing changed, and the
 * saved ruleset says what is there.
 */
export function removeNetworkRules(bridge: string, internal = false): void {
  const n = `TSPOD-N-${bridge}`;
  const f = `TSPOD-F-${bridge}`;
  try {
    return iptablesRestore({
      nat: internal ? [] : [`-D TSPOD-POSTROUTING -j ${n}`, `-F ${n}`, `-X ${n}`],
      filter: [`-D TSPOD-FORWARD -j ${f}`, `-F ${f}`, `-X ${f}`],
    });
  } catch {
    /* read what is there */
  }
  const rs = iptablesSave();
  const plan: Plan = { nat: [], filter: [] };
  dropChain(rs, 'nat', 'TSPOD-POSTROUTING', `TSPOD-N-${bridge}`, plan);
  dropChain(rs, 'filter', 'TSPOD-FORWARD', `TSPOD-F-${bridge}`, plan);
  apply(plan);
}

export const portChain = (ctrId: string) => netChain('TSPOD-DN-', ctrId);

/** The DNAT chain's rules for a container's ports. */
function portRules(c: string, ip: string, subnet: string, ports: PortMapping[]): string[] {
  if (!isIPv4(ip) || !SUBNET.test(subnet)) throw new EngineError('invalid-argument', `refusing port rules for address ${JSON.stringify(ip)} in ${JSON.stringify(subnet)}`);
  const out = [`:${c} - [0:0]`];
  for (const p of ports) {
    if ((p.hostIp && !isIPv4(p.hostIp)) || !isPort(p.hostPort) || !isPort(p.containerPort) || (p.protocol !== 'tcp' && p.protocol !== 'udp'))
      throw new EngineError('invalid-argument', `refusing a port rule for ${JSON.stringify(p)}: invalid port mapping`);
    const dst = p.hostIp ? `-d ${p.hostIp}/32 ` : '';
    const match = `${dst}-p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort}`;
    out.push(
      `-A ${c} -s ${subnet} ${match} -j MARK --set-xmark ${MARK}`,
      `-A ${c} -s 127.0.0.1/32 ${match} -j MARK --set-xmark ${MARK}`,
      `-A ${c} ${match} -j DNAT --to-destination ${ip}:${p.containerPort}`,
    );
  }
  return out;
}

/**
 * DNAT from the host's ports to the container's address. A starting container
 * has no chain yet (its previous run's went at cleanup) and the base chains are
 * there once any network was up: one iptables-restore. Otherwise (it fails and
 * changes nothing) the saved ruleset says what to make or replace.
 */
export function addPortRules(ctrId: string, ip: string, subnet: string, ports: PortMapping[]): void {
  if (ports.length === 0) return;
  const c = portChain(ctrId);
  try {
    return iptablesRestore({ nat: [`-N ${c}`, ...portRules(c, ip, subnet, ports).slice(1), `-A TSPOD-HOSTPORT-DNAT -j ${c}`] });
  } catch {
    /* read what is there */
  }
  const rs = iptablesSave();
  const plan: Plan = { nat: [], filter: [] };
  base(rs, plan);
  if (has(rs, 'nat', c)) dropChain(rs, 'nat', 'TSPOD-HOSTPORT-DNAT', c, plan);
  plan.nat.push(...portRules(c, ip, subnet, ports), `-A TSPOD-HOSTPORT-DNAT -j ${c}`);
  apply(plan);
}

export function removePortRules(ctrId: string): void {
  const c = portChain(ctrId);
  try {
    return iptablesRestore({ nat: [`-D TSPOD-HOSTPORT-DNAT -j ${c}`, `-F ${c}`, `-X ${c}`] });
  } catch {
    /* read what is there */
  }
  const rs = iptablesSave();
  const plan: Plan = { nat: [], filter: [] };
  dropChain(rs, 'nat', 'TSPOD-HOSTPORT-DNAT', c, plan);
  apply(plan);
}
