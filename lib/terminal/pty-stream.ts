// A stream over a pty master fd. Node's net.Socket refuses tty fds and
// tty.ReadStream does not write, so the fd is opened in a libuv pipe handle,
// which reads and writes any non-blocking fd (node-pty does the same).
import * as net from 'node:net';

interface PipeWrapBinding {
  Pipe: new (type: number) => { open(fd: number): number };
  constants: { SOCKET: number };
}

export function ptyStream(fd: number): net.Socket {
  const wrap = (process as unknown as { binding(name: string): PipeWrapBinding }).binding('pipe_wrap');
  const handle = new wrap.Pipe(wrap.constants.SOCKET);
  const err = handle.open(fd);
  if (err) throw new Error(`opening the pty master (fd ${fd}): libuv error ${err}`);
  return new net.Socket({ handle } as unknown as net.SocketConstructorOpts);
}
