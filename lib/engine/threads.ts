// The API service's lifecycle operations on engine threads. Creating, starting,
// stopping, killing and removing a container spawn processes, fsync the store,
// mount and unmount: synchronous work that would hold the service's event loop
// (and every other client's request) for milliseconds each time. Here they run
// on worker threads, each with a LocalEngine of its own over the same store
// (the store and container locks are flocks on separate open files, so the
// threads exclude each other as separate tspod processes do); the service's
// thread only parses requests and writes answers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { EngineOptions, LocalEngine } from '../container/engine';
import { EngineError, type ErrorKind } from '../errors';
import { packageRoot } from '../package-root';

/** The operations that may run on an engine thread: their arguments and results are plain data. */
export const THREAD_OPS = ['create', 'start', 'stop', 'kill', 'removeAsync'] as const;
export type ThreadOp = (typeof THREAD_OPS)[number];

type AsyncOf<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;
export type EngineOps = { [K in ThreadOp]: AsyncOf<LocalEngine[K]> };

/** What crosses between the threads. */
export interface ThreadRequest {
  id: number;
  op: ThreadOp;
  args: unknown[];
}
export interface ThreadReply {
  id: number;
  result?: unknown;
  error?: { kind?: ErrorKind; message: string; cause?: string };
}
export interface ThreadSetup {
  engine: EngineOptions;
  logLevel?: string;
}

/** An error as it crosses to the service's thread: an EngineError keeps its kind (and so its status). */
export function errorReply(err: unknown): ThreadReply['error'] {
  if (err instanceof EngineError) return { kind: err.kind, message: err.message, ...(err.cause_ ? { cause: err.cause_ } : {}) };
  return { message: (err as Error)?.message ?? String(err) };
}

function rebuildError(e: NonNullable<ThreadReply['error']>): Error {
  return e.kind ? new EngineError(e.kind, e.message, e.cause) : new Error(e.message);
}

const POOL_SIZE = 2;

interface Thread {
  worker: Worker;
  inFlight: number;
}

/** The operations on engine threads; in-process when the thread entry is missing or TSPOD_ENGINE_THREADS=0. */
export class EngineThreads {
  private readonly threads: Thread[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; thread: Thread }>();
  private nextId = 1;
  private readonly script = path.join(packageRoot(), 'dist', 'tspod-engine-thread.js');
  private readonly offThread = process.env.TSPOD_ENGINE_THREADS !== '0' && fs.existsSync(this.script);
  private readonly setup: ThreadSetup;
  readonly ops: EngineOps;

  constructor(
    engine: LocalEngine,
    logLevel: string,
    private readonly onCrash: (err: Error) => void,
    /** after each operation, done or failed (the service wakes its waiters) */
    private readonly onSettled: () => void = () => undefined,
  ) {
    this.setup = { engine: engine.options, logLevel };
    this.ops = Object.fromEntries(
      THREAD_OPS.map((op) => [
        op,
        this.offThread
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

  /** Starts the threads ahead of the first request (they load the engine's code once). */
  warm(): void {
    if (!this.offThread) return;
    while (this.threads.length < POOL_SIZE) this.spawn();
  }

  /** Ends the threads (what runs on them is abandoned, as when the service exits). */
  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private spawn(): Thread {
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    const worker = new Worker(this.script, { workerData: this.setup, stdout: false, stderr: false });
    const thread: Thread = { worker, inFlight: 0 };
    worker.unref(); // an idle service still exits on its timer
    worker.on('message', (m: ThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      thread.inFlight--;
      if (thread.inFlight === 0) worker.unref();
      if (m.error) p.reject(rebuildError(m.error));
      else p.resolve(m.result);
    });
    const fail = (err: Error) => {
      const i = this.threads.indexOf(thread);
      if (i >= 0) this.threads.splice(i, 1);
      for (const [id, p] of this.pending)
        if (p.thread === thread) {
          this.pending.delete(id);
          p.reject(new EngineError('internal', `engine thread: ${err.message}`));
        }
      this.onCrash(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.threads.includes(thread)) fail(new Error(`exited with code ${code}`));
    });
    this.threads.push(thread);
    return thread;
  }

  private call(op: ThreadOp, args: unknown[]): Promise<never> {
    if (this.threads.length < POOL_SIZE) this.spawn();
    const thread = this.threads.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, thread });
      if (thread.inFlight++ === 0) thread.worker.ref(); // an operation under way keeps the service up
      thread.worker.postMessage({ id, op, args } satisfies ThreadRequest);
    });
  }
}
