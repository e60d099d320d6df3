// Checks on the network strings a user gives that end up in files and rules
// tspod writes as root: host names and network aliases (/etc/hosts), DNS
// servers, search domains and options (resolv.conf), --add-host entries, and
// static and published-port addresses (iptables-restore input). Each value is
// checked once where it comes in: the CLI's create options, the Docker and
// libpod create bodies, and network connect. A value is a name, an address or
// a resolver option, never whitespace or a control character that would start
// a new line (a new host entry, resolver directive or firewall rule).
import * as net from 'node:net';
import type { ContainerConfig } from '../storage/records';
import { invalidArgument } from '../errors';

const MAX_NAME = 253;
/** Host names as RFC 1123 spells them, plus `_` (compose service names become aliases). */
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** resolv.conf options: `ndots:2`, `timeout:1`, `rotate`, `edns0`, `use-vc`, ... */
const RESOLVER_OPTION = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** A value written on one line of a file or rule: true when it would break the line. */
export const breaksLine = (s: string) => /[\s\x00-\x1f\x7f]/.test(s);

const shown = (s: string) => JSON.stringify(s);

export function checkHostName(s: string, what: string): string {
  if (typeof s !== 'string' || s.length > MAX_NAME || !HOST_NAME.test(s))
    throw invalidArgument(`invalid ${what} ${shown(String(s))}: must be a host name (letters, digits, '-', '_', '.'; at most ${MAX_NAME} characters)`);
  return s;
}

/** A strict dotted IPv4 address (no spaces, no leading zeros). */
export const isIPv4 = (s: string) => typeof s === 'string' && net.isIPv4(s);

export function checkIPv4(s: string, what: string): string {
  if (!isIPv4(s)) throw invalidArgument(`invalid ${what} ${shown(String(s))}: must be an IPv4 address`);
  return s;
}

export function checkDnsServer(s: string): string {
  if (typeof s !== 'string' || net.isIP(s) === 0) throw invalidArgument(`invalid DNS server ${shown(String(s))}: must be an IP address`);
  return s;
}

/** `.` alone means "no search domains", as in Podman. */
export function checkDnsSearch(s: string): string {
  return s === '.' ? s : checkHostName(s, 'DNS search domain');
}

export function checkDnsOption(s: string): string {
  if (typeof s !== 'string' || s.length > MAX_NAME || !RESOLVER_OPTION.test(s))
    throw invalidArgument(`invalid DNS option ${shown(String(s))}: must be a resolver option such as ndots:2`);
  return s;
}

/** `--add-host name:ip` (ExtraHosts, hostadd): a host name and an IP address. */
export function checkExtraHost(s: string): string {
  const i = typeof s === 'string' ? s.indexOf(':') : -1;
  if (i <= 0) throw invalidArgument(`invalid add-host ${shown(String(s))}: must be name:ip`);
  checkHostName(s.slice(0, i), 'host name in add-host');
  if (net.isIP(s.slice(i + 1)) === 0) throw invalidArgument(`invalid IP address in add-host: ${shown(s.slice(i + 1))}`);
  return s;
}

export function checkAliases(aliases: readonly string[]): void {
  for (const a of aliases) checkHostName(a, 'network alias');
}

/**
 * Every string of a create request's network part: hostname, aliases and
 * static addresses per network, DNS settings, extra hosts, published ports'
 * host addresses. Throws an invalid-argument EngineError (exit 125, HTTP 400).
 */
export function checkNetworkValues(c: Partial<ContainerConfig>): void {
  if (c.hostname !== undefined && c.hostname !== '') checkHostName(c.hostname, 'hostname');
  for (const ep of Object.values(c.networks ?? {})) {
    checkAliases(ep.aliases ?? []);
    if (ep.ip !== undefined && ep.ip !== '') checkIPv4(ep.ip, 'static IP address');
  }
  for (const s of c.dns ?? []) checkDnsServer(s);
  for (const s of c.dnsSearch ?? []) checkDnsSearch(s);
  for (const s of c.dnsOptions ?? []) checkDnsOption(s);
  for (const h of c.addHosts ?? []) checkExtraHost(h);
  for (const p of c.ports ?? []) if (p.hostIp) checkIPv4(p.hostIp, 'host IP in port mapping');
}
