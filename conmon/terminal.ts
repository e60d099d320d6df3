// The container's terminal, for containers created with -t: the runtime sends
// the pty master over the console socket; the monitor keeps it for the
// container's whole life (so users can detach and attach again), and resizes
// it on the lines written to the control fifo. Loaded only for such containers.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { native } from '../lib/native';
import { listenConsoleSocket, type ConsoleSocket } from '../lib/terminal/console-socket';
import { ptyStream } from '../lib/terminal/pty-stream';
import { parseControl } from '../lib/container/attach-protocol';

const S_IFIFO = 0o010000;

export interface ContainerTerminal {
  /** relative to the bundle (our cwd): sun_path is short */
  consoleSocketPath: string;
  /** The master, once the runtime sent it. */
  ready: Promise<net.Socket>;
  close(): void;
}

export async function openContainerTerminal(): Promise<ContainerTerminal> {
  const cs: ConsoleSocket = await listenConsoleSocket('console.sock');
  let masterFd = -1;
  let ctl: net.Socket | undefined;
  const ready = cs.master.then((fd) => {
    masterFd = fd;
    ctl = controlFifo((rows, cols) => {
      try {
        native().setWinsize(masterFd, rows, cols);
      } catch {
        /* the terminal is closed */
      }
    });
    return ptyStream(fd);
  });
  return {
    consoleSocketPath: cs.path,
    ready,
    close() {
      cs.close();
      ctl?.destroy();
      try {
        fs.unlinkSync('ctl');
      } catch {
        /* gone */
      }
    },
  };
}

/** The control fifo `ctl`; opened read-write so that it never reads EOF between writers. */
function controlFifo(onResize: (rows: number, cols: number) => void): net.Socket {
  try {
    fs.unlinkSync('ctl');
  } catch {
    /* not there */
  }
  native().mknod('ctl', S_IFIFO | 0o600, 0, 0);
  const fd = fs.openSync('ctl', fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const s = new net.Socket({ fd, readable: true, writable: false });
  let carry = '';
  s.on('data', (d: Buffer) => {
    const text = carry + d.toString('utf8');
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      const r = parseControl(line);
      if (r) onResize(r.rows, r.cols);
    }
  });
  s.on('error', () => undefined);
  s.unref();
  return s;
}
