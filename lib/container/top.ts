// The processes of a running container (`top`, the top endpoints, stats):
// every pid whose pid namespace is the container init's, read from /proc.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { LocalEngine } from './engine';
import { EngineError } from '../errors';
import type { ContainerRecord } from '../storage/records';
import { goDurationString } from '../format/units';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** the pid inside the process's own pid namespace */
  nsPid: number;
  uid: number;
  /** user + system time, in clock ticks */
  cpuTicks: number;
  /** start time, in clock ticks after boot */
  startTicks: number;
  ttyNr: number;
  comm: string;
  args: string[];
}

const CLK_TCK = 100; // Linux's USER_HZ on every architecture Node runs on

function readOrUndefined(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function nsOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

export function readProc(pid: number): ProcInfo | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  const status = readOrUndefined(`/proc/${pid}/status`);
  if (!stat || !status) return undefined;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' '); // f[0] is field 3 (state)
  const nsPids = (/^NSpid:\s+(.*)$/m.exec(status)?.[1] ?? String(pid)).trim().split(/\s+/);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const cmdline = readOrUndefined(`/proc/${pid}/cmdline`) ?? '';
  const args = cmdline.split('\0').filter((a, i, all) => !(a === '' && i === all.length - 1));
  return {
    pid,
    ppid: Number(f[1]),
    nsPid: Number(nsPids[nsPids.length - 1]),
    uid,
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTicks: Number(f[19]),
    ttyNr: Number(f[4]),
    comm,
    args,
  };
}

/** The pids in the container's pid namespace (its init first), or [] when it is not running. */
export function containerPids(rec: ContainerRecord): number[] {
  if (rec.state.status !== 'running' || !rec.state.pid) return [];
  const ns = nsOf(rec.state.pid);
  if (!ns) return [];
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (nsOf(pid) === ns) out.push(pid);
  }
  // The host's own pid namespace (--pid=host): only the container's process tree.
  if (ns === nsOf(process.pid)) return descendants(rec.state.pid);
  return out.sort((a, b) => (a === rec.state.pid ? -1 : b === rec.state.pid ? 1 : a - b));
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

export function containerProcesses(engine: LocalEngine, idOrName: string): { rec: ContainerRecord; procs: ProcInfo[] } {
  const rec = engine.get(idOrName);
  if (rec.state.status !== 'running')
    throw new EngineError('state-improper', 'top can only be used on running containers'); // Podman 4.3.1's words
  const procs = containerPids(rec)
    .map(readProc)
    .filter((p): p is ProcInfo => p !== undefined);
  return { rec, procs };
}

// ---- rendering

function bootTimeSec(): number {
  const m = /^btime (\d+)/m.exec(readOrUndefined('/proc/stat') ?? '');
  return m ? Number(m[1]) : Math.floor(Date.now() / 1000 - os.uptime());
}

let users: Map<number, string> | undefined;
function userName(uid: number): string {
  if (!users) {
    users = new Map();
    for (const line of (readOrUndefined('/etc/passwd') ?? '').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && !users.has(Number(f[2]))) users.set(Number(f[2]), f[0]);
    }
  }
  return users.get(uid) ?? String(uid);
}

function ttyName(nr: number): string {
  if (!nr) return '?';
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  if (major === 136) return `pts/${minor}`;
  if (major === 4) return `tty${minor}`;
  return '?';
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function cpuTime(ticks: number): string {
  let s = Math.floor(ticks / CLK_TCK);
  const d = Math.floor(s / 86400);
  s %= 86400;
  const hms = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  return d > 0 ? `${d}-${hms}` : hms;
}

function elapsed(p: ProcInfo, boot: number): number {
  return Math.max(0, Date.now() / 1000 - (boot + p.startTicks / CLK_TCK));
}

const cmd = (p: ProcInfo) => (p.args.length > 0 ? p.args.join(' ') : `[${p.comm}]`);

/** `ps -ef` columns, as Docker's top answers by default. */
export function psEf(procs: ProcInfo[]): { Titles: string[]; Processes: string[][] } {
  const boot = bootTimeSec();
  const now = new Date();
  return {
    Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    Processes: procs.map((p) => {
      const start = new Date((boot + p.startTicks / CLK_TCK) * 1000);
      const el = elapsed(p, boot);
      const c = el > 0 ? Math.floor(((p.cpuTicks / CLK_TCK) / el) * 100) : 0;
      const stime =
        start.toDateString() === now.toDateString()
          ? `${pad2(start.getHours())}:${pad2(start.getMinutes())}`
          : `${start.toLocaleString('en-US', { month: 'short' })}${pad2(start.getDate())}`;
      return [userName(p.uid), String(p.pid), String(p.ppid), String(c), stime, ttyName(p.ttyNr), cpuTime(p.cpuTicks), cmd(p)];
    }),
  };
}

/** Go's Duration.String for a number of seconds (Podman's ELAPSED). */
const etime = (sec: number): string => goDurationString(sec * 1e9);

/** Podman's default descriptors: user pid ppid pcpu etime tty time args. */
export function podmanTop(procs: ProcInfo[]): { Titles: string[]; Processes: string[][] } {
  const boot = bootTimeSec();
  const inNs = new Map(procs.map((p) => [p.pid, p.nsPid]));
  return {
    Titles: ['USER', 'PID', 'PPID', '%CPU', 'ELAPSED', 'TTY', 'TIME', 'COMMAND'],
    Processes: procs.map((p) => {
      const el = elapsed(p, boot);
      const pcpu = el > 0 ? ((p.cpuTicks / CLK_TCK) / el) * 100 : 0;
      return [userName(p.uid), String(p.nsPid), String(inNs.get(p.ppid) ?? 0), pcpu.toFixed(3), etime(el), ttyName(p.ttyNr), `${Math.floor(p.cpuTicks / CLK_TCK)}s`, cmd(p)];
    }),
  };
}
