// The pod operations of the remote engine: the libpod API's /pods endpoints.
import type { ServiceConnection } from '../remote/connection';
import type { PodAction } from '../engine/engine';
import { EngineError } from '../errors';
import type { PodCreateRequest } from './pods';
import type { PodInspect, PodListEntry } from './views';
import type { PodStatsEntry, PodTopTable } from './observe';
import { podSpecGenerator } from './wire';

const enc = encodeURIComponent;

export class RemotePods {
  constructor(private readonly conn: ServiceConnection) {}

  async createPod(req: PodCreateRequest): Promise<string> {
    return (await this.conn.json<{ Id: string }>('POST', '/pods/create', podSpecGenerator(req))).Id;
  }

  listPods(): Promise<PodListEntry[]> {
    return this.conn.json<PodListEntry[]>('GET', '/pods/json');
  }

  podTop(ref: string, psArgs?: string): Promise<PodTopTable> {
    return this.conn.json<PodTopTable>('GET', `/pods/${enc(ref)}/top${psArgs ? `?ps_args=${enc(psArgs)}` : ''}`);
  }

  podStats(refs: string[], all: boolean): Promise<PodStatsEntry[]> {
    const q = new URLSearchParams(all ? { all: 'true' } : {});
    for (const r of refs) q.append('namesOrIDs', r);
    return this.conn.json<PodStatsEntry[]>('GET', `/pods/stats?${q}`);
  }

  inspectPod(ref: string): Promise<PodInspect> {
    return this.conn.json<PodInspect>('GET', `/pods/${enc(ref)}/json`);
  }

  async podExists(ref: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/pods/${enc(ref)}/exists`);
    r.resume();
    return r.statusCode === 204;
  }

  async podAction(ref: string, action: PodAction, opts: { timeout?: number; signal?: number } = {}): Promise<string> {
    const query = action === 'stop' || action === 'restart' ? (opts.timeout !== undefined ? `?t=${opts.timeout}` : '') : action === 'kill' && opts.signal !== undefined ? `?signal=${opts.signal}` : '';
    const r = await this.conn.request('POST', `/pods/${enc(ref)}/${action}${query}`);
    if (r.status === 304) return (await this.inspectPod(ref)).Id; // already in that state: Podman's CLI prints the id
    const report = JSON.parse(r.body.toString('utf8')) as { Id: string; Errs?: string[] | null };
    if (report.Errs?.length) throw new EngineError('internal', report.Errs.join('; '));
    return report.Id;
  }

  async removePod(ref: string, opts: { force?: boolean; timeout?: number; ignoreMissing?: boolean }): Promise<string | undefined> {
    const query = new URLSearchParams({ force: String(!!opts.force), ...(opts.timeout !== undefined ? { timeout: String(opts.timeout) } : {}) });
    try {
      const r = await this.conn.json<{ Id: string; Err?: string | null }>('DELETE', `/pods/${enc(ref)}?${query}`);
      if (r.Err) throw new EngineError('state-improper', r.Err);
      return r.Id;
    } catch (e) {
      if (opts.ignoreMissing && e instanceof EngineError && e.kind === 'no-such-object') return undefined;
      throw e;
    }
  }
}
