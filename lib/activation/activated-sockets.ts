// Which sockets came in through LISTEN_FDS: the monitor records the inodes of
// the fds it passes (or, for --listen, holds) once at start, in the bundle;
// `tspod tree` reads the record to mark those sockets `activated` wherever
// they are held. An inode names one socket for its whole life, whoever holds it.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ACTIVATED_SOCKETS_FILE = 'activated-sockets.json';

export interface ActivatedSocket {
  /** the fd number in the monitor (the container gets the same numbers) */
  fd: number;
  inode: number;
}

/** Records the sockets behind `fds` (non-sockets are left out), replacing an earlier record. */
export function recordActivatedSockets(bundle: string, fds: number[]): void {
  const sockets: ActivatedSocket[] = [];
  for (const fd of fds) {
    try {
      const st = fs.fstatSync(fd);
      if (st.isSocket()) sockets.push({ fd, inode: st.ino });
    } catch {
      /* not open: nothing to record */
    }
  }
  const file = path.join(bundle, ACTIVATED_SOCKETS_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify({ sockets }), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** The recorded inodes; empty when there is no (valid) record. */
export function readActivatedInodes(bundle: string): Set<number> {
  const out = new Set<number>();
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(bundle, ACTIVATED_SOCKETS_FILE), 'utf8'));
  } catch {
    return out;
  }
  const sockets = (doc as { sockets?: unknown } | null)?.sockets;
  if (!Array.isArray(sockets)) return out;
  for (const s of sockets) {
    const inode = (s as { inode?: unknown } | null)?.inode;
    if (typeof inode === 'number' && Number.isSafeInteger(inode) && inode > 0) out.add(inode);
  }
  return out;
}
