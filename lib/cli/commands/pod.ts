// `tspod pod create|ps|inspect|start|stop|restart|kill|pause|unpause|rm|exists|prune`,
// in Podman's formats and exit codes.
import { keyValues } from '../parse';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliContext, CommandDef } from '../command';
import { confirmed, forEachTarget, out, removalExitCode } from '../command';
import { arr, bool, int, str, UsageError, type Parsed } from '../parse';
import { INSPECT_INDENT, LIST_INDENT, printJson, renderFormat, renderList } from '../output';
import { EngineError, invalidArgument } from '../../errors';
import type { PortMapping } from '../../storage/records';
import type { PodAction, PodListEntry } from '../../engine/engine';
import { signalNumber } from '../../container/signals';
import { checkAddHost } from '../../network/container-config';
import { checkPublishedPorts, parsePublish } from '../../network/ports';
import { timeAgo } from '../../format/units';
import { parseExitPolicy, parseShare } from '../../pod/pods';
import { filterPods } from '../../pod/filters';
import type { PodStatsEntry } from '../../pod/observe';
import { printLogs } from './containers';

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
    { name: 'replace', type: 'bool', help: 'If a pod with the same name exists, replace it' },
    { name: 'exit-policy', type: 'string', help: 'Behaviour when the last container exits (continue, stop)' },
    { name: 'infra-conmon-pidfile', type: 'string', help: "Path to the file that will receive the PID of the infra container's monitor" },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    const f = p.flags;
    if (p.args[0] && str(f.name) !== undefined) throw invalidArgument('cannot specify --name and give a name as an argument');
    const replaced = p.args[0] ?? str(f.name);
    if (bool(f.replace) && replaced) await ctx.client.removePod(replaced, { force: true, ignoreMissing: true });
    const infraImage = str(f['infra-image']); // pulled by the engine when missing
    const exitPolicy = parseExitPolicy(str(f['exit-policy']));
    const pidFile = str(f['infra-conmon-pidfile']);
    // a path the engine writes as root: never taken from an API request
    if (pidFile && ctx.remote) throw new EngineError('invalid-argument', '--infra-conmon-pidfile is not supported by the remote client');
    const infraCommand = str(f['infra-command']);
    const podId = await ctx.client.createPod({
      name: p.args[0] ?? str(f.name),
      labels: keyValues(arr(f.label)),
      hostname: str(f.hostname),
      infra: f.infra !== false,
      infraImage,
      infraCommand: infraCommand === undefined ? undefined : infraCommand.startsWith('[') ? (JSON.parse(infraCommand) as string[]) : [infraCommand],
      infraName: str(f['infra-name']),
      share: parseShare(str(f.share)),
      ports: checkPublishedPorts(arr(f.publish).flatMap(parsePublish)),
      network: str(f.network),
      dns: arr(f.dns),
      dnsSearch: arr(f['dns-search']),
      dnsOptions: arr(f['dns-option']),
      addHosts: arr(f['add-host']).map(checkAddHost),
      exitPolicy,
      infraConmonPidFile: pidFile ? path.resolve(pidFile) : undefined,
    });
    const idFile = str(f['pod-id-file']);
    if (idFile) fs.writeFileSync(idFile, podId);
    out(`${podId}\n`);
    return 0;
  },
};

/** `run|create --pod new:NAME`: makes the pod (with the container's -p) and points the request at it. */
export async function preparePodForCreate(ctx: CliContext, config: { pod?: string; ports?: unknown[]; hostname?: string }, podIdFile: string | undefined): Promise<void> {
  if (config.pod === undefined && podIdFile) config.pod = fs.readFileSync(podIdFile, 'utf8').trim();
  if (!config.pod?.startsWith('new:')) return;
  const name = config.pod.slice('new:'.length);
  // the container's --hostname names the new pod's uts namespace (which the container joins)
  config.pod = await ctx.client.createPod({ name, ports: (config.ports ?? []) as PortMapping[], hostname: config.hostname });
  config.ports = [];
}

/** Podman's pod ps row, from the list entry both transports give. */
function podRow(pod: PodListEntry, now: number, noTrunc: boolean) {
  const id = (x: string) => (noTrunc ? x : x.slice(0, 12));
  return {
    ...pod,
    Id: id(pod.Id),
    InfraId: id(pod.InfraId),
    NumberOfContainers: pod.Containers.length,
    CreatedHuman: timeAgo(Date.parse(pod.Created), now),
    ContainerNames: pod.Containers.map((c) => c.Names).join(','),
    ContainerIds: pod.Containers.map((c) => id(c.Id)).join(','),
    ContainerStatuses: pod.Containers.map((c) => c.Status).join(','),
  };
}

const newestFirst = (pods: PodListEntry[]) => [...pods].sort((a, b) => b.Created.localeCompare(a.Created));

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
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest pod tspod is aware of' },
    { name: 'sort', type: 'string', help: 'Sort output by created, id, name, or number' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const now = Date.now();
    let pods = newestFirst(filterPods(await ctx.client.listPods(), arr(p.flags.filter), now));
    if (bool(p.flags.latest)) pods = pods.slice(0, 1);
    const sort = str(p.flags.sort);
    if (sort !== undefined) {
      const keys: Record<string, (x: PodListEntry) => string | number> = { created: (x) => x.Created, id: (x) => x.Id, name: (x) => x.Name, number: (x) => x.Containers.length, status: (x) => x.Status };
      const by = keys[sort];
      if (!by) throw invalidArgument(`invalid option for --sort, options are: id, name, created, number or status`);
      pods.sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0));
    }
    const noTrunc = bool(p.flags['no-trunc']);
    const rows = pods.map((pod) => podRow(pod, now, noTrunc));
    if (bool(p.flags.quiet)) {
      for (const r of rows) out(`${r.Id}\n`);
      return 0;
    }
    const format = str(p.flags.format);
    if (format === 'json') {
      printJson(pods, LIST_INDENT);
      return 0;
    }
    const cols = ['{{.Id}}', '{{.Name}}', '{{.Status}}', '{{.Created}}', '{{.InfraId}}'];
    if (bool(p.flags['ctr-names'])) cols.push('{{.ContainerNames}}');
    if (bool(p.flags['ctr-ids'])) cols.push('{{.ContainerIds}}');
    if (bool(p.flags['ctr-status'])) cols.push('{{.ContainerStatuses}}');
    if (cols.length === 5) cols.push('{{.NumberOfContainers}}');
    const shown = rows.map((r) => ({ ...r, Created: format ? r.Created : r.CreatedHuman }));
    renderList(
      {
        name: 'pod ps',
        headers: { Id: 'POD ID', InfraId: 'INFRA ID', NumberOfContainers: '# OF CONTAINERS', ContainerNames: 'NAMES', ContainerIds: 'IDS', ContainerStatuses: 'STATUS' },
        fields: ['Id', 'Name', 'Status', 'Created', 'InfraId', 'NumberOfContainers', 'ContainerNames', 'ContainerIds', 'ContainerStatuses', 'Labels', 'Networks', 'Cgroup', 'Namespace'],
        defaultRow: cols.join('\t'),
      },
      format,
      shown,
      bool(p.flags.noheading),
    );
    return 0;
  },
};

export const podInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod pod inspect [options] POD',
  description: 'Displays a pod configuration',
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Format the output to a Go template or json' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest pod tspod is aware of' },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    let ref = p.args[0];
    if (bool(p.flags.latest)) ref = newestFirst(await ctx.client.listPods())[0]?.Id ?? '';
    if (!ref) throw new UsageError('you must provide the name or ID of one pod to inspect');
    let doc;
    try {
      doc = await ctx.client.inspectPod(ref);
    } catch (e) {
      if (!(e instanceof EngineError && e.kind === 'no-such-object')) throw e;
      out('[]\n'); // as Podman 4.3.1: an empty list, then the error
      throw new EngineError('no-such-object', `inspecting object: no such pod ${ref}`);
    }
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, [doc]);
    else printJson(doc, INSPECT_INDENT);
    return 0;
  },
};

/** --pod-id-file FILE...: the ids in them (a missing file is skipped with --ignore). */
function podIdsFromFiles(p: Parsed): string[] {
  return arr(p.flags['pod-id-file']).flatMap((file) => {
    try {
      return [fs.readFileSync(file, 'utf8').trim()];
    } catch (e) {
      if (bool(p.flags.ignore) && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  });
}

/** The pods a command acts on: the arguments, --pod-id-file, or --all / --latest. */
async function podTargets(ctx: CliContext, p: Parsed): Promise<string[]> {
  if (arr(p.flags['pod-id-file']).length) return podIdsFromFiles(p);
  if (bool(p.flags.all)) return newestFirst(await ctx.client.listPods()).map((x) => x.Id);
  if (bool(p.flags.latest)) return newestFirst(await ctx.client.listPods()).slice(0, 1).map((x) => x.Id);
  if (!p.args.length) throw new UsageError('you must provide at least one name or id');
  return p.args;
}

const TARGET_FLAGS = [
  { name: 'all', short: 'a', type: 'bool' as const, help: 'Act on all pods' },
  { name: 'latest', short: 'l', type: 'bool' as const, help: 'Act on the latest pod tspod is aware of' },
];
const POD_ID_FILE_FLAG = { name: 'pod-id-file', type: 'array' as const, help: 'Read the pod ID from the file' };
const IGNORE_FLAG = { name: 'ignore', short: 'i', type: 'bool' as const, help: 'Ignore errors when a specified pod is missing' };

function podAction(action: PodAction, description: string, flags: CommandDef['flags'] = [], opts: (p: Parsed) => { timeout?: number; signal?: number } = () => ({})): CommandDef {
  return {
    name: action,
    usage: `tspod pod ${action} [options] POD [POD...]`,
    description,
    flags: [...TARGET_FLAGS, ...flags],
    run: async (ctx, p) =>
      forEachTarget(await podTargets(ctx, p), async (ref) => {
        try {
          return await ctx.client.podAction(ref, action, opts(p));
        } catch (e) {
          if (bool(p.flags.ignore) && e instanceof EngineError && e.kind === 'no-such-object') return undefined; // pod stop --ignore
          throw e;
        }
      }),
  };
}

const TIME_FLAG = { name: 'time', short: 't', type: 'uint' as const, help: 'Seconds to wait for pod stop before killing the container' };

export const POD_GROUP: CommandDef[] = [
  podCreateCommand,
  podPsCommand,
  podInspectCommand,
  podAction('start', 'Start one or more pods', [POD_ID_FILE_FLAG]),
  podAction('stop', 'Stop one or more pods', [TIME_FLAG, POD_ID_FILE_FLAG, IGNORE_FLAG], (p) => ({ timeout: int(p.flags.time) })),
  podAction('restart', 'Restart one or more pods'),
  podAction('kill', 'Send the specified signal or SIGKILL to containers in pod', [{ name: 'signal', short: 's', type: 'string', help: 'Signal to send to the containers in the pod' }], (p) => ({
    signal: signalNumber(str(p.flags.signal) ?? 'KILL'),
  })),
  podAction('pause', 'Pause one or more pods'),
  podAction('unpause', 'Unpause one or more pods'),
  {
    name: 'rm',
    aliases: ['remove'],
    usage: 'tspod pod rm [options] POD [POD...]',
    description: 'Remove one or more stopped pods and containers',
    flags: [
      ...TARGET_FLAGS,
      { name: 'force', short: 'f', type: 'bool', help: 'Force removal of a running pod by first stopping all containers, then removing all containers in the pod' },
      { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified pod is missing' },
      TIME_FLAG,
      { name: 'pod-id-file', type: 'array', help: 'Read the pod ID from the file' },
    ],
    async run(ctx, p) {
      const targets = await podTargets(ctx, p);
      return forEachTarget(
        targets,
        // as Podman: with --force a missing pod is no error either
        (ref) => ctx.client.removePod(ref, { force: bool(p.flags.force), timeout: int(p.flags.time), ignoreMissing: bool(p.flags.ignore) || bool(p.flags.force) }),
        removalExitCode,
      );
    },
  },
  {
    name: 'top',
    usage: 'tspod pod top [options] POD [FORMAT-DESCRIPTORS]',
    description: 'Display the running processes of containers in a pod',
    flags: [{ name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest pod tspod is aware of' }],
    async run(ctx, p) {
      const latest = bool(p.flags.latest);
      const ref = latest ? newestFirst(await ctx.client.listPods())[0]?.Id : p.args[0];
      if (!ref) throw new UsageError(latest ? 'no pods to act on' : 'you must provide the name or ID of a pod');
      const descriptors = p.args.slice(latest ? 0 : 1);
      const t = await ctx.client.podTop(ref, descriptors.length ? descriptors.join(',') : undefined);
      // the layout of `tspod top`
      const rows = [t.Titles, ...t.Processes];
      const widths = t.Titles.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ') + '\n');
      return 0;
    },
  },
  {
    name: 'stats',
    usage: 'tspod pod stats [options] [POD...]',
    description: 'Display a live stream of resource usage statistics for the containers in one or more pods',
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Provide stats for all pods' },
      { name: 'format', type: 'string', help: 'Pretty-print container statistics to JSON or using a Go template' },
      { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest pod tspod is aware of' },
      { name: 'no-reset', type: 'bool', help: 'Disable resetting the screen when streaming' },
      { name: 'no-stream', type: 'bool', help: 'Disable streaming stats and only pull the first result' },
    ],
    async run(ctx, p) {
      const all = bool(p.flags.all);
      if (all && p.args.length) throw new UsageError('--all and specifying pod names or IDs cannot be used together');
      const refs = bool(p.flags.latest) ? newestFirst(await ctx.client.listPods()).slice(0, 1).map((x) => x.Id) : p.args;
      const format = str(p.flags.format);
      const print = (rows: PodStatsEntry[]) => {
        if (format === 'json') printJson(rows, INSPECT_INDENT);
        else
          renderList(
            {
              name: 'pod stats',
              headers: { Pod: 'POD', CID: 'CID', Name: 'NAME', CPU: 'CPU %', MemUsage: 'MEM USAGE/ LIMIT', Mem: 'MEM %', NetIO: 'NET IO', BlockIO: 'BLOCK IO', PIDS: 'PIDS' },
              fields: ['Pod', 'CID', 'Name', 'CPU', 'MemUsage', 'MemUsageBytes', 'Mem', 'NetIO', 'BlockIO', 'PIDS'],
              defaultRow: '{{.Pod}}\t{{.CID}}\t{{.Name}}\t{{.CPU}}\t{{.MemUsage}}\t{{.Mem}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}',
            },
            format,
            rows,
            false,
          );
      };
      if (bool(p.flags['no-stream'])) {
        print(await ctx.client.podStats(refs, all));
        return 0;
      }
      for (;;) {
        const rows = await ctx.client.podStats(refs, all);
        if (process.stdout.isTTY && !bool(p.flags['no-reset'])) out('\x1b[2J\x1b[H');
        print(rows);
        await new Promise((r) => setTimeout(r, 5000));
      }
    },
  },
  {
    name: 'logs',
    usage: 'tspod pod logs [options] POD',
    description: 'Fetch logs for pod with one or more containers',
    flags: [
      { name: 'container', short: 'c', type: 'string', help: 'Filter logs by container name or id which belongs to pod' },
      { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output' },
      { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest pod tspod is aware of' },
      { name: 'names', short: 'n', type: 'bool', help: 'Output container names instead of container IDs in the log' },
      { name: 'since', type: 'string', help: 'Show logs since TIMESTAMP' },
      { name: 'tail', type: 'int', default: -1, help: 'Output the specified number of LINES at the end of the logs' },
      { name: 'timestamps', short: 't', type: 'bool', help: 'Output the timestamps in the log' },
      { name: 'until', type: 'string', help: 'Show logs until TIMESTAMP' },
      { name: 'color', type: 'bool', hidden: true },
    ],
    maxArgs: 1,
    async run(ctx, p) {
      const ref = bool(p.flags.latest) ? newestFirst(await ctx.client.listPods())[0]?.Id : p.args[0];
      if (!ref) throw new UsageError('you must provide the name or ID of a pod');
      const pod = await ctx.client.inspectPod(ref);
      // the pod's own containers, not its infra container; -c picks one of them
      let members = pod.Containers.filter((c) => c.Id !== pod.InfraContainerID);
      const only = str(p.flags.container);
      if (only !== undefined) {
        members = members.filter((c) => c.Name === only || c.Id === only || (/^[0-9a-f]+$/.test(only) && c.Id.startsWith(only)));
        if (members.length === 0) throw new EngineError('no-such-container', `container ${only} is not in pod ${pod.Id}: no such container`);
      }
      await printLogs(ctx, p, members.map((c) => c.Id), only === undefined);
      return 0;
    },
  },
  {
    name: 'exists',
    usage: 'tspod pod exists POD',
    description: 'Check if a pod exists in local storage',
    flags: [],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx, p) {
      return (await ctx.client.podExists(p.args[0])) ? 0 : 1;
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
      const stopped = (await ctx.client.listPods()).filter((pod) => ['Exited', 'Created'].includes(pod.Status));
      return forEachTarget(
        stopped.map((x) => x.Id),
        (ref) => ctx.client.removePod(ref, { force: true }),
      );
    },
  },
];
