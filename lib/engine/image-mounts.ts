// `image mount|unmount` in the Engine contract. Podman's remote client has no
// image mounts (the mount would be on the service's host), nor does ours.
import type { LocalEngine } from '../container/engine';
import type { ImageMount } from '../image/mount';
import { EngineError } from '../errors';
import { REMOTE_UNSUPPORTED } from './engine';

export type { ImageMount };

export interface ImageMountEngine {
  /** Mounts each image read-only; resolves with the mount points, in order. */
  mount(refs: string[]): Promise<string[]>;
  /** Unmounts each image; resolves with their ids ('' for one that was not mounted). */
  unmount(refs: string[]): Promise<string[]>;
  /** The images mounted now. */
  list(): Promise<ImageMount[]>;
}

const mounts = (): typeof import('../image/mount') => require('../image/mount');

export class LocalImageMounts implements ImageMountEngine {
  constructor(private readonly local: LocalEngine) {}

  async mount(refs: string[]): Promise<string[]> {
    return refs.map((r) => mounts().mountImage(this.local.store, r));
  }

  async unmount(refs: string[]): Promise<string[]> {
    return refs.map((r) => mounts().unmountImage(this.local.store, r));
  }

  async list(): Promise<ImageMount[]> {
    return mounts().listImageMounts(this.local.store);
  }
}

export class RemoteImageMounts implements ImageMountEngine {
  private fail(): never {
    throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('image mount'));
  }
  async mount(): Promise<string[]> {
    this.fail();
  }
  async unmount(): Promise<string[]> {
    this.fail();
  }
  async list(): Promise<ImageMount[]> {
    this.fail();
  }
}
