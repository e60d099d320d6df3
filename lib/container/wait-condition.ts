// Waiting for a container to reach a condition: Podman's `wait --condition`
// (libpod's container states, any of several) and Docker's wait conditions.
// One loop for the CLI, the libpod API and the compat API; the caller says how
// to pause between looks (the service wakes on store changes) and what a
// removed container's exit code was.
import type { LocalEngine } from './engine';
import type { ContainerRecord } from '../storage/records';
import { EngineError } from '../errors';
import { parseGoDuration } from './healthcheck';

/** libpod's states (define.StringToContainerStatus): a state condition answers -1, an exit one the exit code */
export const PODMAN_WAIT_STATES = ['unknown', 'configured', 'created', 'running', 'stopped', 'paused', 'exited', 'removing'];
/** Docker's conditions (the compat API) */
export const DOCKER_WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'];

const EXIT_CONDITIONS = new Set(['stopped', 'exited', 'not-running', 'next-exit', 'removed']);

/** Podman's refusal of a state it does not know (exit 125, HTTP 400). */
export function checkWaitConditions(conditions: string[], known: string[]): void {
  for (const c of conditions) if (!known.includes(c)) throw new EngineError('invalid-argument', `unknown container state: ${c}: invalid argument`);
}

/** `--interval` / `interval=`: a Go duration, or milliseconds (Podman retries with "ms" appended). */
export function waitInterval(v: string): number {
  const ns = parseGoDuration(v) ?? parseGoDuration(`${v}ms`);
  if (ns === undefined) throw new EngineError('invalid-argument', `time: invalid duration "${v}"`);
  return Math.max(1, Math.round(ns / 1e6));
}

/** Whether a wait needs the loop: anything but "until it exits" (which waits on the exit itself). */
export const waitsForState = (conditions: string[]): boolean => conditions.some((c) => !['stopped', 'exited'].includes(c));

export interface WaitHooks {
  /** resolves after ms, or earlier when something changed */
  pause(ms: number): Promise<void>;
  /** true once the waiter went away (the client hung up) */
  cancelled?(): boolean;
  /** the exit code of a container that is gone, last seen with `last` */
  removedExitCode(id: string, last: number): number;
}

function meets(condition: string, rec: ContainerRecord, sawRunning: boolean, initialFinished: string | undefined): boolean {
  const { status, paused } = rec.state;
  switch (condition) {
    case 'not-running':
    case 'stopped':
    case 'exited':
      // a container that never ran answers at once, as Podman's WaitForExit does
      return status !== 'running';
    case 'next-exit':
      return status !== 'running' && (sawRunning || rec.state.finishedAt !== initialFinished);
    case 'configured':
    case 'created':
      return status === 'created';
    case 'running':
      return status === 'running' && !paused;
    case 'paused':
      return status === 'running' && !!paused;
    case 'removing':
      return status === 'removing';
    default: // removed (until it is gone), unknown (never)
      return false;
  }
}

/**
 * Waits until the container meets any of the conditions; resolves with its
 * exit code (-1 when a state condition was met, as Podman), or undefined when
 * cancelled. A container removed meanwhile answers its exit code for an exit
 * condition, and is an error for a state one.
 */
export async function waitForCondition(engine: LocalEngine, idOrName: string, conditions: string[], hooks: WaitHooks, intervalMs = 250): Promise<number | undefined> {
  let rec = engine.get(idOrName);
  const id = rec.id;
  const initialFinished = rec.state.finishedAt;
  let sawRunning = rec.state.status === 'running';
  let last = rec.state.exitCode;
  for (;;) {
    if (hooks.cancelled?.()) return undefined;
    try {
      rec = engine.get(id);
    } catch (err) {
      const gone = err instanceof EngineError && err.kind === 'no-such-container';
      if (gone && conditions.some((c) => EXIT_CONDITIONS.has(c))) return hooks.removedExitCode(id, last);
      throw err;
    }
    last = rec.state.exitCode;
    if (rec.state.status === 'running') sawRunning = true;
    const met = conditions.find((c) => meets(c, rec, sawRunning, initialFinished));
    if (met) return EXIT_CONDITIONS.has(met) ? last : -1;
    await hooks.pause(intervalMs);
  }
}
