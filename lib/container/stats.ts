// Resource usage of a running container (`stats`, the stats endpoints): the
// container's cgroup (v1 controllers, or v2) for CPU, memory, pids and block
// I/O, pidusage over its processes where the cgroup does not say, and the
// network devices of its network namespace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pidusage from 'pidusage';
import type { LocalEngine } from './engine';
import type { ContainerRecord } from '../storage/records';
import { containerPids } from './top';
import { EngineError } from '../errors';

export interface NetDev {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** One sample. CPU times are nanoseconds. */
export interface StatsSample {
  id: string;
  name: string;
  read: string; // RFC 3339
  running: boolean;
  cpuTotalNs: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  /** the host's total CPU time (all CPUs), for Docker's percentage */
  systemCpuNs: number;
  onlineCpus: number;
  memUsage: number;
  memLimit: number;
  memStats: Record<string, number>;
  pids: number;
  pidsLimit: number;
  networks: Record<string, NetDev>;
  blkio: BlkioEntry[];
}

const CLK_TCK = 100;

function read(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** controller -> cgroup directory of pid (v1), or '' -> the v2 directory. */
function cgroupDirs(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (read(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, ctrls, rel] = m;
    if (ctrls === '') {
      const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
      out.set('', path.join(v2, rel));
      continue;
    }
    for (const c of ctrls.split(',')) {
      const base = path.join('/sys/fs/cgroup', ctrls);
      const dir = fs.existsSync(base) ? base : path.join('/sys/fs/cgroup', c);
      out.set(c.replace(/^name=/, ''), path.join(dir, rel));
    }
  }
  return out;
}

function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

function systemCpuNs(): number {
  const line = (read('/proc/stat') ?? '').split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
  return (ticks * 1e9) / CLK_TCK;
}

function netDevs(pid: number): Record<string, NetDev> {
  const out: Record<string, NetDev> = {};
  for (const line of (read(`/proc/${pid}/net/dev`) ?? '').split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = { rxBytes: f[0], rxPackets: f[1], rxErrors: f[2], rxDropped: f[3], txBytes: f[8], txPackets: f[9], txErrors: f[10], txDropped: f[11] };
  }
  return out;
}

function blkioV1(dir: string | undefined): BlkioEntry[] {
  if (!dir) return [];
  const text = read(path.join(dir, 'blkio.throttle.io_service_bytes_recursive')) ?? read(path.join(dir, 'blkio.throttle.io_service_bytes'));
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3].toLowerCase(), value: Number(m[4]) });
  }
  return out;
}

function blkioV2(dir: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (read(path.join(dir, 'io.stat')) ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const kv = Object.fromEntries(m[3].split(' ').map((x) => x.split('=')));
    out.push({ major: Number(m[1]), minor: Number(m[2]), op: 'read', value: Number(kv.rbytes ?? 0) });
    out.push({ major: Number(m[1]), minor: Number(m[2]), op: 'write', value: Number(kv.wbytes ?? 0) });
  }
  return out;
}

/** One sample of the container's resource usage (zeros when it is not running). */
export async function sampleStats(rec: ContainerRecord): Promise<StatsSample> {
  const s: StatsSample = {
    id: rec.id,
    name: rec.name,
    read: new Date().toISOString(),
    running: false,
    cpuTotalNs: 0,
    cpuUserNs: 0,
    cpuSystemNs: 0,
    systemCpuNs: systemCpuNs(),
    onlineCpus: os.cpus().length,
    memUsage: 0,
    memLimit: os.totalmem(),
    memStats: {},
    pids: 0,
    pidsLimit: 0,
    networks: {},
    blkio: [],
  };
  const pids = containerPids(rec);
  if (pids.length === 0) return s;
  s.running = true;
  s.pids = pids.length;
  const dirs = cgroupDirs(rec.state.pid);
  const v2 = dirs.get('');
  const mem = dirs.get('memory');
  const cpuacct = dirs.get('cpuacct');
  let cpuFromCgroup = false;
  if (mem && fs.existsSync(mem)) {
    s.memUsage = num(read(path.join(mem, 'memory.usage_in_bytes'))) ?? 0;
    const limit = num(read(path.join(mem, 'memory.limit_in_bytes')));
    if (limit !== undefined && limit < s.memLimit) s.memLimit = limit;
    s.memStats = keyValues(read(path.join(mem, 'memory.stat')));
  } else if (v2 && fs.existsSync(path.join(v2, 'memory.current'))) {
    s.memUsage = num(read(path.join(v2, 'memory.current'))) ?? 0;
    const limit = num(read(path.join(v2, 'memory.max')));
    if (limit !== undefined && limit < s.memLimit) s.memLimit = limit;
    s.memStats = keyValues(read(path.join(v2, 'memory.stat')));
  }
  if (cpuacct && fs.existsSync(path.join(cpuacct, 'cpuacct.usage'))) {
    s.cpuTotalNs = num(read(path.join(cpuacct, 'cpuacct.usage'))) ?? 0;
    const kv = keyValues(read(path.join(cpuacct, 'cpuacct.stat')));
    s.cpuUserNs = ((kv.user ?? 0) * 1e9) / CLK_TCK;
    s.cpuSystemNs = ((kv.system ?? 0) * 1e9) / CLK_TCK;
    cpuFromCgroup = true;
  } else if (v2 && fs.existsSync(path.join(v2, 'cpu.stat'))) {
    const kv = keyValues(read(path.join(v2, 'cpu.stat')));
    s.cpuTotalNs = (kv.usage_usec ?? 0) * 1000;
    s.cpuUserNs = (kv.user_usec ?? 0) * 1000;
    s.cpuSystemNs = (kv.system_usec ?? 0) * 1000;
    cpuFromCgroup = true;
  }
  const pidsDir = dirs.get('pids') ?? v2;
  if (pidsDir) {
    const cur = num(read(path.join(pidsDir, 'pids.current')));
    if (cur !== undefined) s.pids = cur;
    const max = num(read(path.join(pidsDir, 'pids.max')));
    if (max !== undefined && Number.isFinite(max)) s.pidsLimit = max;
  }
  if (!cpuFromCgroup || s.memUsage === 0) {
    // No cgroup figures: what the processes themselves use.
    let usage: Record<string, { ctime: number; memory: number }> = {};
    try {
      usage = (await pidusage(pids)) as unknown as Record<string, { ctime: number; memory: number }>;
    } catch {
      /* processes went away meanwhile */
    }
    const all = Object.values(usage).filter(Boolean);
    if (!cpuFromCgroup) s.cpuTotalNs = all.reduce((a, u) => a + u.ctime, 0) * 1e6;
    if (s.memUsage === 0) s.memUsage = all.reduce((a, u) => a + u.memory, 0);
  }
  if (rec.config.network !== 'host') s.networks = netDevs(rec.state.pid);
  s.blkio = v2 && !dirs.get('blkio') ? blkioV2(v2) : blkioV1(dirs.get('blkio'));
  return s;
}

export async function containerStats(engine: LocalEngine, idOrName: string): Promise<StatsSample> {
  return sampleStats(engine.get(idOrName));
}

/** Docker's idea of used memory: without the inactive page cache. */
export function memUsed(s: StatsSample): number {
  const inactive = s.memStats.total_inactive_file ?? s.memStats.inactive_file ?? 0;
  return inactive < s.memUsage ? s.memUsage - inactive : s.memUsage;
}

/** CPU percentage between two samples, Docker's formula. */
export function cpuPercent(cur: StatsSample, prev: StatsSample | undefined): number {
  if (!prev) return 0;
  const cpu = cur.cpuTotalNs - prev.cpuTotalNs;
  const sys = cur.systemCpuNs - prev.systemCpuNs;
  if (cpu <= 0 || sys <= 0) return 0;
  return (cpu / sys) * cur.onlineCpus * 100;
}

/** CPU percentage since the container started (Podman's AvgCPU, and its first sample's CPU): CPU time over wall time. */
export function cpuPercentSinceStart(cur: StatsSample, startedAt: string): number {
  const wallNs = startedAt ? (Date.now() - Date.parse(startedAt)) * 1e6 : 0;
  return wallNs > 0 && cur.cpuTotalNs > 0 ? (cur.cpuTotalNs / wallNs) * 100 : 0;
}

export function blkioTotals(s: StatsSample): { read: number; write: number } {
  let r = 0;
  let w = 0;
  for (const e of s.blkio) {
    if (e.op === 'read') r += e.value;
    else if (e.op === 'write') w += e.value;
  }
  return { read: r, write: w };
}

export function netTotals(s: StatsSample): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks)) {
    rx += n.rxBytes;
    tx += n.txBytes;
  }
  return { rx, tx };
}

/** Docker's stats JSON from a sample and the one before it. */
export function dockerStats(cur: StatsSample, prev: StatsSample | undefined): Record<string, unknown> {
  const cpu = (s: StatsSample | undefined) => ({
    cpu_usage: {
      total_usage: s?.cpuTotalNs ?? 0,
      usage_in_kernelmode: s?.cpuSystemNs ?? 0,
      usage_in_usermode: s?.cpuUserNs ?? 0,
    },
    system_cpu_usage: s?.systemCpuNs ?? 0,
    online_cpus: s?.onlineCpus ?? 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  const networks: Record<string, unknown> = {};
  for (const [k, n] of Object.entries(cur.networks))
    networks[k] = {
      rx_bytes: n.rxBytes,
      rx_packets: n.rxPackets,
      rx_errors: n.rxErrors,
      rx_dropped: n.rxDropped,
      tx_bytes: n.txBytes,
      tx_packets: n.txPackets,
      tx_errors: n.txErrors,
      tx_dropped: n.txDropped,
    };
  return {
    read: cur.read,
    preread: prev?.read ?? '0001-01-01T00:00:00Z',
    id: cur.id,
    name: `/${cur.name}`,
    num_procs: 0,
    pids_stats: { current: cur.pids, ...(cur.pidsLimit ? { limit: cur.pidsLimit } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: cur.blkio.map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: e.value })),
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    cpu_stats: cpu(cur),
    precpu_stats: cpu(prev),
    memory_stats: cur.running ? { usage: cur.memUsage, limit: cur.memLimit, stats: cur.memStats } : {},
    networks,
    storage_stats: {},
  };
}

/** Podman's libpod stats entry (GET /libpod/containers/stats) of a sample and the one before it. */
export function libpodStatsEntry(cur: StatsSample, prev: StatsSample | undefined, startedAt: string) {
  const avg = cpuPercentSinceStart(cur, startedAt);
  const cpu = prev ? cpuPercent(cur, prev) : avg; // a first sample: since the start, as Podman's
  const blk = blkioTotals(cur);
  const net = netTotals(cur);
  const used = memUsed(cur);
  return {
    AvgCPU: avg,
    ContainerID: cur.id,
    Name: cur.name,
    PerCPU: null,
    CPU: cpu,
    CPUNano: Math.round(cur.cpuTotalNs),
    CPUSystemNano: Math.round(cur.cpuSystemNs),
    SystemNano: Date.now() * 1e6,
    MemUsage: used,
    MemLimit: cur.memLimit,
    MemPerc: cur.memLimit ? (used / cur.memLimit) * 100 : 0,
    NetInput: net.rx,
    NetOutput: net.tx,
    BlockInput: blk.read,
    BlockOutput: blk.write,
    PIDs: cur.pids,
    UpTime: startedAt ? (Date.now() - Date.parse(startedAt)) * 1e6 : 0,
    Duration: startedAt ? (Date.now() - Date.parse(startedAt)) * 1e6 : 0,
  };
}

export type LibpodStats = ReturnType<typeof libpodStatsEntry>;

/**
 * Stats reports as Podman's stats loop makes them: the named containers (all
 * running ones when none), a first sample reported at once (its CPU % is the
 * average since the container started, as Podman's); streaming, then one
 * report per interval (CPU % over the interval), until the consumer stops. A
 * container gone meanwhile ends it with the engine's error.
 */
export async function* statsReports(engine: LocalEngine, names: string[], opts: { stream: boolean; intervalMs: number; all?: boolean }): AsyncGenerator<LibpodStats[]> {
  const recs = () => {
    if (names.length === 0) return engine.list().filter((c) => c.state.status === 'running');
    const named = names.map((n) => engine.get(n));
    // a named container must run (tspod's remote `stats --all` names stopped ones too: reported, not refused)
    const stopped = opts.all ? undefined : named.find((r) => r.state.status !== 'running');
    if (stopped) throw new EngineError('state-improper', `container ${stopped.id} is not running: container state improper`);
    return named;
  };
  let prev = new Map<string, StatsSample>();
  const round = async () => {
    const out: LibpodStats[] = [];
    const next = new Map<string, StatsSample>();
    for (const r of recs()) {
      const cur = await sampleStats(r);
      next.set(r.id, cur);
      out.push(libpodStatsEntry(cur, prev.get(r.id), r.state.startedAt));
    }
    prev = next;
    return out;
  };
  yield await round();
  while (opts.stream) {
    await sleep(opts.intervalMs);
    yield await round();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
