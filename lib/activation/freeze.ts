// Freezing a --listen container's processes for the listener's idle stop
// (cgroup freezer, v1 or v2): frozen, it accepts no connection between the
// listener's last look at its connections and the stop signal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { v1ControllerDir } from '../oci/cgroups';
import { sleepSync } from '../sleep-sync';

interface Freezer {
  file: string;
  frozen: string;
  thawed: string;
  isFrozen(): boolean;
}

const readText = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The freezer of pid's cgroup when that cgroup is the container's own (tspod-ID), else undefined. */
function freezerOf(pid: number, id: string): Freezer | undefined {
  const lines = readText(`/proc/${pid}/cgroup`).split('\n').map((l) => l.split(':'));
  // never a shared cgroup (a rootless container runs in its user's): only the container's own
  const own = (p: string) => path.basename(p) === `tspod-${id}` || path.basename(p) === `tspod-${id}.scope`;
  const v1 = lines.find((f) => f.length >= 3 && f[1].split(',').includes('freezer'));
  if (v1) {
    const rel = v1.slice(2).join(':');
    const dir = v1ControllerDir('freezer');
    if (!dir || !own(rel)) return undefined;
    const file = path.join(dir, rel, 'freezer.state');
    return { file, frozen: 'FROZEN', thawed: 'THAWED', isFrozen: () => readText(file).trim() === 'FROZEN' };
  }
  const unified = lines.find((f) => f.length >= 3 && f[0] === '0' && f[1] === '');
  if (!unified || !own(unified.slice(2).join(':'))) return undefined;
  const dir = path.join('/sys/fs/cgroup', unified.slice(2).join(':'));
  if (!fs.existsSync(path.join(dir, 'cgroup.freeze'))) return undefined;
  return { file: path.join(dir, 'cgroup.freeze'), frozen: '1', thawed: '0', isFrozen: () => /^frozen 1$/m.test(readText(path.join(dir, 'cgroup.events'))) };
}

/** Freezes the container (pid in it) and waits, bounded, until it is; returns how to thaw it, or undefined when it cannot. */
export function freezeContainer(pid: number, id: string): (() => void) | undefined {
  const f = freezerOf(pid, id);
  if (!f) return undefined;
  const thaw = () => {
    try {
      fs.writeFileSync(f.file, f.thawed);
    } catch {
      /* gone with the container */
    }
  };
  try {
    fs.writeFileSync(f.file, f.frozen);
  } catch {
    return undefined;
  }
  for (let i = 0; i < 100; i++) {
    if (f.isFrozen()) return thaw;
    sleepSync(2);
  }
  thaw(); // not frozen within 200 ms: as if there were no freezer
  return undefined;
}
