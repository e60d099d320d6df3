// `pod top` and `pod stats` over the local engine: the one implementation the
// CLI (both transports) and the libpod API's /pods/{name}/top and /pods/stats use.
import type { LocalEngine } from '../container/engine';
import type { PodRecord } from '../storage/records';
import { EngineError } from '../errors';
import { containerProcesses, podmanTop, psEf, type ProcInfo } from '../container/top';
import { bytesSize, goUnitsHumanSize } from '../format/units';
import { getPod, listPods, podMembers } from './pods';

// loaded when a sample is taken: its process-usage dependency stays out of the CLI's start-up snapshot
const statsModule = (): typeof import('../container/stats') => require('../container/stats');

export interface PodTopTable {
  Titles: string[];
  Processes: string[][];
}

/** Podman's `pod stats` record (one per running container of the pod). */
export interface PodStatsEntry {
  Pod: string;
  CID: string;
  Name: string;
  CPU: string;
  MemUsage: string;
  MemUsageBytes: string;
  Mem: string;
  NetIO: string;
  BlockIO: string;
  PIDS: string;
}

const DESCRIPTORS: Record<string, string> = { args: 'COMMAND', comm: 'COMMAND', pid: 'PID', ppid: 'PPID', user: 'USER', time: 'TIME', etime: 'ELAPSED', tty: 'TTY', pcpu: '%CPU', group: 'GROUP', nice: 'NI' };

/** The processes of every running container of the pod, in Podman's top table; psArgs: `-ef` or descriptors (args,pid,...). */
export function podTop(engine: LocalEngine, ref: string, psArgs?: string): PodTopTable {
  const procs: ProcInfo[] = [];
  for (const c of podMembers(engine, getPod(engine, ref)).filter((m) => m.state.status === 'running')) procs.push(...containerProcesses(engine, c.id).procs);
  if (psArgs === '-ef') return psEf(procs);
  const table = podmanTop(procs);
  if (!psArgs) return table;
  // descriptors as Podman's: the default table's columns, picked
  const wanted = psArgs.split(',').map((d) => DESCRIPTORS[d.trim()]);
  if (wanted.some((w) => !w)) throw new EngineError('invalid-argument', `unknown descriptor in ${psArgs}: invalid argument`);
  const cols = wanted.map((w) => table.Titles.indexOf(w));
  return { Titles: wanted, Processes: table.Processes.map((row) => cols.map((i) => row[i])) };
}

/** The pods asked for (all of them without names), with Podman's wording when one is missing. */
export function podsForStats(engine: LocalEngine, refs: string[], all: boolean): PodRecord[] {
  try {
    return all || refs.length === 0 ? listPods(engine) : refs.map((n) => getPod(engine, n));
  } catch (err) {
    if (err instanceof EngineError) throw new EngineError(err.kind, `unable to get list of pods: ${err.message}`, err.cause_);
    throw err;
  }
}

// Podman's pod stats values (pkg/domain/infra/abi/pods_stats.go): a zero is "--"
const combineHuman = (a: number, b: number) => (a === 0 && b === 0 ? '-- / --' : `${goUnitsHumanSize(a)} / ${goUnitsHumanSize(b)}`);
const combineBytes = (a: number, b: number) => (a === 0 && b === 0 ? '-- / --' : `${bytesSize(a)} / ${bytesSize(b)}`);
const percentOrDashes = (f: number) => (f ? `${f.toFixed(2)}%` : '--');

/** One sample of every container of the pods, oldest first; one that does not run has only "--", as Podman's. */
export async function podStats(engine: LocalEngine, pods: PodRecord[]): Promise<PodStatsEntry[]> {
  const { blkioTotals, cpuPercentSinceStart, memUsed, netTotals, sampleStats } = statsModule();
  const out: PodStatsEntry[] = [];
  for (const pod of pods)
    for (const c of podMembers(engine, pod).sort((x, y) => (x.created < y.created ? -1 : x.created > y.created ? 1 : 0))) {
      const s = c.state.status === 'running' ? await sampleStats(c) : undefined;
      const net = s ? netTotals(s) : { rx: 0, tx: 0 };
      const io = s ? blkioTotals(s) : { read: 0, write: 0 };
      const used = s ? memUsed(s) : 0;
      const limit = s?.memLimit ?? 0;
      // Podman's key order
      out.push({
        CPU: percentOrDashes(s ? cpuPercentSinceStart(s, c.state.startedAt) : 0),
        MemUsage: combineHuman(used, limit),
        MemUsageBytes: combineBytes(used, limit),
        Mem: percentOrDashes(limit ? (used / limit) * 100 : 0),
        NetIO: combineHuman(net.rx, net.tx),
        BlockIO: combineHuman(io.read, io.write),
        PIDS: s?.pids ? String(s.pids) : '--',
        Pod: pod.id.slice(0, 12),
        CID: c.id.slice(0, 12),
        Name: c.name,
      });
    }
  return out;
}
