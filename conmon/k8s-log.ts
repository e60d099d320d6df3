// The k8s-file log format conmon writes: `<time> <stream> <F|P> <content>\n`,
// one timestamp per read, F for a line that ended, P for a partial one.
import * as fs from 'node:fs';

/** Local time with nanoseconds and a numeric offset: 2026-11-23T21:34:49.627416256+00:00 */
export function k8sTimestamp(now = new Date(), nanos = process.hrtime.bigint() % 1_000_000n): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -now.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const frac = pad(now.getMilliseconds(), 3) + String(nanos).padStart(6, '0');
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T` +
    `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${frac}` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

export function formatRecords(stream: 'stdout' | 'stderr', chunk: Buffer, time = k8sTimestamp()): string {
  const text = chunk.toString('utf8');
  const parts = text.split('\n');
  const last = parts.pop() as string;
  let out = '';
  for (const line of parts) out += `${time} ${stream} F ${line}\n`;
  if (last) out += `${time} ${stream} P ${last}\n`;
  return out;
}

export class K8sLogWriter {
  private fd: number;

  constructor(file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    fs.writeSync(this.fd, formatRecords(stream, chunk));
  }

  close(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch {
      /* a log on tmpfs or a pipe */
    }
    fs.closeSync(this.fd);
  }
}
