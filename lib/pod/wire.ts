// A pod create request on the libpod API: Podman's PodSpecGenerator JSON, both
// ways (the remote engine writes it, the service reads it).
import { parseExitPolicy, type PodCreateRequest } from './pods';
import type { PortMapping } from '../storage/records';
import { invalidArgument } from '../errors';

export function podSpecGenerator(req: PodCreateRequest): Record<string, unknown> {
  const mode = req.network;
  // slirp4netns[:opts] and pasta[:opts]: the mode in netns, the options in network_options, as Podman's clients send them
  const userMode = mode !== undefined ? /^(slirp4netns|pasta)(?::(.*))?$/.exec(mode) : null;
  const named = mode !== undefined && !userMode && !['host', 'none', 'private', 'bridge', 'default', ''].includes(mode) && !mode.startsWith('container:');
  return {
    name: req.name,
    labels: req.labels,
    hostname: req.hostname,
    no_infra: req.infra === false,
    infra_image: req.infraImage,
    infra_command: req.infraCommand,
    infra_name: req.infraName,
    shared_namespaces: req.share,
    portmappings: (req.ports ?? []).map((p) => ({ container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIp, protocol: p.protocol, range: 1 })),
    ...(userMode ? { netns: { nsmode: userMode[1] }, ...(userMode[2] ? { network_options: { [userMode[1]]: userMode[2].split(',') } } : {}) } : {}),
    ...(mode !== undefined && !named && !userMode ? { netns: { nsmode: mode.startsWith('container:') ? 'container' : mode || 'default', value: mode.startsWith('container:') ? mode.slice(10) : undefined } } : {}),
    ...(named ? { netns: { nsmode: 'bridge' }, Networks: Object.fromEntries(mode.split(',').map((n) => [n, {}])) } : {}),
    dns_server: req.dns,
    dns_search: req.dnsSearch,
    dns_option: req.dnsOptions,
    hostadd: req.addHosts,
    exit_policy: req.exitPolicy,
  };
}

const strings = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidArgument(`${what} must be a list of strings`);
  return v as string[];
};
const text = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalidArgument(`${what} must be a string`);
  return v;
};

function ports(v: unknown): PortMapping[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArgument('portmappings must be a list');
  return v.flatMap((m: Record<string, unknown>) => {
    const containerPort = Number(m.container_port);
    const hostPort = Number(m.host_port ?? 0) || containerPort;
    const range = Number(m.range ?? 1) || 1;
    const protocol = String(m.protocol ?? 'tcp') || 'tcp';
    if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) throw invalidArgument(`invalid container port ${String(m.container_port)}`);
    return protocol.split(',').flatMap((proto) => {
      if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`unrecognized protocol "${proto}" in port mapping`);
      return Array.from({ length: range }, (_x, i) => ({ hostIp: text(m.host_ip, 'host_ip') ?? '', hostPort: hostPort + i, containerPort: containerPort + i, protocol: proto as 'tcp' | 'udp' }));
    });
  });
}

/** The service's side: a PodSpecGenerator body (as Podman's clients send it) to a create request. */
export function podRequestFromSpec(body: Record<string, unknown>): PodCreateRequest {
  const netns = (body.netns ?? {}) as { nsmode?: string; value?: string };
  const networks = body.Networks && typeof body.Networks === 'object' ? Object.keys(body.Networks as object) : [];
  let network: string | undefined;
  if (networks.length) network = networks.join(',');
  else if (netns.nsmode === 'container' && netns.value) network = `container:${netns.value}`;
  else if (netns.nsmode && ['host', 'none', 'private', 'bridge'].includes(netns.nsmode)) network = netns.nsmode;
  else if (netns.nsmode === 'slirp4netns' || netns.nsmode === 'pasta') {
    const opts = (body.network_options as Record<string, unknown> | undefined)?.[netns.nsmode];
    const list = Array.isArray(opts) ? opts.filter((o): o is string => typeof o === 'string') : [];
    network = list.length ? `${netns.nsmode}:${list.join(',')}` : netns.nsmode;
  }
  const command = body.infra_command;
  return {
    name: text(body.name, 'name'),
    labels: (body.labels as Record<string, string> | undefined) ?? {},
    hostname: text(body.hostname, 'hostname'),
    infra: body.no_infra !== true,
    infraImage: text(body.infra_image, 'infra_image'),
    infraCommand: strings(command, 'infra_command')?.length ? (command as string[]) : undefined,
    infraName: text(body.infra_name, 'infra_name'),
    share: strings(body.shared_namespaces, 'shared_namespaces')?.length ? (body.shared_namespaces as string[]) : undefined,
    ports: ports(body.portmappings),
    network,
    dns: strings(body.dns_server, 'dns_server'),
    dnsSearch: strings(body.dns_search, 'dns_search'),
    dnsOptions: strings(body.dns_option, 'dns_option'),
    addHosts: strings(body.hostadd, 'hostadd'),
    exitPolicy: parseExitPolicy(text(body.exit_policy, 'exit_policy')),
  };
}
