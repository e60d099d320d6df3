// Volumes: named and anonymous data directories that outlive containers,
// stored as Podman stores them (<root>/volumes/<name>/_data) with their
// metadata in the one transactional database (lib/storage/store.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { Store } from '../storage/store';
import type { ContainerRecord, Database, VolumeRecord } from '../storage/records';
import type { StoragePaths } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { emitEvent } from '../events/journal';
import { isMountPoint } from '../storage/rootfs';

export const volumesRoot = (p: StoragePaths) => p.volumePath ?? path.join(p.root, 'volumes');
export const volumeDir = (p: StoragePaths, name: string) => path.join(volumesRoot(p), name);
/** What a container sees: the volume's data directory. */
export const volumeMountpoint = (p: StoragePaths, name: string) => path.join(volumeDir(p, name), '_data');

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** The options the local driver knows (Podman 4.3's list). */
const LOCAL_OPTIONS = ['device', 'o', 'type', 'uid', 'gid', 'UID', 'GID', 'size', 'inodes', 'noquota', 'copy', 'nocopy', 'timeout'];

export const noSuchVolume = (name: string) => new EngineError('no-such-object', `no volume with name "${name}" found: no such volume`);

export interface VolumeCreate {
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  anonymous?: boolean;
}

export const volumesOf = (db: Database): Record<string, VolumeRecord> => (db.volumes ??= {});

/** Checks a create request; throws what Podman says for bad names, drivers and options. */
function validate(req: VolumeCreate): void {
  if (req.name !== undefined && !NAME_RE.test(req.name))
    throw invalidArgument(`volume name ${JSON.stringify(req.name)}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  if (req.driver && req.driver !== 'local') throw invalidArgument(`volume driver "${req.driver}" is not supported (only local)`);
  for (const k of Object.keys(req.options ?? {}))
    if (!LOCAL_OPTIONS.includes(k)) throw invalidArgument(`invalid mount option ${k} for driver 'local'`);
  const o = req.options ?? {};
  // tmpfs needs no device (Podman mounts "tmpfs")
  if ((o.type || o.device) && !(o.type && (o.device || o.type === 'tmpfs'))) throw invalidArgument('volume options "type" and "device" must be given together');
  // a bind volume's device is a host path: there now, as Podman checks it
  if (o.device && isBindVolume(o) && !fs.existsSync(o.device))
    throw new EngineError('invalid-argument', `invalid volume option device for driver 'local': stat ${o.device}: no such file or directory`);
}

const isBindVolume = (o: Record<string, string>) => o.type === 'bind' || o.type === 'none' || (o.o ?? '').split(',').some((x) => x === 'bind' || x === 'rbind');

/**
 * Adds a volume to db (the caller holds the store lock) and makes its
 * directory. An existing name is an error unless `existing` says to return it.
 */
export function addVolume(db: Database, paths: StoragePaths, req: VolumeCreate, existing: 'error' | 'return' = 'error'): VolumeRecord {
  validate(req);
  const vols = volumesOf(db);
  let name = req.name;
  if (name !== undefined && vols[name]) {
    if (existing === 'return') return vols[name];
    throw new EngineError('name-in-use', `volume with name ${name} already exists: volume already exists`);
  }
  while (name === undefined || vols[name]) name = randomBytes(32).toString('hex');
  const options = { ...(req.options ?? {}) };
  const rec: VolumeRecord = {
    name,
    driver: 'local',
    labels: { ...(req.labels ?? {}) },
    options,
    created: new Date().toISOString(),
    anonymous: req.anonymous ?? false,
    needsCopyUp: !('nocopy' in options),
  };
  const data = volumeMountpoint(paths, name);
  // volumes/ and volumes/<name> are private; _data is what containers see
  fs.mkdirSync(volumeDir(paths, name), { recursive: true, mode: 0o700 });
  fs.mkdirSync(data, { recursive: true, mode: 0o755 });
  const uid = options.uid ?? options.UID;
  const gid = options.gid ?? options.GID;
  if (uid !== undefined || gid !== undefined) fs.chownSync(data, Number(uid ?? 0), Number(gid ?? 0));
  vols[name] = rec;
  return rec;
}

export function createVolume(store: Store, req: VolumeCreate, existing: 'error' | 'return' = 'error'): VolumeRecord {
  const before = req.name !== undefined && !!volumesOf(store.read())[req.name];
  const v = store.update((db) => addVolume(db, store.paths, req, existing));
  if (!before) emitEvent(store.paths, { Type: 'volume', Status: 'create', ID: v.name, Name: v.name });
  return v;
}

export function getVolume(store: Store, name: string): VolumeRecord {
  const v = volumesOf(store.read())[name];
  if (!v) throw noSuchVolume(name);
  return v;
}

export function listVolumes(store: Store): VolumeRecord[] {
  return Object.values(volumesOf(store.read())).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The containers whose mounts name the volume. */
export function volumeUsers(db: Database, name: string): ContainerRecord[] {
  return Object.values(db.containers).filter((c) => c.config.mounts.some((m) => m.type === 'volume' && m.source === name));
}

/**
 * Removes a volume. One in use is refused (state-improper: exit 2, HTTP 409)
 * unless force, which removes the containers using it first (Podman does).
 */
export function removeVolume(
  store: Store,
  name: string,
  opts: { force?: boolean; removeContainer?: (id: string) => void } = {},
): void {
  const db = store.read();
  if (!volumesOf(db)[name]) throw noSuchVolume(name);
  const users = volumeUsers(db, name);
  if (users.length) {
    if (!opts.force || !opts.removeContainer)
      throw new EngineError('state-improper', `volume ${name} is being used by the following container(s): ${users.map((c) => c.id).join(', ')}: volume is being used`);
    for (const c of users) opts.removeContainer(c.id);
  }
  store.update((db2) => {
    if (volumeUsers(db2, name).length)
      throw new EngineError('state-improper', `volume ${name} is being used by a container created meanwhile: volume is being used`);
    dropVolume(db2, store.paths, name);
  });
  emitEvent(store.paths, { Type: 'volume', Status: 'remove', ID: name, Name: name });
}

/** Deletes a volume's record and data (the caller holds the store lock and checked it is unused). */
export function dropVolume(db: Database, paths: StoragePaths, name: string): void {
  delete volumesOf(db)[name];
  unmountVolume(paths, name);
  fs.rmSync(volumeDir(paths, name), { recursive: true, force: true });
}

/** Removes the volumes no container uses (matching the filters); returns their names. */
export function pruneVolumes(store: Store, keep: (v: VolumeRecord) => boolean = () => false): string[] {
  return store.update((db) => {
    const removed: string[] = [];
    for (const v of Object.values(volumesOf(db))) {
      if (keep(v) || volumeUsers(db, v.name).length) continue;
      dropVolume(db, store.paths, v.name);
      removed.push(v.name);
    }
    return removed;
  }).map((name) => {
    emitEvent(store.paths, { Type: 'volume', Status: 'remove', ID: name, Name: name });
    return name;
  });
}

/** Bytes used under a directory (for prune's SpaceReclaimed and df). */
export function dirSize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else
        try {
          total += fs.lstatSync(p).size;
        } catch {
          /* vanished */
        }
    }
  };
  walk(dir);
  return total;
}

/** A volume with `type` and `device` options is that filesystem, mounted on its data directory while in use. */
export function mountVolumeDevice(paths: StoragePaths, v: VolumeRecord): void {
  const { type, o } = v.options;
  const device = v.options.device ?? (type === 'tmpfs' ? 'tmpfs' : undefined);
  if (!type || !device) return;
  const data = volumeMountpoint(paths, v.name);
  if (isMountPoint(data)) return;
  const opts = (o ?? '').split(',').filter(Boolean);
  const args = isBindVolume(v.options) ? ['--bind', ...(opts.length ? ['-o', opts.join(',')] : [])] : ['-t', type, ...(opts.length ? ['-o', opts.join(',')] : [])];
  const r = spawnSync('mount', [...args, device, data], { encoding: 'utf8' });
  if (r.status !== 0) throw new EngineError('internal', `mounting volume ${v.name}: ${(r.stderr || '').trim()}`);
}

export function unmountVolume(paths: StoragePaths, name: string): void {
  const data = volumeMountpoint(paths, name);
  if (isMountPoint(data)) spawnSync('umount', ['-l', data]);
}
