// The looking-into-containers part of the Engine contract: cp's path stat and
// archives (Podman's ContainerStat / ContainerCopyToArchive / ...FromArchive)
// and top, with their in-process implementation.
import type { Readable } from 'node:stream';
import type { LocalEngine } from '../container/engine';
import { getArchive, putArchive, statContainerPath, type PathStat, type PutArchiveOptions } from '../container/archive';
import { containerProcesses, podmanTop } from '../container/top';
import type { LibpodStats } from '../container/stats';
import { type EngineEvent, eventsLogPath } from '../events/journal';
import { libpodDf, type LibpodDf } from '../container/df';
import { FileTail } from '../storage/file-tail';

export type { PathStat, PutArchiveOptions, LibpodStats, EngineEvent, LibpodDf };

export interface EventsRequest {
  /** unix ms: events before it are left out */
  since?: number;
  /** unix ms: events after it are left out, and streaming ends then */
  until?: number;
  /** after what was logged, what comes (until `until`, or for ever) */
  stream: boolean;
}

export interface TopReport {
  Titles: string[];
  Processes: string[][];
}

export interface ObserveEngine {
  /** The stat of a path in the container (Docker's X-Docker-Container-Path-Stat). */
  statPath(ctr: string, containerPath: string): Promise<PathStat>;
  /** A tar of the path, its top entry named by its base name. */
  getArchive(ctr: string, containerPath: string): Promise<{ stat: PathStat; tar: Readable }>;
  /** Extracts the tar into the existing directory containerPath. */
  putArchive(ctr: string, containerPath: string, tar: Readable, opts: PutArchiveOptions): Promise<void>;
  /** The container's processes, as `ps` columns. */
  top(ctr: string): Promise<TopReport>;
  /**
   * Resource usage reports of the containers (the running ones when none are
   * named): one, or (stream) one per interval until onReport answers false.
   */
  stats(containers: string[], opts: { stream: boolean; intervalMs: number; all?: boolean }, onReport: (stats: LibpodStats[]) => boolean | void): Promise<void>;
  /** The events journal in the window, oldest first, then (stream) the live ones. */
  events(req: EventsRequest, onEvent: (ev: EngineEvent) => void): Promise<void>;
  /** Disk usage: images, containers, volumes (`system df`). */
  df(): Promise<LibpodDf>;
  /** What changed in the container's filesystem (Docker's kinds: 0 changed, 1 added, 2 deleted). */
  changes(ctr: string): Promise<FileChange[]>;
}

export interface FileChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

export class LocalObserve implements ObserveEngine {
  constructor(private readonly local: LocalEngine) {}

  async statPath(ctr: string, containerPath: string): Promise<PathStat> {
    return statContainerPath(this.local, ctr, containerPath);
  }

  async getArchive(ctr: string, containerPath: string): Promise<{ stat: PathStat; tar: Readable }> {
    return getArchive(this.local, ctr, containerPath);
  }

  putArchive(ctr: string, containerPath: string, tar: Readable, opts: PutArchiveOptions): Promise<void> {
    return putArchive(this.local, ctr, containerPath, tar, opts);
  }

  async top(ctr: string): Promise<TopReport> {
    return podmanTop(containerProcesses(this.local, ctr).procs);
  }

  async stats(containers: string[], opts: { stream: boolean; intervalMs: number; all?: boolean }, onReport: (stats: LibpodStats[]) => boolean | void): Promise<void> {
    // loaded when used: pidusage cannot be part of the CLI's start-up snapshot
    const { statsReports } = await import('../container/stats');
    for await (const report of statsReports(this.local, containers, opts)) if (onReport(report) === false) break;
  }

  /** As Podman's file backend: what was logged so far, then (streaming) what comes. */
  async events(req: EventsRequest, onEvent: (ev: EngineEvent) => void): Promise<void> {
    const inWindow = (ev: EngineEvent) => {
      const ms = Math.round(ev.TimeNano / 1e6); // the journal's whole milliseconds, as the service compares
      return !((req.since !== undefined && ms < Math.round(req.since)) || (req.until !== undefined && ms > Math.round(req.until)));
    };
    // Exits the monitors recorded but nobody reported yet become their `died` events first
    this.local.list();
    const tail = new FileTail(eventsLogPath(this.local.paths), 0);
    const drain = () => {
      for (const line of tail.read().split('\n').filter(Boolean)) {
        let ev: EngineEvent;
        try {
          ev = JSON.parse(line) as EngineEvent;
        } catch {
          continue; // a torn line
        }
        if (inWindow(ev)) onEvent(ev);
      }
    };
    drain();
    if (!req.stream || (req.until !== undefined && req.until <= Date.now())) return;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        drain();
        if (req.until !== undefined && Date.now() > req.until) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
  }

  async df(): Promise<LibpodDf> {
    return libpodDf(this.local);
  }

  /** A walk of the container's upper layer: loaded when used. */
  async changes(ctr: string): Promise<FileChange[]> {
    const { containerChanges } = await import('../storage/container-diff');
    const rec = this.local.get(ctr);
    const kinds = { C: 0, A: 1, D: 2 } as const;
    return containerChanges(this.local.paths, rec.id, this.local.lowerDirsOf(rec)).map((c) => ({ Path: c.path, Kind: kinds[c.kind as keyof typeof kinds] }));
  }
}
