// The monitor's attach socket: the monitor sends frames of [stream id, 4-byte
// big-endian length, data]; the client sends raw bytes for the container's stdin.
// Stream ids follow conmon's: 2 stdout, 3 stderr.
// The control fifo (`ctl` beside it) takes conmon's lines: `1 ROWS COLS` resizes
// the container's terminal.

export const STREAM_STDOUT = 2;
export const STREAM_STDERR = 3;
const HEADER = 5;
export const CTL_RESIZE = 1;

export function encodeFrame(stream: number, data: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header[0] = stream;
  header.writeUInt32BE(data.length, 1);
  return Buffer.concat([header, data]);
}

/** Splits a byte stream back into frames, whatever the chunking. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER) {
      const len = this.pending.readUInt32BE(1);
      if (this.pending.length < HEADER + len) break;
      this.onFrame(this.pending[0], this.pending.subarray(HEADER, HEADER + len));
      this.pending = this.pending.subarray(HEADER + len);
    }
  }
}

export function resizeMessage(rows: number, cols: number): string {
  return `${CTL_RESIZE} ${Math.max(0, Math.floor(rows))} ${Math.max(0, Math.floor(cols))}\n`;
}

/** A control line parsed, or undefined for one we do not know. */
export function parseControl(line: string): { rows: number; cols: number } | undefined {
  const m = /^(\d+) (\d+) (\d+)$/.exec(line.trim());
  if (!m || Number(m[1]) !== CTL_RESIZE) return undefined;
  return { rows: Number(m[2]), cols: Number(m[3]) };
}
