// Reading a k8s-file log back: partial (P) records are joined into whole lines.
import * as fs from 'node:fs';
import { FileTail } from '../storage/file-tail';

export interface LogLine {
  time: string; // as recorded
  stream: 'stdout' | 'stderr';
  text: string; // with its newline when the line ended
}

export function parseLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  let partial: LogLine | undefined;
  for (const rec of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/.exec(rec);
    if (!m) continue;
    const [, time, stream, tag, content] = m;
    const piece = tag === 'F' ? `${content}\n` : content;
    if (partial && partial.stream === stream) {
      partial.text += piece;
    } else {
      if (partial) lines.push(partial);
      partial = { time, stream: stream as LogLine['stream'], text: piece };
    }
    if (tag === 'F') {
      lines.push(partial);
      partial = undefined;
    }
  }
  if (partial) lines.push(partial);
  return lines;
}

/** RFC 3339 with nanoseconds as Go prints it (trailing zeros trimmed, Z for UTC). */
export function rfc3339Nano(k8sTime: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?([+-]\d\d:\d\d|Z)$/.exec(k8sTime);
  if (!m) return k8sTime;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}${frac ? `.${frac}` : ''}${m[3] === '+00:00' ? 'Z' : m[3]}`;
}

export function readLog(file: string): LogLine[] {
  try {
    return parseLog(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

/** The log's lines and the size they were read at (where following starts). */
export function readLogWithOffset(file: string): { lines: LogLine[]; offset: number } {
  try {
    const buf = fs.readFileSync(file);
    return { lines: parseLog(buf.toString('utf8')), offset: buf.length };
  } catch {
    return { lines: [], offset: 0 };
  }
}

const FOLLOW_POLL_MS = 100;

/**
 * `logs -f`: emits the records appended after `offset` until `until` settles
 * (the container exited, or the reader went away), then the last of them.
 */
export async function followLog(file: string, offset: number, emit: (l: LogLine) => void, until: Promise<unknown>): Promise<void> {
  const tail = new FileTail(file, offset);
  const pump = () => parseLog(tail.read()).forEach(emit);
  const timer = setInterval(pump, FOLLOW_POLL_MS);
  try {
    await until;
  } finally {
    clearInterval(timer);
  }
  pump();
}
