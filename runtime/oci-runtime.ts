// Command lines for crun/runc, shared by the tspod-runtime wrapper process and
// by the engine, which runs the short calls (start, kill, delete, state) itself.
import { spawn, spawnSync } from 'node:child_process';
import type { RuntimeInfo } from './detect';
import { EngineError } from '../lib/errors';

export interface RuntimeTarget {
  runtime: RuntimeInfo;
  stateRoot: string; // --root of the runtime: private per tspod runroot
  /** --runtime-flag: global options for every runtime call, already "--"-prefixed */
  flags?: string[];
}

/** The environment the runtime gets: nothing from the caller, so no LISTEN_* or NOTIFY_SOCKET reach it. */
export function runtimeEnv(): Record<string, string> {
  return { PATH: process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', XDG_RUNTIME_DIR: '' };
}

export function runtimeArgv(t: RuntimeTarget, args: string[]): string[] {
  return [t.runtime.path, '--root', t.stateRoot, ...(t.flags ?? []), ...args];
}

/**
 * --runtime-flag values as Podman passes them: each one gets "--" in front
 * ("debug" -> --debug, "log-format=json" -> --log-format=json).
 */
export function runtimeFlagArgs(values: string[]): string[] {
  return values.map((v) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*(=[^\0\n]*)?$/.test(v)) throw new EngineError('invalid-argument', `invalid --runtime-flag ${JSON.stringify(v)}: expected NAME or NAME=VALUE`);
    return `--${v}`;
  });
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

/**
 * runRuntime without blocking the caller's event loop: the API service goes on
 * answering while runc starts or deletes a container.
 */
export function runRuntimeAsync(t: RuntimeTarget, args: string[]): Promise<RuntimeResult> {
  const [file, ...rest] = runtimeArgv(t, args);
  return new Promise((resolve) => {
    const child = spawn(file, rest, { env: runtimeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ status: 127, stdout: '', stderr: err.message }));
    child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 + 9 : 1), stdout, stderr }));
  });
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
