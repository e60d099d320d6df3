// Events written by every tspod process (CLI, API service, cleanup), one JSON
// line each in the runroot; `events` and the API read them back. Appends of a
// single short line are atomic, so writers need no lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type StoragePaths, eventsFile } from '../storage/paths';

export interface EngineEvent {
  Type: 'container' | 'image' | 'volume' | 'network' | 'pod' | 'secret' | 'system';
  Status: string;
  ID: string;
  Name?: string;
  Image?: string;
  ContainerExitCode?: number;
  Attributes?: Record<string, string>;
  Time: string; // RFC 3339 with nanoseconds
  TimeNano: number;
}

export function emitEvent(paths: StoragePaths, ev: Omit<EngineEvent, 'Time' | 'TimeNano'>): void {
  const now = Date.now();
  const full: EngineEvent = { ...ev, Time: new Date(now).toISOString(), TimeNano: now * 1e6 };
  const file = eventsFile(paths);
  try {
    fs.appendFileSync(file, `${JSON.stringify(full)}\n`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `${JSON.stringify(full)}\n`);
  }
}

export function readEvents(paths: StoragePaths): EngineEvent[] {
  try {
    return fs
      .readFileSync(eventsFile(paths), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as EngineEvent);
  } catch {
    return [];
  }
}
