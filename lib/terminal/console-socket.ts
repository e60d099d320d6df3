// The receiving end of an OCI runtime's --console-socket: a unix socket the
// runtime connects to and sends the pty master over (SCM_RIGHTS). Node reads
// no byte of the connection (pauseOnConnect), so the fd is not lost to a plain read.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { native } from '../native';

export interface ConsoleSocket {
  /** The path to hand to the runtime (as given: relative paths resolve in the runtime's cwd). */
  path: string;
  /** The pty master's fd, once the runtime sent it. */
  master: Promise<number>;
  close(): void;
}

export function listenConsoleSocket(socketPath: string, timeoutMs = 30_000): Promise<ConsoleSocket> {
  try {
    fs.unlinkSync(socketPath);
  } catch {
    /* not there */
  }
  return new Promise((resolveListen, rejectListen) => {
    let resolveMaster!: (fd: number) => void;
    let rejectMaster!: (e: Error) => void;
    const master = new Promise<number>((res, rej) => {
      resolveMaster = res;
      rejectMaster = rej;
    });
    master.catch(() => undefined); // the owner awaits it; an unawaited rejection must not crash us
    const server = net.createServer({ pauseOnConnect: true }, (sock) => {
      const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
      try {
        if (fd === undefined || fd < 0) throw new Error('console socket: no fd for the connection');
        const got = native().recvFd(fd, 5000);
        if (got === undefined) throw new Error('console socket: the runtime sent no terminal');
        resolveMaster(got);
      } catch (e) {
        rejectMaster(e as Error);
      } finally {
        sock.destroy();
        close();
      }
    });
    const timer = setTimeout(() => {
      rejectMaster(new Error('timed out waiting for the container terminal'));
      close();
    }, timeoutMs);
    timer.unref();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      server.close();
      try {
        fs.unlinkSync(socketPath);
      } catch {
        /* gone */
      }
    };
    server.unref();
    server.once('error', rejectListen);
    server.listen(socketPath, () => resolveListen({ path: socketPath, master, close }));
  });
}
