// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, written in its
// bundle and bind-mounted (the image's own files stay untouched). On a bridge
// network /etc/hosts lists the peers on the container's networks by name,
// network alias and short id; it is rewritten in place (same inode, since it is
// bind-mounted) in every running peer when a container joins or leaves.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord, Database } from '../storage/records';
import { type StoragePaths, bundleDir } from '../storage/paths';
import { EngineError } from '../errors';
import { breaksLine } from '../network/input-checks';
import { closeFd, fdPath, withFd, withRoot } from '../storage/in-root';
import { hostAddress, slirpOptions } from '../network/usermode';
import { readExitFile } from './state';

/**
 * The values were checked where they came in; one that would still start a
 * new line (a record from an older tspod, a path that skipped the checks) is
 * refused here rather than written.
 */
function field(f: string): string {
  if (breaksLine(f)) throw new EngineError('invalid-argument', `refusing to write ${JSON.stringify(f)} into /etc/hosts or resolv.conf: invalid argument`);
  return f;
}

/** One line of resolv.conf: a keyword and its values. */
const line = (...fields: string[]) => `${fields.filter(Boolean).map(field).join(' ')}\n`;

/** One line of /etc/hosts: `ip<TAB>name name...`. */
const hostsLine = (ip: string, names: string[]) => `${field(ip)}\t${line(...names)}`;

export interface EtcFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

const LOCALHOST =
  '127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n';

export const etcPaths = (bundle: string): EtcFiles => ({
  hosts: path.join(bundle, 'hosts'),
  hostname: path.join(bundle, 'hostname'),
  resolvConf: path.join(bundle, 'resolv.conf'),
});

/** The id of the container whose network namespace (and hosts/resolv.conf) `container:X` shares. */
export const sharedNetworkOwner = (ctr: ContainerRecord) =>
  ctr.config.network.startsWith('container:') ? ctr.config.network.slice('container:'.length) : undefined;

/** The names a container answers to on its networks: name, aliases, short id. */
function namesOf(c: ContainerRecord, network: string): string[] {
  const names = [c.config.hostname, c.name, ...(c.config.networks?.[network]?.aliases ?? []), c.id.slice(0, 12)];
  return [...new Set(names.filter(Boolean))];
}

/** Which containers of a shared network namespace to list: one starting, one going away. */
export interface JoinerChange {
  joining?: string;
  leaving?: string;
}

/**
 * `127.0.0.1 NAME` for each running container that joins ctr's network
 * namespace (`--network container:ID`, a pod's members), as Podman lists them
 * in the hosts file they share with it.
 */
function joinerLines(paths: StoragePaths | undefined, ctr: ContainerRecord, db: Database | undefined, change: JoinerChange): string {
  let text = '';
  for (const c of Object.values(db?.containers ?? {})) {
    if (c.config.network !== `container:${ctr.id}` || c.id === change.leaving) continue;
    const running = c.state.status === 'running' && !(paths && readExitFile(paths, c.id));
    if (running || c.id === change.joining) text += hostsLine('127.0.0.1', [c.name]);
  }
  return text;
}

export function hostsContent(ctr: ContainerRecord, db?: Database, paths?: StoragePaths, change: JoinerChange = {}): string {
  return ownHostsContent(ctr, db) + joinerLines(paths, ctr, db, change);
}

function ownHostsContent(ctr: ContainerRecord, db?: Database): string {
  const c = ctr.config;
  let text = LOCALHOST;
  if (c.network === 'host') {
    try {
      text = fs.readFileSync('/etc/hosts', 'utf8');
      if (!text.endsWith('\n')) text += '\n';
    } catch {
      /* keep the default */
    }
  }
  for (const h of c.addHosts ?? []) {
    const i = h.indexOf(':');
    text += hostsLine(h.slice(i + 1), [h.slice(0, i)]);
  }
  if (c.network === 'slirp4netns') {
    // As Podman 4.3: the host by its first address, the container at CIDR+100 by hostname and name.
    const host = hostAddress();
    if (host) text += hostsLine(host, ['host.containers.internal']);
    return text + hostsLine(slirpOptions(c.networkOptions).ip, [c.hostname, ctr.name]);
  }
  const own = Object.entries(ctr.state.endpoints ?? {});
  if (own.length === 0) {
    text += hostsLine('127.0.1.1', c.hostname !== ctr.name && c.network !== 'host' ? [c.hostname, ctr.name] : [c.hostname]);
    return text;
  }
  for (const [net, ep] of own) text += hostsLine(ep.ip, namesOf(ctr, net));
  text += hostsLine(own[0][1].gateway, ['host.containers.internal', 'host.docker.internal']);
  // Peers: every other container with an endpoint on one of our networks.
  const seen = new Set<string>();
  for (const peer of Object.values(db?.containers ?? {})) {
    if (peer.id === ctr.id) continue;
    for (const [net, ep] of Object.entries(peer.state.endpoints ?? {})) {
      if (!(net in (ctr.state.endpoints ?? {})) || seen.has(`${ep.ip}`)) continue;
      seen.add(ep.ip);
      text += hostsLine(ep.ip, namesOf(peer, net));
    }
  }
  return text;
}

/** The host's resolv.conf without loopback nameservers (unreachable from a netns), with --dns* applied. */
export function resolvContent(ctr: ContainerRecord): string {
  const c = ctr.config;
  let host = '';
  try {
    host = fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* none on the host */
  }
  if (c.network === 'host' && !c.dns?.length && !c.dnsSearch?.length && !c.dnsOptions?.length) return host;
  const lines = host.split('\n');
  const pick = (key: string) => lines.filter((l) => l.startsWith(`${key} `) || l.startsWith(`${key}\t`)).map((l) => l.slice(key.length).trim());
  let servers = c.dns?.length ? c.dns : pick('nameserver').map((s) => s.split(/\s+/)[0]).filter((s) => !/^(127\.|::1$)/.test(s));
  // slirp4netns forwards DNS at CIDR+3 to the host's resolvers (loopback ones included), first as in Podman.
  if (c.network === 'slirp4netns' && !c.dns?.length) servers = [slirpOptions(c.networkOptions).dns, ...servers];
  if (servers.length === 0 && c.network !== 'host' && c.network !== 'none') servers = ['8.8.8.8', '8.8.4.4'];
  const search = c.dnsSearch?.length ? c.dnsSearch.filter((s) => s !== '.') : pick('search').flatMap((s) => s.split(/\s+/));
  const options = c.dnsOptions?.length ? c.dnsOptions : pick('options').flatMap((s) => s.split(/\s+/));
  let text = '';
  if (search.length) text += line('search', ...search);
  for (const s of servers) text += line('nameserver', s);
  if (options.length) text += line('options', ...options);
  return text;
}

/** Writes the three files for a start; `container:X` shares X's hosts and resolv.conf. */
export function writeEtcFiles(paths: StoragePaths, ctr: ContainerRecord, db?: Database): EtcFiles {
  const files = etcPaths(bundleDir(paths, ctr.id));
  fs.writeFileSync(files.hostname, `${ctr.config.hostname}\n`);
  const owner = sharedNetworkOwner(ctr);
  if (owner) {
    const theirs = etcPaths(bundleDir(paths, owner));
    if (fs.existsSync(theirs.hosts) && fs.existsSync(theirs.resolvConf)) {
      refreshSharedHosts(paths, db, owner, { joining: ctr.id });
      return { ...files, hosts: theirs.hosts, resolvConf: theirs.resolvConf };
    }
  }
  fs.writeFileSync(files.hosts, hostsContent(ctr, db, paths));
  fs.writeFileSync(files.resolvConf, resolvContent(ctr));
  return files;
}

/**
 * Rewrites, in place, the hosts file of the container whose network namespace
 * others join, when one of them starts or goes away.
 */
export function refreshSharedHosts(paths: StoragePaths, db: Database | undefined, owner: string, change: JoinerChange): void {
  const rec = db?.containers[owner];
  const file = etcPaths(bundleDir(paths, owner)).hosts;
  if (!rec || !fs.existsSync(file)) return;
  try {
    fs.writeFileSync(file, hostsContent(rec, db, paths, change));
  } catch {
    /* the owner is going away */
  }
}

/**
 * Rewrites /etc/hosts of every running container sharing a network with the
 * given names, in place: writeFileSync truncates and keeps the inode the
 * container has bind-mounted.
 */
export function rewritePeerHosts(paths: StoragePaths, db: Database, networks: string[], except?: string): void {
  if (networks.length === 0) return;
  for (const peer of Object.values(db.containers)) {
    if (peer.id === except || !peer.state.endpoints) continue;
    if (!networks.some((n) => n in (peer.state.endpoints ?? {}))) continue;
    const file = etcPaths(bundleDir(paths, peer.id)).hosts;
    if (!fs.existsSync(file)) continue;
    try {
      fs.writeFileSync(file, hostsContent(peer, db, paths));
    } catch {
      /* the peer is going away */
    }
  }
}

/**
 * /etc/mtab as a link to /proc/mounts when the image has none (as Podman adds
 * it: mount and df read it). Made inside the root through held fds, so a
 * hostile image's /etc symlink cannot lead it out.
 */
export function ensureMtab(rootfs: string): void {
  withRoot(rootfs, (root) => {
    const existing = root.resolveIfExists('/etc/mtab', false);
    if (existing !== undefined) return closeFd(existing);
    withFd(root.mkdirAll('/etc'), (etc) => {
      try {
        fs.symlinkSync('/proc/mounts', fdPath(etc, 'mtab'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    });
  });
}
