// `--pull` for run and create. Deciding needs only the local store; the
// registry client (http, tls, ...) is loaded only when a pull really happens,
// which keeps it off every `run` of a local image.
import type { Store } from '../storage/store';
import { EngineError } from '../errors';
import { lookupImage } from './resolve';
import type { PullOptions } from './pull';

export type PullPolicy = 'always' | 'missing' | 'never' | 'newer';

export function parsePullPolicy(v: string | undefined): PullPolicy {
  const p = (v ?? 'missing').toLowerCase();
  if (p === 'true') return 'always';
  if (p === 'false') return 'never';
  if (p === 'ifmissing') return 'missing';
  if (p === 'ifnewer') return 'newer';
  if (p === 'always' || p === 'missing' || p === 'never' || p === 'newer') return p;
  throw new EngineError('invalid-argument', `unsupported pull policy "${v}"`);
}

const pullModule = (): typeof import('./pull') => require('./pull');

/** Makes sure ref is in the store according to policy. */
export async function ensureImage(store: Store, ref: string, policy: PullPolicy, opts: PullOptions = {}): Promise<void> {
  const local = lookupImage(store.read(), ref)?.image;
  if (policy === 'never') return;
  if (policy === 'missing' && local) return;
  if (policy === 'newer' && local) return pullModule().pullIfNewer(store, ref, local, opts);
  await pullModule().pullImage(store, ref, opts);
}
