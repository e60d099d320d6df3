// Reading the event journal the way `podman events` does: filters
// (same key OR, different keys AND), --since/--until times, Podman's line
// format and its JSON shape.
import { invalidArgument } from '../errors';
import type { EngineEvent } from './journal';

export type EventFilters = Map<string, string[]>;

const FILTER_KEYS = ['container', 'event', 'status', 'image', 'label', 'type', 'volume', 'network', 'pod', 'since', 'until'];

/** `--filter k=v` flags; an unknown key is an error, as in Podman. */
export function parseEventFilters(items: string[]): EventFilters {
  const out: EventFilters = new Map();
  for (const f of items) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${f} is an invalid filter`);
    const key = f.slice(0, eq);
    if (!FILTER_KEYS.includes(key)) throw invalidArgument(`${key} is an invalid filter`);
    const canonical = key === 'status' ? 'event' : key; // Podman reads status= as event=
    out.set(canonical, [...(out.get(canonical) ?? []), f.slice(eq + 1)]);
  }
  return out;
}

/** Podman's event names for the ones Docker spells differently. */
const EVENT_ALIASES: Record<string, string> = { die: 'died', destroy: 'remove' };

export function eventMatches(ev: EngineEvent, filters: EventFilters): boolean {
  for (const [key, vals] of filters) {
    const ok = vals.some((v) => {
      switch (key) {
        case 'type':
          return ev.Type === v;
        case 'event':
          return ev.Status === v || ev.Status === EVENT_ALIASES[v];
        case 'container':
          return ev.Type === 'container' && (ev.ID.startsWith(v) || ev.Name === v);
        case 'image':
          return ev.Image === v || ev.Image === `${v}:latest` || (ev.Type === 'image' && (ev.ID.startsWith(v) || ev.Name === v));
        case 'volume':
          return ev.Type === 'volume' && (ev.Name === v || ev.ID === v);
        case 'network':
          return ev.Type === 'network' && (ev.Name === v || ev.ID.startsWith(v));
        case 'pod':
          return ev.Type === 'pod' && (ev.Name === v || ev.ID.startsWith(v));
        case 'label': {
          const eq = v.indexOf('=');
          const k = eq < 0 ? v : v.slice(0, eq);
          const attrs = ev.Attributes ?? {};
          return k in attrs && (eq < 0 || attrs[k] === v.slice(eq + 1));
        }
        default: // since/until are applied as times
          return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A --since/--until value as epoch milliseconds: a Go duration before now
 * (`10m`, `1h30m`), unix seconds (`1700000000`, `1700000000.5`), or an
 * RFC 3339 time or date (`2026-11-27T05:00:00Z`, `2026-11-27`).
 */
export function parseEventTime(value: string, now = Date.now()): number {
  const v = value.trim();
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]];
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse time "${value}"`);
  return t;
}

/** Go's time.Time.String() in UTC: `2026-11-27 05:35:03.261 +0000 UTC` (trailing zeros of the fraction dropped). */
export function goTimeString(timeNano: number): string {
  const { iso, frac } = timeParts(timeNano);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

/** RFC 3339 with nanoseconds, as Go's JSON encodes a UTC time. */
export function rfc3339Nano(timeNano: number): string {
  const { iso, frac } = timeParts(timeNano);
  return `${iso.slice(0, 19)}${frac}Z`;
}

/** The journal keeps milliseconds (TimeNano is beyond a double's integer precision anyway). */
function timeParts(timeNano: number): { iso: string; frac: string } {
  const ms = Math.round(timeNano / 1e6);
  const digits = String(ms % 1000).padStart(3, '0').replace(/0+$/, '');
  return { iso: new Date(ms).toISOString(), frac: digits ? `.${digits}` : '' };
}

/** `podman events`' line for an event (libpod/events ToHumanReadable). */
export function podmanEventLine(ev: EngineEvent): string {
  const t = goTimeString(ev.TimeNano);
  switch (ev.Type) {
    case 'container':
    case 'pod': {
      let s = `${t} ${ev.Type} ${ev.Status} ${ev.ID} (image=${ev.Image ?? ''}, name=${ev.Name ?? ''}`;
      if (ev.HealthStatus) s += `, health_status=${ev.HealthStatus}`;
      for (const [k, v] of Object.entries(ev.Attributes ?? {})) s += `, ${k}=${v}`;
      return `${s})`;
    }
    case 'network':
      return `${t} ${ev.Type} ${ev.Status} ${ev.ID} (container=${ev.ID}, name=${ev.Name ?? ''})`;
    case 'image':
      return `${t} ${ev.Type} ${ev.Status} ${ev.ID} ${ev.Name ?? ''}`;
    case 'system':
      return `${t} ${ev.Type} ${ev.Status}`;
    case 'volume':
      return `${t} ${ev.Type} ${ev.Status} ${ev.Name ?? ev.ID}`;
    default:
      return `${t} ${ev.Type} ${ev.Status} ${ev.ID}`;
  }
}

/** The event as Podman's JSON and templates see it (libpod/events.Event). */
export function podmanEventObject(ev: EngineEvent, forTemplate: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (ev.ContainerExitCode || forTemplate) o.ContainerExitCode = ev.ContainerExitCode ?? 0;
  if (ev.ID || forTemplate) o.ID = ev.ID;
  if (ev.Image || forTemplate) o.Image = ev.Image ?? '';
  if (ev.Name || forTemplate) o.Name = ev.Name ?? '';
  o.Status = ev.Status;
  o.Time = forTemplate ? goTimeString(ev.TimeNano) : rfc3339Nano(ev.TimeNano);
  o.Type = ev.Type;
  o.Attributes = ev.Attributes ?? (ev.Type === 'container' ? {} : null);
  if (ev.HealthStatus || forTemplate) o.HealthStatus = ev.HealthStatus ?? '';
  return o;
}
