// `exec`: a process in a running container, through the runtime's exec. One
// implementation: the CLI runs it on its own stdio, the API with pipes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { LocalEngine } from './engine';
import { runtimeStartError } from './engine';
import { EngineError } from '../errors';
import { bundleDir } from '../storage/paths';
import { runtimeArgv, runtimeEnv, runtimeErrorFromLog } from '../../runtime/oci-runtime';

export interface ExecRequest {
  command: string[];
  env: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  interactive?: boolean;
  preserveFds?: number;
}

/**
 * Starts the runtime's exec with the given stdio and resolves with the exit
 * code; a process that could not be started rejects with Podman's error
 * (command not found: 127, cannot invoke: 126).
 */
async function runExec(
  engine: LocalEngine,
  idOrName: string,
  req: ExecRequest,
  stdio: StdioOptions,
  onChild?: (child: ChildProcess) => void,
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
  if (req.tty) args.push('--tty');
  if (req.preserveFds) args.push('--preserve-fds', String(req.preserveFds));
  args.push(rec.id, ...req.command);
  const [file, ...rest] = runtimeArgv(engine.runtime(), args);
  const child = spawn(file, rest, { stdio, env: runtimeEnv() });
  onChild?.(child);
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
  if (error && code !== 0) throw runtimeStartError(error);
  return code;
}

/** `tspod exec`: the command runs on our own stdio (and fds 3.. with --preserve-fds). */
export function execInContainer(engine: LocalEngine, idOrName: string, req: ExecRequest): Promise<number> {
  const fds = Array.from({ length: req.preserveFds ?? 0 }, (_, i) => 3 + i);
  return runExec(engine, idOrName, req, [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit', ...fds]);
}

export interface ExecStreams {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable;
}

/**
 * The API's exec start: the same exec with pipes; `onPid` gets the runtime's pid.
 * A process that could not be started reports 127/126 as its exit code, as Docker does.
 */
export async function execWithStreams(
  engine: LocalEngine,
  idOrName: string,
  req: ExecRequest,
  streams: ExecStreams,
  onPid?: (pid: number) => void,
): Promise<number> {
  const wire = (child: ChildProcess) => {
    if (child.pid) onPid?.(child.pid);
    child.stdout?.on('data', (d: Buffer) => streams.stdout.write(d));
    child.stderr?.on('data', (d: Buffer) => streams.stderr.write(d));
    if (streams.stdin && child.stdin) {
      const sink = child.stdin;
      sink.on('error', () => undefined);
      streams.stdin.on('data', (d: Buffer) => sink.write(d));
      streams.stdin.on('end', () => sink.end());
    }
  };
  try {
    return await runExec(engine, idOrName, { ...req, tty: false, preserveFds: 0 }, [streams.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], wire);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'cmd-not-found') return 127;
    if (e instanceof EngineError && e.kind === 'cmd-cannot-invoke') return 126;
    throw e;
  }
}
