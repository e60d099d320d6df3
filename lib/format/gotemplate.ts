// Go text/template, as Podman 4.3 runs it for `--format`.
//
// The lexer, parser and executor follow Go's text/template (Go 1.19, the
// toolchain Podman 4.3 was built with): actions, pipelines, variables,
// if/else if/range/with/break/continue, define/template/block, trim
// markers, comments, the builtin functions (and or not len index slice
// eq ne lt le gt ge print printf println html js urlquery call) and
// Podman's extra functions from containers/common pkg/report DefaultFuncs
// (join json lower pad split title truncate upper). Values print the way
// Go's fmt prints them; errors read like Go's and callers map them to
// exit code 125.
//
// JavaScript data maps onto Go values like this:
//   string, boolean, number (integral -> int, else float64), bigint -> int
//   null/undefined -> nil;  a missing map key -> "no value" (<no value>)
//   Array -> slice;  Map, or an object marked with goMap(), or an object
//   reached through a field named in mapFields (Labels, Annotations, ...)
//   -> map (sorted keys, missing keys give <no value>)
//   any other object -> struct (missing fields are an error, functions are
//   methods);  Date or GoTime -> time.Time
//
// Podman's report layer is here too: normalizeFormat (the `table `
// prefix, `\t` and `\n` typed literally), enforceRange, headers, and
// renderReport / renderInspect which put it all together with the tab
// writer. Behaviour was checked side by side against podman 4.3.1
// (version/volume inspect/ps/images --format) where a difference could
// be observed; the json function does not escape <, > and & because
// Podman's DefaultFuncs turn Go's HTML escaping off.

import { formatGoFloat, GoTime, goTimeRFC3339Nano } from './units';
import { newPodmanTabWriter, STRIP_ESCAPE } from './table';

// ---------------------------------------------------------------------------
// Value model
// ---------------------------------------------------------------------------

/** Go's invalid reflect.Value: what a missing map key evaluates to. */
const MISSING: unique symbol = Symbol('no value');
type Missing = typeof MISSING;

const markedMaps = new WeakSet<object>();

/** Symbol under which an object may carry its Go type name (used in error messages). */
export const GO_TYPE: unique symbol = Symbol.for('tspod.goType');

/** Mark a plain object as a Go map (sorted keys; a missing key is not an error). Returns obj. */
export function goMap<T extends object>(obj: T): T {
  markedMaps.add(obj);
  return obj;
}

/** Give an object a Go type name for error messages ("can't evaluate field X in type NAME"). Returns obj. */
export function goStruct<T extends object>(obj: T, typeName: string): T {
  Object.defineProperty(obj, GO_TYPE, { value: typeName, enumerable: false, configurable: true });
  return obj;
}

/** Field names whose object values are Go maps in Podman's types (labels, annotations, options, ...). */
export const DEFAULT_MAP_FIELDS: readonly string[] = [
  'Labels', 'Annotations', 'Options', 'Data', 'Networks', 'Ports', 'ExposedPorts', 'Volumes',
  'DriverOpts', 'Sysctls', 'StorageOpt', 'Tmpfs', 'LogConfigOpts', 'IPAMOptions', 'Opts', 'PortBindings',
];

/** Execution context shared by the value helpers during one execute(). */
interface Ctx {
  mapFields: ReadonlySet<string>;
  execMaps: WeakSet<object>;
  escapeHTML: boolean;
}

let ctx: Ctx = { mapFields: new Set(DEFAULT_MAP_FIELDS), execMaps: new WeakSet(), escapeHTML: false };

function isObjectLike(v: unknown): v is Record<string | symbol, unknown> {
  return typeof v === 'object' && v !== null;
}

function isTime(v: unknown): v is GoTime | Date {
  return v instanceof GoTime || v instanceof Date;
}

function isGoMap(v: unknown): boolean {
  if (v instanceof Map) return true;
  if (!isObjectLike(v) || Array.isArray(v) || isTime(v)) return false;
  return markedMaps.has(v) || ctx.execMaps.has(v) || v instanceof HeaderMap;
}

/** Mark an object reached through a map-typed field name as a map. */
function noteField(name: string, value: unknown): unknown {
  if (value instanceof Date) return GoTime.from(value);
  if (
    ctx.mapFields.has(name) &&
    isObjectLike(value) &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    !isTime(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    ctx.execMaps.add(value);
  }
  return value;
}

function mapKeys(m: unknown): unknown[] {
  if (m instanceof Map) return sortKeys([...m.keys()]);
  if (m instanceof HeaderMap) return sortKeys(m.keys());
  return sortKeys(Object.keys(m as object));
}

function mapGet(m: unknown, key: unknown): unknown | Missing {
  if (m instanceof Map) return m.has(key) ? m.get(key) : MISSING;
  if (m instanceof HeaderMap) return m.get(String(key));
  const o = m as Record<string, unknown>;
  const k = String(key);
  return Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined ? o[k] : MISSING;
}

function mapSize(m: unknown): number {
  if (m instanceof Map) return m.size;
  if (m instanceof HeaderMap) return m.keys().length;
  return Object.keys(m as object).filter((k) => (m as Record<string, unknown>)[k] !== undefined).length;
}

function sortKeys(keys: unknown[]): unknown[] {
  return keys.sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/** Own enumerable fields of a struct-like object, in order, skipping undefined and functions. */
function structFields(o: object): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (v === undefined || typeof v === 'function') continue;
    out.push([k, v]);
  }
  return out;
}

/** Whether a struct-like object has a field or method `name` (own, or from its class). */
function hasMember(o: object, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(o, name)) return true;
  let proto = Object.getPrototypeOf(o);
  while (proto && proto !== Object.prototype && proto !== Array.prototype) {
    if (Object.prototype.hasOwnProperty.call(proto, name)) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/** A float64 constant from the template text (1.5, 1e6, 2.0): prints as Go prints floats. */
export class GoFloat64 {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** Plain JS value for user functions. */
function unboxed(v: unknown): unknown {
  if (v === MISSING) return null;
  if (v instanceof GoFloat64) return v.value;
  return v;
}

function isInt(v: unknown): boolean {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

/** A Go-ish type name for a value, for error messages. */
export function goTypeName(v: unknown): string {
  if (v === MISSING) return '<nil>';
  if (v === null || v === undefined) return '<nil>';
  if (v instanceof GoFloat64) return 'float64';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func()';
    default:
  }
  if (isTime(v)) return 'time.Time';
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((e) => typeof e === 'string')) return '[]string';
    if (v.length > 0 && v.every((e) => isInt(e))) return '[]int';
    return '[]interface {}';
  }
  if (isGoMap(v)) {
    const vals = v instanceof Map ? [...v.values()] : v instanceof HeaderMap ? ['x'] : Object.values(v as object);
    if (vals.length > 0 && vals.every((e) => typeof e === 'string')) return 'map[string]string';
    return 'map[string]interface {}';
  }
  const tag = (v as Record<symbol, unknown>)[GO_TYPE];
  if (typeof tag === 'string') return tag;
  const ctor = (v as object).constructor;
  if (ctor && ctor !== Object && ctor.name) return ctor.name;
  return 'struct';
}

// ---------------------------------------------------------------------------
// Go fmt: %v printing, Sprint, Sprintln, Sprintf
// ---------------------------------------------------------------------------

function hasStringMethod(v: object): boolean {
  return typeof (v as { String?: unknown }).String === 'function';
}

function fmtFloatV(x: number): string {
  return formatGoFloat(x, 'g', -1);
}

/** Go's %v (plus: %+v when plus is set). */
function fmtV(v: unknown, plus = false, depth = 0): string {
  if (v === MISSING) return depth === 0 ? '<no value>' : '<invalid reflect.Value>';
  if (v === null || v === undefined) return '<nil>';
  if (v instanceof GoFloat64) return fmtFloatV(v.value);
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isInteger(v) ? intString(v) : fmtFloatV(v);
    case 'bigint':
      return v.toString();
    case 'function':
      return '0x' + '0'.repeat(6);
    case 'symbol':
      return String(v);
    default:
  }
  if (v instanceof Date) return GoTime.from(v).String();
  if (v instanceof Error) return v.message;
  if (hasStringMethod(v as object)) return String((v as { String(): unknown }).String());
  if (Array.isArray(v)) return '[' + v.map((e) => fmtV(e, plus, depth + 1)).join(' ') + ']';
  if (v instanceof Uint8Array) return '[' + Array.from(v).join(' ') + ']';
  if (isGoMap(v)) {
    const parts = mapKeys(v).map((k) => fmtV(k, plus, depth + 1) + ':' + fmtV(mapGet(v, k), plus, depth + 1));
    return 'map[' + parts.join(' ') + ']';
  }
  const fields = structFields(v as object);
  return '{' + fields.map(([k, e]) => (plus ? k + ':' : '') + fmtV(noteField(k, e), plus, depth + 1)).join(' ') + '}';
}

function intString(n: number): string {
  // Go prints integers in full, never with an exponent
  if (Math.abs(n) < 1e21) return String(n);
  return BigInt(n).toString();
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function goSprint(...args: unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += fmtV(a === MISSING ? null : a);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, newline appended. */
export function goSprintln(...args: unknown[]): string {
  return args.map((a) => fmtV(a === MISSING ? null : a)).join(' ') + '\n';
}

interface FmtFlags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** fmt's padding: spaces, or zeros with the 0 flag (after the sign for numbers, as Go does). */
function padTo(s: string, f: FmtFlags, numeric = false): string {
  if (f.width === undefined) return s;
  const n = f.width - runeLength(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  if (f.zero) {
    if (numeric && (s[0] === '-' || s[0] === '+' || s[0] === ' ')) return s[0] + '0'.repeat(n) + s.slice(1);
    return '0'.repeat(n) + s;
  }
  return ' '.repeat(n) + s;
}

/** strconv.FormatFloat(x, 'x', -1, 64): "0x1.cp+01". */
function hexFloat(x: number, upper: boolean): string {
  if (!Number.isFinite(x)) return formatGoFloat(x, 'g', -1);
  const neg = x < 0 || Object.is(x, -0);
  x = Math.abs(x);
  let out: string;
  if (x === 0) out = '0x0p+00';
  else {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, x);
    const hi = buf.getUint32(0);
    const lo = buf.getUint32(4);
    let e = (hi >>> 20) & 0x7ff;
    let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    if (e === 0) {
      // subnormal: normalize
      e = 1;
      while ((mant & (1n << 52n)) === 0n) {
        mant <<= 1n;
        e--;
      }
      mant &= (1n << 52n) - 1n;
    }
    const exp = e - 1023;
    const frac = mant.toString(16).padStart(13, '0').replace(/0+$/, '');
    out = '0x1' + (frac ? '.' + frac : '') + 'p' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
  }
  if (upper) out = out.toUpperCase();
  return (neg ? '-' : '') + out;
}

/** strconv.Quote: a Go double-quoted string literal. */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
      default:
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c < 0x7f) out += ch;
    else if (asciiOnly || !isPrintRune(c)) {
      if (c === 0xfffd && !asciiOnly) out += ch;
      else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
      else out += '\\U' + c.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + '"';
}

function isPrintRune(c: number): boolean {
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]/u.test(String.fromCodePoint(c));
}

function hexOfString(s: string, upper: boolean, f: FmtFlags): string {
  const bytes = Buffer.from(s, 'utf8');
  const parts: string[] = [];
  for (const b of bytes) {
    let h = b.toString(16).padStart(2, '0');
    if (upper) h = h.toUpperCase();
    parts.push(h);
  }
  if (f.space) return parts.map((p) => (f.sharp ? (upper ? '0X' : '0x') + p : p)).join(' ');
  return (f.sharp ? (upper ? '0X' : '0x') : '') + parts.join('');
}

function badVerb(verb: string, v: unknown): string {
  if (v === null || v === undefined || v === MISSING) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${fmtV(v)})`;
}

function fmtInteger(n: bigint, verb: string, f: FmtFlags): string {
  const neg = n < 0n;
  let a = neg ? -n : n;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'd':
    case 'v':
      digits = a.toString(10);
      break;
    case 'b':
      digits = a.toString(2);
      if (f.sharp) prefix = '0b';
      break;
    case 'o':
      digits = a.toString(8);
      if (f.sharp && digits[0] !== '0') prefix = '0';
      break;
    case 'O':
      digits = a.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = a.toString(16);
      if (f.sharp) prefix = '0x';
      break;
    case 'X':
      digits = a.toString(16).toUpperCase();
      if (f.sharp) prefix = '0X';
      break;
    default:
      digits = a.toString(10);
  }
  if (f.prec !== undefined) {
    if (f.prec === 0 && n === 0n) digits = '';
    if (digits.length < f.prec) digits = '0'.repeat(f.prec - digits.length) + digits;
  }
  const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  const body = prefix + digits;
  if (f.width !== undefined && f.zero && !f.minus && f.prec === undefined) {
    const n2 = f.width - sign.length - body.length;
    if (n2 > 0) return sign + prefix + '0'.repeat(n2) + digits;
  }
  return padTo(sign + body, { ...f, zero: false });
}

function fmtFloat(x: number, verb: string, f: FmtFlags): string {
  let fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G';
  let prec: number;
  switch (verb) {
    case 'v':
    case 'g':
      fmt = 'g';
      prec = f.prec ?? -1;
      break;
    case 'G':
      fmt = 'G';
      prec = f.prec ?? -1;
      break;
    case 'e':
    case 'E':
      fmt = verb;
      prec = f.prec ?? 6;
      break;
    case 'x':
    case 'X': {
      let hs = hexFloat(x, verb === 'X');
      if (hs[0] !== '-' && f.plus) hs = '+' + hs;
      return padTo(hs, f, true);
    }
    case 'f':
    case 'F':
      fmt = 'f';
      prec = f.prec ?? 6;
      break;
    default:
      return badVerb(verb, x);
  }
  let s = formatGoFloat(x, fmt, prec);
  if (s === 'NaN' || s === '+Inf' || s === '-Inf') {
    if (s === '+Inf' && !f.plus) s = f.space ? ' Inf' : '+Inf';
    return padTo(s, { ...f, zero: false });
  }
  if (s[0] !== '-') {
    if (f.plus) s = '+' + s;
    else if (f.space) s = ' ' + s;
  }
  return padTo(s, f, true);
}

function fmtString(s: string, verb: string, f: FmtFlags): string {
  if (f.prec !== undefined && verb !== 'x' && verb !== 'X') {
    s = Array.from(s).slice(0, f.prec).join('');
  }
  switch (verb) {
    case 'v':
    case 's':
      return padTo(s, f);
    case 'q':
      if (f.sharp && !s.includes('`') && !/[\x00-\x08\x0a-\x1f\x7f]/.test(s)) return padTo('`' + s + '`', f);
      return padTo(goQuote(s, f.plus), f);
    case 'x':
    case 'X':
      if (f.prec !== undefined) s = Buffer.from(s, 'utf8').subarray(0, f.prec).toString('latin1');
      return padTo(hexOfString(s, verb === 'X', f), f);
    default:
      return badVerb(verb, s);
  }
}

/** One operand formatted with a verb, as fmt's printArg/printValue. */
function fmtArg(v: unknown, verb: string, f: FmtFlags, depth = 0): string {
  if (v === MISSING) v = null;
  if (verb === 'T') return padTo(goTypeName(v), f);
  if (v === null || v === undefined) {
    if (verb === 'v') return padTo('<nil>', f);
    return badVerb(verb, v);
  }
  if (v instanceof GoFloat64) {
    if ('eEfFgGvxX'.includes(verb)) return fmtFloat(v.value, verb, f);
    return badVerb(verb, v);
  }
  if (verb === 'v' && f.sharp && typeof v === 'string') return padTo(goQuote(v), f);
  if (verb === 'v' && (f.plus || f.sharp) && isObjectLike(v) && !isTime(v) && !hasStringMethod(v)) {
    if (f.sharp) return padTo(goSyntax(v), f);
    return padTo(fmtV(v, true, depth), f);
  }
  switch (typeof v) {
    case 'boolean':
      if (verb === 't' || verb === 'v') return padTo(v ? 'true' : 'false', f);
      return badVerb(verb, v);
    case 'number':
      if (Number.isInteger(v) && 'bcdoOqxXUv'.includes(verb)) return fmtIntVerb(BigInt(v), verb, f);
      if ('eEfFgGvxX'.includes(verb)) return fmtFloat(v, verb, f);
      return badVerb(verb, v);
    case 'bigint':
      if ('bcdoOqxXUv'.includes(verb)) return fmtIntVerb(v, verb, f);
      return badVerb(verb, v);
    case 'string':
      return fmtString(v, verb, f);
    default:
  }
  if (isObjectLike(v)) {
    if (v instanceof Date || hasStringMethod(v) || v instanceof Error) {
      if ('vsqxX'.includes(verb)) return fmtString(fmtV(v), verb, f);
    }
    // the width applies to each element, as in Go
    if (Array.isArray(v)) {
      return '[' + v.map((e) => fmtArg(e, verb, f, depth + 1)).join(' ') + ']';
    }
    if (isGoMap(v)) {
      const parts = mapKeys(v).map((k) => fmtArg(k, verb, f, depth + 1) + ':' + fmtArg(mapGet(v, k), verb, f, depth + 1));
      return 'map[' + parts.join(' ') + ']';
    }
    const fields = structFields(v);
    return '{' + fields.map(([k, e]) => (f.plus ? k + ':' : '') + fmtArg(noteField(k, e), verb, f, depth + 1)).join(' ') + '}';
  }
  return badVerb(verb, v);
}

function fmtIntVerb(n: bigint, verb: string, f: FmtFlags): string {
  switch (verb) {
    case 'c':
      return padTo(String.fromCodePoint(Number(n)), f);
    case 'q':
      return padTo(quoteRune(Number(n)), f);
    case 'U': {
      let s = 'U+' + n.toString(16).toUpperCase().padStart(4, '0');
      if (f.sharp) s += " '" + String.fromCodePoint(Number(n)) + "'";
      return padTo(s, f);
    }
    default:
      return fmtInteger(n, verb, f);
  }
}

function quoteRune(c: number): string {
  const ch = String.fromCodePoint(c);
  if (ch === "'") return "'\\''";
  const q = goQuote(ch);
  return "'" + q.slice(1, -1).replace(/\\"/g, '"') + "'";
}

function goSyntax(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v !== 'object') return fmtV(v);
  if (Array.isArray(v)) return goTypeName(v) + '{' + v.map(goSyntax).join(', ') + '}';
  if (isGoMap(v)) return goTypeName(v) + '{' + mapKeys(v).map((k) => goSyntax(k) + ':' + goSyntax(mapGet(v, k))).join(', ') + '}';
  return goTypeName(v) + '{' + structFields(v).map(([k, e]) => k + ':' + goSyntax(e)).join(', ') + '}';
}

/** fmt.Sprintf with Go's verbs, flags, width and precision, and its %!verb(...) error forms. */
export function goSprintf(format: string, ...args: unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: FmtFlags = { plus: false, minus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    // flags
    for (; i < n; i++) {
      const c = format[i];
      if (c === '+') f.plus = true;
      else if (c === '-') {
        f.minus = true;
        f.zero = false;
      } else if (c === '#') f.sharp = true;
      else if (c === ' ') f.space = true;
      else if (c === '0') f.zero = !f.minus;
      else break;
    }
    // argument index [n]
    const readIndex = () => {
      if (format[i] === '[') {
        const close = format.indexOf(']', i);
        if (close > i) {
          const idx = Number(format.slice(i + 1, close));
          if (Number.isInteger(idx) && idx >= 1) argNum = idx - 1;
          reordered = true;
          i = close + 1;
        }
      }
    };
    readIndex();
    // width
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (typeof w === 'number' && Number.isInteger(w)) {
        f.width = w;
        if (w < 0) {
          f.minus = true;
          f.width = -w;
          f.zero = false;
        }
      } else out += '%!(BADWIDTH)';
    } else {
      let w = '';
      while (i < n && format[i] >= '0' && format[i] <= '9') w += format[i++];
      if (w !== '') f.width = Number(w);
    }
    // precision
    if (format[i] === '.' && i + 1 < n) {
      i++;
      readIndex();
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0) f.prec = p;
        else out += '%!(BADPREC)';
      } else {
        let p = '';
        while (i < n && format[i] >= '0' && format[i] <= '9') p += format[i++];
        f.prec = p === '' ? 0 : Number(p);
      }
    }
    readIndex();
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++];
    out += fmtArg(arg, verb, f);
  }
  if (!reordered && argNum < args.length) {
    out += '%!(EXTRA ' + args.slice(argNum).map((a) => (a === null || a === undefined || a === MISSING ? '<nil>' : `${goTypeName(a)}=${fmtV(a)}`)).join(', ') + ')';
  }
  return out;
}

// ---------------------------------------------------------------------------
// Go encoding/json
// ---------------------------------------------------------------------------

export interface GoJSONOptions {
  /** escape <, > and & as \u003c, \u003e, \u0026 (Go's json.Marshal default; Podman's json template function turns it off) */
  escapeHTML?: boolean;
  /** indent string (json.MarshalIndent / Encoder.SetIndent); compact when absent */
  indent?: string;
  prefix?: string;
}

const HEX = '0123456789abcdef';

/** A string as Go's encoding/json writes it. */
export function goJSONString(s: string, escapeHTML = false): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c < 0x20) {
      if (c === 0x0a) rep = '\\n';
      else if (c === 0x0d) rep = '\\r';
      else if (c === 0x09) rep = '\\t';
      else rep = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) rep = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\\ufffd'; // lone surrogate: invalid UTF-8 in Go
    } else if (c >= 0xdc00 && c <= 0xdfff) rep = '\\ufffd';
    if (rep !== null) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

class JSONUnsupported extends Error {}

function jsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new JSONUnsupported(`json: unsupported value: ${formatGoFloat(n, 'g', -1)}`);
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

/**
 * Go's encoding/json encoding of a value: struct-like objects keep their
 * field order, maps (Map, goMap(), map fields) are sorted by key, times are
 * RFC 3339 with nanoseconds, strings are escaped as Go escapes them.
 * Throws on NaN/Infinity like Go.
 */
export function goJSON(v: unknown, opts: GoJSONOptions = {}): string {
  const escapeHTML = opts.escapeHTML ?? false;
  const indent = opts.indent;
  const prefix = opts.prefix ?? '';
  const seen = new Set<object>();
  const enc = (x: unknown, level: number): string => {
    if (x === MISSING || x === null || x === undefined) return 'null';
    if (x instanceof GoFloat64) return jsonNumber(x.value);
    switch (typeof x) {
      case 'string':
        return goJSONString(x, escapeHTML);
      case 'boolean':
        return x ? 'true' : 'false';
      case 'number':
        return jsonNumber(x);
      case 'bigint':
        return x.toString();
      case 'function':
      case 'symbol':
        return 'null';
      default:
    }
    if (x instanceof GoTime || x instanceof Date) return goJSONString(goTimeRFC3339Nano(x), escapeHTML);
    const obj = x as object;
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function' && !(obj instanceof HeaderMap)) {
      return enc((obj as { toJSON(): unknown }).toJSON(), level);
    }
    if (seen.has(obj)) throw new JSONUnsupported('json: unsupported value: encountered a cycle');
    seen.add(obj);
    try {
      const nl = indent !== undefined ? '\n' + prefix + indent.repeat(level + 1) : '';
      const close = indent !== undefined ? '\n' + prefix + indent.repeat(level) : '';
      const colon = indent !== undefined ? ': ' : ':';
      if (Array.isArray(obj) || obj instanceof Uint8Array) {
        if (obj instanceof Uint8Array) return goJSONString(Buffer.from(obj).toString('base64'), escapeHTML);
        if (obj.length === 0) return '[]';
        return '[' + obj.map((e) => nl + enc(e === undefined ? null : e, level + 1)).join(',') + close + ']';
      }
      let entries: [string, unknown][];
      if (isGoMap(obj)) {
        entries = mapKeys(obj).map((k) => [String(k), mapGet(obj, k)] as [string, unknown]);
      } else {
        entries = structFields(obj).map(([k, e]) => [k, noteField(k, e)]);
      }
      if (entries.length === 0) return '{}';
      return '{' + entries.map(([k, e]) => nl + goJSONString(k, escapeHTML) + colon + enc(e, level + 1)).join(',') + close + '}';
    } finally {
      seen.delete(obj);
    }
  };
  return enc(v, 0);
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** A template parse or execution error; `message` reads like Go's. Callers exit 125. */
export class TemplateError extends Error {
  /**
   * Output produced before an execution error. Go writes as it goes, so
   * Podman prints this (through its tab writer) before the error message.
   */
  partial = '';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** An error thrown by a function while it runs: reported as "error calling NAME: ...". */
class CallError extends Error {}
/** An argument problem: reported without "error calling". */
class ArgError extends Error {}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

const enum I {
  Error,
  Bool,
  Char,
  CharConstant,
  Comment,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // keywords
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

const KEYWORDS: Record<string, I> = {
  '.': I.Dot,
  block: I.Block,
  break: I.Break,
  continue: I.Continue,
  define: I.Define,
  else: I.Else,
  end: I.End,
  if: I.If,
  range: I.Range,
  nil: I.Nil,
  template: I.Template,
  with: I.With,
};

interface Item {
  typ: I;
  pos: number;
  val: string;
  line: number;
}

const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';

function isSpaceCh(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string | undefined): boolean {
  if (c === undefined || c === '') return false;
  return c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpaceCh(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpaceCh(s[at]) && s[at + 1] === '-';
}

function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (typ: I) => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = () => {
    for (let i = start; i < pos; i++) if (input[i] === '\n') line++;
    start = pos;
    startLine = line;
  };
  const advance = (to: number) => {
    for (let i = pos; i < to; i++) if (input[i] === '\n') line++;
    pos = to;
  };
  const next = (): string | undefined => {
    if (pos >= input.length) return undefined;
    const cp = input.codePointAt(pos)!;
    const ch = String.fromCodePoint(cp);
    if (ch === '\n') line++;
    pos += ch.length;
    return ch;
  };
  const peek = (): string | undefined => {
    if (pos >= input.length) return undefined;
    return String.fromCodePoint(input.codePointAt(pos)!);
  };
  const backup = (ch: string | undefined) => {
    if (ch === undefined) return;
    pos -= ch.length;
    if (ch === '\n') line--;
  };
  const error = (msg: string): false => {
    items.push({ typ: I.Error, pos: start, val: msg, line: startLine });
    return false;
  };
  const atRightDelim = (): [boolean, boolean] => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT_DELIM, pos + 2)) return [true, true];
    if (input.startsWith(RIGHT_DELIM, pos)) return [true, false];
    return [false, false];
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (r === undefined || isSpaceCh(r)) return true;
    if ('.,|:)('.includes(r)) return true;
    return input.startsWith(RIGHT_DELIM, pos);
  };
  const leftTrimLength = (from: number): number => {
    let i = from;
    while (i < input.length && isSpaceCh(input[i])) i++;
    return i - from;
  };

  // returns false when lexing must stop (EOF or error)
  const lexText = (): 'action' | false => {
    const x = input.indexOf(LEFT_DELIM, pos);
    if (x >= 0) {
      let textEnd = x;
      if (hasLeftTrimMarker(input, x + LEFT_DELIM.length)) {
        while (textEnd > pos && isSpaceCh(input[textEnd - 1])) textEnd--;
      }
      advance(textEnd);
      if (pos > start) emit(I.Text);
      advance(x);
      ignore();
      return 'action';
    }
    advance(input.length);
    if (pos > start) emit(I.Text);
    emit(I.EOF);
    return false;
  };

  const lexComment = (): boolean => {
    pos += 2; // "/*"
    const x = input.indexOf('*/', pos);
    if (x < 0) return error('unclosed comment');
    advance(x + 2);
    const [delim, trim] = atRightDelim();
    if (!delim) return error('comment ends before closing delimiter');
    if (trim) advance(pos + 2);
    advance(pos + RIGHT_DELIM.length);
    if (trim) advance(pos + leftTrimLength(pos));
    ignore();
    return true;
  };

  const lexRightDelim = () => {
    const trim = hasRightTrimMarker(input, pos);
    if (trim) {
      advance(pos + 2);
      ignore();
    }
    advance(pos + RIGHT_DELIM.length);
    emit(I.RightDelim);
    if (trim) {
      advance(pos + leftTrimLength(pos));
      ignore();
    }
  };

  const scanNumber = (): boolean => {
    const accept = (valid: string): boolean => {
      const c = peek();
      if (c !== undefined && valid.includes(c)) {
        next();
        return true;
      }
      return false;
    };
    const acceptRun = (valid: string) => {
      for (;;) {
        const c = peek();
        if (c === undefined || !valid.includes(c)) return;
        next();
      }
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlnum(peek())) {
      next();
      return false;
    }
    return true;
  };

  const lexFieldOrVariable = (typ: I): boolean => {
    if (atTerminator()) {
      emit(typ === I.Variable ? I.Variable : I.Dot);
      return true;
    }
    let r: string | undefined;
    for (;;) {
      r = next();
      if (!isAlnum(r)) {
        backup(r);
        break;
      }
    }
    if (!atTerminator()) return error(`bad character ${goQuoteRuneU(peek())}`);
    emit(typ);
    return true;
  };

  const lexInsideAction = (): 'text' | 'again' | false => {
    const [delim] = atRightDelim();
    if (delim) {
      if (parenDepth === 0) {
        lexRightDelim();
        return 'text';
      }
      return error('unclosed left paren');
    }
    const r = next();
    if (r === undefined) return error('unclosed action');
    if (isSpaceCh(r)) {
      backup(r);
      // lexSpace
      let numSpaces = 0;
      while (isSpaceCh(peek())) {
        next();
        numSpaces++;
      }
      if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT_DELIM, pos - 1 + 2)) {
        backup(input[pos - 1]);
        if (numSpaces === 1) {
          lexRightDelim();
          return 'text';
        }
      }
      emit(I.Space);
      return 'again';
    }
    switch (r) {
      case '=':
        emit(I.Assign);
        return 'again';
      case ':':
        if (next() !== '=') return error('expected :=');
        emit(I.Declare);
        return 'again';
      case '|':
        emit(I.Pipe);
        return 'again';
      case '"':
        for (;;) {
          const c = next();
          if (c === '\\') {
            const d = next();
            if (d !== undefined && d !== '\n') continue;
            return error('unterminated quoted string');
          }
          if (c === undefined || c === '\n') return error('unterminated quoted string');
          if (c === '"') break;
        }
        emit(I.String);
        return 'again';
      case '`':
        for (;;) {
          const c = next();
          if (c === undefined) return error('unterminated raw quoted string');
          if (c === '`') break;
        }
        emit(I.RawString);
        return 'again';
      case '$':
        return lexFieldOrVariable(I.Variable) ? 'again' : false;
      case "'":
        for (;;) {
          const c = next();
          if (c === '\\') {
            const d = next();
            if (d !== undefined && d !== '\n') continue;
            return error('unterminated character constant');
          }
          if (c === undefined || c === '\n') return error('unterminated character constant');
          if (c === "'") break;
        }
        emit(I.CharConstant);
        return 'again';
      case '(':
        parenDepth++;
        emit(I.LeftParen);
        return 'again';
      case ')':
        parenDepth--;
        if (parenDepth < 0) return error('unexpected right paren');
        emit(I.RightParen);
        return 'again';
      default:
    }
    if (r === '.') {
      const c = input[pos];
      if (pos < input.length && (c < '0' || c > '9')) {
        return lexFieldOrVariable(I.Field) ? 'again' : false;
      }
    }
    if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      backup(r);
      if (!scanNumber()) return error(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`);
      emit(I.Number);
      return 'again';
    }
    if (isAlnum(r)) {
      // identifier / keyword
      for (;;) {
        const c = next();
        if (!isAlnum(c)) {
          backup(c);
          break;
        }
      }
      const word = input.slice(start, pos);
      if (!atTerminator()) return error(`bad character ${goQuoteRuneU(peek())}`);
      const kw = KEYWORDS[word];
      if (kw !== undefined && Object.prototype.hasOwnProperty.call(KEYWORDS, word)) emit(kw);
      else if (word === 'true' || word === 'false') emit(I.Bool);
      else emit(I.Identifier);
      return 'again';
    }
    const cp = r.codePointAt(0)!;
    if (cp <= 0x7f && cp >= 0x20 && cp !== 0x7f) {
      emit(I.Char);
      return 'again';
    }
    return error(`unrecognized character in action: ${goQuoteRuneU(r)}`);
  };

  let state: 'text' | 'action' = 'text';
  for (;;) {
    if (state === 'text') {
      const r = lexText();
      if (r === false) break;
      // lexLeftDelim
      advance(pos + LEFT_DELIM.length);
      const trim = hasLeftTrimMarker(input, pos);
      const after = trim ? 2 : 0;
      if (input.startsWith('/*', pos + after)) {
        advance(pos + after);
        ignore();
        if (!lexComment()) break;
        continue;
      }
      emit(I.LeftDelim);
      advance(pos + after);
      ignore();
      parenDepth = 0;
      state = 'action';
    } else {
      const r = lexInsideAction();
      if (r === false) break;
      if (r === 'text') state = 'text';
    }
  }
  return items;
}

/** %#U-ish rendering of a rune for lexer errors: U+0021 '!'. */
function goQuoteRuneU(r: string | undefined): string {
  if (r === undefined) return 'U+FFFFFFFF';
  const cp = r.codePointAt(0)!;
  const hex = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  return isPrintRune(cp) ? `${hex} '${r}'` : hex;
}

// ---------------------------------------------------------------------------
// Parse tree
// ---------------------------------------------------------------------------

interface NodeBase {
  pos: number;
}
interface ListNode extends NodeBase {
  type: 'list';
  nodes: Node[];
}
interface TextNode extends NodeBase {
  type: 'text';
  text: string;
}
interface PipeNode extends NodeBase {
  type: 'pipe';
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
interface ActionNode extends NodeBase {
  type: 'action';
  line: number;
  pipe: PipeNode;
}
interface CommandNode extends NodeBase {
  type: 'command';
  args: Node[];
}
interface IdentifierNode extends NodeBase {
  type: 'identifier';
  ident: string;
}
interface VariableNode extends NodeBase {
  type: 'variable';
  ident: string[];
}
interface DotNode extends NodeBase {
  type: 'dot';
}
interface NilNode extends NodeBase {
  type: 'nil';
}
interface FieldNode extends NodeBase {
  type: 'field';
  ident: string[];
}
interface ChainNode extends NodeBase {
  type: 'chain';
  node: Node;
  field: string[];
}
interface BoolNode extends NodeBase {
  type: 'bool';
  value: boolean;
}
interface NumberNode extends NodeBase {
  type: 'number';
  text: string;
  value: number | bigint;
  isInt: boolean;
  /** written as a float constant (1.5, 1e6, 2.0): evaluates to a float64 */
  float: boolean;
}
interface StringNode extends NodeBase {
  type: 'string';
  quoted: string;
  text: string;
}
interface BranchNode extends NodeBase {
  type: 'if' | 'range' | 'with';
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
interface TemplateNode extends NodeBase {
  type: 'template';
  line: number;
  name: string;
  pipe: PipeNode | null;
}
interface LoopControlNode extends NodeBase {
  type: 'break' | 'continue';
  line: number;
}
interface EndNode extends NodeBase {
  type: 'end';
}
interface ElseNode extends NodeBase {
  type: 'else';
  line: number;
}
interface CommentNode extends NodeBase {
  type: 'comment';
}

type Node =
  | ListNode
  | TextNode
  | PipeNode
  | ActionNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | BranchNode
  | TemplateNode
  | LoopControlNode
  | EndNode
  | ElseNode
  | CommentNode;

function numberValue(n: NumberNode): unknown {
  return n.float ? new GoFloat64(Number(n.value)) : n.value;
}

function nodeString(n: Node): string {
  switch (n.type) {
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'text':
      return goQuote(n.text);
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'action':
      return '{{' + nodeString(n.pipe) + '}}';
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? '(' + nodeString(a) + ')' : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return '.' + n.ident.join('.');
    case 'chain': {
      const inner = n.node.type === 'pipe' ? '(' + nodeString(n.node) + ')' : nodeString(n.node);
      return inner + '.' + n.field.join('.');
    }
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'if':
    case 'range':
    case 'with': {
      let s = `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += '{{else}}' + nodeString(n.elseList);
      return s + '{{end}}';
    }
    case 'template':
      return n.pipe ? `{{template ${goQuote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${goQuote(n.name)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
    case 'comment':
      return '{{/* */}}';
  }
}

/** strconv.Unquote for Go string and char literals. */
function goUnquote(q: string): string {
  if (q[0] === '`') return q.slice(1, -1).replace(/\r/g, '');
  const body = q.slice(1, -1);
  let out = '';
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };
    if (e in simple) {
      if ((e === "'" && q[0] === '"') || (e === '"' && q[0] === "'")) throw new Error('invalid syntax');
      flushBytes();
      out += simple[e];
      continue;
    }
    if (e === 'x') {
      const h = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('invalid syntax');
      bytes.push(parseInt(h, 16));
      i += 2;
      continue;
    }
    if (e >= '0' && e <= '7') {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new Error('invalid syntax');
      bytes.push(parseInt(o, 8));
      i += 2;
      continue;
    }
    if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const h = body.slice(i + 1, i + 1 + len);
      if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) throw new Error('invalid syntax');
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Error('invalid syntax');
      flushBytes();
      out += String.fromCodePoint(cp);
      i += len;
      continue;
    }
    throw new Error('invalid syntax');
  }
  flushBytes();
  return out;
}

function parseNumber(text: string, typ: I): { value: number | bigint; isInt: boolean; float: boolean } {
  if (typ === I.CharConstant) {
    const s = goUnquote(text);
    const cps = Array.from(s);
    if (cps.length !== 1) throw new Error(`malformed character constant: ${text}`);
    return { value: cps[0].codePointAt(0)!, isInt: true, float: false };
  }
  if (text.endsWith('i')) throw new Error(`complex numbers are not supported: ${text}`);
  const clean = text.replace(/_/g, '');
  const neg = clean.startsWith('-');
  const unsigned = clean.replace(/^[+-]/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(unsigned) || /^0[oO][0-7]+$/.test(unsigned) || /^0[bB][01]+$/.test(unsigned) || /^0[0-7]*$/.test(unsigned) || /^[1-9][0-9]*$/.test(unsigned)) {
    let big: bigint;
    if (/^0[0-7]+$/.test(unsigned)) big = BigInt('0o' + unsigned.slice(1));
    else big = BigInt(unsigned.length > 1 && /^0[xXoObB]/.test(unsigned) ? '0' + unsigned[1].toLowerCase() + unsigned.slice(2) : unsigned);
    if (neg) big = -big;
    const n = Number(big);
    return { value: Number.isSafeInteger(n) ? n : big, isInt: true, float: false };
  }
  const f = Number(clean);
  if (Number.isNaN(f) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) {
    throw new Error(`illegal number syntax: ${JSON.stringify(text)}`);
  }
  return { value: f, isInt: Number.isInteger(f), float: true };
}

class Parser {
  private items: Item[];
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  readonly defs = new Map<string, ListNode>();

  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly hasFunction: (name: string) => boolean,
  ) {
    this.items = lex(text);
  }

  private errorf(msg: string, line?: number): never {
    const ln = line ?? this.items[Math.max(0, Math.min(this.i - 1, this.items.length - 1))]?.line ?? 1;
    throw new TemplateError(`template: ${this.name}:${ln}: ${msg}`);
  }

  private next(): Item {
    const it = this.items[this.i];
    if (it === undefined) return { typ: I.EOF, pos: this.text.length, val: '', line: 1 };
    this.i++;
    if (it.typ === I.Error) this.errorf(it.val, it.line);
    return it;
  }
  private backup(n = 1) {
    this.i -= n;
  }
  private peek(): Item {
    const it = this.next();
    this.backup();
    return it;
  }
  private nextNonSpace(): Item {
    let it: Item;
    do it = this.next();
    while (it.typ === I.Space);
    return it;
  }
  /** Like Go's: skips (consumes) spaces and returns the next token without consuming it. */
  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }
  private expect(typ: I, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Item, context: string): never {
    if (t.typ === I.Error) this.errorf(t.val, t.line);
    this.errorf(`unexpected ${itemString(t)} in ${context}`, t.line);
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== I.EOF) {
      if (this.peek().typ === I.LeftDelim) {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === I.Define) {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      if (n.type !== 'comment') root.nodes.push(n);
    }
    return root;
  }

  private parseDefinition() {
    const t = this.expectOneOf([I.String, I.RawString], 'define clause');
    let name: string;
    try {
      name = goUnquote(t.val);
    } catch {
      this.errorf('invalid syntax');
    }
    this.expect(I.RightDelim, 'define clause');
    const saveVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in definition`);
    this.vars = saveVars;
    this.defs.set(name, list);
  }

  private expectOneOf(types: I[], context: string): Item {
    const t = this.nextNonSpace();
    if (!types.includes(t.typ)) this.unexpected(t, context);
    return t;
  }

  private itemList(): [ListNode, Node] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== I.EOF) {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      if (n.type !== 'comment') list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case I.Text:
        return { type: 'text', pos: t.pos, text: t.val };
      case I.LeftDelim:
        return this.action();
      case I.Comment:
        return { type: 'comment', pos: t.pos };
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case I.Block:
        return this.blockControl();
      case I.Break:
      case I.Continue: {
        const word = t.typ === I.Break ? 'break' : 'continue';
        const r = this.nextNonSpace();
        if (r.typ !== I.RightDelim) this.unexpected(r, `{{${word}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${word}}} outside {{range}}`);
        return { type: word, pos: t.pos, line: t.line };
      }
      case I.Else:
        return this.elseControl();
      case I.End:
        return { type: 'end', pos: this.expect(I.RightDelim, 'end').pos };
      case I.If:
        return this.parseControl('if', true);
      case I.Range:
        return this.parseControl('range', false);
      case I.Template:
        return this.templateControl();
      case I.With:
        return this.parseControl('with', false);
      default:
    }
    this.backup();
    const tok = this.peek();
    return { type: 'action', pos: tok.pos, line: tok.line, pipe: this.pipeline('command', I.RightDelim) };
  }

  private elseControl(): Node {
    const p = this.peekNonSpace();
    if (p.typ === I.If) return { type: 'else', pos: p.pos, line: p.line };
    const t = this.expect(I.RightDelim, 'else');
    return { type: 'else', pos: t.pos, line: t.line };
  }

  private parseControl(context: 'if' | 'range' | 'with', allowElseIf: boolean): BranchNode {
    const varsMark = this.vars.length;
    try {
      const pipe = this.pipeline(context, I.RightDelim);
      if (context === 'range') this.rangeDepth++;
      const [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        if (allowElseIf && this.peek().typ === I.If) {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.parseControl('if', true)] };
        } else {
          const [el, n2] = this.itemList();
          if (n2.type !== 'end') this.errorf(`expected end; found ${nodeString(n2)}`);
          elseList = el;
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = varsMark;
    }
  }

  private templateControl(): TemplateNode {
    const t = this.nextNonSpace();
    const name = this.parseTemplateName(t, 'template clause');
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== I.RightDelim) {
      this.backup();
      pipe = this.pipeline('template clause', I.RightDelim);
    }
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.parseTemplateName(t, context);
    const pipe = this.pipeline(context, I.RightDelim);
    const saveVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.vars = saveVars;
    this.defs.set(name, list);
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private parseTemplateName(t: Item, context: string): string {
    if (t.typ === I.String || t.typ === I.RawString) {
      try {
        return goUnquote(t.val);
      } catch {
        this.errorf('invalid syntax');
      }
    }
    this.unexpected(t, context);
  }

  private pipeline(context: string, end: I): PipeNode {
    const tok = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: tok.pos, line: tok.line, isAssign: false, decl: [], cmds: [] };
    // declarations or assignments
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== I.Variable) break;
      const save = this.i;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.typ === I.Assign || next.typ === I.Declare) {
        pipe.isAssign = next.typ === I.Assign;
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        break;
      }
      if (next.typ === I.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === I.Variable || p === I.RightDelim || p === I.RightParen) continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case I.Bool:
        case I.CharConstant:
        case I.Dot:
        case I.Field:
        case I.Identifier:
        case I.Number:
        case I.Nil:
        case I.RawString:
        case I.String:
        case I.Variable:
        case I.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string) {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0].type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === I.Space) continue;
      if (t.typ === I.RightDelim || t.typ === I.RightParen) this.backup();
      else if (t.typ !== I.Pipe) this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | null {
    let node = this.term();
    if (node === null) return null;
    if (this.peek().typ === I.Field) {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === I.Field) fields.push(this.next().val.slice(1));
      switch (node.type) {
        case 'field':
          node = { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case 'variable':
          node = { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
        // eslint-disable-next-line no-fallthrough
        default:
          node = { type: 'chain', pos: chainPos, node, field: fields };
      }
    }
    return node;
  }

  private term(): Node | null {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case I.Identifier:
        if (!this.hasFunction(t.val)) this.errorf(`function ${JSON.stringify(t.val)} not defined`, t.line);
        return { type: 'identifier', pos: t.pos, ident: t.val };
      case I.Dot:
        return { type: 'dot', pos: t.pos };
      case I.Nil:
        return { type: 'nil', pos: t.pos };
      case I.Variable: {
        const parts = t.val.split('.');
        if (!this.vars.includes(parts[0])) this.errorf(`undefined variable ${JSON.stringify(parts[0])}`, t.line);
        return { type: 'variable', pos: t.pos, ident: parts };
      }
      case I.Field:
        return { type: 'field', pos: t.pos, ident: t.val.slice(1).split('.') };
      case I.Bool:
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case I.CharConstant:
      case I.Number:
        try {
          const { value, isInt, float } = parseNumber(t.val, t.typ);
          return { type: 'number', pos: t.pos, text: t.val, value, isInt, float };
        } catch (e) {
          this.errorf((e as Error).message, t.line);
        }
      // eslint-disable-next-line no-fallthrough
      case I.LeftParen:
        return this.pipeline('parenthesized pipeline', I.RightParen);
      case I.String:
      case I.RawString:
        try {
          return { type: 'string', pos: t.pos, quoted: t.val, text: goUnquote(t.val) };
        } catch {
          this.errorf('invalid syntax', t.line);
        }
      // eslint-disable-next-line no-fallthrough
      default:
    }
    this.backup();
    return null;
  }
}

function itemString(t: Item): string {
  switch (t.typ) {
    case I.EOF:
      return 'EOF';
    case I.Error:
      return t.val;
    default:
  }
  if (t.typ >= I.Block) return `<${t.val}>`;
  if (t.val.length > 10) return `${JSON.stringify(t.val.slice(0, 10))}...`;
  return JSON.stringify(t.val);
}

// ---------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------

/** A user function: receives evaluated arguments (a missing value arrives as null). */
export type TemplateFunc = (...args: any[]) => unknown;

type Builtin = (args: unknown[], name: string) => unknown;

function arity(name: string, args: unknown[], want: number, variadic = false) {
  if (variadic ? args.length < want : args.length !== want) {
    throw new ArgError(`wrong number of args for ${name}: want ${variadic ? 'at least ' : ''}${want} got ${args.length}`);
  }
}

function argString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === MISSING) throw new ArgError('invalid value; expected string');
  throw new ArgError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

function argInt(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === MISSING) throw new ArgError('invalid value; expected int');
  throw new ArgError(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

function argStringSlice(v: unknown): string[] {
  if (Array.isArray(v) && v.every((e) => typeof e === 'string')) return v as string[];
  if (v === null) return [];
  if (v === MISSING) return [];
  throw new ArgError(`wrong type for value; expected []string; got ${goTypeName(v)}`);
}

/** Go's truth of a value, or undefined when it has none (if/with can't use it). */
function truth(v: unknown): boolean {
  if (v === MISSING || v === null || v === undefined) return false;
  if (v instanceof GoFloat64) return v.value !== 0;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'function':
      return true;
    default:
  }
  if (Array.isArray(v)) return v.length > 0;
  if (isTime(v)) return true;
  if (isGoMap(v)) return mapSize(v) > 0;
  return true; // structs are always true
}

type Kind = 'bool' | 'int' | 'float' | 'string' | null;

function basicKind(v: unknown): Kind {
  if (v instanceof GoFloat64) return 'int'; // numbers compare with each other: JS data has no int/float distinction
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'int'; // JS numbers compare with each other whatever their Go kind
    case 'bigint':
      return 'int';
    case 'string':
      return 'string';
    default:
      return null;
  }
}

function numVal(v: unknown): number {
  if (v instanceof GoFloat64) return v.value;
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

function isNilish(v: unknown): boolean {
  return v === null || v === undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isTime(a) && isTime(b)) return GoTime.from(a).ms === GoTime.from(b).ms && GoTime.from(a).subMsNanos === GoTime.from(b).subMsNanos;
  if (!isObjectLike(a) || !isObjectLike(b)) return false;
  const fa = structFields(a);
  const fb = structFields(b);
  if (fa.length !== fb.length) return false;
  return fa.every(([k, v], i) => fb[i][0] === k && deepEqual(v, fb[i][1]));
}

function isNonComparable(v: unknown): boolean {
  return Array.isArray(v) || isGoMap(v) || typeof v === 'function';
}

/** Go's eq: arg1 == arg2 || arg1 == arg3 ... */
function goEq(args: unknown[]): boolean {
  if (args.length < 2) throw new CallError('missing argument for comparison');
  const a1 = args[0];
  const k1 = basicKind(a1);
  for (const a of args.slice(1)) {
    const k2 = basicKind(a);
    let t = false;
    if (k1 !== k2) {
      // a missing value compares unequal to anything without error
      if (a1 !== MISSING && a !== MISSING && k1 !== null && k2 !== null) throw new CallError('incompatible types for comparison');
      if (a1 !== MISSING && a !== MISSING && !isNilish(a1) && !isNilish(a)) throw new CallError('incompatible types for comparison');
    } else if (k1 === 'int') {
      t = numVal(a1) === numVal(a);
    } else if (k1 !== null) {
      t = a1 === a;
    } else {
      const n1 = isNilish(a1) || a1 === MISSING;
      const n2 = isNilish(a) || a === MISSING;
      if (n1 || n2) {
        t = n1 === n2;
      } else {
        if (isNonComparable(a)) throw new CallError(`non-comparable type ${fmtV(a)}: ${goTypeName(a)}`);
        if (isNonComparable(a1)) throw new CallError(`non-comparable type ${fmtV(a1)}: ${goTypeName(a1)}`);
        t = deepEqual(a1, a);
      }
    }
    if (t) return true;
  }
  return false;
}

function goLt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === null || k2 === null) throw new CallError('invalid type for comparison');
  if (k1 !== k2) throw new CallError('incompatible types for comparison');
  if (k1 === 'bool') throw new CallError('invalid type for comparison');
  if (k1 === 'int') return numVal(a) < numVal(b);
  // Go compares strings bytewise
  return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)) < 0;
}

function indexArg(index: unknown, cap: number): number {
  if (index === MISSING || index === null || index === undefined) throw new CallError('cannot index slice/array with nil');
  if (!isInt(index)) throw new CallError(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = numVal(index);
  if (x < 0 || x > cap) throw new CallError(`index out of range: ${x}`);
  return x;
}

function zeroOfMap(m: unknown): unknown {
  const vals = m instanceof Map ? [...m.values()] : m instanceof HeaderMap ? ['x'] : Object.values(m as object);
  if (vals.length === 0 || vals.every((v) => typeof v === 'string')) return '';
  if (vals.every((v) => typeof v === 'number')) return 0;
  if (vals.every((v) => typeof v === 'boolean')) return false;
  return null;
}

function goIndex(args: unknown[]): unknown {
  let item = args[0];
  if (item === MISSING || item === undefined || item === null) throw new CallError('index of untyped nil');
  for (const index of args.slice(1)) {
    if (item === null || item === undefined) throw new CallError('index of nil pointer');
    if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8');
      const x = indexArg(index, bytes.length);
      if (x === bytes.length) throw new CallError('reflect: string index out of range');
      item = bytes[x];
    } else if (Array.isArray(item)) {
      const x = indexArg(index, item.length);
      if (x === item.length) throw new CallError('reflect: slice index out of range');
      item = item[x];
    } else if (isGoMap(item)) {
      if (index === MISSING || index === null) throw new CallError('value is nil; should be of type string');
      const v = mapGet(item, index);
      item = v === MISSING ? zeroOfMap(item) : v;
    } else {
      throw new CallError(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function goSlice(args: unknown[]): unknown {
  const item = args[0];
  const indexes = args.slice(1);
  if (item === MISSING || item === null || item === undefined) throw new CallError('slice of untyped nil');
  if (indexes.length > 3) throw new CallError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  let bytes: Buffer | null = null;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new CallError('cannot 3-index slice a string');
    bytes = Buffer.from(item, 'utf8');
    len = bytes.length;
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    throw new CallError(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, len);
  });
  if (idx[0] > idx[1]) throw new CallError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (bytes) return bytes.subarray(idx[0], idx[1]).toString('utf8');
  return (item as unknown[]).slice(idx[0], idx[1]);
}

function goLen(v: unknown): number {
  if (v === MISSING || v === undefined) throw new CallError('len of untyped nil');
  if (v === null) throw new CallError('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (isGoMap(v)) return mapSize(v);
  throw new CallError(`len of type ${goTypeName(v)}`);
}

/** strings.Title: upper-cases the first letter of each word. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isTitleSeparator(prev) ? toTitleRune(ch) : ch;
    prev = ch;
  }
  return out;
}

function isTitleSeparator(r: string): boolean {
  const c = r.codePointAt(0)!;
  if (c <= 0x7f) {
    if ((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r === '_') return false;
    return true;
  }
  if (/[\p{L}\p{Nd}]/u.test(r)) return false;
  return /\s/u.test(r);
}

function toTitleRune(ch: string): string {
  const u = ch.toUpperCase();
  return Array.from(u).length === 1 ? u : ch;
}

/** strings.ToUpper / ToLower with Go's one-rune-to-one-rune mapping. */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += Array.from(m).length === 1 ? m : ch;
  }
  return out;
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
      default:
    }
    if (c < 0x20 || c === 0x7f || (c > 0x7f && !isPrintRune(c))) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function evalArgsString(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return goSprint(...args.map((a) => (a === MISSING || a === null || a === undefined ? '<no value>' : a)));
}

const BUILTINS: Record<string, Builtin> = {
  // and/or/not are evaluated specially (short-circuit) but listed so the parser knows them
  and: () => undefined,
  or: () => undefined,
  not: (args, name) => {
    arity(name, args, 1);
    return !truth(args[0]);
  },
  len: (args, name) => {
    arity(name, args, 1);
    return goLen(args[0]);
  },
  index: (args, name) => {
    arity(name, args, 1, true);
    return goIndex(args);
  },
  slice: (args, name) => {
    arity(name, args, 1, true);
    return goSlice(args);
  },
  print: (args) => goSprint(...args),
  println: (args) => goSprintln(...args),
  printf: (args, name) => {
    arity(name, args, 1, true);
    return goSprintf(argString(args[0]), ...args.slice(1).map((a) => (a === MISSING ? null : a)));
  },
  html: (args) => htmlEscape(evalArgsString(args)),
  js: (args) => jsEscape(evalArgsString(args)),
  urlquery: (args) => queryEscape(evalArgsString(args)),
  call: (args, name) => {
    arity(name, args, 1, true);
    const fn = args[0];
    if (typeof fn !== 'function') {
      if (fn === null || fn === MISSING) throw new CallError('call of nil');
      throw new CallError(`non-function of type ${goTypeName(fn)}`);
    }
    return fn(...args.slice(1).map(unboxed));
  },
  eq: (args) => goEq(args),
  ne: (args, name) => {
    arity(name, args, 2);
    return !goEq(args);
  },
  lt: (args, name) => {
    arity(name, args, 2);
    return goLt(args[0], args[1]);
  },
  le: (args, name) => {
    arity(name, args, 2);
    return goLt(args[0], args[1]) || goEq(args);
  },
  gt: (args, name) => {
    arity(name, args, 2);
    return !(goLt(args[0], args[1]) || goEq(args));
  },
  ge: (args, name) => {
    arity(name, args, 2);
    return !goLt(args[0], args[1]);
  },
  // containers/common pkg/report DefaultFuncs
  join: (args, name) => {
    arity(name, args, 2);
    const elems = argStringSlice(args[0]);
    return elems.join(argString(args[1]));
  },
  json: (args, name) => {
    arity(name, args, 1);
    try {
      return goJSON(args[0], { escapeHTML: ctx.escapeHTML }).trim();
    } catch (e) {
      if (e instanceof JSONUnsupported) return ''; // Podman ignores the encoder's error
      throw e;
    }
  },
  lower: (args, name) => {
    arity(name, args, 1);
    return mapRunes(argString(args[0]), (c) => c.toLowerCase());
  },
  pad: (args, name) => {
    arity(name, args, 3);
    const s = argString(args[0]);
    const prefix = argInt(args[1]);
    const suffix = argInt(args[2]);
    if (s === '') return s;
    return ' '.repeat(Math.max(prefix, 0)) + s + ' '.repeat(Math.max(suffix, 0));
  },
  split: (args, name) => {
    arity(name, args, 2);
    const s = argString(args[0]);
    const sep = argString(args[1]);
    if (sep === '') return Array.from(s);
    return s.split(sep);
  },
  title: (args, name) => {
    arity(name, args, 1);
    return goTitle(argString(args[0]));
  },
  truncate: (args, name) => {
    arity(name, args, 2);
    const s = argString(args[0]);
    const n = argInt(args[1]);
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length < n) return s;
    if (n < 0) throw new CallError(`runtime error: slice bounds out of range [:${n}]`);
    return bytes.subarray(0, n).toString('utf8');
  },
  upper: (args, name) => {
    arity(name, args, 1);
    return mapRunes(argString(args[0]), (c) => c.toUpperCase());
  },
};

/** Parameter types of the builtins, checked per argument as Go's evalCall does. */
type ParamType = 'any' | 'string' | 'int' | '[]string';
const SIGNATURES: Record<string, { params: ParamType[]; variadic?: ParamType }> = {
  not: { params: ['any'] },
  len: { params: ['any'] },
  index: { params: ['any'], variadic: 'any' },
  slice: { params: ['any'], variadic: 'any' },
  print: { params: [], variadic: 'any' },
  println: { params: [], variadic: 'any' },
  printf: { params: ['string'], variadic: 'any' },
  html: { params: [], variadic: 'any' },
  js: { params: [], variadic: 'any' },
  urlquery: { params: [], variadic: 'any' },
  call: { params: ['any'], variadic: 'any' },
  eq: { params: ['any'], variadic: 'any' },
  ne: { params: ['any', 'any'] },
  lt: { params: ['any', 'any'] },
  le: { params: ['any', 'any'] },
  gt: { params: ['any', 'any'] },
  ge: { params: ['any', 'any'] },
  join: { params: ['[]string', 'string'] },
  json: { params: ['any'] },
  lower: { params: ['string'] },
  pad: { params: ['string', 'int', 'int'] },
  split: { params: ['string', 'string'] },
  title: { params: ['string'] },
  truncate: { params: ['string', 'int'] },
  upper: { params: ['string'] },
};

function validateArg(v: unknown, t: ParamType): unknown {
  switch (t) {
    case 'string':
      return argString(v);
    case 'int':
      return argInt(v);
    case '[]string':
      return argStringSlice(v);
    default:
      return v;
  }
}

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

class BreakSignal {}
class ContinueSignal {}

const MAX_EXEC_DEPTH = 10000;

export interface ExecuteOptions {
  /** Go type name of the data, for error messages */
  typeName?: string;
  /** field names whose object values are maps (default DEFAULT_MAP_FIELDS) */
  mapFields?: Iterable<string>;
  /** escape <, > and & in the json function's output (Podman: false) */
  jsonEscapeHTML?: boolean;
}

class State {
  vars: { name: string; value: unknown }[] = [];
  out: string[] = [];
  node: Node | null = null;
  depth = 0;

  constructor(
    readonly tmpl: Template,
    readonly typeNames: WeakMap<object, string>,
  ) {}

  errorf(msg: string): never {
    const name = this.tmpl.name;
    if (this.node === null) throw new TemplateError(`template: ${name}: ${msg}`);
    const [location, context] = this.tmpl.errorContext(this.node);
    throw new TemplateError(`template: ${location}: executing ${JSON.stringify(name)} at <${context}>: ${msg}`);
  }

  at(n: Node) {
    this.node = n;
  }

  typeName(v: unknown): string {
    if (isObjectLike(v)) {
      const t = this.typeNames.get(v);
      if (t) return t;
    }
    return goTypeName(v);
  }

  push(name: string, value: unknown) {
    this.vars.push({ name, value });
  }

  mark(): number {
    return this.vars.length;
  }

  pop(mark: number) {
    this.vars.length = mark;
  }

  setVar(name: string, value: unknown) {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  setTopVar(n: number, value: unknown) {
    this.vars[this.vars.length - n].value = value;
  }

  varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) return this.vars[i].value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'comment':
        return;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node.type, dot, node);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out.push(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  walkIfOrWith(typ: 'if' | 'with', dot: unknown, node: BranchNode) {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(val)) {
        this.walk(typ === 'with' ? val : dot, node.list);
      } else if (node.elseList) {
        this.walk(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  walkRange(dot: unknown, r: BranchNode) {
    this.at(r);
    const outerMark = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): boolean => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0].ident[0], index);
            else this.setVar(decl[0].ident[0], elem);
          } else {
            this.setTopVar(1, elem);
          }
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1].ident[0], elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e instanceof BreakSignal) return false;
          if (!(e instanceof ContinueSignal)) throw e;
        } finally {
          this.pop(mark);
        }
        return true;
      };
      let iterated = false;
      if (Array.isArray(val) || val instanceof Uint8Array) {
        const arr = Array.from(val as ArrayLike<unknown>);
        if (arr.length > 0) {
          iterated = true;
          for (let i = 0; i < arr.length; i++) if (!one(i, arr[i])) break;
        }
      } else if (isGoMap(val)) {
        if (mapSize(val) > 0) {
          iterated = true;
          for (const k of mapKeys(val)) if (!one(k, mapGet(val, k))) break;
        }
      } else if (val === MISSING || val === null || val === undefined) {
        // a nil slice or map: nothing to iterate
      } else {
        // the error points at the last node evaluated, as in Go
        this.errorf(`range can't iterate over ${fmtV(val)}`);
      }
      if (!iterated && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outerMark);
    }
  }

  walkTemplate(dot: unknown, t: TemplateNode) {
    this.at(t);
    const body = this.tmpl.defs.get(t.name);
    if (!body) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : null;
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const saved = this.vars;
    this.vars = [{ name: '$', value: newDot }];
    this.depth++;
    try {
      this.walk(newDot, body);
    } finally {
      this.depth--;
      this.vars = saved;
    }
  }

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, first ? MISSING : value, !first);
      first = false;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0], value);
      else this.push(v.ident[0], value);
    }
    return value;
  }

  /** final: the previous command's value (MISSING for the first command); hasFinal tells them apart. */
  evalCommand(dot: unknown, cmd: CommandNode, final: unknown, hasFinal: boolean): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final, hasFinal);
      case 'chain': {
        this.at(first);
        if (first.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(first)}`);
        const recv = this.evalArg(dot, first.node);
        return this.evalFieldChain(dot, recv, first, first.field, cmd.args, final, hasFinal);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final, hasFinal);
      case 'pipe':
        this.notAFunction(cmd.args, hasFinal);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final, hasFinal);
      default:
    }
    this.at(first);
    this.notAFunction(cmd.args, hasFinal);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // eslint-disable-next-line no-fallthrough
      case 'number':
        return numberValue(first);
      case 'string':
        return first.text;
      default:
    }
    this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
  }

  notAFunction(args: Node[], hasFinal: boolean) {
    if (args.length > 1 || hasFinal) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  evalVariableNode(dot: unknown, v: VariableNode, args: Node[], final: unknown, hasFinal: boolean): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args, hasFinal);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final, hasFinal);
  }

  evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: Node[], final: unknown, hasFinal: boolean): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) {
      receiver = this.evalField(dot, ident[i], node, [], MISSING, false, receiver);
    }
    return this.evalField(dot, ident[n - 1], node, args, final, hasFinal, receiver);
  }

  evalField(dot: unknown, fieldName: string, node: Node, args: Node[], final: unknown, hasFinal: boolean, receiver: unknown): unknown {
    if (receiver === MISSING) return MISSING;
    if (receiver === null || receiver === undefined) {
      this.errorf(`nil pointer evaluating ${this.typeName(receiver) === '<nil>' ? 'interface {}' : this.typeName(receiver)}.${fieldName}`);
    }
    if (receiver instanceof Date) receiver = GoTime.from(receiver);
    const hasArgs = args.length > 1 || hasFinal;
    if (isObjectLike(receiver) && !Array.isArray(receiver)) {
      if (isGoMap(receiver)) {
        // methods of Go maps don't exist for our maps except HeaderMap's; use the key
        if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
        return noteField(fieldName, mapGet(receiver, fieldName));
      }
      if (hasMember(receiver, fieldName)) {
        const value = (receiver as Record<string, unknown>)[fieldName];
        if (typeof value === 'function') {
          // a method: Go checks its arity (JS can only tell the required parameters)
          const got = args.length - 1 + (hasFinal ? 1 : 0);
          const want = (value as TemplateFunc).length;
          if (got < want || (receiver instanceof GoTime && got !== want)) {
            this.errorf(`wrong number of args for ${fieldName}: want ${want} got ${got}`);
          }
          return this.evalCall(dot, value as TemplateFunc, receiver, node, fieldName, args, final, hasFinal, false);
        }
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        if (value === undefined) return null;
        return noteField(fieldName, value);
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${this.typeName(receiver)}`);
  }

  evalFunction(dot: unknown, node: IdentifierNode, cmd: CommandNode, args: Node[], final: unknown, hasFinal: boolean): unknown {
    this.at(node);
    const name = node.ident;
    if (name === 'and' || name === 'or') {
      const all = args.slice(1);
      const n = all.length + (hasFinal ? 1 : 0);
      if (n < 1) this.errorf(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown = MISSING;
      for (let i = 0; i < all.length; i++) {
        v = this.evalArg(dot, all[i]);
        if (truth(v) === (name === 'or')) return v;
      }
      if (hasFinal) v = final;
      return v;
    }
    const user = this.tmpl.funcs[name];
    if (user) return this.evalCall(dot, user, undefined, cmd, name, args, final, hasFinal, false);
    const builtin = BUILTINS[name];
    if (!builtin) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, builtin, undefined, cmd, name, args, final, hasFinal, true);
  }

  evalCall(
    dot: unknown,
    fn: TemplateFunc | Builtin,
    self: unknown,
    node: Node,
    name: string,
    args: Node[],
    final: unknown,
    hasFinal: boolean,
    builtin: boolean,
  ): unknown {
    const argv: unknown[] = [];
    const sig = builtin ? SIGNATURES[name] : undefined;
    if (sig) {
      const numIn = args.length - 1 + (hasFinal ? 1 : 0);
      if (sig.variadic) {
        if (numIn < sig.params.length) this.errorf(`wrong number of args for ${name}: want at least ${sig.params.length} got ${args.length - 1}`);
      } else if (numIn !== sig.params.length) {
        this.errorf(`wrong number of args for ${name}: want ${sig.params.length} got ${numIn}`);
      }
    }
    const typeAt = (i: number): ParamType => (sig ? (sig.params[i] ?? sig.variadic ?? 'any') : 'any');
    const check = (v: unknown, i: number): unknown => {
      try {
        return validateArg(v, typeAt(i));
      } catch (e) {
        if (e instanceof ArgError) this.errorf(e.message);
        throw e;
      }
    };
    args.slice(1).forEach((a, i) => {
      const t = typeAt(i);
      // literals are checked against the parameter type as Go's evalArg does
      if (t !== 'any' && (a.type === 'nil' || a.type === 'bool' || a.type === 'number' || a.type === 'string')) {
        this.at(a);
        const goType = t === '[]string' ? '[]string' : t;
        if (a.type === 'nil') {
          if (t !== '[]string') this.errorf(`cannot assign nil to ${goType}`);
          argv.push([]);
          return;
        }
        if (t === 'string') {
          if (a.type !== 'string') this.errorf(`expected string; found ${nodeString(a)}`);
          argv.push(a.text);
          return;
        }
        if (t === 'int') {
          if (a.type !== 'number' || !a.isInt) this.errorf(`expected integer; found ${nodeString(a)}`);
          argv.push(typeof a.value === 'bigint' ? Number(a.value) : a.value);
          return;
        }
        this.errorf(`can't handle ${nodeString(a)} for arg of type ${goType}`);
      }
      argv.push(check(this.evalArg(dot, a), i));
    });
    if (hasFinal) argv.push(check(final, argv.length));
    let result: unknown;
    try {
      if (builtin) result = (fn as Builtin)(argv, name);
      else result = (fn as TemplateFunc).apply(self, argv.map(unboxed));
    } catch (e) {
      if (e instanceof TemplateError || e instanceof BreakSignal || e instanceof ContinueSignal) throw e;
      this.at(node);
      if (e instanceof ArgError) this.errorf(e.message);
      const msg = e instanceof Error ? e.message : String(e);
      this.errorf(`error calling ${name}: ${msg}`);
    }
    if (result instanceof Date) return GoTime.from(result);
    return result === undefined ? null : result;
  }

  evalArg(dot: unknown, n: Node): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, n, n.ident, [n], MISSING, false);
      case 'variable':
        return this.evalVariableNode(dot, n, [n], MISSING, false);
      case 'pipe':
        return this.evalPipeline(dot, n);
      case 'identifier':
        return this.evalFunction(dot, n, { type: 'command', pos: n.pos, args: [n] }, [n], MISSING, false);
      case 'chain': {
        const recv = this.evalArg(dot, n.node);
        return this.evalFieldChain(dot, recv, n, n.field, [n], MISSING, false);
      }
      case 'bool':
        return n.value;
      case 'number':
        return numberValue(n);
      case 'string':
        return n.text;
      default:
    }
    this.errorf(`can't handle ${nodeString(n)} for arg`);
  }

  printValue(n: Node, v: unknown) {
    this.at(n);
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type func()`);
    this.out.push(fmtV(v));
  }
}

/** A parsed template. */
export class Template {
  /** @internal */
  readonly defs: Map<string, ListNode>;
  private readonly root: ListNode;
  private readonly byteOffsets: number[] | null;

  /** @internal */
  constructor(
    readonly name: string,
    readonly source: string,
    readonly funcs: Readonly<Record<string, TemplateFunc>>,
  ) {
    const parser = new Parser(name, source, (f) => Object.prototype.hasOwnProperty.call(funcs, f) || Object.prototype.hasOwnProperty.call(BUILTINS, f));
    this.root = parser.parse();
    this.defs = parser.defs;
    // error positions are byte offsets in Go
    if (/[^\x00-\x7f]/.test(source)) {
      const offs = [0];
      for (let i = 0; i < source.length; i++) {
        const c = source.charCodeAt(i);
        const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3;
        offs.push(offs[i] + w);
      }
      this.byteOffsets = offs;
    } else {
      this.byteOffsets = null;
    }
  }

  /** Run the template on data and return the text it produces. Throws TemplateError. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const typeNames = new WeakMap<object, string>();
    if (opts.typeName && isObjectLike(data)) typeNames.set(data, opts.typeName);
    return this.run(data, opts, typeNames);
  }

  /** @internal */
  run(data: unknown, opts: ExecuteOptions, typeNames: WeakMap<object, string>): string {
    const saved = ctx;
    ctx = {
      mapFields: new Set(opts.mapFields ?? DEFAULT_MAP_FIELDS),
      execMaps: new WeakSet(),
      escapeHTML: opts.jsonEscapeHTML ?? false,
    };
    const s = new State(this, typeNames);
    try {
      // nil data is Go's invalid value: fields of it are "no value", not errors
      const dot = data === null || data === undefined ? MISSING : data instanceof Date ? GoTime.from(data) : data;
      s.push('$', dot);
      s.walk(dot, this.root);
      return s.out.join('');
    } catch (e) {
      if (e instanceof TemplateError) e.partial = s.out.join('');
      throw e;
    } finally {
      ctx = saved;
    }
  }

  /** @internal Go's Tree.ErrorContext: "name:line:col" and the node's text. */
  errorContext(n: Node): [string, string] {
    const pos = n.pos;
    const text = this.source.slice(0, pos);
    const nl = text.lastIndexOf('\n');
    const byteAt = (i: number) => (this.byteOffsets ? this.byteOffsets[i] : i);
    const col = nl < 0 ? byteAt(pos) : byteAt(pos) - byteAt(nl + 1);
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    return [`${this.name}:${line}:${col}`, nodeString(n)];
  }
}

const cache = new Map<string, Template>();
const CACHE_MAX = 256;

export interface CompileOptions {
  /** template name in error messages, like Podman's command name ("template: ps:1:8: ..."); default "tspod" */
  name?: string;
  /** extra functions (they take precedence over the builtins) */
  funcs?: Record<string, TemplateFunc>;
  /**
   * Parse the text exactly as Go would. By default `\t` and `\n` typed
   * literally become a tab and a newline first, as Podman does to every
   * --format (report.NormalizeFormat's escape replacer).
   */
  raw?: boolean;
}

/** Podman's escapedReplacer: `\t` and `\n` typed literally become tab and newline. */
export function expandEscapes(format: string): string {
  return replaceAll(format, [
    ['\\t', '\t'],
    ['\\n', '\n'],
  ]);
}

/**
 * Parse a Go template. `\t` and `\n` typed literally become tab and newline
 * (unless opts.raw); no other Podman processing is done (see
 * normalizeFormat, renderReport and renderInspect for the `table ` prefix,
 * the added newline and the range over rows). Templates without extra
 * functions are cached. Throws TemplateError.
 */
export function compileTemplate(src: string, opts: CompileOptions | string = {}): Template {
  const o: CompileOptions = typeof opts === 'string' ? { name: opts } : opts;
  const name = o.name ?? 'tspod';
  const text = o.raw ? src : expandEscapes(src);
  if (o.funcs && Object.keys(o.funcs).length > 0) return new Template(name, text, o.funcs);
  const key = name + '\0' + text;
  let t = cache.get(key);
  if (!t) {
    t = new Template(name, text, {});
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(key, t);
  }
  return t;
}

/** Parse and run in one go. */
export function executeTemplate(src: string, data: unknown, opts: ExecuteOptions & CompileOptions = {}): string {
  return compileTemplate(src, opts).execute(data, opts);
}

// ---------------------------------------------------------------------------
// Podman's report layer (containers/common pkg/report)
// ---------------------------------------------------------------------------

/** report.HasTable: the format starts with "table ". */
export function isTableFormat(format: string): boolean {
  return format.startsWith('table ');
}

/**
 * report.IsJSON as in Podman 4.3: "json", "{{json}}", "{{json .}}" (any
 * spacing) ask for the command's own JSON output rather than a template.
 */
export function isJSONFormat(format: string): boolean {
  return /^\s*(json|\{\{\s*json\s*(\.)?\s*\}\})\s*$/.test(format);
}

/**
 * report.NormalizeFormat: with a "table " prefix, drop every "table ", turn
 * `\t` typed literally and every space into a tab and `\n` into a newline;
 * otherwise only `\t` and `\n` are turned into tab and newline. A newline is
 * appended unless the result already ends with one.
 */
export function normalizeFormat(format: string): string {
  let f: string;
  if (format.startsWith('table ')) {
    f = replaceAll(format, [
      ['table ', ''],
      ['\\t', '\t'],
      [' ', '\t'],
      ['\\n', '\n'],
    ]);
  } else {
    f = replaceAll(format, [
      ['\\t', '\t'],
      ['\\n', '\n'],
    ]);
  }
  if (!f.endsWith('\n')) f += '\n';
  // When the result no longer parses (typically because \n became a raw
  // newline inside a quoted string), Podman keeps the format as typed.
  if (!parses(f)) return format;
  return f;
}

function parses(text: string): boolean {
  try {
    new Parser('check', text, () => true).parse();
    return true;
  } catch {
    return false;
  }
}

/** strings.NewReplacer semantics: one left-to-right pass, earlier pairs win at the same position. */
function replaceAll(s: string, pairs: [string, string][]): string {
  let out = '';
  let i = 0;
  outer: while (i < s.length) {
    for (const [from, to] of pairs) {
      if (s.startsWith(from, i)) {
        out += to;
        i += from.length;
        continue outer;
      }
    }
    out += s[i];
    i++;
  }
  return out;
}

/** report.EnforceRange: wrap the format in {{range .}}...{{end -}} unless it ranges over dot already. */
export function enforceRange(format: string): string {
  if (/\{\{\s*range\s*\.\s*\}\}[\s\S]*\{\{\s*end\s*-?\s*\}\}/.test(format)) return format;
  return '{{range .}}' + format + '{{end -}}';
}

/**
 * camelcase.Split as used by report.Headers: runs of lower case, upper case,
 * digits and other characters, with an upper-case run's last letter moved
 * to a following lower-case run ("PDFLoader" -> PDF Loader).
 */
export function camelCaseSplit(src: string): string[] {
  const runs: string[][] = [];
  let last = 0;
  for (const r of src) {
    let cls: number;
    if (/\p{Ll}/u.test(r)) cls = 1;
    else if (/\p{Lu}/u.test(r)) cls = 2;
    else if (/\p{Nd}/u.test(r)) cls = 3;
    else cls = 4;
    if (cls === last && runs.length > 0) runs[runs.length - 1].push(r);
    else runs.push([r]);
    last = cls;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (/\p{Lu}/u.test(runs[i][0]) && /\p{Ll}/u.test(runs[i + 1][0])) {
      runs[i + 1].unshift(runs[i].pop()!);
    }
  }
  return runs.filter((r) => r.length > 0).map((r) => r.join(''));
}

/** The header report.Headers derives from a field name: camel-case words, upper-cased ("ExitCode" -> "EXIT CODE"). */
export function defaultHeader(field: string): string {
  return camelCaseSplit(field).join(' ').toUpperCase();
}

/**
 * report.Headers: header text for each field, from its name unless
 * overridden (overrides are upper-cased, as Podman does).
 */
export function makeHeaders(fields: Iterable<string>, overrides: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = {};
  for (const f of fields) h[f] = defaultHeader(f);
  for (const [k, v] of Object.entries(overrides)) h[k] = v.toUpperCase();
  return h;
}

/**
 * The header row's data: a Go map from field name to header. A field that
 * was not listed falls back to its camel-case header (Podman lists every
 * field of its row type, so any valid field has one).
 */
class HeaderMap {
  constructor(
    private readonly headers: Record<string, string>,
    /** when true, a field not listed is a missing key (<no value>), as in Podman */
    private readonly strict: boolean,
  ) {}
  get(name: string): string | Missing {
    if (Object.prototype.hasOwnProperty.call(this.headers, name)) return this.headers[name];
    return this.strict ? MISSING : defaultHeader(name);
  }
  keys(): string[] {
    return Object.keys(this.headers);
  }
}

export interface ReportOptions extends ExecuteOptions {
  /** the command name, used as the template name in errors ("ps", "images") */
  name?: string;
  /**
   * "user" (default): the format came from --format: a "table " format is
   * aligned and gets headers, any other is printed as is, one execution per
   * row. "podman": the command's own default format (a row template such as
   * "{{.ID}}\t{{.Names}}"): aligned, with headers.
   */
  origin?: 'user' | 'podman';
  /** field -> header text overrides (upper-cased), e.g. { ID: 'container id', CreatedHuman: 'created' } */
  headers?: Record<string, string>;
  /**
   * The row type's field names (report.Headers takes them from the Go
   * struct). With them, a name that is neither a field nor overridden
   * prints "<no value>" in the header, as in Podman; without them every
   * name gets its camel-case header.
   */
  fields?: readonly string[];
  /** --noheading */
  noHeading?: boolean;
  /** extra template functions */
  funcs?: Record<string, TemplateFunc>;
}

/**
 * Render rows the way Podman's report.Formatter does for list commands
 * (ps, images, volume ls, ...). Throws TemplateError (exit 125).
 */
export function renderReport(format: string, rows: readonly unknown[], opts: ReportOptions = {}): string {
  const origin = opts.origin ?? 'user';
  const table = isTableFormat(format);
  let text: string;
  if (table) text = '{{range .}}' + normalizeFormat(format) + '{{end -}}';
  else text = enforceRange(normalizeFormat(format));
  const aligned = table || origin === 'podman';
  const tmpl = compileTemplate(text, { name: opts.name ?? 'tspod', funcs: opts.funcs, raw: true });
  const typeNames = new WeakMap<object, string>();
  if (opts.typeName) for (const r of rows) if (isObjectLike(r)) typeNames.set(r, opts.typeName);
  const execOpts: ExecuteOptions = { mapFields: opts.mapFields, jsonEscapeHTML: opts.jsonEscapeHTML };
  const finish = (s: string) => (aligned ? newPodmanTabWriter(STRIP_ESCAPE).write(s).flush() : s);
  let out = '';
  try {
    if (aligned && !opts.noHeading) {
      const hdrs = makeHeaders(opts.fields ?? [], opts.headers ?? {});
      out += tmpl.run([new HeaderMap(hdrs, opts.fields !== undefined)], execOpts, new WeakMap());
    }
    out += tmpl.run(rows, execOpts, typeNames);
  } catch (e) {
    if (e instanceof TemplateError) e.partial = finish(out + e.partial);
    throw e;
  }
  return finish(out);
}

/**
 * `podman inspect --format` (and the other inspect commands): the user's
 * template through report.Formatter with OriginUser, i.e. NormalizeFormat +
 * EnforceRange, one execution per item, template name "inspect". A "table "
 * format is aligned (no header row); any other format is printed as is, tabs
 * included. Throws TemplateError.
 */
export function renderInspect(format: string, items: readonly unknown[], opts: ExecuteOptions & CompileOptions = {}): string {
  return renderReport(format, items, { ...opts, name: opts.name ?? 'inspect', origin: 'user', noHeading: true });
}

// ---------------------------------------------------------------------------
// Podman 4.3's own list formats (cmd/podman/containers/ps.go, images/list.go)
// ---------------------------------------------------------------------------

/** `podman ps` header overrides (createPsOut); other fields get camel-case headers. */
export const PODMAN_PS_HEADERS: Readonly<Record<string, string>> = {
  Cgroup: 'cgroupns',
  CreatedHuman: 'created',
  ID: 'container id',
  IPC: 'ipc',
  MNT: 'mnt',
  NET: 'net',
  PIDNS: 'pidns',
  Pod: 'pod id',
  PodName: 'podname',
  RunningFor: 'running for',
  UTS: 'uts',
  User: 'userns',
};

/** The fields of Podman 4.3's entities.ListContainer (the names `podman ps` headers know). */
export const PODMAN_PS_FIELDS: readonly string[] = [
  'AutoRemove', 'Command', 'Created', 'CreatedAt', 'ExitCode', 'Exited', 'ExitedAt', 'ID', 'Image', 'ImageID',
  'IsInfra', 'Labels', 'Mounts', 'Names', 'Namespaces', 'Networks', 'Pid', 'Pod', 'PodName', 'Ports', 'Size',
  'StartedAt', 'State', 'Status',
];

/** `podman ps` default row; --pod appends "\t{{.Pod}}\t{{.PodName}}", --size "\t{{.Size}}". Render with origin "podman". */
export const PODMAN_PS_ROW = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

/** `podman ps --ns` row (Podman replaces ".Namespaces." by "." in formats). */
export const PODMAN_PS_NS_ROW = '{{.ID}}\t{{.Names}}\t{{.Pid}}\t{{.Cgroup}}\t{{.IPC}}\t{{.MNT}}\t{{.NET}}\t{{.PIDNS}}\t{{.User}}\t{{.UTS}}';

/** `podman images` header overrides. */
export const PODMAN_IMAGES_HEADERS: Readonly<Record<string, string>> = {
  ID: 'image id',
  ReadOnly: 'r/o',
};

/** The fields of Podman 4.3's imageReporter (Repository, Tag + entities.ImageSummary). */
export const PODMAN_IMAGES_FIELDS: readonly string[] = [
  'Repository', 'Tag', 'ID', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'VirtualSize',
  'Labels', 'Containers', 'ReadOnly', 'Dangling', 'Names', 'Digest', 'History',
];

/** `podman images` default row (Created is "2 hours ago", Size "5.12 MB"); --digests adds "\t{{.Digest}}" after the tag. */
export const PODMAN_IMAGES_ROW =
  '{{if .Repository}}{{.Repository}}{{else}}<none>{{end}}\t{{if .Tag}}{{.Tag}}{{else}}<none>{{end}}\t{{.ID}}\t{{.Created}}\t{{.Size}}';
