// Secrets: named blobs of sensitive data that containers get at start, as a
// file under /run/secrets or as an environment variable (Podman's `secret`).
// Metadata lives in the one transactional database; the data, with the file
// driver, in <root>/secrets/filedriver/<id>, mode 0600, written under the
// store lock so that two creates of one name leave exactly one secret.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from '../storage/store';
import type { Database, SecretRecord } from '../storage/records';
import type { StoragePaths } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { emitEvent } from '../events/journal';

/** Podman's limit on a secret's data. */
export const MAX_SECRET_SIZE = 512000;
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_NAME = 253;

export const secretsOf = (db: Database): Record<string, SecretRecord> => (db.secrets ??= {});
const dataDir = (p: StoragePaths) => path.join(p.root, 'secrets', 'filedriver');
/** The id is hex: joining it is safe (checked again before each use). */
const dataFile = (p: StoragePaths, id: string) => {
  if (!/^[0-9a-f]{25}$/.test(id)) throw new EngineError('internal', `corrupt secret id ${JSON.stringify(id)}`);
  return path.join(dataDir(p), id);
};

export const noSuchSecret = (name: string) => new EngineError('no-such-object', `${name}: no such secret`);

export function checkSecretName(name: string): void {
  if (!name || name.length > MAX_NAME || !NAME_RE.test(name))
    throw invalidArgument(`secret name ${JSON.stringify(name)} must match [a-zA-Z0-9][a-zA-Z0-9_.-]* and be at most ${MAX_NAME} characters: invalid secret name`);
}

export interface SecretCreate {
  name: string;
  data: Buffer;
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
}

/** Finds a secret by full name, full id or unique id prefix (Podman's lookup). */
export function findSecret(db: Database, nameOrId: string): SecretRecord | undefined {
  const all = Object.values(secretsOf(db));
  const byName = all.find((s) => s.name === nameOrId);
  if (byName) return byName;
  if (!/^[0-9a-f]+$/.test(nameOrId)) return undefined;
  const byId = all.filter((s) => s.id.startsWith(nameOrId));
  if (byId.length > 1) throw invalidArgument(`more than one result secret with prefix ${nameOrId}`);
  return byId[0];
}

export function createSecret(store: Store, req: SecretCreate): SecretRecord {
  checkSecretName(req.name);
  const driver = req.driver || 'file';
  if (driver !== 'file') throw invalidArgument(`secret driver "${driver}" is not supported (only file)`);
  if (req.data.length === 0 || req.data.length >= MAX_SECRET_SIZE)
    throw invalidArgument(`secret data must be larger than 0 and less than ${MAX_SECRET_SIZE} bytes`);
  const rec = store.update((db) => {
    const secrets = secretsOf(db);
    if (Object.values(secrets).some((s) => s.name === req.name))
      throw new EngineError('name-in-use', `${req.name}: secret name in use`);
    let id = randomBytes(13).toString('hex').slice(0, 25);
    while (secrets[id]) id = randomBytes(13).toString('hex').slice(0, 25);
    const now = new Date().toISOString();
    const r: SecretRecord = {
      id,
      name: req.name,
      driver: 'file',
      driverOptions: { path: dataDir(store.paths), ...(req.driverOptions ?? {}) },
      labels: { ...(req.labels ?? {}) },
      created: now,
      updated: now,
    };
    fs.mkdirSync(dataDir(store.paths), { recursive: true, mode: 0o700 });
    // O_EXCL: never through a planted file or link
    const fd = fs.openSync(dataFile(store.paths, id), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, req.data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    secrets[id] = r;
    return r;
  });
  emitEvent(store.paths, { Type: 'secret', Status: 'create', ID: rec.id, Name: rec.name });
  return rec;
}

export function getSecret(store: Store, nameOrId: string): SecretRecord {
  const s = findSecret(store.read(), nameOrId);
  if (!s) throw noSuchSecret(nameOrId);
  return s;
}

export function listSecrets(store: Store): SecretRecord[] {
  return Object.values(secretsOf(store.read())).sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
}

/** The secret's data (for a container's start). */
export function secretData(paths: StoragePaths, rec: SecretRecord): Buffer {
  try {
    const fd = fs.openSync(dataFile(paths, rec.id), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new EngineError('internal', `reading secret ${rec.name}: ${(e as Error).message}`);
  }
}

/** The containers that use the secret (by id). */
function secretUsers(db: Database, id: string): string[] {
  return Object.values(db.containers)
    .filter((c) => (c.config.secrets ?? []).some((s) => s.id === id))
    .map((c) => c.id);
}

/** Removes a secret (refused while a container uses it, as Podman); returns its id. */
export function removeSecret(store: Store, nameOrId: string): string {
  const id = store.update((db) => {
    const s = findSecret(db, nameOrId);
    if (!s) throw noSuchSecret(nameOrId);
    const users = secretUsers(db, s.id);
    if (users.length) throw new EngineError('state-improper', `secret ${s.name} is in use by container(s) ${users.join(', ')}: secret is in use`);
    delete secretsOf(db)[s.id];
    fs.rmSync(dataFile(store.paths, s.id), { force: true });
    return s.id;
  });
  emitEvent(store.paths, { Type: 'secret', Status: 'remove', ID: id });
  return id;
}

/** Podman's inspect document (libpod's SecretInfoReport). */
export function inspectSecret(rec: SecretRecord): Record<string, unknown> {
  return {
    ID: rec.id,
    CreatedAt: rec.created,
    UpdatedAt: rec.updated,
    Spec: { Name: rec.name, Driver: { Name: rec.driver, Options: rec.driverOptions }, Labels: rec.labels },
  };
}

/** Selects secrets by Podman's filters: name, id (prefixes). Other keys are an error. */
export function filterSecrets(recs: SecretRecord[], filters: Map<string, string[]>): SecretRecord[] {
  for (const k of filters.keys()) if (k !== 'name' && k !== 'id') throw invalidArgument(`${k} is an invalid filter`);
  return recs.filter((s) => {
    const names = filters.get('name');
    if (names?.length && !names.some((n) => s.name.startsWith(n))) return false;
    const ids = filters.get('id');
    if (ids?.length && !ids.some((n) => s.id.startsWith(n))) return false;
    return true;
  });
}
