// The one digest form tspod stores: `sha256:` and 64 lowercase hex digits.
// Digests name directories and files in the store (layers/<hex>, blobs), so
// every digest an image brings (a registry's config, an archive's config) is
// checked where it comes in, before any of them becomes a path.
import { EngineError } from '../errors';

export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The layer digests of an image config (`rootfs.diff_ids`), each a stored-form digest. */
export function checkDiffIds(diffIds: unknown, what: string): string[] {
  if (!Array.isArray(diffIds)) throw new EngineError('invalid-argument', `${what} has no rootfs.diff_ids`);
  for (const d of diffIds)
    if (typeof d !== 'string' || !DIGEST.test(d)) throw new EngineError('invalid-argument', `${what} has an unsupported layer digest ${JSON.stringify(d)}: want sha256:<64 hex digits>`);
  return diffIds as string[];
}
