// Container logs over HTTP: the k8s-file log as Docker frames (raw for a TTY),
// with tail/since/until/timestamps, and follow until the container exits or
// the client goes away.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as http from 'node:http';
import type { LocalEngine } from '../../lib/container/engine';
import type { ContainerRecord } from '../../lib/storage/records';
import { type LogLine, parseLog, readLog, rfc3339Nano } from '../../lib/container/logs';
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
  const keep = (l: LogLine) => {
    if (l.stream === 'stdout' ? !o.stdout : !o.stderr) return false;
    const t = Date.parse(l.time) / 1000;
    if (o.since !== undefined && o.since > 0 && t < o.since) return false;
    if (o.until !== undefined && o.until > 0 && t > o.until) return false;
    return true;
  };
  const emit = (l: LogLine) => {
    if (!keep(l)) return;
    const text = `${o.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}`;
    res.write(outputChunk(tty, l.stream, Buffer.from(text)));
  };
  res.writeHead(200, { 'Content-Type': RAW_STREAM_TYPE });
  res.flushHeaders();
  const file = logFile(engine, rec);
  let offset = 0;
  try {
    offset = fs.statSync(file).size;
  } catch {
    /* no log yet */
  }
  let lines = readLog(file).filter(keep);
  if (o.tail >= 0) lines = o.tail === 0 ? [] : lines.slice(-o.tail);
  lines.forEach(emit);
  if (o.follow && rec.state.status === 'running') {
    let carry = '';
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    const pump = () => {
      let size = 0;
      try {
        size = fs.statSync(file).size;
      } catch {
        return;
      }
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      const fd = fs.openSync(file, 'r');
      try {
        fs.readSync(fd, buf, 0, buf.length, offset);
      } finally {
        fs.closeSync(fd);
      }
      offset = size;
      const text = carry + buf.toString('utf8');
      const nl = text.lastIndexOf('\n');
      carry = text.slice(nl + 1);
      parseLog(text.slice(0, nl + 1)).forEach(emit);
    };
    const timer = setInterval(() => {
      if (!gone) pump();
    }, 100);
    await Promise.race([waitForExit(engine.paths, rec), new Promise<void>((r) => res.on('close', () => r()))]);
    clearInterval(timer);
    if (!gone) pump();
  }
  res.end();
}
