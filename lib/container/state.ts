// A container's live state: the record says what was last written; the
// monitor's exit file says whether a running container has since exited.
import * as fs from 'node:fs';
import type { ContainerRecord } from '../storage/records';
import { type StoragePaths, exitFile } from '../storage/paths';
import { containerCgroupDir, oomKillCount } from '../oci/cgroups';

export interface ExitInfo {
  code: number;
  finishedAt: string;
}

export function readExitFile(paths: StoragePaths, id: string): ExitInfo | undefined {
  const file = exitFile(paths, id);
  try {
    const text = fs.readFileSync(file, 'utf8');
    const st = fs.statSync(file);
    return { code: Number(text.trim()), finishedAt: st.mtime.toISOString() };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Applies what happened since the record was written; returns true when it changed. */
export function syncState(paths: StoragePaths, ctr: ContainerRecord): boolean {
  const s = ctr.state;
  if (s.status !== 'running') return false;
  const exit = readExitFile(paths, ctr.id);
  if (exit) {
    s.status = 'exited';
    s.paused = false;
    delete s.stopping;
    s.exitCode = exit.code;
    s.finishedAt = exit.finishedAt;
    s.pid = 0;
    // The runtime's `delete` removes the cgroup: read its OOM kills before (every caller records the exit first).
    s.oomKilled = (oomKillCount(containerCgroupDir(ctr.id, ctr.config.cgroupManager)) ?? 0) > 0;
    return true;
  }
  // The monitor died without an exit file (killed with -9): the container may still run.
  if (!alive(s.conmonPid) && !alive(s.pid)) {
    s.status = 'exited';
    delete s.stopping;
    s.exitCode = -1;
    s.finishedAt = new Date().toISOString();
    s.pid = 0;
    return true;
  }
  return false;
}

/** Resolves when the exit file appears (or the monitor and container are both gone). */
export function waitForExit(paths: StoragePaths, ctr: ContainerRecord, timeoutMs = 0): Promise<ExitInfo | undefined> {
  return new Promise((resolve) => {
    const dir = exitFile(paths, '');
    let done = false;
    let watcher: fs.FSWatcher | undefined;
    const check = () => {
      if (done) return;
      const exit = readExitFile(paths, ctr.id);
      const gone = !exit && !alive(ctr.state.conmonPid) && !alive(ctr.state.pid);
      if (exit || gone) finish(exit ?? { code: -1, finishedAt: new Date().toISOString() });
    };
    const finish = (v: ExitInfo | undefined) => {
      done = true;
      watcher?.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      resolve(v);
    };
    try {
      fs.mkdirSync(dir, { recursive: true });
      watcher = fs.watch(dir, (_ev, name) => {
        if (name === ctr.id) check();
      });
    } catch {
      /* polling alone */
    }
    const poll = setInterval(check, 250);
    const timer = timeoutMs > 0 ? setTimeout(() => finish(undefined), timeoutMs) : undefined;
    check();
  });
}
