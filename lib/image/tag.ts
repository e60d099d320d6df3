// Names: `tag` adds one (moving it from any image that had it), `untag` drops them.
import type { Store } from '../storage/store';
import type { Database, ImageRecord } from '../storage/records';
import { EngineError, invalidArgument, noSuchImage } from '../errors';
import { normalizeLocalName, normalizeName, parseReference } from './reference';
import { lookupImage } from './resolve';
import { setImageNames, takeNames } from './store';
import { emitImageEvent } from '../events/journal';

function current(db: Database, ref: string): ImageRecord {
  const match = lookupImage(db, ref);
  if (!match) throw noSuchImage(ref);
  return match.image;
}

/** Gives the image ref designates the name newName (localhost/ when it has no registry); returns the name. */
export function tagImage(store: Store, ref: string, newName: string): string {
  if (parseReference(newName).digest) throw invalidArgument(`"${newName}": tag by digest not supported`);
  const name = normalizeLocalName(newName);
  const id = store.update((db) => {
    const image = current(db, ref);
    takeNames(db, [name], image.id);
    if (!image.names.includes(name)) setImageNames(image, [...image.names, name]);
    return image.id;
  });
  emitImageEvent(store.paths, 'tag', id, newName);
  return name;
}

/**
 * Removes names from the image ref designates: the given ones (each must be one
 * of its names, spelled fully or as tag or pull would normalize it), or all of
 * them when none are given. Returns the names removed.
 */
export function untagImage(store: Store, ref: string, names: string[] = []): string[] {
  const { id, removed } = untagNames(store, ref, names);
  for (const n of removed) emitImageEvent(store.paths, 'untag', id, n);
  return removed;
}

function untagNames(store: Store, ref: string, names: string[]): { id: string; removed: string[] } {
  return store.update((db) => {
    const image = current(db, ref);
    if (names.length === 0) {
      const removed = image.names;
      setImageNames(image, []);
      return { id: image.id, removed };
    }
    const removed = names.map((n) => {
      const found = [normalizeLocalName(n), normalizeName(n)].find((full) => image.names.includes(full));
      // Podman's words exactly (no ": invalid argument" suffix here).
      if (!found) throw new EngineError('invalid-argument', `${normalizeLocalName(n)}: tag not known`);
      return found;
    });
    setImageNames(image, image.names.filter((n) => !removed.includes(n)));
    return { id: image.id, removed: [...new Set(removed)] };
  });
}
