// `tspod tree`: who holds which socket. For one container: the attached CLI,
// the monitor and the container's processes, each with its socket fds, read
// from /proc; a socket is `Activated` when its inode is one the monitor
// recorded as passed through LISTEN_FDS. Socket tables come from every network
// namespace among those processes (an activated socket lives in the namespace
// that created it, not necessarily the container's), read through a process in
// that namespace.
import * as fs from 'node:fs';
import type { LocalEngine } from '../container/engine';
import type { ContainerRecord } from '../storage/records';
import { bundleDir } from '../storage/paths';
import { containerPids, readProc, type ProcInfo } from '../container/top';
import { readActivatedInodes } from '../activation/activated-sockets';
import { attachedCliPid } from './attached-cli';
import { netnsOf, netnsSockets, socketFds, type SocketEntry, type SocketProto } from './proc-sockets';

export type ProcessRole = 'cli' | 'monitor' | 'container';

export interface TreeSocket {
  Fd: number;
  Proto: SocketProto;
  Local: string;
  Remote: string;
  State: string;
  Inode: number;
  Activated: boolean;
}

export interface TreeProcess {
  Pid: number;
  PPid: number;
  Command: string;
  Role: ProcessRole;
  Sockets: TreeSocket[];
}

export interface ContainerTree {
  Id: string;
  Name: string;
  Processes: TreeProcess[];
}

const command = (p: ProcInfo) => (p.args.length > 0 ? p.args.join(' ') : `[${p.comm}]`);

/** The monitor's pid when it still lives: a reused pid has another working directory than the bundle. */
function monitorPid(rec: ContainerRecord, bundle: string): number | undefined {
  const pid = rec.state.conmonPid;
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`) === bundle ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A --listen container's listener (tspod-conmon --listen), which holds its sockets while it is scaled to zero. */
function listenerPid(rec: ContainerRecord): number | undefined {
  const pid = rec.state.listenerPid;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return undefined;
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('--listen') && args.some((a) => a.includes(rec.id)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function containerTree(engine: LocalEngine, idOrName: string): ContainerTree {
  const rec = engine.get(idOrName);
  const bundle = bundleDir(engine.paths, rec.id);
  const members: { pid: number; role: ProcessRole }[] = [];
  const cli = attachedCliPid(bundle);
  if (cli !== undefined) members.push({ pid: cli, role: 'cli' });
  const monitor = monitorPid(rec, bundle);
  if (monitor !== undefined) members.push({ pid: monitor, role: 'monitor' });
  const listener = listenerPid(rec);
  if (listener !== undefined) members.push({ pid: listener, role: 'monitor' });
  for (const pid of containerPids(rec)) members.push({ pid, role: 'container' });

  // inode -> socket, over the network namespaces of all the members
  const tables = new Map<number, SocketEntry>();
  const seen = new Set<string>();
  for (const m of members) {
    const ns = netnsOf(m.pid);
    if (ns === undefined || seen.has(ns)) continue;
    seen.add(ns);
    for (const [inode, e] of netnsSockets(m.pid)) tables.set(inode, e);
  }
  const activated = readActivatedInodes(bundle);
  // the listener's fds 3.. are the --listen sockets, the very ones the container gets as LISTEN_FDS
  if (listener !== undefined)
    for (const { fd, inode } of socketFds(listener)) if (fd >= 3 && fd < 3 + (rec.config.listen?.length ?? 0)) activated.add(inode);

  const processes: TreeProcess[] = [];
  for (const m of members) {
    const info = readProc(m.pid);
    if (!info) continue; // exited while we looked
    const sockets: TreeSocket[] = [];
    for (const { fd, inode } of socketFds(m.pid)) {
      const e = tables.get(inode);
      if (!e) continue; // netlink, packet, ...: not one of the kinds tree shows
      sockets.push({ Fd: fd, Proto: e.proto, Local: e.local, Remote: e.remote, State: e.state, Inode: inode, Activated: activated.has(inode) });
    }
    processes.push({ Pid: info.pid, PPid: info.ppid, Command: command(info), Role: m.role, Sockets: sockets });
  }
  return { Id: rec.id, Name: rec.name, Processes: processes };
}

// ---- text

function socketLine(s: TreeSocket): string {
  const ends = s.Remote ? `${s.Local || '-'} -> ${s.Remote}` : s.Local || '-';
  return `fd ${s.Fd}: ${s.Proto} ${ends} ${s.State}${s.Activated ? ' activated' : ''}`;
}

/** The monitor's command line carries its whole configuration: the text shows the start of a long one (JSON has it all). */
const TEXT_COMMAND_MAX = 96;
const shortCommand = (c: string) => (c.length > TEXT_COMMAND_MAX ? `${c.slice(0, TEXT_COMMAND_MAX - 3)}...` : c);

/** One block: the container, then its processes as a tree (by parent pid), each with its sockets. */
export function renderTree(t: ContainerTree): string {
  const lines = [`${t.Id.slice(0, 12)} ${t.Name}`];
  const pids = new Set(t.Processes.map((p) => p.Pid));
  const children = new Map<number, TreeProcess[]>();
  const roots: TreeProcess[] = [];
  for (const p of t.Processes) {
    if (pids.has(p.PPid) && p.PPid !== p.Pid) children.set(p.PPid, [...(children.get(p.PPid) ?? []), p]);
    else roots.push(p);
  }
  const shown = new Set<number>();
  const walk = (p: TreeProcess, prefix: string, last: boolean, top: boolean): void => {
    if (shown.has(p.Pid)) return; // a cycle cannot happen in /proc, but a torn read could fake one
    shown.add(p.Pid);
    const branch = top ? '' : last ? '└─ ' : '├─ ';
    const role = p.Role === 'container' ? '' : `${p.Role} `;
    lines.push(`${prefix}${branch}${role}${p.Pid} ${shortCommand(p.Command)}`);
    const inner = prefix + (top ? '' : last ? '   ' : '│  ');
    const kids = children.get(p.Pid) ?? [];
    for (const s of p.Sockets) lines.push(`${inner}${kids.length ? '│' : ' '}    ${socketLine(s)}`);
    kids.forEach((c, i) => walk(c, inner, i === kids.length - 1, false));
  };
  roots.forEach((r) => walk(r, '  ', true, true));
  if (!t.Processes.length) lines.push('  (no processes: the container is not running)');
  return `${lines.join('\n')}\n`;
}
