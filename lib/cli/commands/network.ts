// `tspod network create|ls|inspect|rm|connect|disconnect|prune|exists` and
// `tspod port`, in Podman's formats and exit codes.
import { keyValues } from '../parse';
import type { CommandDef } from '../command';
import { confirmed, err, forEachTarget, out, removalExitCode } from '../command';
import { arr, bool, int, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { INSPECT_INDENT, LIST_INDENT, printJson, renderFormat, renderList } from '../output';
import { filterFlags } from '../../container/filters';
import type { NetworkInspect } from '../../engine/networks';
import type { PortMapping } from '../../storage/records';
import type { ContainerListEntry } from '../../engine/engine';

export const networkCreateCommand: CommandDef = {
  name: 'create',
  usage: 'tspod network create [options] [NAME]',
  description: 'Create networks for containers',
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'bridge', help: 'driver to manage the network' },
    { name: 'subnet', type: 'array', help: 'subnets in CIDR format' },
    { name: 'gateway', type: 'array', help: 'IPv4 or IPv6 gateway for the subnet' },
    { name: 'internal', type: 'bool', help: 'restrict external access from this network' },
    { name: 'label', short: 'l', type: 'array', help: 'set metadata on a network' },
    { name: 'opt', short: 'o', type: 'array', help: 'Set driver specific options' },
    { name: 'ignore', type: 'bool', help: "Don't fail if network already exists" },
    { name: 'disable-dns', type: 'bool', help: 'disable dns plugin' },
    { name: 'ipv6', type: 'bool', help: 'enable IPv6 networking' },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    if (bool(p.flags.ipv6)) throw new EngineError('invalid-argument', 'IPv6 networks are not supported by tspod');
    const subnets = arr(p.flags.subnet);
    const gateways = arr(p.flags.gateway);
    if (subnets.length > 1) throw new EngineError('invalid-argument', 'tspod networks have one subnet');
    if (gateways.length > subnets.length) throw new EngineError('invalid-argument', 'cannot set more gateways than subnets');
    const net = await ctx.client.networks.createNetwork({
      name: p.args[0],
      driver: str(p.flags.driver),
      subnet: subnets[0],
      gateway: gateways[0],
      internal: bool(p.flags.internal),
      labels: keyValues(arr(p.flags.label)),
      options: keyValues(arr(p.flags.opt)),
      ignoreExisting: bool(p.flags.ignore),
    });
    out(`${net.name}\n`);
    return 0;
  },
};

/** `network ls` rows: Podman's fields, the ID cut to 12 unless --no-trunc. */
function lsRow(n: NetworkInspect, noTrunc: boolean) {
  return {
    Name: n.name,
    ID: noTrunc ? n.id : n.id.slice(0, 12),
    Driver: n.driver,
    NetworkInterface: n.network_interface,
    Created: n.created,
    Subnets: n.subnets.map((s) => ({ Subnet: s.subnet, Gateway: s.gateway })),
    IPv6Enabled: n.ipv6_enabled,
    Internal: n.internal,
    DNSEnabled: n.dns_enabled,
    Labels: n.labels ?? {},
    Options: n.options ?? {},
    IPAMOptions: n.ipam_options,
  };
}

export const networkLsCommand: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  usage: 'tspod network ls [options]',
  description: 'List networks',
  flags: [
    { name: 'filter', short: 'f', type: 'array', help: 'Provide filter values (e.g. name=podman)' },
    { name: 'format', type: 'string', help: 'Pretty-print networks to JSON or using a Go template' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'display only names' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate the network ID' },
    { name: 'noheading', type: 'bool', help: 'Do not print headers' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const nets = await ctx.client.networks.listNetworks(filterFlags(arr(p.flags.filter)));
    if (bool(p.flags.quiet)) {
      for (const n of nets) out(`${n.name}\n`);
      return 0;
    }
    const format = str(p.flags.format);
    if (format === 'json') {
      printJson(nets, LIST_INDENT);
      return 0;
    }
    renderList(
      {
        name: 'network ls',
        headers: { ID: 'network id' },
        fields: ['Name', 'ID', 'Driver', 'NetworkInterface', 'Created', 'Subnets', 'IPv6Enabled', 'Internal', 'DNSEnabled', 'Labels', 'Options', 'IPAMOptions'],
        defaultRow: '{{.ID}}\t{{.Name}}\t{{.Driver}}',
      },
      format,
      nets.map((n) => lsRow(n, bool(p.flags['no-trunc']))),
      bool(p.flags.noheading),
    );
    return 0;
  },
};

export const networkInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod network inspect [options] NETWORK [NETWORK...]',
  description: 'Displays the raw CNI network configuration for one or more networks.',
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Pretty-print network to JSON or using a Go template' }],
  minArgs: 1,
  async run(ctx, p) {
    const found: NetworkInspect[] = [];
    let failure: string | undefined;
    for (const ref of p.args) {
      try {
        found.push(await ctx.client.networks.inspectNetwork(ref));
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'no-such-object')) throw e;
        failure ??= `network ${ref}: ${e.message}`;
      }
    }
    const format = str(p.flags.format);
    // Templates see Podman's Go field names (.NetworkInterface, .Subnets), JSON the json names.
    if (format && format !== 'json') renderFormat(format, found.map((n) => lsRow(n, true)));
    else printJson(found, INSPECT_INDENT);
    if (failure) {
      err(`Error: inspecting object: ${failure}\n`);
      return 125;
    }
    return 0;
  },
};

export const networkRmCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'tspod network rm [options] NETWORK [NETWORK...]',
  description: 'Remove networks',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'remove any containers using network' },
    { name: 'time', short: 't', type: 'int', help: 'Seconds to wait for running containers to stop before killing the container' },
  ],
  minArgs: 1,
  async run(ctx, p) {
    const opts = { force: bool(p.flags.force), timeout: int(p.flags.time) };
    // --force: a network that is not there is nothing to do (Podman prints nothing, exits 0)
    const rm = (ref: string) =>
      ctx.client.networks.removeNetwork(ref, opts).catch((e: unknown) => {
        if (opts.force && e instanceof EngineError && e.kind === 'no-such-object') return undefined;
        throw e;
      });
    return forEachTarget(p.args, rm, removalExitCode);
  },
};

export const networkPruneCommand: CommandDef = {
  name: 'prune',
  usage: 'tspod network prune [options]',
  description: 'Prune unused networks',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'do not prompt for confirmation' },
    { name: 'filter', type: 'array', help: 'Provide filter values (e.g. label=<key>=<value>)' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    if (!bool(p.flags.force) && !confirmed('WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))
      return 0;
    for (const name of await ctx.client.networks.pruneNetworks(filterFlags(arr(p.flags.filter)))) out(`${name}\n`);
    return 0;
  },
};

export const networkConnectCommand: CommandDef = {
  name: 'connect',
  usage: 'tspod network connect [options] NETWORK CONTAINER',
  description: 'Add container to a network',
  flags: [
    { name: 'alias', type: 'array', help: 'network scoped alias for container' },
    { name: 'ip', type: 'string', help: 'set a static ipv4 address for this container network' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    await ctx.client.networks.connectNetwork(p.args[0], p.args[1], { aliases: arr(p.flags.alias), ip: str(p.flags.ip) });
    return 0;
  },
};

export const networkDisconnectCommand: CommandDef = {
  name: 'disconnect',
  usage: 'tspod network disconnect [options] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'force removal of container from network' }],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    await ctx.client.networks.disconnectNetwork(p.args[0], p.args[1]);
    return 0;
  },
};

export const networkExistsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod network exists NETWORK',
  description: 'network exists',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return (await ctx.client.networks.networkExists(p.args[0])) ? 0 : 1;
  },
};

export const NETWORK_GROUP: CommandDef[] = [
  networkCreateCommand,
  networkLsCommand,
  networkInspectCommand,
  networkRmCommand,
  networkPruneCommand,
  networkConnectCommand,
  networkDisconnectCommand,
  networkExistsCommand,
];

/** PORT[/PROTO] as Podman reads it (its messages); the protocol defaults to tcp. */
function wantedPort(want: string): { port: number; proto: string } {
  const fields = want.split('/');
  if (fields.length > 2) throw new EngineError('invalid-argument', `port formats are port/protocol. '${want}' is invalid`);
  const n = /^\d+$/.test(fields[0]) ? Number(fields[0]) : NaN;
  if (Number.isNaN(n)) throw new EngineError('invalid-argument', `strconv.ParseUint: parsing ${JSON.stringify(fields[0])}: invalid syntax`);
  if (n > 65535) throw new EngineError('invalid-argument', `strconv.ParseUint: parsing ${JSON.stringify(fields[0])}: value out of range`);
  return { port: n, proto: fields[1] ?? 'tcp' };
}

/** `80/tcp -> 0.0.0.0:8080` lines, or only the host side for one asked port. */
function portLines(ports: PortMapping[], want?: string): string[] {
  if (want === undefined) return ports.map((m) => `${m.containerPort}/${m.protocol} -> ${m.hostIp || '0.0.0.0'}:${m.hostPort}`);
  const { port, proto } = wantedPort(want);
  const found = ports.filter((x) => x.containerPort === port && x.protocol === proto);
  if (found.length === 0) throw new EngineError('invalid-argument', `failed to find published port "${want}"`);
  return found.map((x) => `${x.hostIp || '0.0.0.0'}:${x.hostPort}`);
}

export const portCommand: CommandDef = {
  name: 'port',
  usage: 'tspod port [options] CONTAINER [PORT]',
  description: 'List port mappings or a specific mapping for the container',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Display port information for all containers' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' },
  ],
  maxArgs: 2,
  async run(ctx, p) {
    const all = bool(p.flags.all);
    const latest = bool(p.flags.latest);
    if (all && p.args.length > 1) throw new UsageError('the -a/--all flag takes at most one argument, the port');
    if (!all && !latest && p.args.length === 0) throw new UsageError('you must supply a running container name or id');
    const client = ctx.client;
    // oldest first, as created (--all looks at the running ones only)
    const entries = (await client.listContainers({ all: !all, filters: new Map() })).reverse();
    if (all) {
      const want = p.args[0];
      for (const c of entries.filter((e) => e.State === 'running' && e.Ports?.length)) for (const l of portLines(mappingsOf(c), want)) out(`${c.Id.slice(0, 12)}\t${l}\n`);
      return 0;
    }
    let c: ContainerListEntry | undefined;
    if (latest) c = entries[entries.length - 1];
    else {
      const id = (await client.brief(p.args[0])).id;
      c = entries.find((e) => e.Id === id);
    }
    if (!c) throw new EngineError('no-such-container', 'no containers to list ports for: no such container');
    const want = latest ? p.args[0] : p.args[1];
    if (want !== undefined) wantedPort(want);
    // as Podman: a container that does not run, or publishes nothing, has nothing to say
    if (c.State !== 'running' || !c.Ports?.length) return 0;
    for (const l of portLines(mappingsOf(c), want)) out(`${l}\n`);
    return 0;
  },
};

/** A container's published ports from its list entry (libpod's mappings, a range spelled out). */
function mappingsOf(c: ContainerListEntry): PortMapping[] {
  return (c.Ports ?? []).flatMap((x) =>
    Array.from({ length: Math.max(1, x.range) }, (_, i) => ({ hostIp: x.host_ip, hostPort: x.host_port + i, containerPort: x.container_port + i, protocol: x.protocol as PortMapping['protocol'] })),
  );
}

export const PORT_COMMANDS: CommandDef[] = [portCommand];
