// `rmi` with Podman's semantics: by name on an image with several names it
// only untags; otherwise the image goes, refused while containers use it
// (unless forced, which removes them first), and its layers go with it when
// no other image uses them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import type { Database, ImageRecord } from '../storage/records';
import { imageDir } from '../storage/paths';
import { purgeTrash } from '../storage/layer';
import { EngineError, noSuchImage } from '../errors';
import { lookupImage } from './resolve';
import { newTrashDir, setImageNames, unlinkUnusedLayers } from './store';
import { emitImageEvent } from '../events/journal';
import { unmountImageById } from './mount';

export interface RemoveReport {
  untagged: string[];
  deleted: string[];
}

/** Containers made from the image, or mounting it (--mount type=image). */
const usersOf = (db: Database, id: string): string[] =>
  Object.values(db.containers)
    .filter((c) => c.imageId === id || c.config.mounts?.some((m) => m.imageId === id))
    .map((c) => c.id);

function inUse(containerId: string): EngineError {
  return new EngineError(
    'image-in-use',
    `image used by ${containerId}: image is in use by a container: consider listing external containers and force-removing image`,
  );
}

export function removeImage(
  store: Store,
  ref: string,
  force: boolean,
  removeContainer: (id: string) => void,
): RemoveReport {
  const match = lookupImage(store.read(), ref);
  if (!match) throw noSuchImage(ref);
  const { image, name } = match;

  if (name && image.names.length > 1) {
    store.update((db) => {
      const cur = db.images[image.id];
      if (cur) setImageNames(cur, cur.names.filter((n) => n !== name));
    });
    emitImageEvent(store.paths, 'untag', image.id, name);
    return { untagged: [name], deleted: [] };
  }
  if (!name && image.names.length > 1 && !force) {
    const how = ref.includes('@') ? 'digest' : 'ID';
    throw new EngineError(
      'state-improper',
      `unable to delete image "${image.id}" by ${how} with more than one tag ([${image.names.join(' ')}]): please force removal`,
    );
  }

  const users = usersOf(store.read(), image.id);
  if (users.length > 0 && !force) throw inUse(users[0]);
  // Outside the store lock: removing a container takes it too.
  for (const id of users) removeContainer(id);

  const trash = newTrashDir(store.paths);
  try {
    const removed = store.update((db): ImageRecord | undefined => {
      const cur = db.images[image.id];
      if (!cur) return undefined;
      const late = usersOf(db, image.id);
      if (late.length > 0) throw inUse(late[0]); // created meanwhile
      delete db.images[image.id];
      unmountImageById(store, image.id); // `image mount` does not keep an image (as Podman's rmi)
      unlinkUnusedLayers(db, store.paths, cur.layers, trash);
      fs.mkdirSync(trash, { recursive: true });
      try {
        fs.renameSync(imageDir(store.paths, image.id), path.join(trash, `image-${image.id}`));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      return cur;
    });
    if (!removed) throw noSuchImage(ref); // a concurrent rmi won
    for (const n of removed.names) emitImageEvent(store.paths, 'untag', removed.id, n);
    emitImageEvent(store.paths, 'remove', removed.id, removed.id);
    return { untagged: removed.names, deleted: [removed.id] };
  } finally {
    purgeTrash(trash);
  }
}
