// Starts a tspod-conmon for a container and waits for its report: the
// container's pid once the runtime created it, or the runtime's error.
// The monitor is started early (prestartMonitor) and gets its configuration
// later over a pipe: Node's start-up in the monitor then overlaps the engine's
// mount and spec work instead of following it.
import { spawn } from 'node:child_process';
import type { MonitorConfig, MonitorReport } from './monitor-config';
import { entryScript, monitorNode } from '../package-root';
import { listenFdNumbers } from '../activation/listen-fds';

/** Small heaps: a monitor idles for the container's whole life. */
export const MONITOR_NODE_FLAGS = ['--max-old-space-size=24', '--max-semi-space-size=1'];

export interface StartedMonitor {
  conmonPid: number;
  report: MonitorReport;
}

/** What must be known when the monitor process is spawned (its fds and stdio). */
export type MonitorShape = Pick<MonitorConfig, 'fdCount' | 'logDriver'>;

/** A monitor process that waits for its configuration. */
export interface PendingMonitor {
  /** Hands the monitor its configuration (same shape as prestarted) and waits for its report. */
  start(cfg: Omit<MonitorConfig, 'syncFd'>): Promise<StartedMonitor>;
  /** The run was abandoned before start(): the monitor exits without doing anything. */
  cancel(): void;
}

export function prestartMonitor(shape: MonitorShape): PendingMonitor {
  const fds = listenFdNumbers(shape.fdCount);
  const syncFd = 3 + shape.fdCount;
  const configFd = syncFd + 1;
  const passthrough = shape.logDriver === 'passthrough';
  const child = spawn(monitorNode(), [...MONITOR_NODE_FLAGS, entryScript('tspod-conmon'), '--config-fd', String(configFd)], {
    detached: true, // its own session: it outlives this CLI and its signals
    stdio: ['ignore', passthrough ? 'inherit' : 'ignore', passthrough || process.env.TSPOD_DEBUG ? 'inherit' : 'ignore', ...fds, 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    cwd: '/', // the monitor moves into the bundle once it knows it
  });
  const sync = child.stdio[syncFd] as NodeJS.ReadableStream | null;
  const config = child.stdio[configFd] as NodeJS.WritableStream | null;
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError ??= err));
  (config as unknown as { on(e: string, f: () => void): void } | null)?.on('error', () => undefined); // a monitor that died: its report says so
  let used = false;
  return {
    cancel() {
      if (used) return;
      used = true;
      config?.end();
      (sync as unknown as { destroy(): void } | null)?.destroy();
      child.unref();
    },
    start(cfg) {
      if (used) return Promise.reject(new Error('tspod-conmon already configured'));
      used = true;
      if (cfg.fdCount !== shape.fdCount || cfg.logDriver !== shape.logDriver) return Promise.reject(new Error('tspod-conmon started for another configuration'));
      const full: MonitorConfig = { ...cfg, syncFd };
      return new Promise((resolve, reject) => {
        if (!sync || !config || child.pid === undefined || spawnError) {
          reject(spawnError ?? new Error('could not start tspod-conmon'));
          return;
        }
        config.end(JSON.stringify(full));
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
    },
  };
}

export function spawnMonitor(cfg: Omit<MonitorConfig, 'syncFd'>): Promise<StartedMonitor> {
  return prestartMonitor(cfg).start(cfg);
}
