// What the host's cgroups offer (v1 hierarchies or the v2 unified tree) and
// what a container's cgroup recorded: the runtime creates that cgroup at
// cgroupsPath and removes it at `delete`, so it is read before then.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';

const CGROUP_ROOT = '/sys/fs/cgroup';

export type CgroupManager = 'cgroupfs' | 'systemd';

/**
 * The spec's cgroupsPath: a path for the cgroupfs manager; for systemd the
 * runtime's "slice:prefix:name" form, a transient tspod-ID.scope in machine.slice as Podman's.
 */
export const containerCgroupsPath = (id: string, manager: CgroupManager = 'cgroupfs') =>
  manager === 'systemd' ? `machine.slice:tspod:${id}` : `/tspod/tspod-${id}`;

/** Where that cgroup is, under each v1 hierarchy or the v2 tree. */
export const containerCgroupDir = (id: string, manager: CgroupManager = 'cgroupfs') =>
  manager === 'systemd' ? `/machine.slice/tspod-${id}.scope` : `/tspod/tspod-${id}`;

/**
 * The manager for a new container: --cgroup-manager, else containers.conf's
 * cgroup_manager, else cgroupfs (tspod's default; Podman's is systemd where
 * systemd runs). systemd without a running systemd falls back, with Podman's warning.
 */
export function chooseCgroupManager(requested: string | undefined, warn: (msg: string) => void): CgroupManager {
  const name = requested ?? 'cgroupfs';
  if (name !== 'cgroupfs' && name !== 'systemd') throw new EngineError('invalid-argument', `invalid cgroup manager ${JSON.stringify(name)}: must be "cgroupfs" or "systemd"`);
  if (name === 'systemd' && !systemdRunning()) {
    warn('The cgroup manager is set to systemd but systemd is not running here: falling back to --cgroup-manager=cgroupfs');
    return 'cgroupfs';
  }
  return name;
}

/** sd_booted(), made stricter: a leftover /run/systemd/system is not enough, the manager's private socket must be there. */
function systemdRunning(): boolean {
  try {
    return fs.statSync('/run/systemd/system').isDirectory() && fs.statSync('/run/systemd/private').isSocket();
  } catch {
    return false;
  }
}

export function cgroupV2(): boolean {
  return fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));
}

const CGROUP_SUPER_MAGIC = 0x27e0eb;
// The layout does not change under a running process: one answer per controller.
const controllerDirs = new Map<string, string | undefined>();

/**
 * Where a v1 controller's hierarchy is mounted with its root at "/" (the runtime puts cgroupsPath under it).
 * The usual /sys/fs/cgroup/CONTROLLER is checked with a statfs first: /proc/self/mountinfo grows with
 * every container's mounts and reading it while containers mount and unmount can take seconds
 * (it held the API service's event loop for 2 s under a 100-client churn).
 */
export function v1ControllerDir(controller: string, mountinfo?: string): string | undefined {
  if (mountinfo !== undefined) return v1ControllerDirIn(controller, mountinfo);
  if (!controllerDirs.has(controller)) controllerDirs.set(controller, usualV1ControllerDir(controller) ?? v1ControllerDirIn(controller, read('/proc/self/mountinfo')));
  return controllerDirs.get(controller);
}

/** /sys/fs/cgroup/CONTROLLER when it is that controller's hierarchy and shows this process's own cgroup (so its root is "/"); undefined when unsure. */
function usualV1ControllerDir(controller: string): string | undefined {
  const dir = path.join(CGROUP_ROOT, controller);
  try {
    if (fs.statfsSync(dir).type !== CGROUP_SUPER_MAGIC) return undefined;
    // /proc/self/cgroup: "ID:controllers:path"; the path must exist below the mount (a subtree bind-mounted there would not show it)
    const own = read('/proc/self/cgroup')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f.length >= 3 && f[1].split(',').includes(controller));
    if (!own) return undefined;
    const real = fs.realpathSync(dir);
    const ownDir = path.join(real, own.slice(2).join(':'));
    // the controller's own files (memory.*, blkio.*) say it is that controller's hierarchy; else mountinfo decides
    const hasFiles = fs.readdirSync(ownDir).some((f) => f.startsWith(`${controller}.`));
    return hasFiles ? real : undefined;
  } catch {
    return undefined;
  }
}

function v1ControllerDirIn(controller: string, mountinfo: string): string | undefined {
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
  // The host's cgroup layout does not change under a running process (the API service asks at every inspect,
  // and /proc/self/mountinfo grows with every container's mounts).
  return (support ??= probeCgroupSupport());
}
let support: CgroupSupport | undefined;

function probeCgroupSupport(): CgroupSupport {
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
