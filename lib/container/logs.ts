// Reading a k8s-file log back: partial (P) records are joined into whole lines.
import * as fs from 'node:fs';
import { FileTail } from '../storage/file-tail';
import { EngineError } from '../errors';

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

/** Which records of a container's log to emit (one rule for the CLI, remote and both APIs). */
export interface LogSelection {
  tail: number; // < 0: all
  since?: number; // unix seconds; records before it are skipped
  until?: number; // unix seconds; records after it are skipped
  stdout?: boolean; // default true
  stderr?: boolean; // default true
  /** keep emitting appended records until `stop` settles (e.g. the container exited) */
  follow?: Promise<unknown>;
}

/** Emits the selected records of the log file (and with follow, those appended later). */
export async function emitLog(file: string, sel: LogSelection, emit: (l: LogLine) => void): Promise<void> {
  const keep = (l: LogLine) => {
    if (l.stream === 'stdout' ? sel.stdout === false : sel.stderr === false) return false;
    const t = Date.parse(l.time) / 1000;
    if (sel.since !== undefined && sel.since > 0 && t < sel.since) return false;
    if (sel.until !== undefined && sel.until > 0 && t > sel.until) return false;
    return true;
  };
  const read = readLogWithOffset(file);
  let lines = read.lines.filter(keep);
  if (sel.tail >= 0) lines = sel.tail === 0 ? [] : lines.slice(-sel.tail);
  lines.forEach(emit);
  if (sel.follow) await followLog(file, read.offset, (l) => keep(l) && emit(l), sel.follow);
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `--since` / `--until` as Podman reads them: a Unix timestamp (seconds, with
 * an optional fraction), a Go duration before now (`10m`, `1h30m`), or an
 * RFC 3339 / ISO 8601 time. Returns unix seconds.
 */
export function parseLogTime(spec: string, flag: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(spec)) return Number(spec);
  if (GO_DURATION.test(spec)) {
    let ms = 0;
    for (const m of spec.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * GO_UNIT_MS[m[2]];
    return (now - ms) / 1000;
  }
  const t = Date.parse(spec);
  if (Number.isNaN(t)) throw new EngineError('invalid-argument', `invalid value for --${flag}: ${JSON.stringify(spec)}: not a timestamp, duration or RFC 3339 time`);
  return t / 1000;
}
