// The manifest-list part of the Engine contract (Podman's ManifestCreate/Add/
// Remove/Annotate/Inspect/Exists/Push/Rm) and its in-process implementation
// over lib/image/manifest-list.ts (loaded on first use: few commands need it).
import type { LocalEngine } from '../container/engine';
import type { RemoveReport } from '../image/remove';
import type { AddOptions, InstanceOptions } from '../image/manifest-list';
import { forceRemoveContainer } from '../pod/pods';

export type { AddOptions, InstanceOptions };

export interface ManifestPushRequest {
  all?: boolean;
  tlsVerify?: boolean;
  /** oci or v2s2 */
  format?: string;
  rm?: boolean;
  quiet?: boolean;
}

export interface ManifestEngine {
  /** Resolves with the new list's id. */
  create(name: string, images: string[], opts: AddOptions): Promise<string>;
  /** The following resolve with the list's id. */
  add(list: string, image: string, opts: AddOptions): Promise<string>;
  remove(list: string, digest: string): Promise<string>;
  annotate(list: string, digest: string, opts: InstanceOptions): Promise<string>;
  /** The list as stored (its JSON document). */
  inspect(list: string): Promise<Record<string, unknown>>;
  exists(list: string): Promise<boolean>;
  /** Resolves with the list's digest at the destination. */
  push(list: string, dest: string, req: ManifestPushRequest): Promise<string>;
  /** Removes the list (an image that is not a list is refused). */
  rm(list: string): Promise<RemoveReport>;
}

const lists = (): typeof import('../image/manifest-list') => require('../image/manifest-list');

export class LocalManifests implements ManifestEngine {
  constructor(private readonly local: LocalEngine) {}

  create(name: string, images: string[], opts: AddOptions): Promise<string> {
    return lists().createList(this.local.store, name, images, opts);
  }

  add(list: string, image: string, opts: AddOptions): Promise<string> {
    return lists().addToList(this.local.store, list, image, opts);
  }

  async remove(list: string, digest: string): Promise<string> {
    return lists().removeFromList(this.local.store, list, digest);
  }

  async annotate(list: string, digest: string, opts: InstanceOptions): Promise<string> {
    return lists().annotateList(this.local.store, list, digest, opts);
  }

  async inspect(list: string): Promise<Record<string, unknown>> {
    return lists().inspectList(this.local.store, list);
  }

  async exists(list: string): Promise<boolean> {
    return lists().listExists(this.local.store, list);
  }

  async push(list: string, dest: string, req: ManifestPushRequest): Promise<string> {
    const { stderrProgress } = require('../image/registry/progress') as typeof import('../image/registry/progress');
    return lists().pushList(this.local.store, list, dest, { ...req, progress: stderrProgress(!!req.quiet) });
  }

  async rm(list: string): Promise<RemoveReport> {
    const { removeImage } = require('../image/remove') as typeof import('../image/remove');
    const id = lists().listId(this.local.store, list);
    return removeImage(this.local.store, id, true, (c) => forceRemoveContainer(this.local, c));
  }
}
