// The volume operations of the remote engine: the libpod API's /volumes endpoints.
import type { Readable } from 'node:stream';
import type { ServiceConnection } from './connection';
import { errorFromBody, readAll } from './connection';
import type { VolumeCreate, VolumeEngine, VolumeInspect } from '../engine/volumes';
import { EngineError } from '../errors';

const enc = encodeURIComponent;
const filterQuery = (filters: Map<string, string[]>) => (filters.size ? `?filters=${enc(JSON.stringify(Object.fromEntries(filters)))}` : '');

export class RemoteVolumes implements VolumeEngine {
  constructor(private readonly conn: ServiceConnection) {}

  async createVolume(req: VolumeCreate, ignore: boolean): Promise<VolumeInspect> {
    const body = { Name: req.name ?? '', Driver: req.driver ?? 'local', Label: req.labels ?? {}, Options: req.options ?? {} };
    try {
      return await this.conn.json<VolumeInspect>('POST', '/volumes/create', body);
    } catch (e) {
      // --ignore: the volume that has the name (libpod 4.3's body has no IgnoreIfExists)
      if (ignore && req.name !== undefined && e instanceof EngineError && e.kind === 'name-in-use') return this.inspectVolume(req.name);
      throw e;
    }
  }

  listVolumes(filters: Map<string, string[]>): Promise<VolumeInspect[]> {
    return this.conn.json<VolumeInspect[]>('GET', `/volumes/json${filterQuery(filters)}`);
  }

  inspectVolume(name: string): Promise<VolumeInspect> {
    return this.conn.json<VolumeInspect>('GET', `/volumes/${enc(name)}/json`);
  }

  async volumeExists(name: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/volumes/${enc(name)}/exists`);
    r.resume();
    if (r.statusCode === 204 || r.statusCode === 404) return r.statusCode === 204;
    throw new EngineError('internal', `volume exists: the service answered ${r.statusCode}`);
  }

  async removeVolume(name: string, force: boolean): Promise<void> {
    await this.conn.request('DELETE', `/volumes/${enc(name)}?force=${force}`);
  }

  async pruneVolumes(filters: Map<string, string[]>): Promise<{ Id: string; Size: number }[]> {
    const r = await this.conn.json<{ Id: string; Size?: number; Err?: string | null }[]>('POST', `/volumes/prune${filterQuery(filters)}`);
    return r.map((x) => ({ Id: x.Id, Size: x.Size ?? 0 }));
  }

  /** GET /volumes/{name}/export: the tar, streamed. */
  async exportVolume(name: string): Promise<Readable> {
    const res = await this.conn.open('GET', `/volumes/${enc(name)}/export`);
    if (res.statusCode !== 200) throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
    return res;
  }

  /** POST /volumes/{name}/import: the tar streamed up; 204 once extracted. */
  async importVolume(name: string, tar: Readable): Promise<void> {
    const res = await this.conn.send('POST', `/volumes/${enc(name)}/import`, tar, { 'Content-Type': 'application/x-tar' });
    const body = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, body.toString('utf8'));
  }
}
