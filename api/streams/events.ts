// Events over HTTP: the journal in Docker's shape (which libpod shares),
// filtered as `tspod events` filters them (lib/events/query), replayed from
// `since`, and streamed as NDJSON while the client stays (or until `until`).
import * as fs from 'node:fs';
import { FileTail } from '../../lib/storage/file-tail';
import type * as http from 'node:http';
import type { LocalEngine } from '../../lib/container/engine';
import { type EngineEvent, eventsLogPath, readEvents } from '../../lib/events/journal';
import { eventMatches } from '../../lib/events/query';

/** Docker's action names for ours. */
const DOCKER_ACTION: Record<string, string> = { died: 'die', remove: 'destroy' };

export function dockerEvent(ev: EngineEvent, compat: boolean) {
  // Docker names an image's removal "delete" (a container's is "destroy")
  const action = !compat ? ev.Status : ev.Type === 'image' && ev.Status === 'remove' ? 'delete' : (DOCKER_ACTION[ev.Status] ?? ev.Status);
  const attributes: Record<string, string> = { ...(ev.Attributes ?? {}) };
  if (ev.Name) attributes.name = ev.Name;
  if (ev.Image) attributes.image = ev.Image;
  if (ev.ContainerExitCode !== undefined) attributes[compat ? 'exitCode' : 'containerExitCode'] = String(ev.ContainerExitCode);
  const seconds = Math.floor(ev.TimeNano / 1e9);
  return {
    status: action,
    id: ev.ID,
    from: ev.Image ?? '',
    Type: ev.Type,
    Action: action,
    Actor: { ID: ev.ID, Attributes: attributes },
    scope: 'local',
    time: seconds,
    timeNano: ev.TimeNano,
  };
}

export interface EventQuery {
  since?: number; // unix seconds
  until?: number;
  stream: boolean;
  filters: Map<string, string[]>;
  compat: boolean;
}

function parseTime(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t / 1000;
}

export function eventQuery(q: URLSearchParams, filters: Map<string, string[]>, compat: boolean): EventQuery {
  const streamParam = q.get('stream');
  return {
    since: parseTime(q.get('since')),
    until: parseTime(q.get('until')),
    stream: streamParam === null ? true : !['0', 'false', 'no', ''].includes(streamParam.toLowerCase()),
    filters,
    compat,
  };
}

export async function streamEvents(engine: LocalEngine, res: http.ServerResponse, q: EventQuery): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  // Compared in whole milliseconds, as the journal keeps them: an event's TimeNano over 1e9
  // can round below the same instant given as decimal seconds, and drop an event at `since`.
  const ms = (seconds: number) => Math.round(seconds * 1000);
  const eventMs = (ev: EngineEvent) => Math.round(ev.TimeNano / 1e6);
  const inWindow = (ev: EngineEvent) => q.until === undefined || eventMs(ev) <= ms(q.until);
  const send = (ev: EngineEvent) => {
    if (inWindow(ev) && eventMatches(ev, q.filters)) res.write(`${JSON.stringify(dockerEvent(ev, q.compat))}\n`);
  };
  const file = eventsLogPath(engine.paths);
  let offset = 0; // where the live part starts
  try {
    offset = fs.statSync(file).size;
  } catch {
    /* none yet */
  }
  // Replay: with `since`, or (not streaming) everything up to `until`.
  if (q.since !== undefined || !q.stream) {
    for (const ev of readEvents(engine.paths)) if (eventMs(ev) >= ms(q.since ?? 0)) send(ev);
  }
  const live = q.stream && (q.until === undefined || q.until > Date.now() / 1000);
  if (!live) {
    res.end();
    return;
  }
  const tail = new FileTail(file, offset);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (q.until !== undefined && Date.now() / 1000 > q.until) return finish();
      for (const line of tail.read().split('\n').filter(Boolean)) {
        try {
          send(JSON.parse(line) as EngineEvent);
        } catch {
          /* a torn line */
        }
      }
    }, 150);
    const finish = () => {
      clearInterval(timer);
      resolve();
    };
    res.on('close', finish);
  });
  res.end();
}
