// How the monitor learns its configuration: as JSON in argv, or, when the
// engine started it ahead of time, read from a pipe (--config-fd N) that the
// engine fills once the bundle is ready. An empty pipe means the run was
// abandoned: the monitor then exits without touching anything.
import * as fs from 'node:fs';
import type { MonitorConfig } from '../lib/container/monitor-config';

export function readMonitorConfig(args: string[]): MonitorConfig {
  if (args[0] !== '--config-fd') return JSON.parse(args[0]) as MonitorConfig;
  const fd = Number(args[1]);
  if (!Number.isInteger(fd) || fd < 3) throw new Error(`--config-fd: bad fd ${args[1]}`);
  let text: string;
  try {
    text = fs.readFileSync(fd, 'utf8'); // blocks until the engine closes its end
  } catch {
    text = '';
  }
  fs.closeSync(fd);
  if (!text.trim()) process.exit(0);
  return JSON.parse(text) as MonitorConfig;
}
