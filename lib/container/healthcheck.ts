// Health checks, as Podman's: a command run in the container (`healthcheck
// run`, or every interval by the container's monitor, which plays the part of
// Podman's systemd timer), its last results kept beside the container, the
// status (starting, healthy, unhealthy) in inspect and ps, and an action when
// the container turns unhealthy (--health-on-failure).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalEngine } from './engine';
import type { ContainerRecord } from '../storage/records';
import { type StoragePaths, containerDir } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { emitEvent } from '../events/journal';
import { lockFileExclusive } from '../storage/file-lock';

/** Docker's HealthConfig (times in nanoseconds), as images and the APIs carry it. */
export interface HealthConfig {
  /** ["CMD", args...], ["CMD-SHELL", command] or ["NONE"] */
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export type HealthOnFailure = 'none' | 'kill' | 'restart' | 'stop';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: '' | 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthLogEntry[] | null;
}

const SECOND = 1e9;
/** Podman's defaults (pkg/specgen: DefaultHealthCheckInterval and friends) */
export const DEFAULT_INTERVAL = 30 * SECOND;
export const DEFAULT_TIMEOUT = 30 * SECOND;
export const DEFAULT_RETRIES = 3;
/** Podman keeps the last five results (MaxHealthCheckNumberLogs) and 500 bytes of output each. */
const MAX_LOGS = 5;
const MAX_OUTPUT = 500;

/** A Go duration (1m30s, 500ms, 0) in nanoseconds; undefined when it is not one. */
export function parseGoDuration(v: string): number | undefined {
  if (v === '0') return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== v) return undefined;
  return Math.round(parts.reduce((sum, m) => sum + Number(m[1]) * units[m[2]], 0));
}

function duration(v: string, flag: string): number {
  const ns = parseGoDuration(v);
  if (ns === undefined) throw invalidArgument(`invalid --${flag} "${v}": time: invalid duration "${v}"`);
  return ns;
}

export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
  onFailure?: string;
  noHealthcheck?: boolean;
}

/**
 * The container's health check from the --health-* flags over the image's
 * HEALTHCHECK (undefined: none). `--health-cmd none` and --no-healthcheck
 * disable the image's; `--health-interval disable` keeps manual runs only.
 */
export function healthFromFlags(f: HealthFlags, image: HealthConfig | undefined): { healthcheck?: HealthConfig; onFailure: HealthOnFailure } {
  const onFailure = (f.onFailure ?? 'none') as HealthOnFailure;
  if (!['none', 'kill', 'restart', 'stop'].includes(onFailure)) throw invalidArgument(`invalid on-failure action "${f.onFailure}" for health check: supported actions are none, kill, restart and stop`);
  if (f.noHealthcheck) {
    if (f.cmd !== undefined || f.interval !== undefined || f.timeout !== undefined || f.startPeriod !== undefined || f.retries !== undefined)
      throw invalidArgument('cannot specify both --no-healthcheck and other HealthCheck flags');
    if (onFailure !== 'none') throw new EngineError('invalid-argument', `cannot set on-failure action to ${onFailure} without a health check`);
    return { onFailure };
  }
  let test: string[] | undefined;
  if (f.cmd !== undefined) {
    if (f.cmd === '') throw invalidArgument('must define a healthcheck command for all healthchecks');
    if (f.cmd.toLowerCase() === 'none') test = ['NONE'];
    else if (f.cmd.startsWith('[')) {
      let json: unknown;
      try {
        json = JSON.parse(f.cmd);
      } catch {
        throw invalidArgument(`invalid --health-cmd "${f.cmd}": not a JSON array of strings`);
      }
      if (!Array.isArray(json) || json.length === 0 || !json.every((x) => typeof x === 'string')) throw invalidArgument(`invalid --health-cmd "${f.cmd}": not a JSON array of strings`);
      const arr = json as string[];
      test = arr[0] === 'CMD' || arr[0] === 'CMD-SHELL' || arr[0] === 'NONE' ? arr : ['CMD', ...arr];
    } else test = ['CMD-SHELL', f.cmd];
  }
  const base = test ? { Test: test } : image && image.Test?.length && image.Test[0] !== 'NONE' ? { ...image } : undefined;
  if (!base || base.Test[0] === 'NONE') {
    if (onFailure !== 'none') throw new EngineError('invalid-argument', `cannot set on-failure action to ${onFailure} without a health check`);
    return { onFailure };
  }
  const hc: HealthConfig = { Test: base.Test };
  hc.Interval = f.interval === 'disable' ? 0 : f.interval !== undefined ? duration(f.interval, 'health-interval') : base.Interval || DEFAULT_INTERVAL;
  if (hc.Interval !== 0 && hc.Interval < SECOND) throw invalidArgument('healthcheck-interval must be at least 1 second');
  hc.Timeout = f.timeout !== undefined ? duration(f.timeout, 'health-timeout') : base.Timeout || DEFAULT_TIMEOUT;
  if (hc.Timeout < SECOND) throw invalidArgument('healthcheck-timeout must be at least 1 second');
  const start = f.startPeriod !== undefined ? duration(f.startPeriod, 'health-start-period') : base.StartPeriod;
  if (start) hc.StartPeriod = start;
  hc.Retries = f.retries ?? (base.Retries || DEFAULT_RETRIES);
  if (hc.Retries < 1) throw invalidArgument('healthcheck-retries must be greater than 0');
  return { healthcheck: hc, onFailure };
}

/**
 * What `create` records: an API's explicit health check (Docker's zero times
 * meaning the defaults), else the CLI's flags over the image's HEALTHCHECK.
 */
export function containerHealth(
  req: { config: { healthcheck?: HealthConfig; healthOnFailure?: HealthOnFailure }; health?: HealthFlags },
  image: HealthConfig | undefined,
): { healthcheck?: HealthConfig; healthOnFailure?: HealthOnFailure } {
  let r: { healthcheck?: HealthConfig; onFailure: HealthOnFailure };
  const given = req.config.healthcheck;
  if (given) {
    if (!Array.isArray(given.Test) || !given.Test.every((t) => typeof t === 'string')) throw invalidArgument('healthcheck: Test must be a list of strings');
    for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const)
      if (given[k] !== undefined && given[k] !== null && !(Number.isSafeInteger(given[k]) && (given[k] as number) >= 0)) throw invalidArgument(`healthcheck: ${k} must be a non-negative integer`);
    const none = given.Test.length === 0 || given.Test[0] === 'NONE';
    r = none
      ? healthFromFlags({ noHealthcheck: true, onFailure: req.config.healthOnFailure }, undefined)
      : healthFromFlags({ onFailure: req.config.healthOnFailure }, { ...given, Test: given.Test[0] === 'CMD' || given.Test[0] === 'CMD-SHELL' ? given.Test : ['CMD', ...given.Test] });
  } else r = healthFromFlags(req.health ?? {}, image);
  return { healthcheck: r.healthcheck, healthOnFailure: r.onFailure === 'none' ? undefined : r.onFailure };
}

const healthFile = (paths: StoragePaths, id: string) => path.join(containerDir(paths, id), 'healthcheck.json');

interface StoredHealth extends HealthState {
  runId: string;
}

function readStored(paths: StoragePaths, id: string): StoredHealth | undefined {
  try {
    return JSON.parse(fs.readFileSync(healthFile(paths, id), 'utf8')) as StoredHealth;
  } catch {
    return undefined;
  }
}

/** The health as inspect shows it (Status '' without a health check). */
export function healthState(paths: StoragePaths, rec: ContainerRecord): HealthState {
  if (!rec.config.healthcheck) return { Status: '', FailingStreak: 0, Log: null };
  const stored = readStored(paths, rec.id);
  const current = rec.state.status === 'running' && stored?.runId !== (rec.state.runId ?? '') ? undefined : stored;
  if (current) return { Status: current.Status, FailingStreak: current.FailingStreak, Log: current.Log };
  // A run's first check has not happened yet.
  return { Status: rec.state.status === 'running' ? 'starting' : '', FailingStreak: 0, Log: null };
}

/** ps's "(healthy)": only for a running container that has a health check. */
export function psHealth(paths: StoragePaths, rec: ContainerRecord): string | undefined {
  if (!rec.config.healthcheck || rec.state.status !== 'running') return undefined;
  return healthState(paths, rec).Status || undefined;
}

const nanoTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

export interface HealthRunResult {
  /** the check passed */
  ok: boolean;
  status: HealthState['Status'];
}

/**
 * `healthcheck run`: runs the check once in the running container, records the
 * result, and applies --health-on-failure when the container is (now) unhealthy.
 */
export async function runHealthcheck(engine: LocalEngine, idOrName: string): Promise<HealthRunResult> {
  let rec: ContainerRecord;
  try {
    rec = engine.get(idOrName);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'no-such-container') throw new EngineError('no-such-container', `unable to look up ${idOrName} to perform a health check: ${e.message}`);
    throw e;
  }
  const hc = rec.config.healthcheck;
  if (!hc) throw new EngineError('state-improper', `container ${rec.id} has no defined healthcheck`);
  if (rec.state.status !== 'running' || rec.state.paused) throw new EngineError('state-improper', `container ${rec.id} is not running`);
  // The shell form sends stderr into stdout itself: the runtime copies the two through separate
  // pipes, and only one stream keeps the order the check wrote its lines in.
  const command = hc.Test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', `exec 2>&1\n${hc.Test.slice(1).join(' ')}`] : hc.Test.slice(1);
  if (command.length === 0) throw new EngineError('state-improper', `container ${rec.id} has no defined healthcheck`);

  const { execCaptureOutput } = await import('./exec');
  const start = Date.now();
  let timedOut = false;
  let execPid = 0;
  const timeoutMs = (hc.Timeout || DEFAULT_TIMEOUT) / 1e6;
  const timer = setTimeout(() => {
    timedOut = true;
    if (execPid) process.kill(execPid, 'SIGTERM'); // the runtime passes it on to the check's process
  }, timeoutMs);
  let code: number;
  let output: string;
  try {
    ({ code, output } = await execCaptureOutput(engine, rec.id, { command, env: [] }, MAX_OUTPUT, (pid) => (execPid = pid)));
  } catch (e) {
    // The container stopped meanwhile, or the runtime refused: a failed check, as Podman records it.
    code = e instanceof EngineError && e.kind === 'cmd-not-found' ? 127 : e instanceof EngineError && e.kind === 'cmd-cannot-invoke' ? 126 : 125;
    output = (e as Error).message;
  } finally {
    clearTimeout(timer);
  }
  const end = Date.now();
  output = output.replace(/\n+$/, '');
  if (timedOut) {
    code = -1;
    output = `Healthcheck command timed out after ${timeoutMs / 1000}s`;
  }
  const ok = code === 0;
  const inStartPeriod = !!hc.StartPeriod && rec.state.startedAt !== '' && end - Date.parse(rec.state.startedAt) < hc.StartPeriod / 1e6;

  // One writer at a time: the monitor's timer and a user's run may overlap.
  const release = await lockFileExclusive(`${healthFile(engine.paths, rec.id)}.lock`, 60_000);
  let next: StoredHealth;
  try {
    const prev = readStored(engine.paths, rec.id);
    const runId = rec.state.runId ?? '';
    const cur: HealthState = prev && prev.runId === runId ? prev : { Status: 'starting', FailingStreak: 0, Log: null };
    next = { runId, Status: cur.Status, FailingStreak: cur.FailingStreak, Log: [...(cur.Log ?? []), { Start: nanoTime(start), End: nanoTime(end), ExitCode: code, Output: output }].slice(-MAX_LOGS) };
    if (ok) {
      next.Status = 'healthy';
      next.FailingStreak = 0;
    } else if (!inStartPeriod) {
      // Failures during the start period do not count (Docker's and Podman's rule).
      next.FailingStreak = cur.FailingStreak + 1;
      if (next.FailingStreak >= (hc.Retries || DEFAULT_RETRIES)) next.Status = 'unhealthy';
    }
    const file = healthFile(engine.paths, rec.id);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(next), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } finally {
    release();
  }
  emitEvent(engine.paths, { Type: 'container', Status: 'health_status', ID: rec.id, Name: rec.name, Image: rec.config.image, HealthStatus: next.Status });
  if (!ok && next.Status === 'unhealthy') await onUnhealthy(engine, rec);
  return { ok, status: next.Status };
}

/** --health-on-failure: what happens to a container that turned unhealthy. */
async function onUnhealthy(engine: LocalEngine, rec: ContainerRecord): Promise<void> {
  const action = rec.config.healthOnFailure ?? 'none';
  if (action === 'none') return;
  if (action === 'kill') {
    engine.kill(rec.id, 9);
    return;
  }
  await engine.stop(rec.id);
  if (action === 'restart') await engine.start(rec.id);
}
