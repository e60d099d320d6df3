// --tz: the host zone file the container sees as /etc/localtime.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidArgument } from '../errors';

const ZONEINFO = '/usr/share/zoneinfo';
/** Zone names as tzdata spells them (Area/Location, Etc/GMT+1, MST7MDT): no `..`, no leading slash. */
const ZONE_NAME = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;

/** Checks a --tz value (a zone name or `local`); throws a clear error for anything else. */
export function checkTimezone(tz: string): string {
  zoneFile(tz);
  return tz;
}

/**
 * The real path of the zone's file, a regular file inside /usr/share/zoneinfo
 * (zone names are often symlinks to other zones), or the host's /etc/localtime
 * for `local`.
 */
export function zoneFile(tz: string): string {
  if (tz === 'local') {
    const real = realFile('/etc/localtime');
    if (!real) throw invalidArgument(`finding timezone for container: host /etc/localtime is not a regular file`);
    return real;
  }
  if (!ZONE_NAME.test(tz) || tz.split('/').some((c) => c === '.' || c === '..'))
    throw invalidArgument(`finding timezone for container: invalid timezone name "${tz}"`);
  const root = fs.realpathSync(ZONEINFO);
  const real = realFile(path.join(ZONEINFO, tz));
  if (!real || !real.startsWith(`${root}/`)) throw invalidArgument(`finding timezone for container: unknown time zone ${tz}`);
  return real;
}

function realFile(p: string): string | undefined {
  try {
    const real = fs.realpathSync(p);
    return fs.statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}
