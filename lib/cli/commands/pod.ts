// `tspod pod create|ps|inspect|start|stop|restart|kill|pause|unpause|rm|exists|prune`,
// in Podman's formats and exit codes.
import * as fs from 'node:fs';
import type { CliContext, CommandDef } from '../command';
import { confirmed, forEachTarget, out, removalExitCode } from '../command';
import { arr, bool, int, str, UsageError, type Parsed } from '../parse';
import { printJson, renderFormat, renderList } from '../output';
import { invalidArgument } from '../../errors';
import type { ContainerRecord, PodRecord } from '../../storage/records';
import type { LocalEngine } from '../../container/engine';
import { signalNumber } from '../../container/signals';
import { checkAddHost, parseNetworkMode } from '../../network/container-config';
import { checkPublishedPorts, parsePublish } from '../../network/ports';
import { timeAgo } from '../../format/units';
import { createPod, getPod, killPod, listPods, parseShare, pausePod, podMembers, podStatus, removePod, startPod, stopPod } from '../../pod/pods';

function keyValues(items: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of items) {
    const eq = l.indexOf('=');
    if (eq < 0) o[l] = '';
    else o[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return o;
}

export const podCreateCommand: CommandDef = {
  name: 'create',
  usage: 'tspod pod create [options] [NAME]',
  description: 'Create a new empty pod',
  flags: [
    { name: 'name', short: 'n', type: 'string', help: 'Assign a name to the pod' },
    { name: 'publish', short: 'p', type: 'array', help: "Publish a container's port, or a range of ports, to the host" },
    { name: 'share', type: 'string', help: 'A comma delimited list of kernel namespaces the pod will share' },
    { name: 'infra', type: 'bool', default: true, help: 'Create an infra container associated with the pod to share namespaces with' },
    { name: 'infra-image', type: 'string', help: 'Image to use to override the builtin infra container' },
    { name: 'infra-command', type: 'string', help: 'Command to run on the infra container when the pod is started' },
    { name: 'infra-name', type: 'string', help: 'Name used for the pod infra container' },
    { name: 'label', short: 'l', type: 'array', help: 'Set metadata on pod (default [])' },
    { name: 'hostname', type: 'string', help: 'Set a hostname to the pod' },
    { name: 'network', type: 'string', help: 'Connect the pod to a network' },
    { name: 'dns', type: 'array', help: 'Set custom DNS servers' },
    { name: 'dns-search', type: 'array', help: 'Set custom DNS search domains' },
    { name: 'dns-option', type: 'array', help: 'Set custom DNS options' },
    { name: 'add-host', type: 'array', help: 'Add a custom host-to-IP mapping (host:ip)' },
    { name: 'pod-id-file', type: 'string', help: 'Write the pod ID to the file' },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    const f = p.flags;
    if (p.args[0] && str(f.name) !== undefined) throw invalidArgument('cannot specify --name and give a name as an argument');
    const infraCommand = str(f['infra-command']);
    const pod = await createPod(ctx.engine, {
      name: p.args[0] ?? str(f.name),
      labels: keyValues(arr(f.label)),
      hostname: str(f.hostname),
      infra: f.infra !== false,
      infraImage: str(f['infra-image']),
      infraCommand: infraCommand === undefined ? undefined : infraCommand.startsWith('[') ? (JSON.parse(infraCommand) as string[]) : [infraCommand],
      infraName: str(f['infra-name']),
      share: parseShare(str(f.share)),
      ports: checkPublishedPorts(arr(f.publish).flatMap(parsePublish)),
      network: {
        ...(str(f.network) !== undefined ? parseNetworkMode(str(f.network)) : {}),
        dns: arr(f.dns),
        dnsSearch: arr(f['dns-search']),
        dnsOptions: arr(f['dns-option']),
        addHosts: arr(f['add-host']).map(checkAddHost),
      },
    });
    const idFile = str(f['pod-id-file']);
    if (idFile) fs.writeFileSync(idFile, pod.id);
    out(`${pod.id}\n`);
    return 0;
  },
};

/** `run|create --pod new:NAME`: makes the pod (with the container's -p) and points the request at it. */
export async function preparePodForCreate(ctx: CliContext, config: { pod?: string; ports?: unknown[] }, podIdFile: string | undefined): Promise<void> {
  if (config.pod === undefined && podIdFile) config.pod = fs.readFileSync(podIdFile, 'utf8').trim();
  if (!config.pod?.startsWith('new:')) return;
  const name = config.pod.slice('new:'.length);
  const pod = await createPod(ctx.engine, { name, ports: (config.ports ?? []) as never });
  config.pod = pod.id;
  config.ports = [];
}

/** Podman's pod ps row. */
function podRow(engine: LocalEngine, pod: PodRecord, now: number, noTrunc: boolean) {
  const members = podMembers(engine, pod);
  const ctrs = members.map((c: ContainerRecord) => ({ Id: c.id, Names: c.name, Status: c.state.paused ? 'paused' : c.state.status }));
  return {
    Cgroup: '',
    Containers: ctrs,
    Created: pod.created,
    Id: noTrunc ? pod.id : pod.id.slice(0, 12),
    InfraId: noTrunc ? pod.infraId : pod.infraId.slice(0, 12),
    Name: pod.name,
    Namespace: '',
    Networks: [] as string[],
    Status: podStatus(members),
    Labels: pod.labels,
    NumberOfContainers: members.length,
    CreatedHuman: timeAgo(Date.parse(pod.created), now),
    ContainerNames: ctrs.map((c) => c.Names).join(','),
    ContainerIds: ctrs.map((c) => (noTrunc ? c.Id : c.Id.slice(0, 12))).join(','),
    ContainerStatuses: ctrs.map((c) => c.Status).join(','),
  };
}

function podMatches(engine: LocalEngine, pod: PodRecord, key: string, v: string): boolean {
  const members = podMembers(engine, pod);
  switch (key) {
    case 'id':
      return pod.id.startsWith(v);
    case 'name':
      return pod.name === v || new RegExp(v).test(pod.name);
    case 'status':
      return podStatus(members).toLowerCase() === v.toLowerCase();
    case 'label': {
      const [k, val] = v.split('=', 2);
      return k in pod.labels && (val === undefined || pod.labels[k] === val);
    }
    case 'ctr-names':
      return members.some((c) => c.name === v);
    case 'ctr-ids':
      return members.some((c) => c.id.startsWith(v));
    case 'ctr-number':
      return members.length === Number(v);
    case 'ctr-status':
      return members.some((c) => c.state.status === v);
    default:
      throw invalidArgument(`${key} is an invalid filter`);
  }
}

export const podPsCommand: CommandDef = {
  name: 'ps',
  aliases: ['ls', 'list'],
  usage: 'tspod pod ps [options]',
  description: 'List pods',
  flags: [
    { name: 'filter', short: 'f', type: 'array', help: 'Filter output based on conditions given' },
    { name: 'format', type: 'string', help: 'Pretty-print pods to JSON or using a Go template' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Print the numeric IDs of the pods only' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate pod and container IDs' },
    { name: 'noheading', type: 'bool', help: 'Do not print headers' },
    { name: 'ctr-names', type: 'bool', help: 'Display the container names' },
    { name: 'ctr-ids', type: 'bool', help: 'Display the container UUIDs' },
    { name: 'ctr-status', type: 'bool', help: 'Display the container status' },
    { name: 'namespace', type: 'bool', hidden: true },
    { name: 'ns', type: 'bool', hidden: true },
    { name: 'latest', short: 'l', type: 'bool', hidden: true },
    { name: 'sort', type: 'string', help: 'Sort output by created, id, name, or number' },
  ],
  maxArgs: 0,
  run(ctx, p) {
    const engine = ctx.engine;
    const filters = arr(p.flags.filter).map((s) => {
      const eq = s.indexOf('=');
      if (eq < 0) throw invalidArgument(`filter input must be in the form of filter=value: ${s} is invalid`);
      return [s.slice(0, eq), s.slice(eq + 1)] as const;
    });
    const pods = listPods(engine).filter((pod) => {
      const byKey = new Map<string, string[]>();
      for (const [k, v] of filters) byKey.set(k, [...(byKey.get(k) ?? []), v]);
      return [...byKey].every(([k, vs]) => vs.some((v) => podMatches(engine, pod, k, v)));
    });
    const noTrunc = bool(p.flags['no-trunc']);
    const now = Date.now();
    const rows = pods.map((pod) => podRow(engine, pod, now, noTrunc));
    if (bool(p.flags.quiet)) {
      for (const r of rows) out(`${r.Id}\n`);
      return 0;
    }
    const format = str(p.flags.format);
    if (format === 'json') {
      printJson(rows.map(({ CreatedHuman: _c, ContainerNames: _n, ContainerIds: _i, ContainerStatuses: _s, ...r }) => r));
      return 0;
    }
    let row = '{{.Id}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraId}}\t';
    if (bool(p.flags['ctr-names'])) row += '{{.ContainerNames}}\t';
    if (bool(p.flags['ctr-ids'])) row += '{{.ContainerIds}}\t';
    if (bool(p.flags['ctr-status'])) row += '{{.ContainerStatuses}}\t';
    if (!bool(p.flags['ctr-names']) && !bool(p.flags['ctr-ids']) && !bool(p.flags['ctr-status'])) row += '{{.NumberOfContainers}}';
    const shown = rows.map((r) => ({ ...r, Created: format ? r.Created : r.CreatedHuman }));
    renderList(
      {
        name: 'pod ps',
        headers: { Id: 'POD ID', InfraId: 'INFRA ID', NumberOfContainers: '# OF CONTAINERS', ContainerNames: 'NAMES', ContainerIds: 'IDS', ContainerStatuses: 'STATUS' },
        fields: ['Id', 'Name', 'Status', 'Created', 'InfraId', 'NumberOfContainers', 'ContainerNames', 'ContainerIds', 'ContainerStatuses', 'Labels', 'Networks', 'Cgroup', 'Namespace'],
        defaultRow: row.replace(/\t$/, ''),
      },
      format,
      shown,
      bool(p.flags.noheading),
    );
    return 0;
  },
};

/** Podman's pod inspect document. */
function inspectPod(engine: LocalEngine, pod: PodRecord) {
  const members = podMembers(engine, pod);
  const infra = members.find((c) => c.config.isInfra);
  return {
    Id: pod.id,
    Name: pod.name,
    Created: pod.created,
    CreateCommand: pod.createCommand,
    ExitPolicy: 'continue',
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
          DNSServer: infra.config.dns ?? [],
          HostAdd: infra.config.addHosts ?? [],
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

export const podInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod pod inspect [options] POD',
  description: 'Displays a pod configuration',
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Format the output to a Go template or json' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest pod tspod is aware of' },
  ],
  maxArgs: 1,
  run(ctx, p) {
    let ref = p.args[0];
    if (bool(p.flags.latest)) ref = listPods(ctx.engine)[0]?.id ?? '';
    if (!ref) throw new UsageError('you must provide the name or ID of one pod to inspect');
    const doc = inspectPod(ctx.engine, getPod(ctx.engine, ref));
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, [doc]);
    else printJson(doc);
    return 0;
  },
};

/** The pods a command acts on: the arguments, or --all / --latest. */
function podTargets(ctx: CliContext, p: Parsed): string[] {
  if (bool(p.flags.all)) return listPods(ctx.engine).map((x) => x.id);
  if (bool(p.flags.latest)) return listPods(ctx.engine).slice(0, 1).map((x) => x.id);
  if (!p.args.length) throw new UsageError('you must provide at least one name or id');
  return p.args;
}

const TARGET_FLAGS = [
  { name: 'all', short: 'a', type: 'bool' as const, help: 'Act on all pods' },
  { name: 'latest', short: 'l', type: 'bool' as const, help: 'Act on the latest pod tspod is aware of' },
];

function podAction(name: string, description: string, flags: CommandDef['flags'], op: (engine: LocalEngine, ref: string, p: Parsed) => Promise<PodRecord>): CommandDef {
  return {
    name,
    usage: `tspod pod ${name} [options] POD [POD...]`,
    description,
    flags: [...TARGET_FLAGS, ...flags],
    run: (ctx, p) => forEachTarget(podTargets(ctx, p), async (ref) => (await op(ctx.engine, ref, p)).id),
  };
}

export const POD_GROUP: CommandDef[] = [
  podCreateCommand,
  podPsCommand,
  podInspectCommand,
  podAction('start', 'Start one or more pods', [], (e, ref) => startPod(e, ref)),
  podAction('stop', 'Stop one or more pods', [{ name: 'time', short: 't', type: 'int', help: 'Seconds to wait for pod stop before killing the container' }], (e, ref, p) => stopPod(e, ref, int(p.flags.time))),
  podAction('restart', 'Restart one or more pods', [], async (e, ref) => {
    await stopPod(e, ref);
    return startPod(e, ref);
  }),
  podAction('kill', 'Send the specified signal or SIGKILL to containers in pod', [{ name: 'signal', short: 's', type: 'string', help: 'Signal to send to the containers in the pod' }], (e, ref, p) =>
    killPod(e, ref, signalNumber(str(p.flags.signal) ?? 'KILL')),
  ),
  podAction('pause', 'Pause one or more pods', [], (e, ref) => pausePod(e, ref, true)),
  podAction('unpause', 'Unpause one or more pods', [], (e, ref) => pausePod(e, ref, false)),
  {
    name: 'rm',
    aliases: ['remove'],
    usage: 'tspod pod rm [options] POD [POD...]',
    description: 'Remove one or more stopped pods and containers',
    flags: [
      ...TARGET_FLAGS,
      { name: 'force', short: 'f', type: 'bool', help: 'Force removal of a running pod by first stopping all containers, then removing all containers in the pod' },
      { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified pod is missing' },
      { name: 'time', short: 't', type: 'int', help: 'Seconds to wait for pod stop before killing the container' },
      { name: 'pod-id-file', type: 'array', help: 'Read the pod ID from the file' },
    ],
    run(ctx, p) {
      const fromFiles = arr(p.flags['pod-id-file']).map((file) => fs.readFileSync(file, 'utf8').trim());
      const targets = fromFiles.length ? fromFiles : podTargets(ctx, p);
      return forEachTarget(
        targets,
        (ref) => removePod(ctx.engine, ref, { force: bool(p.flags.force), timeout: int(p.flags.time), ignoreMissing: bool(p.flags.ignore) }),
        removalExitCode,
      );
    },
  },
  {
    name: 'exists',
    usage: 'tspod pod exists POD',
    description: 'Check if a pod exists in local storage',
    flags: [],
    minArgs: 1,
    maxArgs: 1,
    run(ctx, p) {
      try {
        getPod(ctx.engine, p.args[0]);
        return 0;
      } catch {
        return 1;
      }
    },
  },
  {
    name: 'prune',
    usage: 'tspod pod prune [options]',
    description: 'Remove all stopped pods and their containers',
    flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' }],
    maxArgs: 0,
    async run(ctx, p) {
      if (!bool(p.flags.force) && !confirmed('WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue? [y/N] ')) return 0;
      const stopped = listPods(ctx.engine).filter((pod) => ['Exited', 'Created'].includes(podStatus(podMembers(ctx.engine, pod))));
      return forEachTarget(
        stopped.map((x) => x.id),
        (ref) => removePod(ctx.engine, ref, { force: true }),
      );
    },
  },
];
