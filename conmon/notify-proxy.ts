// --sdnotify=container: the container gets a datagram socket at
// <bundle>/notify/notify.sock; READY=1 and WATCHDOG=1 are forwarded to systemd's
// NOTIFY_SOCKET (as conmon does), everything else is dropped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../lib/native';

const POLL_MS = 100;

export class NotifyProxy {
  private fd: number;
  private timer: NodeJS.Timeout;

  constructor(bundle: string, private readonly target: string) {
    const dir = path.join(bundle, 'notify');
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const sock = path.join(dir, 'notify.sock');
    fs.rmSync(sock, { force: true });
    // bind relative to the bundle (our cwd): absolute paths may exceed sun_path
    this.fd = native().dgramBind(path.relative(process.cwd(), sock) || sock);
    fs.chmodSync(sock, 0o777);
    // Node cannot poll a datagram fd; the addon reads without blocking on a short timer.
    this.timer = setInterval(() => this.drain(), POLL_MS).unref();
  }

  private drain(): void {
    for (let msg = native().dgramRecv(this.fd); msg; msg = native().dgramRecv(this.fd)) {
      const text = msg.toString('utf8');
      const fwd = /(^|\n)READY=1($|\n)/.test(text) ? 'READY=1' : /(^|\n)WATCHDOG=1($|\n)/.test(text) ? 'WATCHDOG=1' : '';
      if (fwd) {
        try {
          native().dgramSend(this.target, Buffer.from(fwd));
        } catch {
          /* systemd went away */
        }
      }
    }
  }

  close(): void {
    this.drain();
    clearInterval(this.timer);
    fs.closeSync(this.fd);
  }
}
