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
import { addVolume, mountVolumeDevice, volumeMountpoint, volumesOf } from './volumes';

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
  const seen = new Set<string>();
  for (const m of mounts) {
    const dst = normalizeDestination(m.destination);
    if (seen.has(dst)) throw new EngineError('invalid-argument', `${dst}: duplicate mount destination: invalid argument`);
    seen.add(dst);
  }
  // Checked above before any volume directory is made.
  for (const m of mounts) {
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
    seen.add(dst);
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
  const mounts = rec.config.mounts.map((m) => {
    if (m.type !== 'volume') return m;
    const v = vols[m.source];
    if (!v) throw new EngineError('no-such-object', `no volume with name "${m.source}" found: no such volume`);
    mountVolumeDevice(paths, v);
    const data = volumeMountpoint(paths, v.name);
    const nocopy = m.options.includes('nocopy');
    if (v.needsCopyUp) {
      if (!nocopy) copyUp(rootfs, m.destination, data);
      fresh.push(v.name);
    }
    return { ...m, source: data, options: ['nosuid', 'nodev', ...m.options.filter((o) => o !== 'nocopy')] };
  });
  if (fresh.length)
    store.update((db) => {
      for (const name of fresh) {
        const v = volumesOf(db)[name];
        if (v) v.needsCopyUp = false;
      }
    });
  return mounts;
}

/** Copies the image's directory at dst into an empty volume, keeping owners and modes. */
function copyUp(rootfs: string, dst: string, data: string): void {
  if (fs.readdirSync(data).length > 0) return; // only an empty volume is filled
  const src = resolveInRoot(rootfs, dst);
  if (!src) return;
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch {
    return; // nothing there in the image
  }
  if (!st.isDirectory()) return;
  const r = spawnSync('cp', ['-a', `${src}/.`, `${data}/`], { encoding: 'utf8' });
  if (r.status !== 0) throw new EngineError('internal', `copying up ${dst} into its volume: ${(r.stderr || '').trim()}`);
}

/**
 * A path inside rootfs with its symlinks followed as the container would see
 * them: an absolute link target stays inside rootfs. Undefined when missing.
 */
export function resolveInRoot(rootfs: string, p: string): string | undefined {
  const parts = p.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0, hops = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '.') continue;
    if (part === '..') {
      cur = path.posix.dirname(cur || '/') === '/' ? '' : path.posix.dirname(cur);
      continue;
    }
    const next = `${cur}/${part}`;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(rootfs, next));
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return undefined;
      const target = fs.readlinkSync(path.join(rootfs, next));
      const rest = parts.slice(i + 1);
      parts.splice(0, parts.length, ...target.split('/').filter(Boolean), ...rest);
      if (target.startsWith('/')) cur = '';
      i = -1;
      continue;
    }
    cur = next;
  }
  return path.join(rootfs, cur);
}
