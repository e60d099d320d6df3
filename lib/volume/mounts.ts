// Volumes in containers: at create, names become volumes (made on demand) and
// the image's VOLUME paths get anonymous ones; at each start, volume mounts
// become binds of the data directories, and a fresh volume is first filled
// with what the image has at that path (copy-up, as Docker and Podman do).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { ContainerRecord, Database, MountSpec } from '../storage/records';
import type { StoragePaths } from '../storage/paths';
import type { Store } from '../storage/store';
import { EngineError } from '../errors';
import { withFd, withRoot } from '../storage/in-root';
import { addVolume, mountVolumeDevice, volumeMountpoint, volumesOf } from './volumes';
import { mountImageVolume } from '../container/image-volumes';

/** A container path as one key: `/x/` and `/x/./` are `/x`. */
export const normalizeDestination = (p: string) => path.posix.normalize(p).replace(/(.)\/+$/, '$1');

/**
 * The container's mounts with every volume resolved to a volume record (the
 * caller holds the store lock): named ones are created when missing, an empty
 * source or an image VOLUME path not covered by another mount gets a new
 * anonymous volume.
 */
export function attachVolumes(db: Database, paths: StoragePaths, mounts: MountSpec[], imageVolumes: string[]): MountSpec[] {
  const out: MountSpec[] = [];
  const seen = new Map<string, string>();
  const unique: MountSpec[] = [];
  for (const m of mounts) {
    const dst = normalizeDestination(m.destination);
    // the same mount twice is one mount (as Podman); another mount on the same path is an error
    const key = JSON.stringify([m.type, m.source, m.rw, m.options]);
    const before = seen.get(dst);
    if (before === key) continue;
    if (before !== undefined) throw new EngineError('invalid-argument', `${dst}: duplicate mount destination`);
    seen.set(dst, key);
    unique.push(m);
  }
  // Checked above before any volume directory is made.
  for (const m of unique) {
    if (m.type !== 'volume') {
      out.push(m);
      continue;
    }
    const vol = m.source ? addVolume(db, paths, { name: m.source }, 'return') : addVolume(db, paths, { anonymous: true });
    out.push({ ...m, source: vol.name });
  }
  for (const p of imageVolumes) {
    const dst = normalizeDestination(p);
    if (seen.has(dst)) continue;
    seen.set(dst, 'image');
    const vol = addVolume(db, paths, { anonymous: true });
    out.push({ type: 'volume', source: vol.name, destination: dst, rw: true, options: [] });
  }
  return out;
}

/** The anonymous volumes a container's mounts name (removed with it by `rm -v` and `--rm`). */
export function anonymousVolumes(db: Database, rec: ContainerRecord): string[] {
  const vols = volumesOf(db);
  return rec.config.mounts.filter((m) => m.type === 'volume' && vols[m.source]?.anonymous).map((m) => m.source);
}

/**
 * The mounts for the OCI spec at a start: volume mounts point at their data
 * directories. Fresh volumes get the image's content first (rootfs is mounted).
 */
export function prepareMounts(store: Store, rec: ContainerRecord, rootfs: string): MountSpec[] {
  const paths = store.paths;
  const vols = volumesOf(store.read());
  const fresh: string[] = [];
  const firstUse: string[] = [];
  const mounts = rec.config.mounts.map((m, n): MountSpec => {
    if (m.type === 'image') return { type: 'bind', source: mountImageVolume(paths, store.read(), rec.id, n, m), destination: m.destination, rw: m.rw, options: [] };
    if (m.type !== 'volume') return m;
    const v = vols[m.source];
    if (!v) throw new EngineError('no-such-object', `no volume with name "${m.source}" found: no such volume`);
    mountVolumeDevice(paths, v);
    const data = volumeMountpoint(paths, v.name);
    const nocopy = m.options.includes('nocopy');
    // As Podman: the flag stays until there was something to copy (or nocopy said never)
    if (v.needsCopyUp && (nocopy || copyUp(rootfs, m.destination, data))) fresh.push(v.name);
    if (v.needsChown !== false) firstUse.push(v.name);
    return { ...m, source: data, options: ['nosuid', 'nodev', ...m.options.filter((o) => o !== 'nocopy')] };
  });
  if (fresh.length || firstUse.length)
    store.update((db) => {
      for (const name of fresh) {
        const v = volumesOf(db)[name];
        if (v) v.needsCopyUp = false;
      }
      for (const name of firstUse) {
        const v = volumesOf(db)[name];
        if (v) v.needsChown = false;
      }
    });
  return mounts;
}

/**
 * Copies the image's directory at dst into an empty volume, keeping owners and
 * modes. dst is resolved inside the rootfs by the kernel and cp reads it
 * through the held fd (as its fd 3), so no symlink in the image leads it out.
 */
function copyUp(rootfs: string, dst: string, data: string): boolean {
  if (fs.readdirSync(data).length > 0) return true; // only an empty volume is filled; this one is in use
  return withRoot(rootfs, (root) => {
    const src = root.resolveIfExists(dst, true);
    if (src === undefined) return false; // nothing there in the image
    return withFd(src, () => {
      if (!fs.fstatSync(src).isDirectory() || fs.readdirSync(`/proc/self/fd/${src}`).length === 0) return false;
      const r = spawnSync('cp', ['-a', '/proc/self/fd/3/.', `${data}/`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', src] });
      if (r.status !== 0) throw new EngineError('internal', `copying up ${dst} into its volume: ${(r.stderr || '').trim()}`);
      return true;
    });
  });
}
