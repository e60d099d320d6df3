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
  private size: number;

  /** maxSize: as conmon's --log-size-max, the file is truncated when a write would take it past that */
  constructor(file: string, private readonly maxSize = 0) {
    this.fd = fs.openSync(file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const rec = Buffer.from(formatRecords(stream, chunk));
    if (this.maxSize > 0 && this.size + rec.length > this.maxSize) {
      fs.ftruncateSync(this.fd, 0); // O_APPEND: the next write lands at the new end, 0
      this.size = 0;
    }
    fs.writeSync(this.fd, rec);
    this.size += rec.length;
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
