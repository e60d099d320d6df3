// `pod ps --filter` and GET /libpod/pods/json?filters=, as Podman filters pods.
import { invalidArgument } from '../errors';
import type { PodListEntry } from './views';

function podMatches(pod: PodListEntry, key: string, v: string, now: number): boolean {
  switch (key) {
    case 'id':
      return pod.Id.startsWith(v);
    case 'name':
      return pod.Name === v || new RegExp(v).test(pod.Name);
    case 'status':
      return pod.Status.toLowerCase() === v.toLowerCase();
    case 'label': {
      const [k, val] = v.split('=', 2);
      return k in pod.Labels && (val === undefined || pod.Labels[k] === val);
    }
    case 'ctr-names':
      return pod.Containers.some((c) => c.Names === v);
    case 'ctr-ids':
      return pod.Containers.some((c) => c.Id.startsWith(v));
    case 'ctr-number':
      return pod.Containers.length === Number(v);
    case 'ctr-status':
      return pod.Containers.some((c) => c.Status === v);
    case 'network':
      return pod.Networks.includes(v);
    case 'until': {
      const t = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
      if (Number.isNaN(t)) throw invalidArgument(`invalid until filter value ${v}`);
      return Date.parse(pod.Created) < Math.min(t, now);
    }
    default:
      throw invalidArgument(`${key} is an invalid filter`);
  }
}

/** `--filter key=value` (repeatable): the values of one key are alternatives, keys all apply. */
export function filterPods(pods: PodListEntry[], filters: string[], now = Date.now()): PodListEntry[] {
  const byKey = new Map<string, string[]>();
  for (const s of filters) {
    const eq = s.indexOf('=');
    if (eq < 0) throw invalidArgument(`filter input must be in the form of filter=value: ${s} is invalid`);
    byKey.set(s.slice(0, eq), [...(byKey.get(s.slice(0, eq)) ?? []), s.slice(eq + 1)]);
  }
  return pods.filter((pod) => [...byKey].every(([k, vs]) => vs.some((v) => podMatches(pod, k, v, now))));
}

