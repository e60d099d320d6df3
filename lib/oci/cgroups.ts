// What the host's cgroups offer (v1 hierarchies or the v2 unified tree) and
// what a container's cgroup recorded: the runtime creates that cgroup at
// cgroupsPath and removes it at `delete`, so it is read before then.
import * as fs from 'node:fs';
import * as path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup the runtime creates for a container (cgroupfs manager), under each v1 hierarchy or the v2 tree. */
export const containerCgroupsPath = (id: string) => `/tspod/tspod-${id}`;

export function cgroupV2(): boolean {
  return fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));
}

/** Where a v1 controller's hierarchy is mounted with its root at "/" (the runtime puts cgroupsPath under it). */
export function v1ControllerDir(controller: string, mountinfo = read('/proc/self/mountinfo')): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[sep + 1] !== 'cgroup' || f[3] !== '/') continue;
    if ((f[sep + 3] ?? '').split(',').includes(controller)) return f[4];
  }
  return undefined;
}

/** A limit the kernel can apply here; Podman warns and drops the others. */
export interface CgroupSupport {
  swap: boolean;
  blkioWeight: boolean;
  oomKillDisable: boolean;
  swappiness: boolean;
}

export function cgroupSupport(): CgroupSupport {
  if (cgroupV2()) {
    const controllers = read(path.join(CGROUP_ROOT, 'cgroup.controllers')).split(/\s+/);
    return { swap: controllers.includes('memory') && !!swapTotal(), blkioWeight: controllers.includes('io'), oomKillDisable: false, swappiness: false };
  }
  const memory = v1ControllerDir('memory');
  const blkio = v1ControllerDir('blkio');
  return {
    swap: !!memory && fs.existsSync(path.join(memory, 'memory.memsw.limit_in_bytes')),
    blkioWeight: !!blkio && (fs.existsSync(path.join(blkio, 'blkio.weight')) || fs.existsSync(path.join(blkio, 'blkio.bfq.weight'))),
    oomKillDisable: !!memory,
    swappiness: !!memory && fs.existsSync(path.join(memory, 'memory.swappiness')),
  };
}

function swapTotal(): number {
  const m = /^SwapTotal:\s+(\d+)/m.exec(read('/proc/meminfo'));
  return m ? Number(m[1]) : 0;
}

/** How many processes the OOM killer killed in a container's cgroup (undefined: no such cgroup). */
export function oomKillCount(cgroupsPath: string): number | undefined {
  const file = cgroupV2()
    ? path.join(CGROUP_ROOT, cgroupsPath, 'memory.events')
    : (() => {
        const dir = v1ControllerDir('memory');
        return dir && path.join(dir, cgroupsPath, 'memory.oom_control');
      })();
  if (!file) return undefined;
  const text = read(file);
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
