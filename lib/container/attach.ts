// Client side of a monitor's attach socket.
import * as net from 'node:net';
import * as path from 'node:path';
import { FrameDecoder, STREAM_STDERR } from './attach-protocol';

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

export interface AttachStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
}

/** Copies the container's output until the monitor closes the socket (the container exited). */
export function pumpAttach(sock: net.Socket, streams: AttachStreams): Promise<void> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder((stream, data) => {
      (stream === STREAM_STDERR ? streams.stderr : streams.stdout).write(data);
    });
    sock.on('data', (d: Buffer) => decoder.push(d));
    sock.on('error', () => resolve());
    // The monitor ends its side once the container exited and its output is drained.
    sock.on('end', () => {
      sock.destroy();
      resolve();
    });
    sock.on('close', () => resolve());
    if (streams.stdin) {
      streams.stdin.on('data', (d: Buffer) => sock.write(d));
      streams.stdin.on('end', () => sock.end());
    }
  });
}
