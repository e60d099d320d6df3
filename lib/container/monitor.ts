// Starts a tspod-conmon for a container and waits for its report: the
// container's pid once the runtime created it, or the runtime's error.
import { spawn } from 'node:child_process';
import type { MonitorConfig, MonitorReport } from './monitor-config';
import { entryScript } from '../package-root';
import { listenFdNumbers } from '../activation/listen-fds';

/** Small heaps: a monitor idles for the container's whole life. */
export const MONITOR_NODE_FLAGS = ['--max-old-space-size=24', '--max-semi-space-size=1'];

export interface StartedMonitor {
  conmonPid: number;
  report: MonitorReport;
}

export function spawnMonitor(cfg: Omit<MonitorConfig, 'syncFd'>): Promise<StartedMonitor> {
  const fds = listenFdNumbers(cfg.fdCount);
  const syncFd = 3 + cfg.fdCount;
  const passthrough = cfg.logDriver === 'passthrough';
  const full: MonitorConfig = { ...cfg, syncFd };
  const child = spawn(process.execPath, [...MONITOR_NODE_FLAGS, entryScript('tspod-conmon'), JSON.stringify(full)], {
    detached: true, // its own session: it outlives this CLI and its signals
    stdio: ['ignore', passthrough ? 'inherit' : 'ignore', passthrough || process.env.TSPOD_DEBUG ? 'inherit' : 'ignore', ...fds, 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    cwd: cfg.bundle,
  });
  return new Promise((resolve, reject) => {
    const sync = child.stdio[syncFd] as NodeJS.ReadableStream | null;
    if (!sync || child.pid === undefined) {
      reject(new Error('could not start tspod-conmon'));
      return;
    }
    let buf = '';
    let settled = false;
    const settle = (report: MonitorReport) => {
      if (settled) return;
      settled = true;
      (sync as unknown as { destroy(): void }).destroy();
      child.unref();
      resolve({ conmonPid: child.pid as number, report });
    };
    sync.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) settle(JSON.parse(buf.slice(0, nl)) as MonitorReport);
    });
    sync.on('end', () => settle({ error: buf.trim() || 'tspod-conmon exited before reporting' }));
    sync.on('error', () => settle({ error: 'lost the tspod-conmon report channel' }));
    child.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}
