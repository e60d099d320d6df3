// Names: `tag` adds one (moving it from any image that had it), `untag` drops them.
import type { Store } from '../storage/store';
import type { Database, ImageRecord } from '../storage/records';
import { EngineError, invalidArgument, noSuchImage } from '../errors';
import { normalizeLocalName, normalizeName, parseReference } from './reference';
import { lookupImage } from './resolve';
import { takeNames } from './store';

function current(db: Database, ref: string): ImageRecord {
  const match = lookupImage(db, ref);
  if (!match) throw noSuchImage(ref);
  return match.image;
}

/** Gives the image ref designates the name newName (localhost/ when it has no registry); returns the name. */
export function tagImage(store: Store, ref: string, newName: string): string {
  if (parseReference(newName).digest) throw invalidArgument(`"${newName}": tag by digest not supported`);
  const name = normalizeLocalName(newName);
  return store.update((db) => {
    const image = current(db, ref);
    takeNames(db, [name], image.id);
    if (!image.names.includes(name)) image.names.push(name);
    return name;
  });
}

/**
 * Removes names from the image ref designates: the given ones (each must be one
 * of its names, spelled fully or as tag or pull would normalize it), or all of
 * them when none are given. Returns the names removed.
 */
export function untagImage(store: Store, ref: string, names: string[] = []): string[] {
  return store.update((db) => {
    const image = current(db, ref);
    if (names.length === 0) {
      const removed = image.names;
      image.names = [];
      return removed;
    }
    const removed = names.map((n) => {
      const found = [normalizeLocalName(n), normalizeName(n)].find((full) => image.names.includes(full));
      // Podman's words exactly (no ": invalid argument" suffix here).
      if (!found) throw new EngineError('invalid-argument', `${normalizeLocalName(n)}: tag not known`);
      return found;
    });
    image.names = image.names.filter((n) => !removed.includes(n));
    return [...new Set(removed)];
  });
}
