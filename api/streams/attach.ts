// Attach over the API. The Docker CLI attaches *before* it starts the
// container, so an attach to a container that is not running is parked here
// and the start handler starts the container with the parked streams
// (engine.startAttached: the monitor's attach socket is connected before the
// process runs, so no output is lost). An attach to a running container
// connects to its monitor directly.
import { Writable } from 'node:stream';
import type { LocalEngine } from '../../lib/container/engine';
import type { ContainerRecord } from '../../lib/storage/records';
import { type AttachStreams, connectAttach, pumpAttach } from '../../lib/container/attach';
import * as path from 'node:path';
import { bundleDir, containerDir } from '../../lib/storage/paths';
import { readLog } from '../../lib/container/logs';
import { outputChunk } from './mux';
import type { RawStream } from './hijack';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../lib/terminal/detach-keys';

export interface AttachRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** replay what the container logged so far first (`logs=1`) */
  logs?: boolean;
  /** false: only the replay, no live stream */
  stream?: boolean;
  /** Docker's detachKeys (default ctrl-p,ctrl-q; '' disables); only with a terminal */
  detachKeys?: string;
}

interface Parked {
  raw: RawStream;
  want: AttachRequest;
}

const parked = new Map<string, Parked>();

function writer(raw: RawStream, tty: boolean, stream: 'stdout' | 'stderr', enabled: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (enabled) raw.write(outputChunk(tty, stream, chunk));
      cb();
    },
  });
}

export function streamsFor(raw: RawStream, rec: ContainerRecord, want: AttachRequest): AttachStreams {
  const stdin = want.stdin && rec.config.stdin;
  return {
    stdout: writer(raw, rec.config.tty, 'stdout', want.stdout),
    stderr: writer(raw, rec.config.tty, 'stderr', want.stderr),
    stdin: stdin ? raw.input : undefined,
    // The detach keys end this stream; the container runs on.
    detachKeys: stdin && rec.config.tty ? parseDetachKeys(want.detachKeys ?? DEFAULT_DETACH_KEYS) : undefined,
    onDetach: () => raw.end(),
  };
}

/** Attaches the hijacked stream to the container now (running) or at its next start. */
export async function attachStream(engine: LocalEngine, rec: ContainerRecord, raw: RawStream, want: AttachRequest): Promise<void> {
  if (want.logs && rec.config.logDriver === 'k8s-file') {
    // Podman replays each logged line as one frame, without its newline (the suite's #12904 check counts on it).
    for (const l of readLog(path.join(containerDir(engine.paths, rec.id), 'ctr.log')))
      if (l.stream === 'stdout' ? want.stdout : want.stderr) raw.write(outputChunk(rec.config.tty, l.stream, Buffer.from(l.text.replace(/\n$/, ''))));
  }
  if (!want.stream) {
    raw.end();
    return;
  }
  if (rec.state.status === 'running') {
    let sock;
    try {
      sock = await connectAttach(bundleDir(engine.paths, rec.id), rec.state.conmonPid);
    } catch {
      raw.end();
      return;
    }
    raw.onClose(() => sock.destroy());
    await pumpAttach(sock, streamsFor(raw, rec, want));
    raw.end();
    return;
  }
  parked.set(rec.id, { raw, want });
  raw.onClose(() => {
    if (parked.get(rec.id)?.raw === raw) parked.delete(rec.id);
  });
}

/** The parked attach for a container, taken (a start consumes it). */
export function takeParked(id: string): Parked | undefined {
  const p = parked.get(id);
  if (p) parked.delete(id);
  return p && !p.raw.closed ? p : undefined;
}
