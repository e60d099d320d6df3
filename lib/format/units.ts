// Human-readable sizes, durations and times, printed the way Podman 4.3
// prints them: docker/go-units (HumanSizeWithPrecision, HumanDuration,
// BytesSize), Go's strconv float formatting (%g, %e, %f) that those rely
// on, and Go's time.Time.String() / RFC 3339 output.
//
// Everything here is a pure function of its arguments (times are passed
// in, "now" defaults to Date.now()), so it is testable without a clock.

import * as fs from 'node:fs';

// ---------------------------------------------------------------------------
// Go float formatting (strconv.FormatFloat semantics, exact decimal rounding)
// ---------------------------------------------------------------------------

/** A finite, non-zero double as an exact decimal: 0.d1d2d3... x 10^dp. */
interface Decimal {
  d: string; // significant digits, no leading or trailing zeros ('' for zero)
  dp: number; // position of the decimal point relative to d
}

/** The exact decimal expansion of |x| (x finite). */
function exactDecimal(x: number): Decimal {
  x = Math.abs(x);
  if (x === 0) return { d: '', dp: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) {
    e = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  let digits: string;
  let dp: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length + e;
  }
  const trimmed = digits.replace(/0+$/, '');
  return { d: trimmed, dp };
}

/** The shortest decimal that round-trips to |x| (what Go uses for precision -1). */
function shortestDecimal(x: number): Decimal {
  x = Math.abs(x);
  if (x === 0) return { d: '', dp: 0 };
  const s = x.toExponential(); // shortest round-trip digits, as in Go
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`unexpected number form ${s}`);
  const d = (m[1] + (m[2] ?? '')).replace(/0+$/, '');
  return { d, dp: Number(m[3]) + 1 };
}

/** Round to nd significant digits, half to even on the exact value (as strconv). */
function roundDecimal(a: Decimal, nd: number): Decimal {
  if (nd < 0) return { d: '', dp: a.dp };
  if (nd >= a.d.length) return a;
  const c = a.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (c > 5) up = true;
  else if (c < 5) up = false;
  else if (nd + 1 < a.d.length) up = true; // more nonzero digits follow (d has no trailing zeros)
  else up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1; // exactly half: to even
  if (!up) {
    return { d: a.d.slice(0, nd).replace(/0+$/, ''), dp: a.dp };
  }
  const digits = a.d.slice(0, nd).split('').map((ch) => ch.charCodeAt(0) - 48);
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === 9) i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 };
  digits[i]++;
  return { d: digits.slice(0, i + 1).join(''), dp: a.dp };
}

function digitAt(a: Decimal, i: number): string {
  return i >= 0 && i < a.d.length ? a.d[i] : '0';
}

function fmtE(a: Decimal, prec: number, e: 'e' | 'E'): string {
  let s = a.d.length === 0 ? '0' : a.d[0];
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(a, i);
  }
  let exp = a.d.length === 0 ? 0 : a.dp - 1;
  let sign = '+';
  if (exp < 0) {
    sign = '-';
    exp = -exp;
  }
  return s + e + sign + (exp < 10 ? '0' : '') + String(exp);
}

function fmtF(a: Decimal, prec: number): string {
  let s = '';
  if (a.dp > 0) {
    for (let i = 0; i < a.dp; i++) s += digitAt(a, i);
  } else {
    s = '0';
  }
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(a, a.dp + i);
  }
  return s;
}

/**
 * Go's strconv.FormatFloat(x, fmt, prec, 64) for fmt in 'e','E','f','F','g','G'.
 * prec -1 means "shortest representation that round-trips".
 */
export function formatGoFloat(x: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const shortest = prec < 0;
  let digs: Decimal;
  if (shortest) {
    digs = shortestDecimal(x);
    switch (fmt) {
      case 'e':
      case 'E':
        prec = Math.max(digs.d.length - 1, 0);
        break;
      case 'f':
      case 'F':
        prec = Math.max(digs.d.length - digs.dp, 0);
        break;
      default:
        prec = digs.d.length;
    }
  } else {
    const exact = exactDecimal(x);
    switch (fmt) {
      case 'e':
      case 'E':
        digs = roundDecimal(exact, prec + 1);
        break;
      case 'f':
      case 'F':
        digs = roundDecimal(exact, exact.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        digs = roundDecimal(exact, prec);
    }
  }
  if (digs.d.length === 0) digs = { d: '', dp: 0 };
  let body: string;
  switch (fmt) {
    case 'e':
    case 'E':
      body = fmtE(digs, prec, fmt);
      break;
    case 'f':
    case 'F':
      body = fmtF(digs, prec);
      break;
    default: {
      let eprec = prec;
      const nd = digs.d.length;
      const dp = nd === 0 ? 1 : digs.dp;
      if (eprec > nd && nd >= dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        body = fmtE(digs, Math.max(prec - 1, 0), fmt === 'g' ? 'e' : 'E');
      } else {
        if (prec > dp) prec = nd;
        body = fmtF(nd === 0 ? { d: '', dp: 1 } : digs, Math.max(prec - dp, 0));
      }
    }
  }
  return (neg ? '-' : '') + body;
}

// ---------------------------------------------------------------------------
// docker/go-units sizes
// ---------------------------------------------------------------------------

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_ABBRS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, map: string[]): [number, string] {
  let i = 0;
  const limit = map.length - 1;
  while (size >= base && i < limit) {
    size = size / base;
    i++;
  }
  return [size, map[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, "%.*g%s" ("5.12MB", "1e+03kB"). */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [v, unit] = sizeAndUnit(size, 1000, DECIMAL_ABBRS);
  return formatGoFloat(v, 'g', precision) + unit;
}

/** go-units HumanSize itself: HumanSizeWithPrecision(size, 4), no space ("1.024kB", "2MB"). */
export function goUnitsHumanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** Go's time.Duration.String for a number of nanoseconds ("469.547901ms", "1m1.5s", "0s"). */
export function goDurationString(nanos: number): string {
  let u = Math.abs(Math.round(nanos));
  if (u === 0) return '0s';
  // an integer with its last `digits` digits as a fraction, trailing zeros dropped
  const frac = (v: number, digits: number) => {
    const t = String(v).padStart(digits + 1, '0');
    const f = t.slice(t.length - digits).replace(/0+$/, '');
    return f ? `${t.slice(0, t.length - digits)}.${f}` : t.slice(0, t.length - digits);
  };
  let out: string;
  if (u < 1e3) out = `${u}ns`;
  else if (u < 1e6) out = `${frac(u, 3)}µs`;
  else if (u < 1e9) out = `${frac(u, 6)}ms`;
  else {
    const h = Math.floor(u / 3.6e12);
    u -= h * 3.6e12;
    const m = Math.floor(u / 6e10);
    u -= m * 6e10;
    out = `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${frac(u, 9)}s`;
  }
  return nanos < 0 ? `-${out}` : out;
}

/** go-units BytesSize: binary units, 4 significant digits ("3.42GiB"). */
export function bytesSize(size: number): string {
  const [v, unit] = sizeAndUnit(size, 1024, BINARY_ABBRS);
  return formatGoFloat(v, 'g', 4) + unit;
}

/**
 * A size as `podman images` / `podman history` print it: go-units
 * HumanSizeWithPrecision(size, 3) with a space put after the last digit
 * ("5.12 MB", "827 kB", "1.3 kB", "0 B").
 */
export function humanSize(size: number): string {
  const s = humanSizeWithPrecision(size, 3);
  let j = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if (s[i] >= '0' && s[i] <= '9') {
      j = i;
      break;
    }
  }
  return s.slice(0, j + 1) + ' ' + s.slice(j + 1);
}

/** Alias of humanSize: the SIZE column of `podman images`. */
export const podmanSize = humanSize;

/** `podman ps --size`: "<rw size> (virtual <rootfs size>)", no space before units. */
export function podmanContainerSize(rwSize: number, rootFsSize: number): string {
  return `${humanSizeWithPrecision(rwSize, 3)} (virtual ${humanSizeWithPrecision(rootFsSize, 3)})`;
}

// ---------------------------------------------------------------------------
// docker/go-units HumanDuration
// ---------------------------------------------------------------------------

/**
 * go-units HumanDuration for a duration in milliseconds ("Less than a
 * second", "1 second", "About a minute", "5 minutes", "About an hour",
 * "2 hours", "3 days", "2 weeks", "3 months", "2 years").
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/** A point in time: a Date, milliseconds since the epoch, or a GoTime. */
export type TimeLike = Date | number | GoTime;

function toMs(t: TimeLike): number {
  if (t instanceof GoTime) return t.ms;
  if (t instanceof Date) return t.getTime();
  return t;
}

/** Truncate to whole seconds, as time.Unix(t.Unix(), 0) does. */
function floorSeconds(ms: number): number {
  if (!Number.isFinite(ms)) return 0; // an unset time: Unix 0
  return Math.floor(ms / 1000) * 1000;
}

/** "<HumanDuration(now - t)> ago", the CREATED column of `podman ps` (full precision). */
export function timeAgo(t: TimeLike, now: number = Date.now()): string {
  return humanDuration(now - toMs(t)) + ' ago';
}

/**
 * The CREATED column of `podman images`: the image's creation time is kept in
 * whole Unix seconds before the duration is taken.
 */
export function imageCreatedAgo(created: TimeLike, now: number = Date.now()): string {
  return humanDuration(now - floorSeconds(toMs(created))) + ' ago';
}

export interface PsStatusInput {
  /** libpod state: "configured"/"created", "initialized", "running", "paused", "stopped", "exited", "stopping", "removing", ... */
  state: string;
  /** when the container last started (only whole seconds count, as in Podman's ListContainer.StartedAt) */
  startedAt?: TimeLike | null;
  /** when it last exited (whole seconds, as ListContainer.ExitedAt) */
  exitedAt?: TimeLike | null;
  exitCode?: number;
  /** health check status ("healthy", "unhealthy", "starting"); appended as " (healthy)" */
  health?: string;
}

export interface PsStatusOptions {
  /**
   * Podman 4.3 prints "Up 5 seconds ago" for a running container; Podman 4.4
   * and later print "Up 5 seconds". Default true (4.3).
   */
  upAgo?: boolean;
}

/**
 * The STATUS column of `podman ps` ("Up 5 seconds ago", "Exited (0) 3
 * seconds ago", "Created", ...), from psReporter.State()/Status().
 */
export function psStatus(c: PsStatusInput, now?: number, opts?: PsStatusOptions): string;
/** Positional form: psStatus(state, exitCode, startedAtMs, exitedAtMs, now). */
export function psStatus(state: string, exitCode: number | undefined, startedAt: TimeLike | null | undefined, exitedAt: TimeLike | null | undefined, now?: number, opts?: PsStatusOptions): string;
export function psStatus(
  a: PsStatusInput | string,
  b?: number,
  c2?: PsStatusOptions | TimeLike | null,
  d?: TimeLike | null,
  e?: number,
  f?: PsStatusOptions,
): string {
  let c: PsStatusInput;
  let now: number;
  let opts: PsStatusOptions;
  if (typeof a === 'string') {
    c = { state: a, exitCode: b, startedAt: c2 as TimeLike | null | undefined, exitedAt: d };
    now = e ?? Date.now();
    opts = f ?? {};
  } else {
    c = a;
    now = b ?? Date.now();
    opts = (c2 as PsStatusOptions | undefined) ?? {};
  }
  const upAgo = opts.upAgo ?? true;
  let state: string;
  switch (c.state) {
    case 'running': {
      const t = humanDuration(now - floorSeconds(c.startedAt == null ? 0 : toMs(c.startedAt)));
      state = 'Up ' + t + (upAgo ? ' ago' : '');
      break;
    }
    case 'configured':
    case 'created':
      state = 'Created';
      break;
    case 'paused':
      state = 'Paused';
      break;
    case 'listening': // --listen: the sockets are held, the container starts on a connection
      state = 'Listening';
      break;
    case 'exited':
    case 'stopped': {
      const t = humanDuration(now - floorSeconds(c.exitedAt == null ? 0 : toMs(c.exitedAt)));
      state = `Exited (${c.exitCode ?? 0}) ${t} ago`;
      break;
    }
    default:
      state = c.state;
  }
  if (c.health) state += ` (${c.health})`;
  return state;
}

// ---------------------------------------------------------------------------
// Go time.Time printing
// ---------------------------------------------------------------------------

/**
 * A Go time.Time: milliseconds since the epoch plus the sub-millisecond
 * nanoseconds (0..999999) that a Date cannot hold, and whether it is in UTC
 * or the local zone. The template engine prints it as Go does
 * ("2006-01-02 15:04:05.999999999 -0700 MST"), json encodes it as RFC 3339
 * with nanoseconds, and it has the methods templates call on times
 * (.Unix, .Format, .UTC, ...).
 */
export class GoTime {
  constructor(
    /** milliseconds since the epoch (integer) */
    readonly ms: number,
    /** extra nanoseconds below the millisecond, 0..999999 */
    readonly subMsNanos: number = 0,
    readonly utc: boolean = false,
  ) {}

  /** Parse RFC 3339 (with up to nanosecond precision), or take a Date / epoch ms. */
  static from(t: string | Date | number | GoTime, utc = false): GoTime {
    if (t instanceof GoTime) return t;
    if (t instanceof Date) return new GoTime(t.getTime(), 0, utc);
    if (typeof t === 'number') {
      const ms = Math.floor(t);
      return new GoTime(ms, Math.round((t - ms) * 1e6), utc);
    }
    const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$/.exec(t.trim());
    if (!m) {
      const ms = Date.parse(t);
      if (Number.isNaN(ms)) throw new Error(`cannot parse time ${JSON.stringify(t)}`);
      return new GoTime(ms, 0, utc);
    }
    const frac = (m[2] ?? '').padEnd(9, '0');
    const zone = m[3] ?? 'Z';
    const base = Date.parse(m[1].replace(' ', 'T') + (zone === 'z' ? 'Z' : zone));
    const nanos = Number(frac);
    // Go's time.Parse gives a "Z" time the UTC location; other offsets are shown in the local zone here.
    return new GoTime(base + Math.floor(nanos / 1e6), nanos % 1e6, utc || zone === 'Z' || zone === 'z');
  }

  /** Nanoseconds within the second (0..999999999). */
  get nanosecond(): number {
    const msInSec = ((this.ms % 1000) + 1000) % 1000;
    return msInSec * 1e6 + this.subMsNanos;
  }

  toDate(): Date {
    return new Date(this.ms);
  }

  // Methods a Go template can call ({{.Created.Unix}} and friends).
  Unix(): number {
    return Math.floor(this.ms / 1000);
  }
  UnixMilli(): number {
    return this.ms;
  }
  UnixNano(): bigint {
    return BigInt(this.ms) * 1000000n + BigInt(this.subMsNanos);
  }
  UTC(): GoTime {
    return new GoTime(this.ms, this.subMsNanos, true);
  }
  Local(): GoTime {
    return new GoTime(this.ms, this.subMsNanos, false);
  }
  IsZero(): boolean {
    return this.ms === GO_ZERO_TIME_MS && this.subMsNanos === 0;
  }
  Year(): number {
    return this.fields().year;
  }
  Day(): number {
    return this.fields().day;
  }
  Hour(): number {
    return this.fields().hour;
  }
  Minute(): number {
    return this.fields().minute;
  }
  Second(): number {
    return this.fields().second;
  }
  Nanosecond(): number {
    return this.nanosecond;
  }
  Format(layout: string): string {
    return formatGoTimeLayout(this, layout);
  }
  String(): string {
    return goTimeString(this);
  }
  toString(): string {
    return goTimeString(this);
  }
  toJSON(): string {
    return formatGoTimeLayout(this, RFC3339_NANO);
  }

  /** Broken-down wall clock fields in this time's zone. */
  fields(): TimeFields {
    const off = this.utc ? 0 : localOffsetSeconds(this.ms);
    const d = new Date(this.ms + off * 1000);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
      yday: Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1,
      offset: off,
      zone: this.utc ? 'UTC' : localZoneAbbrev(this.ms, off),
    };
  }
}

interface TimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  yday: number;
  offset: number; // seconds east of UTC
  zone: string;
}

/** Go's zero time.Time (0001-01-01 00:00:00 UTC) in epoch milliseconds. */
export const GO_ZERO_TIME_MS = -62135596800000;

export const RFC3339 = '2006-01-02T15:04:05Z07:00';
export const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';

function localOffsetSeconds(ms: number): number {
  const zi = localZoneInfo();
  if (zi) return zi.lookup(Math.floor(ms / 1000)).offset;
  return -new Date(ms).getTimezoneOffset() * 60;
}

function localZoneAbbrev(ms: number, offset: number): string {
  const zi = localZoneInfo();
  if (zi) return zi.lookup(Math.floor(ms / 1000)).abbrev;
  if (offset === 0 && isUtcEnv()) return 'UTC';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName');
    if (part && /^[A-Z]{2,5}$/.test(part.value)) return part.value;
  } catch {
    // fall through to the numeric form
  }
  return numericZone(offset, false, false);
}

function isUtcEnv(): boolean {
  const tz = process.env.TZ;
  return tz === undefined || tz === '' || tz === 'UTC' || tz === 'UTC0' || tz === ':UTC' || tz === 'Etc/UTC';
}

interface ZoneInfo {
  lookup(unixSeconds: number): { offset: number; abbrev: string };
}

let zoneInfoCache: { key: string; info: ZoneInfo | null } | undefined;

/** The local zone read from TZif data ($TZ or /etc/localtime), as Go's time package does. */
function localZoneInfo(): ZoneInfo | null {
  const tz = process.env.TZ;
  const key = tz ?? '<unset>';
  if (zoneInfoCache && zoneInfoCache.key === key) return zoneInfoCache.info;
  let info: ZoneInfo | null = null;
  try {
    let file: string | null;
    if (tz === undefined) file = '/etc/localtime';
    else if (tz === '' || tz === 'UTC' || tz === ':UTC') file = null;
    else {
      const name = tz.startsWith(':') ? tz.slice(1) : tz;
      file = name.startsWith('/') ? name : `/usr/share/zoneinfo/${name}`;
    }
    if (file === null) info = { lookup: () => ({ offset: 0, abbrev: 'UTC' }) };
    else info = parseTZif(fs.readFileSync(file));
  } catch {
    info = null;
  }
  zoneInfoCache = { key, info };
  return info;
}

function parseTZif(buf: Buffer): ZoneInfo | null {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return null;
  const version = buf[4];
  const readCounts = (off: number) => ({
    isutcnt: buf.readUInt32BE(off + 20),
    isstdcnt: buf.readUInt32BE(off + 24),
    leapcnt: buf.readUInt32BE(off + 28),
    timecnt: buf.readUInt32BE(off + 32),
    typecnt: buf.readUInt32BE(off + 36),
    charcnt: buf.readUInt32BE(off + 40),
  });
  let off = 0;
  let c = readCounts(0);
  let timeSize = 4;
  if (version >= 0x32) {
    // skip the v1 block and read the 64-bit one
    off = 44 + c.timecnt * 4 + c.timecnt + c.typecnt * 6 + c.charcnt + c.leapcnt * 8 + c.isstdcnt + c.isutcnt;
    if (buf.toString('latin1', off, off + 4) !== 'TZif') return null;
    c = readCounts(off);
    timeSize = 8;
  }
  let p = off + 44;
  const times: number[] = [];
  for (let i = 0; i < c.timecnt; i++) {
    times.push(timeSize === 8 ? Number(buf.readBigInt64BE(p)) : buf.readInt32BE(p));
    p += timeSize;
  }
  const idx: number[] = [];
  for (let i = 0; i < c.timecnt; i++) idx.push(buf[p++]);
  const types: { offset: number; isdst: boolean; abbr: number }[] = [];
  for (let i = 0; i < c.typecnt; i++) {
    types.push({ offset: buf.readInt32BE(p), isdst: buf[p + 4] !== 0, abbr: buf[p + 5] });
    p += 6;
  }
  const chars = buf.toString('latin1', p, p + c.charcnt);
  const abbrev = (t: { abbr: number }) => {
    const end = chars.indexOf('\0', t.abbr);
    return chars.slice(t.abbr, end < 0 ? undefined : end);
  };
  if (types.length === 0) return null;
  // Go uses the first non-DST type (or type 0) before the first transition.
  const firstStd = types.find((t) => !t.isdst) ?? types[0];
  return {
    lookup(sec: number) {
      if (times.length === 0 || sec < times[0]) return { offset: firstStd.offset, abbrev: abbrev(firstStd) };
      let lo = 0;
      let hi = times.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid] <= sec) lo = mid;
        else hi = mid - 1;
      }
      const t = types[idx[lo]] ?? firstStd;
      return { offset: t.offset, abbrev: abbrev(t) };
    },
  };
}

function numericZone(offset: number, colon: boolean, seconds: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  let out = sign + pad2(h) + (colon ? ':' : '') + pad2(m);
  if (seconds) out += (colon ? ':' : '') + pad2(s);
  return out;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function padN(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const LONG_MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/**
 * Go's time.Time.Format(layout) for the layout elements in common use
 * (2006 06 01 1 Jan January 02 2 _2 15 03 3 04 4 05 5 PM pm MST Monday Mon
 * 002 Z07:00 -0700 -07:00 -07 Z0700 .000 .999999999 ,000 ...).
 */
export function formatGoTimeLayout(t: TimeLike, layout: string): string {
  const gt = t instanceof GoTime ? t : GoTime.from(t);
  const f = gt.fields();
  const ns = gt.nanosecond;
  let out = '';
  let i = 0;
  const starts = (s: string) => layout.startsWith(s, i);
  while (i < layout.length) {
    const ch = layout[i];
    // fractional seconds: .000 / ,000 / .999 / ,999 after a seconds field or anywhere
    if ((ch === '.' || ch === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const digit = layout[i + 1];
      let j = i + 1;
      while (j < layout.length && layout[j] === digit) j++;
      const next = layout[j];
      if (next === undefined || !(next >= '0' && next <= '9')) {
        const n = Math.min(j - i - 1, 9);
        let frac = padN(ns, 9).slice(0, n);
        if (digit === '9') {
          frac = frac.replace(/0+$/, '');
          if (frac !== '') out += ch + frac;
        } else {
          out += ch + frac;
        }
        i = j;
        continue;
      }
    }
    if (starts('January')) { out += LONG_MONTHS[f.month - 1]; i += 7; continue; }
    if (starts('Jan')) { out += LONG_MONTHS[f.month - 1].slice(0, 3); i += 3; continue; }
    if (starts('Monday')) { out += LONG_DAYS[f.weekday]; i += 6; continue; }
    if (starts('Mon')) { out += LONG_DAYS[f.weekday].slice(0, 3); i += 3; continue; }
    if (starts('MST')) {
      out += f.zone !== '' ? f.zone : numericZone(f.offset, false, false);
      i += 3;
      continue;
    }
    if (starts('2006')) { out += padN(f.year, 4); i += 4; continue; }
    if (starts('002')) { out += padN(f.yday, 3); i += 3; continue; }
    if (starts('01')) { out += pad2(f.month); i += 2; continue; }
    if (starts('02')) { out += pad2(f.day); i += 2; continue; }
    if (starts('03')) { out += pad2(f.hour % 12 === 0 ? 12 : f.hour % 12); i += 2; continue; }
    if (starts('04')) { out += pad2(f.minute); i += 2; continue; }
    if (starts('05')) { out += pad2(f.second); i += 2; continue; }
    if (starts('06')) { out += pad2(f.year % 100); i += 2; continue; }
    if (starts('15')) { out += pad2(f.hour); i += 2; continue; }
    if (starts('__2')) { out += String(f.yday).padStart(3, ' '); i += 3; continue; }
    if (starts('_2')) { out += String(f.day).padStart(2, ' '); i += 2; continue; }
    if (starts('Z07:00:00')) { out += f.offset === 0 ? 'Z' : numericZone(f.offset, true, true); i += 9; continue; }
    if (starts('Z070000')) { out += f.offset === 0 ? 'Z' : numericZone(f.offset, false, true); i += 7; continue; }
    if (starts('Z07:00')) { out += f.offset === 0 ? 'Z' : numericZone(f.offset, true, false); i += 6; continue; }
    if (starts('Z0700')) { out += f.offset === 0 ? 'Z' : numericZone(f.offset, false, false); i += 5; continue; }
    if (starts('Z07')) { out += f.offset === 0 ? 'Z' : numericZone(f.offset, false, false).slice(0, 3); i += 3; continue; }
    if (starts('-07:00:00')) { out += numericZone(f.offset, true, true); i += 9; continue; }
    if (starts('-070000')) { out += numericZone(f.offset, false, true); i += 7; continue; }
    if (starts('-07:00')) { out += numericZone(f.offset, true, false); i += 6; continue; }
    if (starts('-0700')) { out += numericZone(f.offset, false, false); i += 5; continue; }
    if (starts('-07')) { out += numericZone(f.offset, false, false).slice(0, 3); i += 3; continue; }
    if (starts('PM')) { out += f.hour >= 12 ? 'PM' : 'AM'; i += 2; continue; }
    if (starts('pm')) { out += f.hour >= 12 ? 'pm' : 'am'; i += 2; continue; }
    if (ch === '1') { out += String(f.month); i += 1; continue; }
    if (ch === '2') { out += String(f.day); i += 1; continue; }
    if (ch === '3') { out += String(f.hour % 12 === 0 ? 12 : f.hour % 12); i += 1; continue; }
    if (ch === '4') { out += String(f.minute); i += 1; continue; }
    if (ch === '5') { out += String(f.second); i += 1; continue; }
    out += ch;
    i += 1;
  }
  return out;
}

/**
 * Go's time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST"
 * (no fraction when it is zero), e.g. "2023-01-02 15:04:05 +0000 UTC".
 */
export function goTimeString(t: TimeLike, utc?: boolean): string {
  let gt = t instanceof GoTime ? t : GoTime.from(t);
  if (utc) gt = gt.UTC();
  return formatGoTimeLayout(gt, '2006-01-02 15:04:05.999999999 -0700 MST');
}

/** RFC 3339 with nanoseconds, as Go's json encodes a time.Time. */
export function goTimeRFC3339Nano(t: TimeLike): string {
  return formatGoTimeLayout(t instanceof GoTime ? t : GoTime.from(t), RFC3339_NANO);
}
