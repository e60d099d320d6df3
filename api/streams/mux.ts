// Docker's multiplexed stream: an 8-byte header [stream, 0, 0, 0, length BE32]
// before each payload; 1 = stdout, 2 = stderr. TTY streams go raw instead.

export const MUX_STDOUT = 1;
export const MUX_STDERR = 2;

export function muxFrame(stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** The bytes for one chunk of output: framed, or as is for a TTY. */
export function outputChunk(tty: boolean, stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  return tty ? data : muxFrame(stream === 'stderr' ? MUX_STDERR : MUX_STDOUT, data);
}
