// An image's history, newest first: one entry per config history record, the
// image's own id on the newest and `<missing>` below (Podman's rule for
// entries without their own stored image), sizes from the stored layers.
import type { Store } from '../storage/store';
import { resolveImage } from './resolve';
import { imageConfig } from './store';
import { readLayerInfo } from '../storage/layer';

export interface HistoryRow {
  /** the image id for the newest entry, '<missing>' for the others */
  id: string;
  created: string; // as recorded (RFC 3339), '' when unknown
  createdBy: string;
  size: number;
  comment: string;
}

export function imageHistory(store: Store, ref: string): HistoryRow[] {
  const image = resolveImage(store, ref);
  const config = imageConfig(store.paths, image.id);
  const layers = [...config.rootfs.diff_ids];
  // a history entry with a layer takes the next diff id from the bottom up
  const rows = (config.history ?? []).map((h) => ({
    created: h.created ?? '',
    createdBy: h.created_by ?? '',
    size: h.empty_layer ? 0 : (readLayerInfo(store.paths, layers.shift() ?? '')?.size ?? 0),
    comment: h.comment ?? '',
  }));
  return rows.reverse().map((r, i) => ({ id: i === 0 ? image.id : '<missing>', ...r }));
}
