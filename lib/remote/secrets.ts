// The secret operations of the remote engine: the libpod API's /secrets endpoints.
import { Readable } from 'node:stream';
import type { ServiceConnection } from './connection';
import { errorFromBody, readAll } from './connection';
import type { SecretCreate, SecretEngine, SecretInspect } from '../engine/secrets';
import { EngineError } from '../errors';

const enc = encodeURIComponent;

export class RemoteSecrets implements SecretEngine {
  constructor(private readonly conn: ServiceConnection) {}

  /** libpod: name, driver, options and labels in the query; the data is the body. */
  async createSecret(req: SecretCreate): Promise<string> {
    const q = new URLSearchParams({ name: req.name });
    if (req.driver) q.set('driver', req.driver);
    if (req.driverOptions && Object.keys(req.driverOptions).length) q.set('driveropts', JSON.stringify(req.driverOptions));
    if (req.labels && Object.keys(req.labels).length) q.set('labels', JSON.stringify(req.labels));
    const res = await this.conn.send('POST', `/secrets/create?${q}`, Readable.from([req.data]), { 'Content-Type': 'application/octet-stream' });
    const body = (await readAll(res)).toString('utf8');
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, body);
    return (JSON.parse(body) as { ID: string }).ID;
  }

  listSecrets(filters: Map<string, string[]>): Promise<SecretInspect[]> {
    const q = filters.size ? `?filters=${enc(JSON.stringify(Object.fromEntries(filters)))}` : '';
    return this.conn.json<SecretInspect[]>('GET', `/secrets/json${q}`);
  }

  inspectSecret(nameOrId: string): Promise<SecretInspect> {
    return this.conn.json<SecretInspect>('GET', `/secrets/${enc(nameOrId)}/json`);
  }

  async secretExists(nameOrId: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/secrets/${enc(nameOrId)}/exists`);
    r.resume();
    if (r.statusCode === 204 || r.statusCode === 404) return r.statusCode === 204;
    throw new EngineError('internal', `secret exists: the service answered ${r.statusCode}`);
  }

  /** The id first: DELETE answers 204 without it. */
  async removeSecret(nameOrId: string): Promise<string> {
    const { ID } = await this.inspectSecret(nameOrId);
    await this.conn.request('DELETE', `/secrets/${enc(ID)}`);
    return ID;
  }
}
