// Volume documents (Podman's inspect, Docker's Volume) and the list filters
// both the CLI and the APIs apply.
import type { Database, VolumeRecord } from '../storage/records';
import type { StoragePaths } from '../storage/paths';
import { EngineError, invalidArgument } from '../errors';
import { matchLabels } from '../container/filters';
import { volumeMountpoint, volumeUsers } from './volumes';

export function inspectVolume(paths: StoragePaths, _db: Database, v: VolumeRecord) {
  return {
    Name: v.name,
    Driver: v.driver,
    Mountpoint: volumeMountpoint(paths, v.name),
    CreatedAt: v.created,
    Labels: v.labels,
    Scope: 'local',
    Options: v.options,
    MountCount: 0,
    NeedsCopyUp: v.needsCopyUp,
    NeedsChown: v.needsChown !== false,
  };
}

/** Docker's Volume object. */
export function dockerVolume(paths: StoragePaths, v: VolumeRecord) {
  return {
    Name: v.name,
    Driver: v.driver,
    Mountpoint: volumeMountpoint(paths, v.name),
    CreatedAt: v.created,
    // Podman's compat shape: labels always a map, options null when none
    Labels: v.labels,
    Scope: 'local',
    Options: Object.keys(v.options).length ? v.options : null,
  };
}

/**
 * Volumes matching filters (key -> values): values of one key are alternatives,
 * except `label`, where every value must match; different keys all apply.
 */
export function filterVolumes(db: Database, vols: VolumeRecord[], filters: Map<string, string[]>): VolumeRecord[] {
  for (const [key, vals] of filters) {
    if (!vals.length) continue;
    vols = vols.filter((v) => {
      switch (key) {
        case 'name':
          return vals.some((x) => v.name.includes(x) || safeRegex(x).test(v.name));
        case 'driver':
          return vals.includes(v.driver);
        case 'label':
          return matchLabels(v.labels, vals);
        case 'label!':
          return !vals.some((x) => matchLabels(v.labels, [x]));
        case 'dangling': {
          const used = volumeUsers(db, v.name).length > 0;
          return vals.some((x) => (['true', '1'].includes(x.toLowerCase()) ? !used : used));
        }
        case 'anonymous':
          return vals.some((x) => ['true', '1'].includes(x.toLowerCase()) === v.anonymous);
        case 'until':
          return vals.every((x) => Date.parse(v.created) < untilTime(x));
        case 'opt':
          return vals.some((x) => {
            const eq = x.indexOf('=');
            return eq < 0 ? x in v.options : v.options[x.slice(0, eq)] === x.slice(eq + 1);
          });
        default:
          throw invalidArgument(`${key} is an invalid filter`);
      }
    });
  }
  return vols;
}

/** `until`: a unix time (seconds) or a Go-style duration before now (e.g. 10m, 1h30m); unix ms. */
export function untilTime(value: string): number {
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(value))) {
    ms += Number(m[1]) * units[m[2]];
    end = re.lastIndex;
  }
  if (!value || end !== value.length) throw new EngineError('internal', `${value} is not a valid time or duration`, 'invalid until filter');
  return Date.now() - ms;
}

function safeRegex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    return /$^/;
  }
}
