// An engine thread of the API service (see threads.ts): a LocalEngine over the
// service's store that runs the lifecycle operations it is sent, several at a
// time, and answers each with its result or its error.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalEngine } from '../container/engine';
import { isLogLevel, setLogLevel } from '../cli/log';
import { errorReply, THREAD_OPS, type ThreadReply, type ThreadRequest, type ThreadSetup } from './threads';

// The native addon's descriptors (pipes, openat2) are closed with fs.closeSync, which Node
// reports on a worker thread as closing "unmanaged" descriptors: they are ours, the warning noise.
const emitWarning = process.emitWarning.bind(process) as (...a: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (/closed but not opened in unmanaged mode/.test(String((warning as Error)?.message ?? warning))) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

const setup = workerData as ThreadSetup;
if (setup.logLevel && isLogLevel(setup.logLevel)) setLogLevel(setup.logLevel);
const engine = new LocalEngine(setup.engine);
const port = parentPort;
if (!port) throw new Error('tspod-engine-thread runs as a worker thread of the API service');

port.on('message', (m: ThreadRequest) => {
  const reply = (r: Omit<ThreadReply, 'id'>) => port.postMessage({ id: m.id, ...r });
  if (!(THREAD_OPS as readonly string[]).includes(m.op)) return reply({ error: { message: `unknown engine operation ${String(m.op)}` } });
  Promise.resolve()
    .then(() => (engine[m.op] as (...a: unknown[]) => unknown).apply(engine, m.args))
    .then(
      (result) => reply({ result }),
      (err: unknown) => reply({ error: errorReply(err) }),
    );
});
