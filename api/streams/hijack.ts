// Taking over a connection for a raw bidirectional stream (attach, exec start):
// `101 UPGRADED` when the client sent `Upgrade`, else a plain `200 OK` stream.
import { PassThrough, type Readable } from 'node:stream';
import type { RouteContext } from '../router';

export interface RawStream {
  write(data: Buffer): void;
  /** Ends the output (and the connection). */
  end(): void;
  /** Bytes from the client after the upgrade: the process's stdin. */
  input: Readable;
  /** Called once when the client went away or the stream was ended. */
  onClose(cb: () => void): void;
  readonly closed: boolean;
}

export const RAW_STREAM_TYPE = 'application/vnd.docker.raw-stream';

export function hijack(ctx: RouteContext): RawStream {
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    (ctx.res as { hijacked?: boolean }).hijacked = true;
    ctx.res.detachSocket(socket);
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${RAW_STREAM_TYPE}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    ctx.service.trackHijack(socket);
    // Client bytes are kept until a consumer (the container's or exec's stdin) reads them.
    const input = new PassThrough();
    if (head.length) input.write(head);
    socket.pipe(input);
    let closed = false;
    const closers: (() => void)[] = [];
    const close = () => {
      if (closed) return;
      closed = true;
      for (const cb of closers) cb();
    };
    socket.on('close', close);
    socket.on('error', close);
    return {
      write: (d) => {
        if (!closed && socket.writable) socket.write(d);
      },
      end: () => {
        if (!closed) socket.end();
        setTimeout(() => socket.destroy(), 2000).unref();
      },
      input,
      onClose: (cb) => (closed ? cb() : closers.push(cb)),
      get closed() {
        return closed;
      },
    };
  }
  const { res, req } = ctx;
  res.writeHead(200, { 'Content-Type': RAW_STREAM_TYPE });
  res.flushHeaders();
  let closed = false;
  const closers: (() => void)[] = [];
  res.on('close', () => {
    closed = true;
    for (const cb of closers) cb();
  });
  return {
    write: (d) => {
      if (!closed) res.write(d);
    },
    end: () => res.end(),
    input: req,
    onClose: (cb) => (closed ? cb() : closers.push(cb)),
    get closed() {
      return closed;
    },
  };
}

/**
 * The body of an upgrade request (exec start sends its JSON with the Upgrade
 * header): Node leaves it in the raw socket, so read Content-Length bytes
 * there and keep what follows as the first client bytes.
 */
export function readUpgradeBody(ctx: RouteContext, limit = 1024 * 1024): Promise<Buffer> {
  const up = ctx.upgrade;
  if (!up) return Promise.resolve(Buffer.alloc(0));
  const want = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isFinite(want) || want <= 0) return Promise.resolve(Buffer.alloc(0));
  if (want > limit) return Promise.reject(new Error(`request body too large: ${want} bytes`));
  return new Promise((resolve, reject) => {
    let buf = up.head;
    const done = () => {
      up.socket.off('data', onData);
      up.socket.pause();
      up.head = buf.subarray(want);
      resolve(buf.subarray(0, want));
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= want) done();
    };
    if (buf.length >= want) return done();
    up.socket.on('data', onData);
    up.socket.once('error', reject);
    up.socket.resume();
  });
}
