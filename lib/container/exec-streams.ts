// `exec` with caller-provided streams (the API's exec start): the same runtime
// call as execInContainer, with pipes instead of our stdio.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { LocalEngine } from './engine';
import { runtimeStartError } from './engine';
import { EngineError } from '../errors';
import { bundleDir } from '../storage/paths';
import { runtimeArgv, runtimeEnv, runtimeErrorFromLog } from '../../runtime/oci-runtime';
import type { ExecRequest } from './exec';

export interface ExecStreams {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable;
}

/** Runs the command with the given streams; `onPid` gets the runtime's pid. Resolves with the exit code. */
export async function execWithStreams(
  engine: LocalEngine,
  idOrName: string,
  req: ExecRequest,
  streams: ExecStreams,
  onPid?: (pid: number) => void,
): Promise<number> {
  const rec = engine.get(idOrName);
  if (rec.state.status !== 'running')
    throw new EngineError('state-improper', `container ${rec.id} is not running: can only create exec sessions on running containers: container state improper`);
  if (req.command.length === 0) throw new EngineError('invalid-argument', 'must provide a non-empty command to start an exec session: invalid argument');
  const logFile = path.join(bundleDir(engine.paths, rec.id), `exec-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const args = ['--log', logFile, '--log-format', 'json', 'exec'];
  for (const e of req.env) args.push('--env', e);
  if (req.workdir) args.push('--cwd', req.workdir);
  if (req.user) args.push('--user', req.user);
  args.push(rec.id, ...req.command);
  const [file, ...rest] = runtimeArgv(engine.runtime(), args);
  const child = spawn(file, rest, { stdio: [streams.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: runtimeEnv() });
  if (child.pid) onPid?.(child.pid);
  child.stdout?.on('data', (d: Buffer) => streams.stdout.write(d));
  child.stderr?.on('data', (d: Buffer) => streams.stderr.write(d));
  if (streams.stdin && child.stdin) {
    const sink = child.stdin;
    sink.on('error', () => undefined);
    streams.stdin.on('data', (d: Buffer) => sink.write(d));
    streams.stdin.on('end', () => sink.end());
  }
  const code = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(125));
    child.on('close', (c, sig) => resolve(c ?? 128 + (sig ? constants.signals[sig] : 0)));
  });
  let logText = '';
  try {
    logText = fs.readFileSync(logFile, 'utf8');
    fs.rmSync(logFile, { force: true });
  } catch {
    /* no log written */
  }
  const error = runtimeErrorFromLog(logText);
  if (error && code !== 0) {
    const e = runtimeStartError(error);
    return e.kind === 'cmd-not-found' ? 127 : 126;
  }
  return code;
}
