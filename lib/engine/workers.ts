// The API service's lifecycle operations in engine worker processes. Creating,
// starting, stopping, killing and removing a container spawn processes, fsync
// the store, mount and unmount: synchronous work that would hold the service's
// event loop (and every other client's request) for milliseconds each time.
// Here they run in two child processes, each with a LocalEngine of its own over
// the same store (the store and container locks are flocks on separate open
// files, so the workers exclude each other as separate tspod processes do); the
// service only parses requests and writes answers.
//
// Processes, not worker threads: every spawn forks the process that makes it,
// and a fork holds the whole address space's lock while it copies the page
// tables (and leaves every page copy-on-write behind it). On threads of the
// service, each runc or monitor spawn stalled the answering thread in page
// faults and allocator locks (measured: ~0.4 s in 10 s of churn by 100 clients).
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineOptions, LocalEngine } from '../container/engine';
import { EngineError, type ErrorKind } from '../errors';
import { packageRoot } from '../package-root';

/** The operations that may run in an engine worker: their arguments and results are plain data. */
export const WORKER_OPS = ['create', 'start', 'stop', 'kill', 'removeAsync'] as const;
export type WorkerOp = (typeof WORKER_OPS)[number];

type AsyncOf<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
export type EngineOps = { [K in WorkerOp]: AsyncOf<LocalEngine[K]> };

/** What crosses between the service and a worker: the setup once, then requests and replies. */
export interface WorkerSetup {
  setup: { engine: EngineOptions; logLevel?: string };
}
export interface WorkerRequest {
  id: number;
  op: WorkerOp;
  args: unknown[];
}
export interface WorkerReply {
  id: number;
  result?: unknown;
  error?: { kind?: ErrorKind; message: string; cause?: string };
}

/** An error as it crosses to the service: an EngineError keeps its kind (and so its status). */
export function errorReply(err: unknown): WorkerReply['error'] {
  if (err instanceof EngineError) return { kind: err.kind, message: err.message, ...(err.cause_ ? { cause: err.cause_ } : {}) };
  return { message: (err as Error)?.message ?? String(err) };
}

function rebuildError(e: NonNullable<WorkerReply['error']>): Error {
  return e.kind ? new EngineError(e.kind, e.message, e.cause) : new Error(e.message);
}

const POOL_SIZE = 2;
/** How long close() lets a worker finish what it is doing before it is killed. */
const CLOSE_GRACE_MS = 5000;

interface Worker {
  child: ChildProcess;
  inFlight: number;
  exited: Promise<void>;
}

/** The operations in engine workers; in-process when the worker entry is missing or TSPOD_ENGINE_WORKERS=0. */
export class EngineWorkers {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 1;
  private readonly script = path.join(packageRoot(), 'dist', 'tspod-engine-worker.js');
  private readonly offProcess = process.env.TSPOD_ENGINE_WORKERS !== '0' && fs.existsSync(this.script);
  private readonly setup: WorkerSetup;
  readonly ops: EngineOps;

  constructor(
    engine: LocalEngine,
    logLevel: string,
    private readonly onCrash: (err: Error) => void,
    /** after each operation, done or failed (the service wakes its waiters) */
    private readonly onSettled: () => void = () => undefined,
  ) {
    this.setup = { setup: { engine: engine.options, logLevel } };
    this.ops = Object.fromEntries(
      WORKER_OPS.map((op) => [
        op,
        this.offProcess
          ? (...args: unknown[]) => this.call(op, args).finally(this.onSettled)
          : async (...args: unknown[]) => {
              try {
                return await (engine[op] as (...a: unknown[]) => unknown).apply(engine, args);
              } finally {
                this.onSettled();
              }
            },
      ]),
    ) as EngineOps;
  }

  /** Starts the workers ahead of the first request (each loads the engine's code once). */
  warm(): void {
    if (!this.offProcess) return;
    while (this.workers.length < POOL_SIZE) this.spawn();
  }

  /** The workers' pids (for tests and diagnostics). */
  pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0).filter((p) => p > 0);
  }

  /**
   * Ends the workers: each finishes the operation it is in (a start is not cut
   * in half) and exits when its channel closes; one that takes longer is killed.
   */
  async close(): Promise<void> {
    const all = this.workers.splice(0);
    for (const w of all) if (w.child.connected) w.child.disconnect();
    await Promise.all(
      all.map(async (w) => {
        const timer = setTimeout(() => w.child.kill('SIGKILL'), CLOSE_GRACE_MS);
        await w.exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(): Worker {
    // The service's environment (containers.conf, proxies, XDG_RUNTIME_DIR for rootless) is the engine's.
    const child = spawn(process.execPath, [this.script], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const worker: Worker = { child, inFlight: 0, exited: new Promise((r) => child.once('exit', () => r())) };
    const idle = () => {
      child.unref(); // an idle service still exits on its timer
      (child.channel as { unref?: () => void } | undefined)?.unref?.();
    };
    idle();
    child.send(this.setup);
    child.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      worker.inFlight--;
      if (worker.inFlight === 0) idle();
      if (m.error) p.reject(rebuildError(m.error));
      else p.resolve(m.result);
    });
    const fail = (err: Error) => {
      const i = this.workers.indexOf(worker);
      if (i < 0) return; // closed, or already reported
      this.workers.splice(i, 1);
      for (const [id, p] of this.pending)
        if (p.worker === worker) {
          this.pending.delete(id);
          p.reject(new EngineError('internal', `engine worker: ${err.message}`));
        }
      this.onCrash(err);
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(signal ? `killed by ${signal}` : `exited with code ${code}`)));
    this.workers.push(worker);
    return worker;
  }

  private call(op: WorkerOp, args: unknown[]): Promise<never> {
    if (this.workers.length < POOL_SIZE) this.spawn();
    const worker = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, worker });
      if (worker.inFlight++ === 0) {
        worker.child.ref(); // an operation under way keeps the service up
        (worker.child.channel as { ref?: () => void } | undefined)?.ref?.();
      }
      worker.child.send({ id, op, args } satisfies WorkerRequest, (err) => {
        if (err && this.pending.delete(id)) {
          worker.inFlight--;
          reject(new EngineError('internal', `engine worker: ${err.message}`));
        }
      });
    });
  }
}
