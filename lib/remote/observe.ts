// cp and top of the remote engine: the libpod API's /containers/{id}/archive
// (the path's stat in the X-Docker-Container-Path-Stat header) and /top.
import type { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { ServiceConnection } from './connection';
import { errorFromBody, readAll } from './connection';
import type { EngineEvent, EventsRequest, FileChange, LibpodDf, LibpodStats, ObserveEngine, PathStat, PutArchiveOptions, TopReport } from '../engine/observe';
import { EngineError } from '../errors';

const enc = encodeURIComponent;

function statOf(res: IncomingMessage): PathStat {
  const header = res.headers['x-docker-container-path-stat'];
  try {
    return JSON.parse(Buffer.from(String(header), 'base64').toString('utf8')) as PathStat;
  } catch {
    throw new EngineError('internal', 'the service sent no stat of the path (X-Docker-Container-Path-Stat)');
  }
}

export class RemoteObserve implements ObserveEngine {
  constructor(private readonly conn: ServiceConnection) {}

  private async failed(res: IncomingMessage): Promise<never> {
    throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
  }

  async statPath(ctr: string, containerPath: string): Promise<PathStat> {
    const where = `/containers/${enc(ctr)}/archive?path=${enc(containerPath)}`;
    const res = await this.conn.open('HEAD', where);
    res.resume();
    if (res.statusCode === 200) return statOf(res);
    // a HEAD answer has no body: the error's message comes with the GET
    const got = await this.conn.open('GET', where);
    if (got.statusCode !== 200) return this.failed(got);
    got.destroy();
    throw new EngineError('internal', `stat of ${containerPath}: the service answered ${res.statusCode}`);
  }

  async getArchive(ctr: string, containerPath: string): Promise<{ stat: PathStat; tar: Readable }> {
    const res = await this.conn.open('GET', `/containers/${enc(ctr)}/archive?path=${enc(containerPath)}`);
    if (res.statusCode !== 200) return this.failed(res);
    return { stat: statOf(res), tar: res };
  }

  async putArchive(ctr: string, containerPath: string, tar: Readable, opts: PutArchiveOptions): Promise<void> {
    const q = new URLSearchParams({ path: containerPath, noOverwriteDirNonDir: String(!!opts.noOverwriteDirNonDir) });
    // Podman's `rename` (a JSON map): the archive's top component renamed on the way in
    if (opts.rebase) q.set('rename', JSON.stringify({ [opts.rebase.from]: opts.rebase.to }));
    const res = await this.conn.send('PUT', `/containers/${enc(ctr)}/archive?${q}`, tar, { 'Content-Type': 'application/x-tar' });
    if ((res.statusCode ?? 500) >= 400) return this.failed(res);
    res.resume();
  }

  changes(ctr: string): Promise<FileChange[]> {
    return this.conn.json<FileChange[]>('GET', `/containers/${enc(ctr)}/changes`);
  }

  df(): Promise<LibpodDf> {
    return this.conn.json<LibpodDf>('GET', '/system/df');
  }

  top(ctr: string): Promise<TopReport> {
    return this.conn.json<TopReport>('GET', `/containers/${enc(ctr)}/top`);
  }

  /**
   * libpod's events (NDJSON, Docker's shape), read back into journal events.
   * since=0 replays the whole journal, as the local command shows it.
   */
  async events(req: EventsRequest, onEvent: (ev: EngineEvent) => void): Promise<void> {
    const q = new URLSearchParams({ stream: String(req.stream), since: String((req.since ?? 0) / 1000) });
    if (req.until !== undefined) q.set('until', String(req.until / 1000));
    const res = await this.conn.open('GET', `/events?${q}`);
    if (res.statusCode !== 200) return this.failed(res);
    await readLines(res, (line) => {
      const ev = journalEvent(JSON.parse(line) as DockerEvent);
      const ms = Math.round(ev.TimeNano / 1e6); // the journal's whole milliseconds
      if ((req.since === undefined || ms >= Math.round(req.since)) && (req.until === undefined || ms <= Math.round(req.until))) onEvent(ev);
      return true;
    });
  }

  /** libpod's stats: one document, or (stream) one JSON document per line. */
  async stats(containers: string[], opts: { stream: boolean; intervalMs: number; all?: boolean }, onReport: (stats: LibpodStats[]) => boolean | void): Promise<void> {
    const q = new URLSearchParams({ stream: String(opts.stream), interval: String(Math.max(1, Math.round(opts.intervalMs / 1000))), ...(opts.all ? { all: 'true' } : {}) });
    for (const c of containers) q.append('containers', c);
    const res = await this.conn.open('GET', `/containers/stats?${q}`);
    if (res.statusCode !== 200) return this.failed(res);
    await readLines(res, (line) => {
      const doc = JSON.parse(line) as { Error?: unknown; Stats?: LibpodStats[] };
      // Podman's report of a container it cannot read: {"Error":{"message":...},"Stats":null}
      if (doc.Error) throw new EngineError('internal', typeof doc.Error === 'string' ? doc.Error : ((doc.Error as { message?: string }).message ?? JSON.stringify(doc.Error)));
      return onReport(doc.Stats ?? []) !== false;
    });
  }
}

interface DockerEvent {
  Type: EngineEvent['Type'];
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  timeNano: number;
}

/** The journal event a libpod event stands for (api/streams/events.ts's dockerEvent, read back). */
function journalEvent(d: DockerEvent): EngineEvent {
  const { name, image, containerExitCode, ...rest } = d.Actor.Attributes ?? {};
  const ev: EngineEvent = { Type: d.Type, Status: d.Action, ID: d.Actor.ID, Time: new Date(d.timeNano / 1e6).toISOString(), TimeNano: d.timeNano };
  if (name) ev.Name = name;
  if (image) ev.Image = image;
  if (containerExitCode !== undefined) ev.ContainerExitCode = Number(containerExitCode);
  if (Object.keys(rest).length || d.Type === 'container') ev.Attributes = rest;
  return ev;
}

/** Calls onLine for each line of the response until it ends or onLine answers false; a throw ends it with that error. */
export function readLines(res: IncomingMessage, onLine: (line: string) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let rest = '';
    let done = false;
    const stop = (e?: unknown) => {
      if (done) return;
      done = true;
      res.destroy();
      if (e) reject(e);
      else resolve();
    };
    const each = (lines: string[]) => {
      try {
        for (const l of lines) if (l.trim() && !onLine(l)) return stop();
      } catch (e) {
        stop(e);
      }
    };
    res.on('data', (d: Buffer) => {
      const lines = (rest + d.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      each(lines);
    });
    res.on('end', () => {
      each([rest]);
      if (!done) {
        done = true;
        resolve();
      }
    });
    res.on('error', (e) => stop(e));
  });
}
