// Container list filters, one implementation for `tspod ps --filter`, the
// Docker API and the libpod API. As in Docker and Podman: the values given
// for one key are alternatives, except `label`, where each must match (compose
// lists with project=p AND oneoff=False); different keys must all match.
import type { StoragePaths } from '../storage/paths';
import { healthState } from './healthcheck';
import type { ContainerRecord } from '../storage/records';
import { invalidArgument } from '../errors';
import { publicStatus } from './inspect';
import { isListening } from '../activation/listen';
import { parseEventTime } from '../events/query';

const KEYS = ['id', 'name', 'status', 'label', 'label!', 'ancestor', 'exited', 'volume', 'network', 'health', 'is-task', 'restart-policy', 'before', 'since', 'pod'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead', 'stopped', 'configured', 'unknown'];

/** `key` (present) or `key=value` (equal); every entry must hold. */
export function matchLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    return Object.prototype.hasOwnProperty.call(labels, k) && (eq < 0 || labels[k] === w.slice(eq + 1));
  });
}

/** `--filter key=value` flags into the filter map (repeated keys collect). */
export function filterFlags(items: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of items) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), eq < 0 ? '' : f.slice(eq + 1)]);
  }
  return out;
}

function regex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    throw invalidArgument(`invalid filter regular expression ${JSON.stringify(s)}`);
  }
}

/** The names of the networks a container is attached to, whatever shape the record keeps them in. */
function networkNames(c: ContainerRecord): string[] {
  const cfg = c.config as unknown as { network?: string; networks?: Record<string, unknown> | string[] };
  const names = Array.isArray(cfg.networks) ? cfg.networks : Object.keys(cfg.networks ?? {});
  return [...names, ...(cfg.network ? [cfg.network] : [])];
}

function lookupRef(all: ContainerRecord[], ref: string): ContainerRecord {
  const r = all.find((c) => c.id === ref || c.name === ref) ?? all.find((c) => c.id.startsWith(ref));
  if (!r) throw invalidArgument(`no container with name or ID "${ref}" found`);
  return r;
}

/** Applies the filters; `all` is the unfiltered list (for before/since references). */
export function filterContainers(recs: ContainerRecord[], filters: Map<string, string[]>, all: ContainerRecord[] = recs, paths?: StoragePaths): ContainerRecord[] {
  for (const [key, vals] of filters) {
    if (!KEYS.includes(key)) throw invalidArgument(`${key} is an invalid filter`);
    if (vals.length === 0) continue;
    if (key === 'status')
      for (const v of vals) if (!STATUSES.includes(v)) throw invalidArgument(`invalid argument "${v}" for status filter`);
    if (key === 'label') {
      recs = recs.filter((c) => matchLabels(c.config.labels, vals));
      continue;
    }
    if (key === 'label!') {
      recs = recs.filter((c) => !vals.some((v) => matchLabels(c.config.labels, [v])));
      continue;
    }
    if (key === 'before' || key === 'since') {
      const refs = vals.map((v) => lookupRef(all, v).created);
      recs = recs.filter((c) => refs.every((t) => (key === 'before' ? c.created < t : c.created > t)));
      continue;
    }
    recs = recs.filter((c) =>
      vals.some((v) => {
        switch (key) {
          case 'id':
            return c.id.startsWith(v);
          case 'name':
            return c.name === v.replace(/^\//, '') || regex(v.replace(/^\//, '')).test(c.name);
          case 'status':
            return publicStatus(c.state.status, c.state.paused, isListening(c)) === (v === 'stopped' ? 'exited' : v);
          case 'ancestor':
            return (
              c.config.image === v ||
              c.imageName === v ||
              c.imageName.startsWith(`${v}:`) ||
              c.imageName.replace(/^localhost\//, '').split(':')[0] === v.split(':')[0] ||
              c.imageId.startsWith(v.replace(/^sha256:/, ''))
            );
          case 'exited':
            return c.state.status !== 'running' && c.state.status !== 'created' && c.state.exitCode === Number(v);
          case 'volume':
            return c.config.mounts.some((m) => m.source === v || m.destination === v);
          case 'network':
            return networkNames(c).includes(v);
          case 'health':
            // none: no health check; starting, healthy, unhealthy: its current status
            return (c.config.healthcheck ? (paths ? healthState(paths, c).Status : '') : 'none') === v;
          case 'pod':
            return c.config.pod !== undefined && c.config.pod.startsWith(v);
          case 'is-task':
            return v === 'false';
          case 'restart-policy':
            // 'none' and '' name the absence of a policy too, as in Podman
            return (c.config.restartPolicy.split(':')[0] || 'no') === (v === 'none' || v === '' ? 'no' : v);
          default:
            throw invalidArgument(`${key} is an invalid filter`);
        }
      }),
    );
  }
  return recs;
}

/** What `container prune` filters on (Podman's prune filters, not the list's): label, label!, until. */
const PRUNE_KEYS = ['label', 'label!', 'until'];

/** Refuses a key prune does not take, with Podman's wording (`name is an invalid filter`). */
export function checkPruneFilters(filters: Map<string, string[]>): void {
  for (const key of filters.keys()) if (!PRUNE_KEYS.includes(key)) throw invalidArgument(`${key} is an invalid filter`);
}

/** The containers prune's filters select; `created` gives a container's creation time (epoch ms). */
export function pruneFilter<T>(items: T[], filters: Map<string, string[]>, labels: (t: T) => Record<string, string>, created: (t: T) => number): T[] {
  checkPruneFilters(filters);
  const label = filters.get('label') ?? [];
  const notLabel = filters.get('label!') ?? [];
  const until = (filters.get('until') ?? []).map((v) => parseEventTime(v));
  return items.filter(
    (t) => matchLabels(labels(t), label) && !notLabel.some((v) => matchLabels(labels(t), [v])) && until.every((u) => created(t) < u),
  );
}
