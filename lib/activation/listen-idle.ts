// Is a --listen container busy? Counted from the listener's own view of the
// kernel's socket tables: accepted connections live in the network namespace of
// the listening socket (the listener's, not the container's), so
// /proc/self/net/{tcp,tcp6,unix} list every connection the container serves,
// and those still in the accept queue. Cheap (a few KiB of text per sample),
// no extra privileges, no netlink code; good enough for a per-second decision.
import * as fs from 'node:fs';
import type { ListenAddress } from './listen-address';

const TCP_ESTABLISHED = '01';
const SS_CONNECTED = '03';

function read(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(1);
  } catch {
    return [];
  }
}

/** Established connections whose local end is one of the --listen sockets. */
export function establishedConnections(sockets: ListenAddress[]): number {
  let n = 0;
  const ports = new Set(sockets.flatMap((s) => (s.kind === 'tcp' ? [s.port.toString(16).toUpperCase().padStart(4, '0')] : [])));
  if (ports.size) {
    for (const line of [...read('/proc/self/net/tcp'), ...read('/proc/self/net/tcp6')]) {
      // sl local_address rem_address st ...
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== TCP_ESTABLISHED) continue;
      if (ports.has(f[1].slice(f[1].lastIndexOf(':') + 1))) n++;
    }
  }
  const paths = new Set(sockets.flatMap((s) => (s.kind === 'unix' ? [s.path] : [])));
  if (paths.size) {
    // Num RefCount Protocol Flags Type St Inode Path: an accepted socket carries the listener's path
    for (const line of read('/proc/self/net/unix')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 8 && f[5] === SS_CONNECTED && paths.has(f.slice(7).join(' '))) n++;
    }
  }
  return n;
}
