// Sockets as /proc shows them: the fds of a process that are sockets, and the
// socket tables of a network namespace (/proc/PID/net/{tcp,tcp6,udp,udp6,unix},
// read through a process in that namespace). Processes may exit while we read:
// a vanished file is an empty answer, never an error.
import * as fs from 'node:fs';

export type SocketProto = 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';

export interface SocketEntry {
  proto: SocketProto;
  local: string;
  remote: string;
  state: string;
  inode: number;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};
// A udp socket is ESTABLISHED once connected, else CLOSE, which ss shows as UNCONN.
const UDP_STATES: Record<string, string> = { '01': 'ESTABLISHED', '07': 'UNCONN' };

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return ''; // gone (ENOENT, ESRCH) or not ours to read
  }
}

/** `0100007F:1F90` -> `127.0.0.1:8080`; 32 hex digits for IPv6 (four little-endian words). */
export function decodeInetAddress(hex: string, v6: boolean): string | undefined {
  const m = (v6 ? /^([0-9A-F]{32}):([0-9A-F]{4})$/ : /^([0-9A-F]{8}):([0-9A-F]{4})$/).exec(hex);
  if (!m) return undefined;
  const port = parseInt(m[2], 16);
  const words = m[1].match(/.{8}/g) as string[];
  const bytes: number[] = [];
  for (const w of words) for (let i = 3; i >= 0; i--) bytes.push(parseInt(w.slice(i * 2, i * 2 + 2), 16));
  if (!v6) return `${bytes.join('.')}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return `[${compressV6(groups)}]:${port}`;
}

/** RFC 5952: the longest run (2+) of zero groups becomes `::`. */
function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** One of /proc/net/{tcp,tcp6,udp,udp6}; malformed lines are skipped. */
export function parseInetTable(text: string, proto: Exclude<SocketProto, 'unix'>): SocketEntry[] {
  const v6 = proto.endsWith('6');
  const states = proto.startsWith('tcp') ? TCP_STATES : UDP_STATES;
  const out: SocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+$/.test(f[9])) continue;
    const local = decodeInetAddress(f[1], v6);
    const remote = decodeInetAddress(f[2], v6);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isSafeInteger(inode) || inode === 0) continue;
    const state = states[f[3]] ?? f[3];
    const unconnected = remote === '0.0.0.0:0' || remote === '[::]:0';
    out.push({ proto, local, remote: unconnected ? '' : remote, state, inode });
  }
  return out;
}

const SO_ACCEPTCON = 0x10000;
const UNIX_STATES: Record<string, string> = { '01': 'UNCONNECTED', '02': 'CONNECTING', '03': 'CONNECTED', '04': 'DISCONNECTING' };

/** /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`; a listening socket has SO_ACCEPTCON. */
export function parseUnixTable(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*[0-9a-fA-F]+:\s+[0-9A-F]+\s+[0-9A-F]+\s+([0-9A-F]+)\s+([0-9A-F]{4})\s+([0-9A-F]{2})\s+(\d+)(?:\s(.*))?$/.exec(line);
    if (!m) continue;
    const inode = Number(m[4]);
    if (!Number.isSafeInteger(inode) || inode === 0) continue;
    const listening = (parseInt(m[1], 16) & SO_ACCEPTCON) !== 0;
    out.push({ proto: 'unix', local: m[5] ?? '', remote: '', state: listening ? 'LISTEN' : (UNIX_STATES[m[3]] ?? m[3]), inode });
  }
  return out;
}

/** Every socket of the network namespace `pid` is in, by inode. */
export function netnsSockets(pid: number): Map<number, SocketEntry> {
  const out = new Map<number, SocketEntry>();
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const)
    for (const e of parseInetTable(readOrEmpty(`/proc/${pid}/net/${proto}`), proto)) out.set(e.inode, e);
  for (const e of parseUnixTable(readOrEmpty(`/proc/${pid}/net/unix`))) out.set(e.inode, e);
  return out;
}

/** The network namespace of a process (`net:[N]`), undefined when it is gone. */
export function netnsOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** The socket fds of a process with their inodes, by fd number; empty when it is gone. */
export function socketFds(pid: number): { fd: number; inode: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: { fd: number; inode: number }[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && Number.isSafeInteger(Number(m[1]))) out.push({ fd: Number(name), inode: Number(m[1]) });
  }
  return out.sort((a, b) => a.fd - b.fd);
}
