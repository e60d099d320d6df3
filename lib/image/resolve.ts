// Finding a local image from what a user typed, in Podman's order: the exact
// normalized name, the full id (bare or sha256:), a unique id prefix, and
// last a short name (`echo`, `echo:tag`, `foo/echo`) against any registry.
import type { Store } from '../storage/store';
import type { Database, ImageRecord } from '../storage/records';
import { noSuchImage } from '../errors';
import {
  DEFAULT_REGISTRY,
  DEFAULT_TAG,
  type ImageReference,
  LOCAL_REGISTRY,
  formatReference,
  parseReference,
  withDefaultTag,
} from './reference';

export interface ImageMatch {
  image: ImageRecord;
  /** the stored name that matched; undefined when the image was found by id or digest */
  name?: string;
}

const ID_PREFIX = /^[0-9a-f]{3,64}$/;
const SHA256_ID = /^sha256:([0-9a-f]{64})$/;

function tryParse(ref: string): { ref?: ImageReference; error?: unknown } {
  try {
    return { ref: parseReference(ref) };
  } catch (error) {
    return { error };
  }
}

function parseStoredName(name: string): ImageReference | undefined {
  try {
    return parseReference(name);
  } catch {
    return undefined;
  }
}

/** Registry preference among several short-name matches. */
function registryRank(registry: string): number {
  return registry === LOCAL_REGISTRY ? 0 : registry === DEFAULT_REGISTRY ? 1 : 2;
}

/** `echo[:tag]` or `foo/echo[:tag]` against `<any registry>/[any/path/]echo:tag` (libimage matches the path's suffix). */
function matchShortName(db: Database, typed: ImageReference): ImageMatch | undefined {
  const tag = typed.tag ?? (typed.digest ? undefined : DEFAULT_TAG);
  const candidates: { match: ImageMatch; rank: number }[] = [];
  for (const image of Object.values(db.images)) {
    for (const name of image.names) {
      const stored = parseStoredName(name);
      if (!stored) continue;
      const repoMatches = stored.repository === typed.repository || stored.repository.endsWith(`/${typed.repository}`);
      if (!repoMatches) continue;
      if (typed.digest ? image.digest !== typed.digest : stored.tag !== tag) continue;
      candidates.push({ match: { image, name: typed.digest ? undefined : name }, rank: registryRank(stored.registry) });
    }
  }
  candidates.sort((a, b) => a.rank - b.rank || (a.match.name ?? '').localeCompare(b.match.name ?? ''));
  return candidates[0]?.match;
}

/** `repo@sha256:...`: an image with that manifest digest and a name in that repository. */
function matchDigest(db: Database, ref: ImageReference): ImageMatch | undefined {
  const repo = `${ref.registry}/${ref.repository}`;
  for (const image of Object.values(db.images)) {
    if (image.digest !== ref.digest) continue;
    // pulled by this very digest: the image holds REPO@DIGEST as a name (rmi then only untags it, as Podman's)
    const exact = `${repo}@${ref.digest}`;
    if (image.names.includes(exact)) return { image, name: exact };
    if (image.names.some((n) => n.startsWith(`${repo}:`) || n.startsWith(`${repo}@`))) return { image };
  }
  return undefined;
}

function byName(db: Database, full: string): ImageMatch | undefined {
  for (const image of Object.values(db.images)) if (image.names.includes(full)) return { image, name: full };
  return undefined;
}

/** The image ref designates, or undefined. Throws only for a malformed name that cannot be an id either. */
export function lookupImage(db: Database, ref: string): ImageMatch | undefined {
  const parsed = tryParse(ref);
  // The path as typed: parsing with the local default adds no `library/`.
  const typed = parsed.ref && !parsed.ref.explicitRegistry ? parseReference(ref, LOCAL_REGISTRY) : undefined;
  if (parsed.ref?.digest) {
    const byDigest = matchDigest(db, parsed.ref);
    if (byDigest) return byDigest;
  } else if (parsed.ref) {
    // A short name means localhost/ first, as Podman resolves short names locally.
    const found =
      (typed && byName(db, formatReference(withDefaultTag(typed)))) || byName(db, formatReference(withDefaultTag(parsed.ref)));
    if (found) return found;
  }
  if (db.images[ref]) return { image: db.images[ref] };
  const sha = SHA256_ID.exec(ref);
  if (sha && db.images[sha[1]]) return { image: db.images[sha[1]] };
  if (ID_PREFIX.test(ref)) {
    const ids = Object.keys(db.images).filter((id) => id.startsWith(ref));
    if (ids.length === 1) return { image: db.images[ids[0]] };
  }
  if (typed) {
    const short = matchShortName(db, typed);
    if (short) return short;
  }
  if (parsed.error && !ID_PREFIX.test(ref) && !SHA256_ID.test(ref)) throw parsed.error;
  return undefined;
}

/** The image ref designates; noSuchImage when there is none. */
export function resolveImage(store: Store, ref: string): ImageRecord {
  const match = lookupImage(store.read(), ref);
  if (!match) throw noSuchImage(ref);
  return match.image;
}
