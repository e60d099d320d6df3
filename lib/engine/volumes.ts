// The volume part of the Engine contract (Podman's VolumeCreate/List/Inspect/
// Rm/Prune/Exists) and its in-process implementation. Results are libpod's
// volume documents, so the CLI prints the same whichever engine answers.
import type { Readable } from 'node:stream';
import type { LocalEngine } from '../container/engine';
import { EngineError } from '../errors';
import { createVolume, dirSize, getVolume, listVolumes, pruneVolumes, removeVolume, volumeMountpoint, type VolumeCreate } from '../volume/volumes';
import { filterVolumes, inspectVolume } from '../volume/inspect';
import { exportVolume, importVolume } from '../volume/transfer';

export type { VolumeCreate };
export type VolumeInspect = ReturnType<typeof inspectVolume>;

export interface VolumeEngine {
  /** With ignore, an existing name answers that volume (`--ignore`). */
  createVolume(req: VolumeCreate, ignore: boolean): Promise<VolumeInspect>;
  /** Sorted by name; filters: key -> values as `volume ls --filter`. */
  listVolumes(filters: Map<string, string[]>): Promise<VolumeInspect[]>;
  inspectVolume(name: string): Promise<VolumeInspect>;
  volumeExists(name: string): Promise<boolean>;
  /** force: containers using it are removed first. */
  removeVolume(name: string, force: boolean): Promise<void>;
  /** Removes the unused volumes the filters select; per volume its name and the bytes freed. */
  pruneVolumes(filters: Map<string, string[]>): Promise<{ Id: string; Size: number }[]>;
  /** A tar of the volume's content (`volume export`). */
  exportVolume(name: string): Promise<Readable>;
  /** Extracts the tar into the volume, over what is there (`volume import`). */
  importVolume(name: string, tar: Readable): Promise<void>;
}

export class LocalVolumes implements VolumeEngine {
  constructor(private readonly local: LocalEngine) {}

  async createVolume(req: VolumeCreate, ignore: boolean): Promise<VolumeInspect> {
    const v = createVolume(this.local.store, req, ignore ? 'return' : 'error');
    return inspectVolume(this.local.paths, this.local.store.read(), v);
  }

  async listVolumes(filters: Map<string, string[]>): Promise<VolumeInspect[]> {
    const db = this.local.store.read();
    return filterVolumes(db, listVolumes(this.local.store), filters).map((v) => inspectVolume(this.local.paths, db, v));
  }

  async inspectVolume(name: string): Promise<VolumeInspect> {
    return inspectVolume(this.local.paths, this.local.store.read(), getVolume(this.local.store, name));
  }

  async volumeExists(name: string): Promise<boolean> {
    try {
      getVolume(this.local.store, name);
      return true;
    } catch (e) {
      if (e instanceof EngineError && e.kind === 'no-such-object') return false;
      throw e;
    }
  }

  async removeVolume(name: string, force: boolean): Promise<void> {
    removeVolume(this.local.store, name, { force, removeContainer: (id) => this.local.remove(id, { force: true, ignoreMissing: true }) });
  }

  async pruneVolumes(filters: Map<string, string[]>): Promise<{ Id: string; Size: number }[]> {
    const db = this.local.store.read();
    const wanted = new Set(filterVolumes(db, listVolumes(this.local.store), filters).map((v) => v.name));
    const sizes = new Map([...wanted].map((name) => [name, dirSize(volumeMountpoint(this.local.paths, name))]));
    return pruneVolumes(this.local.store, (v) => !wanted.has(v.name)).map((name) => ({ Id: name, Size: sizes.get(name) ?? 0 }));
  }

  async exportVolume(name: string): Promise<Readable> {
    return exportVolume(this.local.store, name);
  }

  importVolume(name: string, tar: Readable): Promise<void> {
    return importVolume(this.local.store, name, tar);
  }
}
