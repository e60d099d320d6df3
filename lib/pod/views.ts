// The public shapes of pods, as the libpod API serves them (Podman's
// ListPodsReport and InspectPodData): the CLI prints them for both transports.
import type { LocalEngine } from '../container/engine';
import type { PodRecord } from '../storage/records';
import { podMembers, podStatus } from './pods';

export interface PodListEntry {
  Cgroup: string;
  Containers: { Id: string; Names: string; Status: string }[];
  Created: string;
  Id: string;
  InfraId: string;
  Name: string;
  Namespace: string;
  Networks: string[];
  Status: string;
  Labels: Record<string, string>;
}

export function podListEntry(engine: LocalEngine, pod: PodRecord): PodListEntry {
  const members = podMembers(engine, pod);
  const infra = members.find((c) => c.config.isInfra);
  return {
    Cgroup: '',
    Containers: members.map((c) => ({ Id: c.id, Names: c.name, Status: c.state.paused ? 'paused' : c.state.status })),
    Created: pod.created,
    Id: pod.id,
    InfraId: pod.infraId,
    Name: pod.name,
    Namespace: '',
    Networks: Object.keys(infra?.config.networks ?? {}),
    Status: podStatus(members),
    Labels: pod.labels,
  };
}

export type PodInspect = ReturnType<typeof inspectPod>;

/** Podman's pod inspect document. */
export function inspectPod(engine: LocalEngine, pod: PodRecord) {
  const members = podMembers(engine, pod);
  const infra = members.find((c) => c.config.isInfra);
  return {
    Id: pod.id,
    Name: pod.name,
    Created: pod.created,
    CreateCommand: pod.createCommand,
    ExitPolicy: pod.exitPolicy ?? 'continue',
    State: podStatus(members),
    Hostname: pod.hostname,
    Labels: pod.labels,
    CreateCgroup: false,
    CreateInfra: pod.infraId !== '',
    InfraContainerID: pod.infraId,
    InfraConfig: infra
      ? {
          PortBindings: Object.fromEntries(
            (infra.config.ports ?? []).map((m) => [`${m.containerPort}/${m.protocol}`, [{ HostIp: m.hostIp, HostPort: String(m.hostPort) }]]),
          ),
          HostNetwork: infra.config.network === 'host',
          StaticIP: '',
          StaticMAC: '',
          NoManageResolvConf: false,
          DNSServer: infra.config.dns?.length ? infra.config.dns : null,
          DNSSearch: infra.config.dnsSearch?.length ? infra.config.dnsSearch : null,
          DNSOption: infra.config.dnsOptions?.length ? infra.config.dnsOptions : null,
          NoManageHosts: false,
          HostAdd: infra.config.addHosts?.length ? infra.config.addHosts : null,
          Networks: Object.keys(infra.config.networks ?? {}),
          NetworkOptions: null,
          pid_ns: 'private',
          userns: 'host',
          uts_ns: pod.share.includes('uts') ? 'shared' : 'private',
        }
      : undefined,
    SharedNamespaces: pod.share,
    NumContainers: members.length,
    Containers: members.map((c) => ({ Id: c.id, Name: c.name, State: c.state.paused ? 'paused' : c.state.status })),
  };
}
