// Command lines for crun/runc, shared by the tspod-runtime wrapper process and
// by the engine, which runs the short calls (start, kill, delete, state) itself.
import { spawnSync } from 'node:child_process';
import type { RuntimeInfo } from './detect';

export interface RuntimeTarget {
  runtime: RuntimeInfo;
  stateRoot: string; // --root of the runtime: private per tspod runroot
}

/** The environment the runtime gets: nothing from the caller, so no LISTEN_* or NOTIFY_SOCKET reach it. */
export function runtimeEnv(): Record<string, string> {
  return { PATH: process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', XDG_RUNTIME_DIR: '' };
}

export function runtimeArgv(t: RuntimeTarget, args: string[]): string[] {
  return [t.runtime.path, '--root', t.stateRoot, ...args];
}

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile: string;
  logFile: string;
  preserveFds: number;
  consoleSocket?: string;
  systemdCgroup?: boolean;
}

export function createArgs(o: CreateOptions): string[] {
  return [
    ...(o.systemdCgroup ? ['--systemd-cgroup'] : []),
    '--log',
    o.logFile,
    '--log-format',
    'json',
    'create',
    '--bundle',
    o.bundle,
    '--pid-file',
    o.pidFile,
    ...(o.preserveFds > 0 ? ['--preserve-fds', String(o.preserveFds)] : []),
    ...(o.consoleSocket ? ['--console-socket', o.consoleSocket] : []),
    o.id,
  ];
}

export interface RuntimeResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one short runtime command and waits for it. */
export function runRuntime(t: RuntimeTarget, args: string[]): RuntimeResult {
  const [file, ...rest] = runtimeArgv(t, args);
  const r = spawnSync(file, rest, { env: runtimeEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { status: 127, stdout: '', stderr: r.error.message };
  return { status: r.status ?? 128 + 9, stdout: r.stdout, stderr: r.stderr };
}

/** The message in a runtime's json log (`--log-format json`), last error first. */
export function runtimeErrorFromLog(logText: string): string | undefined {
  const lines = logText.split('\n').filter(Boolean).reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg) return entry.msg;
    } catch {
      if (line.trim()) return line.trim();
    }
  }
  return undefined;
}
