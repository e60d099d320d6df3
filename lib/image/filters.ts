// `images --filter` (and the list endpoints' filters) with Podman's keys:
// before, after/since, dangling, label, reference, id, digest, containers, until.
import type { ImageListEntry } from '../engine/engine';
import { EngineError } from '../errors';

export const IMAGE_FILTER_KEYS = ['before', 'after', 'since', 'dangling', 'label', 'label!', 'reference', 'id', 'digest', 'containers', 'until', 'readonly', 'intermediate'];

/** Shell-style glob (`*`, `?`) anchored at both ends. */
function globMatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(s);
}

function labelMatch(labels: Record<string, string> | null | undefined, spec: string): boolean {
  const [k, v] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, undefined];
  if (!labels || !(k in labels)) return false;
  return v === undefined || labels[k] === v;
}

function boolValue(key: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new EngineError('invalid-argument', `invalid ${key} filter value ${JSON.stringify(v)}: must be true or false`);
}

/** A name matches a reference filter by its whole name, its repository, or its last path components. */
function referenceMatch(names: string[], pattern: string): boolean {
  return names.some((n) => {
    const repo = n.replace(/(@sha256:[0-9a-f]+|:[^:/]+)$/, '');
    const candidates = [n, repo];
    const parts = n.split('/');
    for (let i = 1; i < parts.length; i++) {
      const tail = parts.slice(i).join('/');
      candidates.push(tail, tail.replace(/(@sha256:[0-9a-f]+|:[^:/]+)$/, ''));
    }
    return candidates.some((c) => globMatch(pattern, c));
  });
}

/**
 * The entries every filter holds for (values of one key: any of them).
 * `resolve` turns before/after/since's image reference into its entry.
 * `now` and `parseTime` give until its meaning (unix seconds).
 */
export function filterImages(
  entries: ImageListEntry[],
  filters: Map<string, string[]>,
  resolve: (ref: string) => ImageListEntry,
  parseTime: (spec: string) => number,
): ImageListEntry[] {
  for (const key of filters.keys()) if (!IMAGE_FILTER_KEYS.includes(key)) throw new EngineError('invalid-argument', `${key} is an invalid filter`);
  let out = entries;
  for (const [key, values] of filters) {
    out = out.filter((img) =>
      values.some((v) => {
        switch (key) {
          case 'before':
            return img.Created < resolve(v).Created;
          case 'after':
          case 'since':
            return img.Created > resolve(v).Created;
          case 'dangling':
            return boolValue(key, v) === (img.Names.length === 0);
          case 'label':
            return labelMatch(img.Labels, v);
          case 'label!':
            return !labelMatch(img.Labels, v);
          case 'reference':
            return referenceMatch(img.Names, v);
          case 'id':
            return img.Id.startsWith(v.replace(/^sha256:/, ''));
          case 'digest':
            return img.Digest === v;
          case 'containers':
            return boolValue(key, v) === img.Containers > 0;
          case 'until':
            return img.Created < parseTime(v);
          case 'readonly':
            return boolValue(key, v) === false;
          case 'intermediate':
            return boolValue(key, v) === false;
          default:
            return false;
        }
      }),
    );
  }
  return out;
}
