// Looking into containers: cp, top, stats, and `system df`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandDef, CliContext } from '../command';
import { out } from '../command';
import { bool, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { extractTar, getArchive, packTar, putArchive, statContainerPath } from '../../container/archive';
import { readTarEntries } from '../../storage/layer';
import { imageConfig } from '../../image';
import { containerProcesses, podmanTop } from '../../container/top';
import { blkioTotals, cpuPercent, memUsed, netTotals, sampleStats, type StatsSample } from '../../container/stats';
import { diskUsage } from '../../container/df';
import { renderList, printJson } from '../output';
import { goUnitsHumanSize, humanSize } from '../../format/units';
import { arr } from '../parse';
import { attachRunning } from '../../container/attach';
import { userTerminal } from '../../terminal/user-terminal';
import { DEFAULT_DETACH_KEYS } from '../../terminal/detach-keys';
import type { EngineEvent } from '../../events/journal';
import { eventMatches, parseEventFilters, parseEventTime, podmanEventLine, podmanEventObject } from '../../events/query';
import { FileTail } from '../../storage/file-tail';
import { eventsFile } from '../../storage/paths';
import { goJSON } from '../../format/gotemplate';
import { renderFormat } from '../output';

// ---- cp

/** `ctr:path` or a host path (a path with a slash before any colon is a host path). */
function splitCpArg(arg: string): { ctr?: string; path: string } {
  const i = arg.indexOf(':');
  if (i <= 0 || arg.slice(0, i).includes('/') || arg.startsWith('.')) return { path: arg };
  return { ctr: arg.slice(0, i), path: arg.slice(i + 1) || '/' };
}

const contentOnly = (p: string) => /\/\.$/.test(p);

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** The fd of this process that dest names through its links (/dev/stdout -> /proc/self/fd/1), if it does. */
function ownFdOf(dest: string): number | undefined {
  let p = path.resolve(dest);
  for (let hops = 0; hops < 16; hops++) {
    const m = /^\/(?:proc\/self|proc\/thread-self|dev)\/fd\/(\d+)$/.exec(p);
    if (m) return Number(m[1]);
    if (!lstatOrUndefined(p)?.isSymbolicLink()) return undefined;
    p = path.resolve(path.dirname(p), fs.readlinkSync(p));
  }
  return undefined;
}

/**
 * Writes the single file of a tar into the existing host destination dest,
 * opened as the user named it (symlinks followed, a device or FIFO written to,
 * a dangling link's target created): /dev/stdout prints, /dev/null discards.
 */
async function writeThrough(tar: Readable, dest: string, src: string): Promise<void> {
  let written = false;
  await readTarEntries(tar, async (h, body) => {
    if (written || (h.type !== 'file' && h.type !== 'contiguous-file')) {
      for await (const _ of body); // drain
      if (!written) throw new EngineError('invalid-argument', `cannot copy "${src}" onto "${dest}": not a regular file`);
      return;
    }
    written = true;
    const { O_WRONLY, O_CREAT, O_TRUNC } = fs.constants;
    const own = ownFdOf(dest);
    const out =
      own !== undefined
        ? fs.createWriteStream('', { fd: own, autoClose: false }) // a socket cannot be reopened through /proc
        : fs.createWriteStream('', { fd: fs.openSync(dest, O_WRONLY | O_CREAT | O_TRUNC, 0o644) });
    await pipeline(Readable.from(body), out);
  });
  if (!written) throw new EngineError('invalid-argument', `cannot copy "${src}" onto "${dest}": not a regular file`);
}

/** A container path as cp takes it: relative ones start at the container's working directory. */
function inWorkdir(ctx: CliContext, ctr: string, p: string): string {
  if (p.startsWith('/')) return p;
  const rec = ctx.engine.get(ctr);
  let dir = rec.config.workdir;
  if (!dir) {
    try {
      dir = imageConfig(ctx.engine.paths, rec.imageId).config?.WorkingDir ?? '';
    } catch {
      dir = '';
    }
  }
  return `${(dir || '/').replace(/\/+$/, '')}/${p}`;
}

/** What cp copies into a container: whether it is a directory, and a tar of it whose top entry is named name. */
interface CpSource {
  /** the source's own name (its base name) */
  name: string;
  isDir: boolean;
  /** contentOnly: the source ends in `/.` (a directory's content, not the directory) */
  contentOnly: boolean;
  tar(name: string): { tar: Readable; rebase?: { from: string; to: string } };
}

function hostSource(src: string): CpSource {
  const host = path.resolve(src);
  const st = lstatOrUndefined(host);
  if (!st) throw new EngineError('invalid-argument', `"${src}" could not be found on the host: no such file or directory`);
  return { name: path.basename(host), isDir: st.isDirectory(), contentOnly: contentOnly(src), tar: (name) => ({ tar: packTar(host, name) }) };
}

function containerSource(ctx: CliContext, ctr: string, src: string): CpSource {
  const stat = statContainerPath(ctx.engine, ctr, src);
  return {
    name: stat.name,
    isDir: (stat.mode & 0x80000000) !== 0,
    contentOnly: contentOnly(src),
    tar: (name) => ({ tar: getArchive(ctx.engine, ctr, src).tar, rebase: { from: stat.name, to: name === '.' ? '' : name } }),
  };
}

async function copyFromContainer(ctx: CliContext, ctr: string, src: string, dest: string, overwrite: boolean): Promise<void> {
  const { stat, tar } = getArchive(ctx.engine, ctr, src);
  if (dest === '-') {
    await new Promise<void>((resolve, reject) => {
      tar.on('error', reject);
      tar.on('end', resolve);
      tar.pipe(process.stdout, { end: false });
    });
    return;
  }
  const srcIsDir = (stat.mode & 0x80000000) !== 0;
  const lst = lstatOrUndefined(dest);
  // An existing symlink, device or FIFO is the user's: followed and written through (#21), never replaced.
  const st = lst?.isSymbolicLink() ? statOrUndefined(dest) ?? lst : lst;
  if (lst && !st?.isDirectory() && !lst.isFile()) {
    if (srcIsDir) {
      tar.destroy();
      throw new EngineError('invalid-argument', `cannot copy a directory to a file: "${dest}" is not a directory`);
    }
    await writeThrough(tar, dest, src);
    return;
  }
  // Extracted with the destination directory as the root: nothing from the container's tar
  // (a symlink it names, an entry's parents) reaches past it.
  const noOverwriteDirNonDir = !overwrite;
  if (st?.isDirectory()) {
    await extractTar(path.resolve(dest), '/', tar, contentOnly(src) && srcIsDir ? { rebase: { from: stat.name, to: '' }, noOverwriteDirNonDir } : { noOverwriteDirNonDir });
    return;
  }
  if (st && srcIsDir) {
    tar.destroy();
    throw new EngineError('invalid-argument', `cannot copy a directory to a file: "${dest}" is not a directory`);
  }
  if (!st && /\/$/.test(dest)) {
    tar.destroy();
    throw new EngineError('invalid-argument', `"${dest}" could not be found on the host`);
  }
  const parent = path.dirname(path.resolve(dest));
  if (!lstatOrUndefined(parent)?.isDirectory()) {
    tar.destroy();
    throw new EngineError('invalid-argument', `"${parent}" could not be found on the host: no such file or directory`);
  }
  await extractTar(parent, '/', tar, { rebase: { from: stat.name, to: path.basename(dest) }, noOverwriteDirNonDir });
}

async function copyToContainer(ctx: CliContext, src: CpSource, ctr: string, dest: string, overwrite: boolean): Promise<void> {
  const put = async (at: string, name: string) => {
    const { tar, rebase } = src.tar(name);
    await putArchive(ctx.engine, ctr, at, tar, { noOverwriteDirNonDir: !overwrite, ...(rebase ? { rebase } : {}) });
  };
  let destStat;
  try {
    destStat = statContainerPath(ctx.engine, ctr, dest);
  } catch (err) {
    if (!(err instanceof EngineError && err.kind === 'no-such-object')) throw err;
  }
  const destIsDir = destStat !== undefined && ((destStat.mode & 0x80000000) !== 0 || (destStat.linkTarget !== '' && isDirIn(ctx, ctr, destStat.linkTarget)));
  if (destIsDir) {
    await put(dest, src.contentOnly && src.isDir ? '.' : src.name);
    return;
  }
  if (destStat && src.isDir) throw new EngineError('invalid-argument', `cannot copy a directory to a file: "${dest}" is not a directory`);
  if (!destStat && /\/$/.test(dest)) throw new EngineError('invalid-argument', `"${dest}" could not be found on container ${ctr}: no such file or directory`);
  const parent = path.posix.dirname(path.posix.resolve('/', dest));
  await put(parent, path.posix.basename(path.posix.resolve('/', dest)));
}

function isDirIn(ctx: CliContext, ctr: string, p: string): boolean {
  try {
    return (statContainerPath(ctx.engine, ctr, p).mode & 0x80000000) !== 0;
  } catch {
    return false;
  }
}

export const cpCommand: CommandDef = {
  name: 'cp',
  usage: 'tspod cp [options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', type: 'bool', default: true, help: 'Chown copied files to the primary uid/gid of the destination container.' },
    { name: 'overwrite', type: 'bool', help: 'Allow to overwrite directories with non-directories and vice versa' },
    // Podman pauses a running container during the copy; tspod resolves every path in the
    // container's root with the kernel and works on held fds, so nothing is paused (either value).
    { name: 'pause', type: 'bool', default: true, help: 'Pause the container while copying (tspod never needs to)' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    const [a, b] = p.args.map(splitCpArg).map((arg) => (arg.ctr ? { ctr: arg.ctr, path: inWorkdir(ctx, arg.ctr, arg.path) } : arg));
    if (!a.ctr && !b.ctr) throw new UsageError('invalid arguments "' + p.args.join('", "') + '" you must use just one container');
    const overwrite = bool(p.flags.overwrite);
    if (!a.ctr && a.path === '-' && b.ctr) {
      await putArchive(ctx.engine, b.ctr, b.path, process.stdin, { noOverwriteDirNonDir: !overwrite }); // a tar on stdin, into a directory
      return 0;
    }
    if (a.ctr && b.ctr) await copyToContainer(ctx, containerSource(ctx, a.ctr, a.path), b.ctr, b.path, overwrite);
    else if (a.ctr) await copyFromContainer(ctx, a.ctr, a.path, b.path, overwrite);
    else if (b.ctr) await copyToContainer(ctx, hostSource(a.path), b.ctr, b.path, overwrite);
    return 0;
  },
};

// ---- top

export const topCommand: CommandDef = {
  name: 'top',
  usage: 'tspod top [options] CONTAINER [FORMAT-DESCRIPTORS|ARGS...]',
  description: 'Display the running processes of a container',
  flags: [{ name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container' }],
  minArgs: 1,
  run(ctx, p) {
    let id = p.args[0];
    if (bool(p.flags.latest)) id = ctx.engine.list().pop()?.id ?? id;
    const t = podmanTop(containerProcesses(ctx.engine, id).procs);
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
  AvgCPU: 'avg cpu %',
  UpTime: 'cpu time',
};
const STATS_FIELDS = ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDS', 'AvgCPU', 'CPU', 'MemUsageBytes', 'UpTime', 'ContainerID', 'ContainerStats'];
const STATS_ROW = '{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}';

const pct = (f: number) => `${f.toFixed(2)}%`;
const pair = (a: number, b: number) => `${goUnitsHumanSize(a)} / ${goUnitsHumanSize(b)}`;

function statsRow(cur: StatsSample, prev: StatsSample | undefined, noTrunc: boolean, hasNet: boolean) {
  const cpu = cpuPercent(cur, prev);
  const used = memUsed(cur);
  const net = netTotals(cur);
  const blk = blkioTotals(cur);
  return {
    ID: noTrunc ? cur.id : cur.id.slice(0, 12),
    ContainerID: cur.id,
    Name: cur.name,
    CPUPerc: pct(cpu),
    AvgCPU: pct(cpu),
    CPU: cpu,
    MemUsage: pair(used, cur.memLimit),
    MemUsageBytes: `${humanSize(used)} / ${humanSize(cur.memLimit)}`,
    MemPerc: pct(cur.memLimit ? (used / cur.memLimit) * 100 : 0),
    NetIO: hasNet ? pair(net.rx, net.tx) : '-- / --',
    BlockIO: pair(blk.read, blk.write),
    PIDS: String(cur.pids),
    UpTime: `${(cur.cpuTotalNs / 1e9).toFixed(6)}s`,
    ContainerStats: { CPU: cpu, MemUsage: used, MemLimit: cur.memLimit, PIDs: cur.pids, NetInput: net.rx, NetOutput: net.tx, BlockInput: blk.read, BlockOutput: blk.write },
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
    const pick = () => {
      if (p.args.length > 0) return p.args.map((a) => ctx.engine.get(a));
      const all = ctx.engine.list();
      if (bool(p.flags.latest)) return all.slice(-1);
      return bool(p.flags.all) ? all : all.filter((c) => c.state.status === 'running');
    };
    for (const r of pick())
      if (p.args.length > 0 && r.state.status !== 'running')
        throw new EngineError('state-improper', `container ${r.id} is not running: container state improper`);
    const noTrunc = bool(p.flags['no-trunc']);
    const format = str(p.flags.format);
    let prev = new Map<string, StatsSample>();
    const round = async () => {
      const next = new Map<string, StatsSample>();
      const rows = [];
      for (const r of pick()) {
        const cur = await sampleStats(r);
        next.set(r.id, cur);
        rows.push(statsRow(cur, prev.get(r.id), noTrunc, r.config.network !== 'host' && r.config.network !== 'none'));
      }
      prev = next;
      return rows;
    };
    const print = (rows: Awaited<ReturnType<typeof round>>) => {
      if (format === 'json') printJson(rows.map(({ ContainerStats: _s, ...r }) => r));
      else renderList({ name: 'stats', headers: STATS_HEADERS, fields: STATS_FIELDS, defaultRow: STATS_ROW }, format, rows, false);
    };
    await round();
    await new Promise((r) => setTimeout(r, 500));
    if (bool(p.flags['no-stream'])) {
      print(await round());
      return 0;
    }
    const interval = Math.max(1, Number(p.flags.interval ?? 5)) * 1000;
    for (;;) {
      const rows = await round();
      if (process.stdout.isTTY) out('\x1b[2J\x1b[H');
      print(rows);
      await new Promise((r) => setTimeout(r, interval));
    }
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
  run(ctx, p) {
    const du = diskUsage(ctx.engine);
    const activeImages = du.images.filter((i) => i.containers > 0);
    const imgSize = du.images.reduce((a, i) => a + i.size, 0) - du.images.reduce((a, i) => a + i.sharedSize, 0) / 1;
    const unusedImg = du.images.filter((i) => i.containers === 0).reduce((a, i) => a + i.uniqueSize, 0);
    const ctrSize = du.containers.reduce((a, c) => a + c.sizeRw, 0);
    const idleCtr = du.containers.filter((c) => c.ctr.state.status !== 'running').reduce((a, c) => a + c.sizeRw, 0);
    const reclaim = (r: number, t: number) => `${humanSize(r)} (${t > 0 ? Math.round((r / t) * 100) : 0}%)`;
    const rows = [
      { Type: 'Images', Total: du.images.length, Active: activeImages.length, Size: humanSize(Math.max(0, du.layersSize || imgSize)), Reclaimable: reclaim(unusedImg, du.layersSize || imgSize), RawSize: du.layersSize || imgSize, RawReclaimable: unusedImg },
      { Type: 'Containers', Total: du.containers.length, Active: du.containers.filter((c) => c.ctr.state.status === 'running').length, Size: humanSize(ctrSize), Reclaimable: reclaim(idleCtr, ctrSize), RawSize: ctrSize, RawReclaimable: idleCtr },
      { Type: 'Local Volumes', Total: 0, Active: 0, Size: humanSize(0), Reclaimable: reclaim(0, 0), RawSize: 0, RawReclaimable: 0 },
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
    const name = bool(p.flags.latest) ? ctx.engine.list().pop()?.id : p.args[0];
    if (!name) throw new UsageError('attach requires the name or id of one running container or the latest flag');
    const rec = ctx.engine.get(name);
    if (rec.state.status !== 'running') throw new EngineError('state-improper', 'you can only attach to running containers');
    const term = userTerminal({ tty: rec.config.tty, stdin: rec.config.stdin && !bool(p.flags['no-stdin']), detachKeys: str(p.flags['detach-keys']) ?? DEFAULT_DETACH_KEYS });
    const { signalProxy } = await import('./containers');
    const proxy = signalProxy(bool(p.flags['sig-proxy']));
    proxy.setPid(rec.state.pid);
    try {
      const code = await Promise.race([attachRunning(ctx.engine, rec.id, term.streams), term.detached.then(() => undefined)]);
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
    const print = (ev: EngineEvent) => {
      const ms = ev.TimeNano / 1e6;
      if ((since !== undefined && ms < since) || (until !== undefined && ms > until) || !eventMatches(ev, filters)) return;
      if (format === 'json') out(`${goJSON(podmanEventObject(ev, false))}\n`);
      else if (format) renderFormat(format, [podmanEventObject(ev, true)]);
      else out(`${podmanEventLine(ev)}\n`);
    };
    const printLines = (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) {
        try {
          print(JSON.parse(line) as EngineEvent);
        } catch {
          /* a torn line */
        }
      }
    };
    // As Podman's file backend: what was logged so far, then (streaming) what comes.
    const tail = new FileTail(eventsFile(ctx.engine.paths), 0);
    printLines(tail.read());
    if (!bool(p.flags.stream) || (until !== undefined && until <= Date.now())) return 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        printLines(tail.read());
        if (until !== undefined && Date.now() > until) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
    return 0;
  },
};

export const OBSERVE_COMMANDS = [cpCommand, topCommand, statsCommand, attachCommand, eventsCommand];
