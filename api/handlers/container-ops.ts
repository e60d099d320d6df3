// Container operations shared by the Docker-compatible and libpod trees:
// start (with a parked attach), wait conditions, exec start.
import type { LocalEngine } from '../../lib/container/engine';
import { EngineError } from '../../lib/errors';
import { readEvents } from '../../lib/events/journal';
import { execWithStreams } from '../../lib/container/exec';
import type { RouteContext, ServiceHooks } from '../router';
import { streamsFor, takeParked } from '../streams/attach';
import { type RawStream } from '../streams/hijack';
import { outputChunk } from '../streams/mux';
import { Writable } from 'node:stream';
import type { ExecSession } from '../exec-sessions';
import type { WaitHooks } from '../../lib/container/wait-condition';

/** Starts a container; with an attach parked for it, the attach gets its streams. Resolves once it runs. */
export async function startContainer(ctx: Pick<RouteContext, 'engine' | 'ops' | 'service'>, idOrName: string): Promise<'started' | 'already'> {
  const rec = ctx.engine.get(idOrName);
  if (rec.state.status === 'running') return 'already';
  try {
    await startWith(ctx, rec.id);
  } catch (err) {
    // As Docker does: a container that was to be removed on exit goes when it cannot start
    // (the CLI's `run --rm` waits for the removal).
    if (rec.config.autoRemove) await ctx.ops.removeAsync(rec.id, { force: true, ignoreMissing: true, timeout: 0 });
    throw err;
  }
  return 'started';
}

async function startWith({ engine, ops, service }: Pick<RouteContext, 'engine' | 'ops' | 'service'>, id: string): Promise<void> {
  const rec = engine.get(id);
  const parked = takeParked(rec.id);
  if (!parked) {
    await ops.start(rec.id); // in an engine worker; an attached start streams here
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let running = false;
    engine
      .startAttached(rec.id, streamsFor(parked.raw, rec, parked.want), {
        onRunning: () => {
          running = true;
          resolve();
        },
      })
      .then(
        (code) => {
          service.exitCodes.set(rec.id, code);
          // a bounded memory: the oldest entries go first
          if (service.exitCodes.size > 1000) service.exitCodes.delete(service.exitCodes.keys().next().value as string);
          parked.raw.end();
          service.changes.notify();
          // Like a foreground `tspod run --rm`: the attached side removes the container at once
          // (the monitor's exit command only backs it up, after a delay).
          if (rec.config.autoRemove) ops.removeAsync(rec.id, { force: true, ignoreMissing: true, timeout: 0 }).catch(() => undefined); // else the backup will
        },
        (err: unknown) => {
          parked.raw.end();
          if (!running) reject(err);
        },
      );
  });
}

/** The exit code a removed container had: seen by this service, or its `died` event. */
function lastExitCode(engine: LocalEngine, service: ServiceHooks, id: string, fallback: number): number {
  const seen = service.exitCodes.get(id);
  if (seen !== undefined) return seen;
  const died = readEvents(engine.paths)
    .filter((e) => e.ID === id && e.Status === 'died' && e.ContainerExitCode !== undefined)
    .pop();
  return died?.ContainerExitCode ?? fallback;
}

/** How the service waits for a condition: woken by store changes, until the client hangs up. */
export function serviceWaitHooks(engine: LocalEngine, service: ServiceHooks, cancelled: () => boolean): WaitHooks {
  return { pause: (ms) => service.changes.wait(ms), cancelled, removedExitCode: (id, last) => lastExitCode(engine, service, id, last) };
}

/** Runs an exec session with its output on a raw stream (framed unless a TTY). */
export function runExec(engine: LocalEngine, s: ExecSession, raw: RawStream | undefined): Promise<number> {
  const out = (stream: 'stdout' | 'stderr', enabled: boolean) =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        if (raw && enabled) raw.write(outputChunk(!!s.req.tty, stream, chunk));
        cb();
      },
    });
  s.running = true;
  s.done = execWithStreams(
    engine,
    s.containerId,
    s.req,
    { stdout: out('stdout', s.attach.stdout), stderr: out('stderr', s.attach.stderr), stdin: raw && s.attach.stdin ? raw.input : undefined },
    (pid) => {
      s.pid = pid;
    },
  ).then(
    (code) => {
      s.running = false;
      s.exitCode = code;
      raw?.end();
      return code;
    },
    (err: unknown) => {
      s.running = false;
      s.exitCode = 125;
      if (raw) {
        raw.write(outputChunk(!!s.req.tty, 'stderr', Buffer.from(`${(err as Error).message}\n`)));
        raw.end();
      }
      return 125;
    },
  );
  return s.done;
}
