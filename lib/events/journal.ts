// Events written by every tspod process (CLI, API service, cleanup), one JSON
// line each in the runroot; `events` and the API read them back. Appends of a
// single short line are atomic, so writers need no lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type StoragePaths, eventsFile } from '../storage/paths';
import { loadContainersConf } from '../config/containers-conf';

/** The event log: containers.conf's events_logfile_path when set, else the one in the runroot. */
export function eventsLogPath(paths: StoragePaths): string {
  return loadContainersConf().eventsLogfilePath ?? eventsFile(paths);
}

export interface EngineEvent {
  Type: 'container' | 'image' | 'volume' | 'network' | 'pod' | 'secret' | 'system';
  Status: string;
  ID: string;
  Name?: string;
  Image?: string;
  ContainerExitCode?: number;
  /** health_status events: the container's status after the check */
  HealthStatus?: string;
  Attributes?: Record<string, string>;
  Time: string; // RFC 3339 with nanoseconds
  TimeNano: number;
}

/** A container's labels as its events' attributes (Podman's events carry them, `die` too). */
export function labelAttributes(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  return labels && Object.keys(labels).length ? { ...labels } : undefined;
}

/** An image event as Podman's libimage writes it: the image's id and the name the operation used. */
export function emitImageEvent(paths: StoragePaths, status: string, id: string, name: string): void {
  emitEvent(paths, { Type: 'image', Status: status, ID: id, Name: name });
}

export function emitEvent(paths: StoragePaths, ev: Omit<EngineEvent, 'Time' | 'TimeNano'>): void {
  const now = Date.now();
  const full: EngineEvent = { ...ev, Time: new Date(now).toISOString(), TimeNano: now * 1e6 };
  const file = eventsLogPath(paths);
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
      .readFileSync(eventsLogPath(paths), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as EngineEvent);
  } catch {
    return [];
  }
}
