// Looking into containers: top, stats, and `system df` (cp is in ./cp.ts).
import type { CommandDef } from '../command';
import { out } from '../command';
import { bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import type { LibpodStats } from '../../container/stats';
import { cpCommand } from './cp';
import { renderList, printJson } from '../output';
import { goDurationString, goUnitsHumanSize, humanSize, imageCreatedAgo, timeAgo } from '../../format/units';
import { arr } from '../parse';
import { userTerminal } from '../../terminal/user-terminal';
import { DEFAULT_DETACH_KEYS } from '../../terminal/detach-keys';
import type { EngineEvent } from '../../events/journal';
import { eventMatches, parseEventFilters, parseEventTime, podmanEventLine, podmanEventObject } from '../../events/query';
import { goJSON } from '../../format/gotemplate';
import { renderFormat } from '../output';

// ---- top

export const topCommand: CommandDef = {
  name: 'top',
  usage: 'tspod top [options] CONTAINER [FORMAT-DESCRIPTORS|ARGS...]',
  description: 'Display the running processes of a container',
  flags: [{ name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' }],
  minArgs: 1,
  async run(ctx, p) {
    let id = p.args[0];
    if (bool(p.flags.latest)) id = (await ctx.client.listContainers({ all: true, filters: new Map() }))[0]?.Id ?? id;
    const t = await ctx.client.observe.top(id);
    const rows = [t.Titles, ...t.Processes];
    const widths = t.Titles.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ') + '\n');
    return 0;
  },
};

// ---- stats

const STATS_HEADERS: Readonly<Record<string, string>> = {
  ID: 'id',
  Name: 'name',
  CPUPerc: 'cpu %',
  MemUsage: 'mem usage / limit',
  MemPerc: 'mem %',
  NetIO: 'net io',
  BlockIO: 'block io',
  PIDS: 'pids',
  AVGCPU: 'avg cpu %',
  UpTime: 'cpu time',
};
const STATS_FIELDS = ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDS', 'AVGCPU', 'AvgCPU', 'CPU', 'MemUsageBytes', 'UpTime', 'ContainerID', 'ContainerStats'];
const STATS_ROW = '{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t{{.AVGCPU}}';

const pct = (f: number) => `${f.toFixed(2)}%`;
const pair = (a: number, b: number) => `${goUnitsHumanSize(a)} / ${goUnitsHumanSize(b)}`;

function statsRow(s: LibpodStats, noTrunc: boolean, hasNet: boolean) {
  return {
    ID: noTrunc ? s.ContainerID : s.ContainerID.slice(0, 12),
    ContainerID: s.ContainerID,
    Name: s.Name,
    CPUPerc: pct(s.CPU),
    AVGCPU: pct(s.AvgCPU),
    AvgCPU: s.AvgCPU, // Podman's template: .AvgCPU the number, .AVGCPU the percentage
    CPU: s.CPU,
    MemUsage: pair(s.MemUsage, s.MemLimit),
    MemUsageBytes: `${humanSize(s.MemUsage)} / ${humanSize(s.MemLimit)}`,
    MemPerc: pct(s.MemPerc),
    NetIO: hasNet ? pair(s.NetInput, s.NetOutput) : '-- / --',
    BlockIO: pair(s.BlockInput, s.BlockOutput),
    PIDS: String(s.PIDs),
    UpTime: goDurationString(s.CPUNano), // the CPU time, as Podman's UpTime
    ContainerStats: { CPU: s.CPU, MemUsage: s.MemUsage, MemLimit: s.MemLimit, PIDs: s.PIDs, NetInput: s.NetInput, NetOutput: s.NetOutput, BlockInput: s.BlockInput, BlockOutput: s.BlockOutput },
  };
}

export const statsCommand: CommandDef = {
  name: 'stats',
  usage: 'tspod stats [options] [CONTAINER...]',
  description: 'Display a live stream of container resource usage statistics',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all containers. Only running containers are shown by default' },
    { name: 'no-stream', type: 'bool', help: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
    { name: 'format', type: 'string', help: 'Pretty-print container statistics to JSON or using a Go template' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' },
    { name: 'interval', short: 'i', type: 'int', default: 5, help: 'Time in seconds between stats reports' },
  ],
  async run(ctx, p) {
    const client = ctx.client;
    // named containers must run; --all and --latest name them (newest first in the list)
    for (const a of p.args) {
      const b = await client.brief(a);
      if (!b.running) throw new EngineError('state-improper', `container ${b.id} is not running: container state improper`);
    }
    let names = p.args;
    if (!names.length && (bool(p.flags.all) || bool(p.flags.latest))) {
      const all = await client.listContainers({ all: true, filters: new Map() });
      names = (bool(p.flags.latest) ? all.slice(0, 1) : all.reverse()).map((c) => c.Id);
    }
    const noTrunc = bool(p.flags['no-trunc']);
    const format = str(p.flags.format);
    // NetIO: "-- / --" for a container on the host's network or on none
    const hasNet = new Map<string, boolean>();
    const netOf = async (id: string) => {
      if (!hasNet.has(id)) {
        const mode = ((await client.inspectContainer(id)) as { HostConfig?: { NetworkMode?: string } }).HostConfig?.NetworkMode;
        hasNet.set(id, mode !== 'host' && mode !== 'none');
      }
      return hasNet.get(id) ?? true;
    };
    const noStream = bool(p.flags['no-stream']);
    let printing = Promise.resolve();
    const print = async (stats: LibpodStats[]) => {
      const rows = [];
      for (const s of stats) rows.push(statsRow(s, noTrunc, await netOf(s.ContainerID)));
      if (!noStream && process.stdout.isTTY) out('\x1b[2J\x1b[H');
      // Podman's own JSON for stats (not the template's field names), indented by one
      if (format === 'json')
        printJson(
          rows.map((r) => ({ id: r.ID, name: r.Name, cpu_time: r.UpTime, cpu_percent: r.CPUPerc, avg_cpu: r.AVGCPU, mem_usage: r.MemUsage, mem_percent: r.MemPerc, net_io: r.NetIO, block_io: r.BlockIO, pids: r.PIDS })),
          ' ',
        );
      else renderList({ name: 'stats', headers: STATS_HEADERS, fields: STATS_FIELDS, defaultRow: STATS_ROW }, format, rows, false);
    };
    const intervalMs = Math.max(1, Number(p.flags.interval ?? 5)) * 1000;
    await client.observe.stats(names, { stream: !noStream, intervalMs, all: bool(p.flags.all) || bool(p.flags.latest) }, (stats) => {
      printing = printing.then(() => print(stats));
    });
    await printing;
    return 0;
  },
};

// ---- system df

export const dfCommand: CommandDef = {
  name: 'df',
  usage: 'tspod system df [options]',
  description: 'Show tspod disk usage',
  flags: [
    { name: 'format', type: 'string', help: 'Pretty-print images using a Go template' },
    { name: 'verbose', short: 'v', type: 'bool', help: 'Show detailed information on disk usage' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const du = await ctx.client.observe.df();
    const sum = <T>(list: T[], f: (x: T) => number) => list.reduce((a, x) => a + f(x), 0);
    // as Podman's summary: the images' sizes, the unused ones' reclaimable
    const layers = sum(du.Images, (i) => i.Size);
    const unusedImg = sum(du.Images.filter((i) => i.Containers === 0), (i) => i.Size);
    const ctrSize = sum(du.Containers, (c) => c.RWSize);
    const idleCtr = sum(du.Containers.filter((c) => c.Status !== 'running'), (c) => c.RWSize);
    const volSize = sum(du.Volumes, (v) => v.Size);
    const volReclaim = sum(du.Volumes, (v) => v.ReclaimableSize);
    const reclaim = (r: number, t: number) => `${humanSize(r)} (${t > 0 ? Math.round((r / t) * 100) : 0}%)`;
    if (bool(p.flags.verbose)) {
      if (p.flags.format !== undefined) throw new EngineError('invalid-argument', 'cannot combine --format and --verbose flags');
      out(`Images space usage:\n\n${columns([
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
        ...du.Images.map((i) => [i.Repository, i.Tag, i.ImageID.slice(0, 12), imageCreatedAgo(Date.parse(i.Created)), humanSize(i.Size), humanSize(i.SharedSize), humanSize(i.UniqueSize), String(i.Containers)]),
      ])}\nContainers space usage:\n\n${columns([
        ['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'],
        ...du.Containers.map((c) => [c.ContainerID.slice(0, 12), c.Image.slice(0, 12), c.Command.join(' ').slice(0, 20), String(c.LocalVolumes), humanSize(c.Size), timeAgo(Date.parse(c.Created)), c.Status, c.Names]),
      ])}\nLocal Volumes space usage:\n\n${columns([['VOLUME NAME', 'LINKS', 'SIZE'], ...du.Volumes.map((v) => [v.VolumeName, String(v.Links), goUnitsHumanSize(v.Size)])])}`);
      return 0;
    }
    const rows = [
      { Type: 'Images', Total: du.Images.length, Active: du.Images.filter((i) => i.Containers > 0).length, Size: humanSize(Math.max(0, layers)), Reclaimable: reclaim(unusedImg, layers), RawSize: layers, RawReclaimable: unusedImg },
      { Type: 'Containers', Total: du.Containers.length, Active: du.Containers.filter((c) => c.Status === 'running').length, Size: humanSize(ctrSize), Reclaimable: reclaim(idleCtr, ctrSize), RawSize: ctrSize, RawReclaimable: idleCtr },
      { Type: 'Local Volumes', Total: du.Volumes.length, Active: du.Volumes.filter((v) => v.Links > 0).length, Size: humanSize(volSize), Reclaimable: reclaim(volReclaim, volSize), RawSize: volSize, RawReclaimable: volReclaim },
    ];
    const format = str(p.flags.format);
    if (format === 'json') {
      printJson(rows);
      return 0;
    }
    renderList(
      {
        name: 'df',
        headers: { Type: 'type', Total: 'total', Active: 'active', Size: 'size', Reclaimable: 'reclaimable' },
        fields: ['Type', 'Total', 'Active', 'Size', 'Reclaimable', 'RawSize', 'RawReclaimable'],
        defaultRow: '{{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      },
      format,
      rows,
      false,
    );
    return 0;
  },
};

/** Columns as Go's tabwriter aligns them (padding 2, the last one unpadded). */
function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)) + 2);
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('')}\n`).join('');
}

// ---- attach

export const attachCommand: CommandDef = {
  name: 'attach',
  usage: 'tspod attach [options] CONTAINER',
  description: 'Attach to a running container',
  flags: [
    { name: 'detach-keys', type: 'string', help: 'Select the key sequence for detaching a container (default "ctrl-p,ctrl-q")' },
    { name: 'no-stdin', type: 'bool', help: 'Do not attach STDIN. The default is false' },
    { name: 'sig-proxy', type: 'bool', default: true, help: 'Proxy received signals to the container process' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    const client = ctx.client;
    const name = bool(p.flags.latest) ? (await client.listContainers({ all: true, filters: new Map() }))[0]?.Id : p.args[0];
    if (!name) throw new UsageError('attach requires the name or id of one running container or the latest flag');
    const b = await client.brief(name);
    if (!b.running) throw new EngineError('state-improper', 'you can only attach to running containers');
    const term = userTerminal({ tty: b.tty, stdin: b.stdin && !bool(p.flags['no-stdin']), detachKeys: str(p.flags['detach-keys']) ?? DEFAULT_DETACH_KEYS });
    const { signalProxy } = await import('./containers');
    const sigProxy = bool(p.flags['sig-proxy']);
    const proxy = client.remote ? (require('../../remote/signals') as typeof import('../../remote/signals')).remoteSignalProxy(client, b.id, sigProxy) : signalProxy(sigProxy);
    if (!client.remote) proxy.setPid(((await client.inspectContainer(b.id)) as { State: { Pid: number } }).State.Pid);
    try {
      const code = await Promise.race([client.attach(b.id, term.streams), term.detached.then(() => undefined)]);
      return code ?? 0; // detached: the container runs on
    } finally {
      term.restore();
      proxy.stop();
    }
  },
};

// ---- events

export const eventsCommand: CommandDef = {
  name: 'events',
  usage: 'tspod events [options]',
  description: 'Show tspod events',
  flags: [
    { name: 'filter', short: 'f', type: 'array', help: 'filter output' },
    { name: 'format', type: 'string', help: 'format the output using a Go template' },
    { name: 'since', type: 'string', help: 'show all events created since timestamp' },
    { name: 'until', type: 'string', help: 'show all events until timestamp' },
    { name: 'stream', type: 'bool', default: true, help: 'stream events and do not exit after reading the log' },
    { name: 'no-trunc', type: 'bool', default: true, help: 'do not truncate the output' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const filters = parseEventFilters(arr(p.flags.filter));
    const sinceText = str(p.flags.since) ?? filters.get('since')?.[0];
    const untilText = str(p.flags.until) ?? filters.get('until')?.[0];
    const since = sinceText !== undefined ? parseEventTime(sinceText) : undefined;
    const until = untilText !== undefined ? parseEventTime(untilText) : undefined;
    const format = str(p.flags.format);
    const truncate = !bool(p.flags['no-trunc']); // the line's id only: --format always shows the full one
    const print = (ev: EngineEvent) => {
      if (!eventMatches(ev, filters)) return;
      if (format === 'json') out(`${goJSON(podmanEventObject(ev, false))}\n`);
      else if (format) renderFormat(format, [podmanEventObject(ev, true)]);
      else out(`${podmanEventLine(truncate ? truncatedEvent(ev) : ev)}\n`);
    };
    await ctx.client.observe.events({ since, until, stream: bool(p.flags.stream) }, print);
    return 0;
  },
};

/** --no-trunc=false: a full 64-hex id is shown by its first 12 digits. */
function truncatedEvent(ev: EngineEvent): EngineEvent {
  return /^[0-9a-f]{64}$/.test(ev.ID) ? { ...ev, ID: ev.ID.slice(0, 12) } : ev;
}

export const OBSERVE_COMMANDS = [cpCommand, topCommand, statsCommand, attachCommand, eventsCommand];
