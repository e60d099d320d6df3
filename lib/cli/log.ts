// The CLI's own log lines, in logrus' text format as Podman prints them on
// stderr (`time="..." level=debug msg="..."`), filtered by --log-level.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, warning: 3, error: 4, fatal: 5, panic: 6 };

let current: LogLevel = 'warn';

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export function setLogLevel(level: LogLevel): void {
  current = level;
}

export function logLevel(): LogLevel {
  return current;
}

export function logEnabled(level: LogLevel): boolean {
  return RANK[level] >= RANK[current];
}

/** Writes one log line on stderr when level passes the filter. */
export function log(level: Exclude<LogLevel, 'warning'>, msg: string): void {
  if (!logEnabled(level)) return;
  // logrus spells the warn level "warning"
  process.stderr.write(`time="${new Date().toISOString()}" level=${level === 'warn' ? 'warning' : level} msg=${JSON.stringify(msg)}\n`);
}
