// `exec`: a process in a running container, through the runtime's exec.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
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

/** Runs the command with our stdio and resolves with its exit code. */
export async function execInContainer(engine: LocalEngine, idOrName: string, req: ExecRequest): Promise<number> {
  const rec = engine.get(idOrName);
  if (rec.state.status !== 'running')
    throw new EngineError('state-improper', 'can only create exec sessions on running containers: container state improper');
  if (req.command.length === 0) throw new EngineError('invalid-argument', 'must provide a non-empty command to start an exec session: invalid argument');
  const logFile = path.join(bundleDir(engine.paths, rec.id), `exec-${process.pid}-${Date.now()}.log`);
  const args = ['--log', logFile, '--log-format', 'json', 'exec'];
  for (const e of req.env) args.push('--env', e);
  if (req.workdir) args.push('--cwd', req.workdir);
  if (req.user) args.push('--user', req.user);
  if (req.tty) args.push('--tty');
  if (req.preserveFds) args.push('--preserve-fds', String(req.preserveFds));
  args.push(rec.id, ...req.command);
  const [file, ...rest] = runtimeArgv(engine.runtime(), args);
  const fds = Array.from({ length: req.preserveFds ?? 0 }, (_, i) => 3 + i);
  const child = spawn(file, rest, { stdio: [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit', ...fds], env: runtimeEnv() });
  const code = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(125));
    child.on('exit', (c, sig) => resolve(c ?? 128 + (sig ? constants.signals[sig] : 0)));
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
