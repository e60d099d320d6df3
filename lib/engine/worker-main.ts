// An engine worker of the API service (see workers.ts): a child process with a
// LocalEngine over the service's store that runs the lifecycle operations it is
// sent, several at a time, and answers each with its result or its error. It
// lives as long as its channel to the service: when that closes (the service
// exits, or dies), it finishes what it is doing and exits.
import { LocalEngine } from '../container/engine';
import { isLogLevel, setLogLevel } from '../cli/log';
import { errorReply, WORKER_OPS, type WorkerReply, type WorkerRequest, type WorkerSetup } from './workers';

if (!process.send) {
  process.stderr.write('tspod-engine-worker runs as an engine worker of the API service (tspod system service)\n');
  process.exit(125);
}
process.title = 'tspod-engine-worker';

let engine: LocalEngine | undefined;
let inFlight = 0;

// A terminal's Ctrl-C or a stop of the service's group reaches us too: the service decides
// when we end (by closing the channel), so an operation is never cut in half by it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', () => {
  process.removeAllListeners('message');
  if (inFlight === 0) process.exit(0);
});

function reply(r: WorkerReply): void {
  if (process.connected) process.send?.(r);
}

process.on('message', (m: WorkerSetup | WorkerRequest) => {
  if ('setup' in m) {
    if (m.setup.logLevel && isLogLevel(m.setup.logLevel)) setLogLevel(m.setup.logLevel);
    engine = new LocalEngine(m.setup.engine);
    return;
  }
  const { id, op, args } = m;
  if (!engine) return reply({ id, error: { message: 'engine worker: no setup received' } });
  if (!(WORKER_OPS as readonly string[]).includes(op)) return reply({ id, error: { message: `unknown engine operation ${String(op)}` } });
  const e = engine;
  inFlight++;
  Promise.resolve()
    .then(() => (e[op] as (...a: unknown[]) => unknown).apply(e, args))
    .then(
      (result) => reply({ id, result }),
      (err: unknown) => reply({ id, error: errorReply(err) }),
    )
    .finally(() => {
      inFlight--;
      if (inFlight === 0 && !process.connected) process.exit(0);
    });
});
