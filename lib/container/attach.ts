// Client side of a monitor's attach socket, and of its control fifo (terminal resize).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { FrameDecoder, STREAM_STDERR, resizeMessage } from './attach-protocol';
import { DetachFilter } from '../terminal/detach-keys';
import type { LocalEngine } from './engine';
import { EngineError } from '../errors';
import { bundleDir } from '../storage/paths';
import { readExitFile, waitForExit } from './state';
import { emitEvent, labelAttributes } from '../events/journal';

const SUN_PATH_MAX = 107;

/** The socket path; long bundle paths go through the monitor's cwd link, which is the bundle. */
export function attachPath(bundle: string, conmonPid: number): string {
  const direct = path.join(bundle, 'attach');
  return direct.length <= SUN_PATH_MAX ? direct : `/proc/${conmonPid}/cwd/attach`;
}

export function connectAttach(bundle: string, conmonPid: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path: attachPath(bundle, conmonPid), allowHalfOpen: true });
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

/**
 * Sets the window size of a container's terminal: one line to the monitor's
 * control fifo (`ctl` in the bundle, as conmon has it). Quietly does nothing
 * when the monitor is gone or the container has no terminal.
 */
export function resizeContainerTerminal(bundle: string, rows: number, cols: number): void {
  let fd: number;
  try {
    fd = fs.openSync(path.join(bundle, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    fs.writeSync(fd, resizeMessage(rows, cols));
  } catch {
    /* the monitor went away */
  } finally {
    fs.closeSync(fd);
  }
}

export interface AttachStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
  /** A key sequence in stdin that detaches (the container keeps running). */
  detachKeys?: Buffer;
  /** Called once when the detach keys were typed. */
  onDetach?: () => void;
  /** For a container with a terminal: called once it runs, with the way to set its window size. */
  onTerminal?: (resize: (rows: number, cols: number) => void) => void;
}

/**
 * Copies the container's output until the monitor closes the socket (the
 * container exited) or the user detaches; resolves with which of the two it was.
 */
export function pumpAttach(sock: net.Socket, streams: AttachStreams): Promise<'ended' | 'detached'> {
  return new Promise((resolve) => {
    let how: 'ended' | 'detached' = 'ended';
    const decoder = new FrameDecoder((stream, data) => {
      (stream === STREAM_STDERR ? streams.stderr : streams.stdout).write(data);
    });
    const stdin = streams.stdin;
    const filter = streams.detachKeys?.length ? new DetachFilter(streams.detachKeys) : undefined;
    const onInput = (d: Buffer) => {
      if (!filter) {
        sock.write(d);
        return;
      }
      const r = filter.push(d);
      if (r.pass.length) sock.write(r.pass);
      if (r.detach) {
        how = 'detached';
        done();
        streams.onDetach?.();
      }
    };
    const onEnd = () => sock.end();
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      stdin?.off('data', onInput);
      stdin?.off('end', onEnd);
      sock.destroy();
      resolve(how);
    };
    sock.on('data', (d: Buffer) => decoder.push(d));
    sock.on('error', done);
    // The monitor ends its side once the container exited and its output is drained.
    sock.on('end', done);
    sock.on('close', done);
    if (stdin) {
      stdin.on('data', onInput);
      stdin.on('end', onEnd);
    }
  });
}

/**
 * `attach`: joins a running container's stdio (and terminal) until it exits,
 * resolving with its exit code, or until the user detaches (undefined).
 */
export async function attachRunning(engine: LocalEngine, idOrName: string, streams: AttachStreams): Promise<number | undefined> {
  const rec = engine.get(idOrName);
  if (rec.state.status !== 'running') throw new EngineError('state-improper', 'you can only attach to running containers');
  if (rec.config.logDriver === 'passthrough')
    throw new EngineError('invalid-argument', "passthrough logging mode (the container's stdio is the caller's): cannot attach");
  const bundle = bundleDir(engine.paths, rec.id);
  let sock: net.Socket;
  try {
    sock = await connectAttach(bundle, rec.state.conmonPid);
  } catch {
    throw new EngineError('state-improper', `container ${rec.id} has no attach socket (exited meanwhile?)`);
  }
  emitEvent(engine.paths, { Type: 'container', Status: 'attach', ID: rec.id, Name: rec.name, Image: rec.config.image, Attributes: labelAttributes(rec.config.labels) });
  if (rec.config.tty) streams.onTerminal?.((rows, cols) => resizeContainerTerminal(bundle, rows, cols));
  if (!rec.config.stdin) streams = { ...streams, stdin: undefined };
  if ((await pumpAttach(sock, streams)) === 'detached') return undefined;
  const exit = readExitFile(engine.paths, rec.id) ?? (await waitForExit(engine.paths, rec));
  engine.get(rec.id); // record the exit
  return exit?.code ?? -1;
}
