// --privileged: every device node of the host's /dev, as Podman passes them
// (its getDevices walk: no pts, shm, fd, mqueue, console or symlinks). In
// systemd mode the /dev/tty* nodes stay out, so systemd in the container does
// not start gettys on the host's consoles (Podman #15895).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Device } from './runtime-spec';

const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
/** A bound on the walk: /dev is small, but it is not ours. */
const MAX_DEVICES = 4096;

export function hostDevices(systemdMode: boolean, exclude: Set<string>, dir = '/dev', out: Device[] = []): Device[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (out.length >= MAX_DEVICES) break;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) hostDevices(systemdMode, exclude, p, out);
      continue;
    }
    if (e.name === 'console' || e.isSymbolicLink() || !(e.isCharacterDevice() || e.isBlockDevice())) continue;
    if (exclude.has(p) || (systemdMode && p.startsWith('/dev/tty'))) continue;
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(p, { bigint: true });
    } catch {
      continue; // gone meanwhile
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
    const rdev = st.rdev; // glibc's major()/minor()
    out.push({
      path: p,
      type: st.isBlockDevice() ? 'b' : 'c',
      major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n)),
      minor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n)),
      fileMode: Number(st.mode & 0o777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
    });
  }
  return out;
}
