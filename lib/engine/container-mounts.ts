// `mount|unmount` of containers in the Engine contract. As Podman's, the remote
// client has none: the mount would be on the service's host.
import type { LocalEngine } from '../container/engine';
import { EngineError } from '../errors';
import { REMOTE_UNSUPPORTED } from './engine';

export interface ContainerMount {
  id: string;
  names: string[];
  mountpoint: string;
}

export interface ContainerMountEngine {
  /** Mounts each container's root filesystem (counted); resolves with the mount points, in order. */
  mount(ref: string): Promise<string>;
  /** One mount less (all with force); resolves with the id, or undefined for a running container (left alone, as Podman). */
  unmount(ref: string, force: boolean): Promise<string | undefined>;
  /** The containers whose root filesystem is mounted now. */
  list(): Promise<ContainerMount[]>;
}

export class LocalContainerMounts implements ContainerMountEngine {
  constructor(private readonly local: LocalEngine) {}

  mount(ref: string): Promise<string> {
    return this.local.mountForUser(ref);
  }

  unmount(ref: string, force: boolean): Promise<string | undefined> {
    return this.local.unmountForUser(ref, force);
  }

  async list(): Promise<ContainerMount[]> {
    return this.local.mountedContainers().map((m) => ({ id: m.id, names: [m.name], mountpoint: m.mountpoint }));
  }
}

export class RemoteContainerMounts implements ContainerMountEngine {
  private fail(): never {
    throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('mount'));
  }
  async mount(): Promise<string> {
    this.fail();
  }
  async unmount(): Promise<string | undefined> {
    this.fail();
  }
  async list(): Promise<ContainerMount[]> {
    this.fail();
  }
}
