// `export`: a container's root file system as a tar (Podman's ContainerExport),
// the one implementation behind the CLI, `--remote` and both APIs' export
// endpoints. The root is mounted for the walk when it was not, and unmounted
// afterwards unless the container runs by then.
import type { Writable } from 'node:stream';
import type { LocalEngine } from './engine';
import type { ContainerRecord } from '../storage/records';
import { log } from '../cli/log';
import { exportTree } from '../image/save';
import { isMountPoint, unmountRootfs } from '../storage/rootfs';
import { rootfsMountDir } from '../storage/paths';

/** The container, or its lookup error (no such container): checked before any output starts. */
export function exportTarget(engine: LocalEngine, nameOrId: string): ContainerRecord {
  return engine.lookup(engine.store.read(), nameOrId);
}

/** Writes the container's root file system as a tar to out. */
export async function exportContainer(engine: LocalEngine, rec: ContainerRecord, out: Writable): Promise<void> {
  const wasMounted = isMountPoint(rootfsMountDir(engine.paths, rec.id));
  const root = engine.mountRoot(rec);
  try {
    await exportTree(root, out);
  } finally {
    if (!wasMounted && engine.store.read().containers[rec.id]?.state.status !== 'running') {
      try {
        unmountRootfs(engine.paths, rec.id);
      } catch (e) {
        log('warn', `unmounting ${rec.id}: ${(e as Error).message}`);
      }
    }
  }
}
