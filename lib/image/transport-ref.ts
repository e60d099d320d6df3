// transport:path image references (docker-archive:, oci-archive:, oci:, dir:) that
// pull, push, run and create take as archives instead of registry names.
import * as fs from 'node:fs';
import type { SaveFormat } from './save';
import type { Store } from '../storage/store';

export function archiveTransport(ref: string): { format: SaveFormat; path: string } | undefined {
  const m = /^(docker-archive|oci-archive|oci|dir):(.+)$/.exec(ref);
  if (!m) return undefined;
  const format = m[1] === 'oci' ? 'oci-dir' : m[1] === 'dir' ? 'docker-dir' : (m[1] as SaveFormat);
  // a trailing :name picks an image of the archive; a path that itself has the colon is kept whole
  return { format, path: m[2].replace(/:[^/:]*$/, (s) => (fs.existsSync(m[2]) ? s : '')) };
}

/**
 * `run`/`create` of a transport reference (as Podman): the archive is loaded
 * into the store, with the copy's steps reported on stderr; returns the
 * reference the container is created from (the image's first name, or its id).
 */
export async function loadForRun(store: Store, ref: string, report?: (line: string) => void): Promise<string | undefined> {
  const archive = archiveTransport(ref);
  if (!archive) return undefined;
  const { loadArchive } = require('./archive') as typeof import('./archive');
  const { lookupImage } = require('./resolve') as typeof import('./resolve');
  report?.('Getting image source signatures');
  const names = await loadArchive(store, archive.path);
  const first = names[0];
  const image = first ? lookupImage(store.read(), first)?.image : undefined;
  if (report && image) {
    for (const l of image.layers) report(`Copying blob ${l}`);
    report(`Copying config sha256:${image.id}`);
    report('Writing manifest to image destination');
    report('Storing signatures');
  }
  return first;
}
