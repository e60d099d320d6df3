// Whether the runtime can find our cgroups through the cgroup v1 mounts we see.
//
// runc (without a cgroup namespace) sets up a container's /sys/fs/cgroup by
// binding, for each v1 hierarchy, its mount point plus the container's cgroup
// path taken relative to that mount's root (from /proc/self/mountinfo). Inside
// another container that can go wrong: Podman's --systemd=always on cgroup v1
// binds the host's whole name=systemd hierarchy over the runtime's own mount of
// the container's subtree, so /sys/fs/cgroup/systemd is mounted twice with
// different roots; runc resolves against the lower one, gets "../tspod-<id>" and
// fails: `error mounting "cgroup" to rootfs at "/sys/fs/cgroup": stat
// /sys/fs/cgroup/tspod-<id>: no such file or directory`. A cgroup namespace
// avoids the path arithmetic altogether (runc mounts each hierarchy afresh,
// rooted at the container's cgroup), so tspod gives the container one then.
import * as fs from 'node:fs';

/** super-block options of a v1 cgroup mount that are not controller names */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

interface V1Mount {
  mountPoint: string;
  root: string;
  controllers: string[];
}

function v1Mounts(mountinfo: string): V1Mount[] {
  const out: V1Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[sep + 1] !== 'cgroup') continue;
    const controllers = (f[sep + 3] ?? '').split(',').filter((o) => o.startsWith('name=') || (/^[a-z_]+$/.test(o) && !NOT_CONTROLLERS.has(o)));
    out.push({ mountPoint: f[4], root: f[3], controllers });
  }
  return out;
}

/** hierarchy controllers (as /proc/self/cgroup names them, e.g. "cpu,cpuacct", "name=systemd") → our path */
function ownCgroups(procCgroup: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m && m[1]) for (const c of m[1].split(',')) out.set(c, m[2]);
  }
  return out;
}

/**
 * True when a v1 hierarchy is mounted more than once on the same mount point,
 * or our own cgroup lies outside the root of the mount that shows it: the
 * runtime's bind of the container's cgroup would then miss.
 */
export function cgroupPathsAmbiguous(mountinfo = read('/proc/self/mountinfo'), procCgroup = read('/proc/self/cgroup')): boolean {
  const mounts = v1Mounts(mountinfo);
  const points = mounts.map((m) => m.mountPoint);
  if (new Set(points).size !== points.length) return true;
  const own = ownCgroups(procCgroup);
  for (const m of mounts) {
    for (const c of m.controllers) {
      const p = own.get(c);
      if (p === undefined) continue;
      const root = m.root.endsWith('/') ? m.root : `${m.root}/`;
      if (p !== m.root && !p.startsWith(root) && m.root !== '/') return true;
    }
  }
  return false;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
