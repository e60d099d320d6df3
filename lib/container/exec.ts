// `exec`: a process in a running container, through the runtime's exec. One
// implementation: the CLI runs it on its own stdio, the API with pipes.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { native } from '../native';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { LocalEngine } from './engine';
import { runtimeStartError } from './engine';
import { EngineError } from '../errors';
import { bundleDir } from '../storage/paths';
import { generateId } from './ids';
import { runtimeArgv, runtimeEnv, runtimeErrorFromLog } from '../../runtime/oci-runtime';
import { entryScript } from '../package-root';
import { MONITOR_NODE_FLAGS } from './monitor';
import { EXEC_CTL_FD, type ExecTerminalConfig } from './exec-terminal-config';
import { resizeMessage } from './attach-protocol';
import { currentWindowSize, userTerminal } from '../terminal/user-terminal';
import { DEFAULT_DETACH_KEYS, DetachFilter } from '../terminal/detach-keys';

export interface ExecRequest {
  command: string[];
  env: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  interactive?: boolean;
  preserveFds?: number;
  /** --detach-keys for an interactive terminal ('' disables) */
  detachKeys?: string;
  /** the runtime starts the process and returns; nobody waits for it */
  detach?: boolean;
}

/** How a caller drives an exec that has a terminal: the size, and the way to change it later. */
/** Podman 4.3.1's refusal of an exec in a container that is not running. */
export const execNeedsRunning = () => new EngineError('state-improper', 'can only create exec sessions on running containers: container state improper');

export interface TerminalControl {
  rows?: number;
  cols?: number;
  /** Gets the function that resizes the exec's terminal, once it exists. */
  onResize?: (resize: (rows: number, cols: number) => void) => void;
  /** Gets the function that lets go of the session (detach: the process runs on, unwatched). */
  onChannel?: (detach: () => void) => void;
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
  terminal?: TerminalControl,
): Promise<number> {
  const rec = engine.get(idOrName);
  if (rec.state.status !== 'running') throw execNeedsRunning();
  if (req.command.length === 0) throw new EngineError('invalid-argument', 'must provide a non-empty command to start an exec session: invalid argument');
  const logFile = path.join(bundleDir(engine.paths, rec.id), `exec-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const args = ['--log', logFile, '--log-format', 'json', 'exec'];
  // crun's exec --env replaces the environment where runc's adds to it: pass the whole of it.
  for (const e of req.env.length || req.tty ? execEnv(bundleDir(engine.paths, rec.id), req.env, !!req.tty) : []) args.push('--env', e);
  if (req.workdir) args.push('--cwd', req.workdir);
  if (req.user) args.push('--user', req.user);
  if (req.preserveFds) args.push('--preserve-fds', String(req.preserveFds));
  if (req.detach) args.push('--detach');
  let child: ChildProcess;
  if (req.tty && !req.detach) {
    // The terminal helper runs `runtime exec -d --tty --console-socket` and holds the pty.
    const cfg: ExecTerminalConfig = { runtimeArgs: runtimeArgv(engine.runtime(rec), args), tail: [rec.id, ...req.command], rows: terminal?.rows, cols: terminal?.cols };
    child = spawn(process.execPath, [...MONITOR_NODE_FLAGS, entryScript('tspod-conmon'), '--exec-terminal', JSON.stringify(cfg)], {
      stdio: [...(stdio as unknown[]).slice(0, 3), 'pipe'] as StdioOptions,
      env: runtimeEnv(),
      cwd: bundleDir(engine.paths, rec.id),
      detached: true, // its own session: a user who detached may close the terminal, the process runs on
    });
    const ctl = child.stdio[EXEC_CTL_FD] as Writable | null;
    ctl?.on('error', () => undefined);
    terminal?.onResize?.((rows, cols) => ctl?.write(resizeMessage(rows, cols)));
    terminal?.onChannel?.(() => ctl?.end());
  } else {
    args.push(rec.id, ...req.command);
    const [file, ...rest] = runtimeArgv(engine.runtime(rec), args);
    child = spawn(file, rest, { stdio, env: runtimeEnv() });
  }
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
  if (error && code !== 0) throw runtimeStartError(engine.runtime(rec).runtime.name, error);
  return code;
}

/** The container's environment (from its spec) with the exec's variables over it; TERM=xterm for a terminal, as Podman sets. */
function execEnv(bundle: string, extra: string[], tty: boolean): string[] {
  let base: string[] = [];
  try {
    base = (JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process?: { env?: string[] } }).process?.env ?? [];
  } catch {
    /* no spec: only the extra variables */
  }
  const byName = new Map<string, string>();
  for (const e of [...base, ...extra]) byName.set(e.split('=')[0], e);
  if (tty && !byName.has('TERM')) byName.set('TERM', 'TERM=xterm');
  return [...byName.values()];
}

/**
 * `tspod exec -d`: the runtime starts the process in the container with no
 * stdio and returns at once; the process runs on unwatched. Resolves with the
 * exec session's ID, which Podman prints.
 */
export async function execDetached(engine: LocalEngine, idOrName: string, req: ExecRequest): Promise<string> {
  const fds = Array.from({ length: req.preserveFds ?? 0 }, (_, i) => 3 + i);
  const code = await runExec(engine, idOrName, { ...req, detach: true, tty: false }, ['ignore', 'ignore', 'ignore', ...fds]);
  if (code !== 0) throw new EngineError('internal', `starting the detached exec session failed: the runtime exited ${code}`);
  return generateId();
}

/** `tspod exec`: the command runs on our own stdio (and fds 3.. with --preserve-fds). */
export function execInContainer(engine: LocalEngine, idOrName: string, req: ExecRequest): Promise<number> {
  if (req.tty) return execOnUserTerminal(engine, idOrName, req);
  const fds = Array.from({ length: req.preserveFds ?? 0 }, (_, i) => 3 + i);
  return runExec(engine, idOrName, req, [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit', ...fds]);
}

/**
 * `tspod exec -t`: the output goes straight to our terminal, our input through
 * the detach-keys filter, our window size follows. Detaching leaves the process running.
 */
async function execOnUserTerminal(engine: LocalEngine, idOrName: string, req: ExecRequest): Promise<number> {
  const term = userTerminal({ tty: true, stdin: !!req.interactive, detachKeys: req.detachKeys ?? DEFAULT_DETACH_KEYS });
  const size = currentWindowSize();
  let stopInput = () => undefined as void;
  let letGo = () => undefined as void;
  const done = runExec(
    engine,
    idOrName,
    { ...req, preserveFds: 0 },
    [req.interactive ? 'pipe' : 'ignore', 'inherit', 'inherit'],
    (child) => {
      const sink = child.stdin;
      if (!sink || !term.streams.stdin) return;
      sink.on('error', () => undefined);
      const filter = new DetachFilter(term.streams.detachKeys ?? Buffer.alloc(0));
      const onData = (d: Buffer) => {
        const r = filter.push(d);
        if (r.pass.length) sink.write(r.pass);
        if (r.detach) term.streams.onDetach?.();
      };
      term.streams.stdin.on('data', onData);
      stopInput = () => term.streams.stdin?.off('data', onData);
    },
    { rows: size?.rows, cols: size?.cols, onResize: (resize) => term.streams.onTerminal?.(resize), onChannel: (detach) => (letGo = detach) },
  );
  try {
    return await Promise.race([
      done,
      term.detached.then(() => {
        letGo();
        return 0;
      }),
    ]);
  } finally {
    stopInput();
    term.restore();
  }
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
  let pid = 0;
  let resizer: ((rows: number, cols: number) => void) | undefined; // known before the pid: both come at spawn
  const terminal: TerminalControl = { onResize: (resize) => (resizer = resize) };
  try {
    return await runExec(
      engine,
      idOrName,
      { ...req, preserveFds: 0 },
      [streams.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      (child) => {
        pid = child.pid ?? 0;
        if (resizer && pid) execResizers.set(pid, resizer);
        wire(child);
      },
      req.tty ? terminal : undefined,
    );
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'cmd-not-found') return 127;
    if (e instanceof EngineError && e.kind === 'cmd-cannot-invoke') return 126;
    throw e;
  } finally {
    execResizers.delete(pid);
  }
}

/**
 * Runs a process and collects its stdout and stderr as one text (a health
 * check's log), at most `limit` bytes of it. The runtime copies the two
 * streams through pipes of its own, so their relative order is not kept.
 * `onPid` gets the runtime's pid (to stop it on a timeout).
 */
export async function execCaptureOutput(
  engine: LocalEngine,
  idOrName: string,
  req: ExecRequest,
  limit: number,
  onPid?: (pid: number) => void,
): Promise<{ code: number; output: string }> {
  const [readFd, writeFd] = native().pipe();
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
  const drained = new Promise<void>((resolve) => {
    reader.on('data', (d: Buffer) => {
      if (size < limit) chunks.push(d);
      size += d.length;
    });
    reader.on('close', () => resolve());
    reader.on('error', () => resolve());
  });
  let closedWrite = false;
  const closeWrite = () => {
    if (!closedWrite) fs.closeSync(writeFd);
    closedWrite = true;
  };
  try {
    const code = await runExec(engine, idOrName, { ...req, tty: false, preserveFds: 0 }, ['ignore', writeFd, writeFd], (child) => {
      closeWrite(); // the child holds it now: EOF comes when the process and the runtime are done
      if (child.pid) onPid?.(child.pid);
    });
    await drained;
    return { code, output: Buffer.concat(chunks).subarray(0, limit).toString('utf8') };
  } finally {
    closeWrite();
    reader.destroy();
  }
}

/** Resize functions of the running exec sessions with a terminal, by the pid `onPid` reported. */
const execResizers = new Map<number, (rows: number, cols: number) => void>();

/** Sets the window size of an exec session's terminal (the API's exec resize); false when it has none. */
export function resizeExec(pid: number, rows: number, cols: number): boolean {
  const r = execResizers.get(pid);
  r?.(rows, cols);
  return r !== undefined;
}
