// `pull REFERENCE` as the engine contract takes it (the CLI, the remote
// client through the libpod API): a registry name (bare or docker://), one tag
// or every tag of the repository, or an archive transport. Returns the ids of
// the images pulled, in order, as Podman's pull report lists them.
import type { Store } from '../storage/store';
import { EngineError } from '../errors';
import { emitImageEvent } from '../events/journal';
import { archiveTransport } from './transport-ref';
import { parseReference } from './reference';
import { type PullOptions, endpointFor, pullImage } from './pull';

export interface PullImagesOptions extends PullOptions {
  /** every tag of the repository (--all-tags, the API's allTags) */
  allTags?: boolean;
}

export async function pullImages(store: Store, arg: string, opts: PullImagesOptions): Promise<string[]> {
  const archive = archiveTransport(arg);
  if (archive) {
    if (opts.allTags) throw new EngineError('invalid-argument', `pulling all tags is not supported for ${arg.slice(0, arg.indexOf(':'))} transport`);
    const { loadArchive } = await import('./archive');
    const { resolveImage } = await import('./resolve');
    const names = await loadArchive(store, archive.path, { event: false });
    emitImageEvent(store.paths, 'pull', '', arg); // as Podman: the reference given, no id
    return [...new Set(names.map((n) => resolveImage(store, n).id))];
  }
  const ref = arg.replace(/^docker:\/\//, '');
  if (!opts.allTags) return [(await pullImage(store, ref, opts)).image.id];
  const parsed = parseReference(ref);
  if (parsed.tag || parsed.digest) throw new EngineError('invalid-argument', 'tag or digest are not supported with --all-tags');
  const { client, repository } = endpointFor(parsed, opts);
  const ids: string[] = [];
  for (const tag of await client.tags(repository)) ids.push((await pullImage(store, `${ref}:${tag}`, opts)).image.id);
  return ids;
}
