// Container logs over HTTP: the k8s-file log as Docker frames (raw for a TTY),
// with tail/since/until/timestamps, and follow until the container exits or
// the client goes away.
import * as path from 'node:path';
import type * as http from 'node:http';
import type { LocalEngine } from '../../lib/container/engine';
import type { ContainerRecord } from '../../lib/storage/records';
import { type LogLine, emitLog, rfc3339Nano } from '../../lib/container/logs';
import { waitForExit } from '../../lib/container/state';
import { containerDir } from '../../lib/storage/paths';
import { outputChunk } from './mux';
import { RAW_STREAM_TYPE } from './hijack';

export interface LogOptions {
  follow: boolean;
  tail: number; // < 0: all
  since?: number; // unix seconds
  until?: number;
  timestamps: boolean;
  stdout: boolean;
  stderr: boolean;
}

export const logFile = (engine: LocalEngine, rec: ContainerRecord) => path.join(containerDir(engine.paths, rec.id), 'ctr.log');

export async function streamLogs(engine: LocalEngine, rec: ContainerRecord, res: http.ServerResponse, o: LogOptions): Promise<void> {
  const tty = rec.config.tty;
  const emit = (l: LogLine) => {
    const text = `${o.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}`;
    res.write(outputChunk(tty, l.stream, Buffer.from(text)));
  };
  res.writeHead(200, { 'Content-Type': RAW_STREAM_TYPE });
  res.flushHeaders();
  const follow =
    o.follow && rec.state.status === 'running'
      ? Promise.race([waitForExit(engine.paths, rec), new Promise<void>((r) => res.on('close', () => r()))])
      : undefined;
  await emitLog(logFile(engine, rec), { tail: o.tail, since: o.since, until: o.until, stdout: o.stdout, stderr: o.stderr, follow }, emit);
  res.end();
}
