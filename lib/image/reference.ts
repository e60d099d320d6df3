// Image references as the containers tools spell them: [registry/]path[:tag][@digest].
// Grammar from the distribution reference package; normalisation like Podman:
// `busybox` -> docker.io/library/busybox:latest, while names that tspod itself
// creates (import, tag) without a registry go under localhost/.
import { invalidArgument } from '../errors';

export interface ImageReference {
  registry: string; // docker.io, localhost, registry:5000
  repository: string; // library/busybox, foo/bar
  tag?: string;
  digest?: string; // sha256:<hex>
  /** the registry was written out rather than defaulted */
  explicitRegistry: boolean;
}

export const DEFAULT_REGISTRY = 'docker.io';
export const LOCAL_REGISTRY = 'localhost';
export const DEFAULT_TAG = 'latest';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const FULL_HEX_ID = /^[0-9a-f]{64}$/;
const NAME_MAX = 255;

function invalid(ref: string, why = ''): Error {
  return invalidArgument(`parsing reference "${ref}": invalid reference format${why ? `: ${why}` : ''}`);
}

/**
 * Parses ref; a missing registry becomes defaultRegistry (docker.io adds the
 * `library/` namespace to one-component paths, as Docker Hub requires).
 * Throws invalidArgument on a malformed reference.
 */
export function parseReference(ref: string, defaultRegistry = DEFAULT_REGISTRY): ImageReference {
  if (ref === '' || ref !== ref.trim()) throw invalid(ref);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, 'invalid digest');
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) throw invalid(ref, 'invalid checksum digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref);
  }
  if (rest === '') throw invalid(ref);
  if (rest.length > NAME_MAX) throw invalid(ref, `repository name must not be more than ${NAME_MAX} characters`);

  let registry = defaultRegistry;
  let explicitRegistry = false;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // Docker's rule: the first component is a registry when it looks like a host.
    if (/[.:]/.test(first) || first === LOCAL_REGISTRY || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) throw invalid(ref);
      registry = first;
      explicitRegistry = true;
      repository = rest.slice(slash + 1);
    }
  }
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const lower = component.toLowerCase();
      throw invalid(ref, PATH_COMPONENT.test(lower) ? 'repository name must be lowercase' : '');
    }
  }
  if (!explicitRegistry && FULL_HEX_ID.test(repository))
    throw invalid(ref, 'cannot specify 64-byte hexadecimal strings');
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, tag, digest, explicitRegistry };
}

/** registry/repository, without tag or digest. */
export const repositoryName = (r: ImageReference): string => `${r.registry}/${r.repository}`;

/** The canonical string: registry/repository[:tag][@digest]. */
export function formatReference(r: ImageReference): string {
  return `${repositoryName(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** Adds the default tag when the reference has neither tag nor digest. */
export function withDefaultTag(r: ImageReference): ImageReference {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: DEFAULT_TAG } : r;
}

/** `busybox` -> docker.io/library/busybox:latest (names as pulled or loaded from docker archives). */
export function normalizeName(ref: string): string {
  return formatReference(withDefaultTag(parseReference(ref)));
}

/** `echo` -> localhost/echo:latest (names given to import and tag, as Podman does). */
export function normalizeLocalName(ref: string): string {
  return formatReference(withDefaultTag(parseReference(ref, LOCAL_REGISTRY)));
}

/** A full image id or `sha256:` id, as opposed to a name. */
export function isImageId(ref: string): boolean {
  return FULL_HEX_ID.test(ref) || SHA256_DIGEST.test(ref);
}
