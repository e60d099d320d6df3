// Request and response plumbing shared by every handler: JSON bodies with a
// size limit, Docker's error shape, lenient query booleans and filters.
import type * as http from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { EngineError, httpStatusFor, type ErrorKind } from '../lib/errors';

export const BODY_LIMIT = 4 * 1024 * 1024;

/** An error with the HTTP status to answer with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly cause_ = '',
    /** the engine error kind this answer stands for (the remote client rebuilds it) */
    readonly kind?: ErrorKind,
  ) {
    super(message);
  }
}

/** An engine error answered with another status or cause (Docker's or Podman's wording), its kind kept. */
export const apiErrorFrom = (err: EngineError, status: number, cause: string, message = err.message) => new ApiError(status, message, cause, err.kind);

/** The kind an ApiError without one stands for: its status says what it can. */
function kindOfStatus(status: number): ErrorKind {
  if (status === 404) return 'no-such-object';
  if (status === 409) return 'state-improper';
  if (status === 400) return 'invalid-argument';
  return 'internal';
}

export const badRequest = (msg: string) => new ApiError(400, msg, 'bad parameter');

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: http.ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** Docker's cause word for an engine error kind (Podman puts the same in `cause`). */
const CAUSES: Partial<Record<EngineError['kind'], string>> = {
  'no-such-container': 'no such container',
  'no-such-image': 'image not known',
  'no-such-object': 'no such object',
  'name-in-use': 'name is in use',
  'state-improper': 'container state improper',
  'invalid-argument': 'invalid argument',
  'image-in-use': 'image is in use by a container',
};

export function errorStatus(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  return httpStatusFor(err);
}

/**
 * Podman's error body ({cause, message, response}) plus `kind`, the engine
 * error's stable code: the remote client rebuilds the same error from it
 * (other clients ignore the extra field).
 */
export function errorBody(err: unknown): { message: string; cause: string; response: number; kind: ErrorKind } {
  const status = errorStatus(err);
  const message = err instanceof Error ? err.message : String(err);
  let cause = '';
  let kind: ErrorKind = 'internal';
  if (err instanceof ApiError) {
    cause = err.cause_;
    kind = err.kind ?? kindOfStatus(status);
  } else if (err instanceof EngineError) {
    cause = err.cause_ ?? CAUSES[err.kind] ?? err.kind;
    kind = err.kind;
  } else cause = 'internal error';
  return { message, cause, response: status, kind };
}

export function sendError(res: http.ServerResponse, err: unknown): void {
  const body = errorBody(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (body.response === 304) return sendEmpty(res, 304);
  sendJson(res, body.response, body);
}

/** The request body, refused beyond the limit. */
export function readBody(req: http.IncomingMessage, limit = BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new ApiError(413, `request body too large: ${declared} bytes (limit ${limit})`, 'request entity too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        req.removeAllListeners('data');
        req.resume();
        reject(new ApiError(413, `request body too large (limit ${limit} bytes)`, 'request entity too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Docker's rule for JSON bodies (httputils.CheckForJSON): a body must be
 * declared application/json, so a browser's cross-site "simple" request
 * (text/plain, form-encoded, or a typeless Blob) cannot smuggle one in. An
 * empty body is no body, whatever its Content-Type (Docker's Go client labels
 * every empty POST text/plain).
 */
function checkJsonContentType(req: http.IncomingMessage, bodyLength: number): void {
  if (bodyLength === 0) return;
  const ct = req.headers['content-type'] ?? '';
  if (ct.split(';')[0].trim().toLowerCase() === 'application/json') return;
  throw badRequest(`Content-Type specified (${ct}) must be 'application/json'`);
}

/** A JSON object body; an empty body is `{}`. */
export async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const buf = await readBody(req);
  checkJsonContentType(req, buf.length);
  if (buf.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw badRequest(`decode(): invalid JSON body: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('decode(): the body must be a JSON object');
  return v as Record<string, unknown>;
}

/** Docker's rule: empty, 0, no, false, none mean false; anything else true. */
export function qbool(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

export function qint(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw badRequest(`failed to parse query parameter '${name}': "${v}" is not an integer`);
  return Number(v);
}

/** `filters` in map form ({"k":{"v":true}}) or list form ({"k":["v"]}), as key -> values. */
export function qfilters(q: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = q.get('filters');
  if (!raw) return out;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw badRequest(`invalid filter: ${raw}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`invalid filter: ${raw}`);
  for (const [k, vals] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(vals)) out.set(k, vals.map(String));
    else if (vals && typeof vals === 'object') out.set(k, Object.keys(vals).filter((x) => (vals as Record<string, unknown>)[x]));
    else throw badRequest(`invalid filter: ${raw}`);
  }
  return out;
}

/** Go's encoding/json wording for a JSON.parse error (Podman puts it in `cause`). */
export function goJsonError(e: Error): string {
  if (/end of JSON input|Unterminated|Unexpected end/i.test(e.message)) return 'unexpected end of JSON input';
  const tok = /Unexpected token '?(.)'?/.exec(e.message);
  return tok ? `invalid character '${tok[1]}' looking for beginning of value` : e.message;
}

/** The filters query as Podman's libpod handlers decode it: bad JSON is a 500 with Go's wording as the cause. */
export function qfiltersGo(q: URLSearchParams): Map<string, string[]> {
  const raw = q.get('filters');
  if (!raw) return new Map();
  try {
    JSON.parse(raw);
  } catch (e) {
    const cause = goJsonError(e as Error);
    throw new ApiError(500, `failed to parse filters for ${raw}: ${cause}`, cause);
  }
  return qfilters(q);
}

/** The first JSON value of a body, the rest ignored (Go's json.Decoder, which Podman's handlers use). */
export async function readFirstJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = /after JSON at position (\d+)/.exec((e as Error).message);
    if (!at) throw badRequest(`decode(): invalid JSON body: ${(e as Error).message}`);
    v = JSON.parse(text.slice(0, Number(at[1])));
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('decode(): the body must be a JSON object');
  return v as Record<string, unknown>;
}

// ---- typed access to JSON bodies (wrong types are a 400, not a crash)

export function optString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`json: cannot unmarshal ${typeof v} into field ${key} of type string`);
  return v;
}

export function optBool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`json: cannot unmarshal ${typeof v} into field ${key} of type bool`);
  return v;
}

export function optNumber(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`json: cannot unmarshal ${typeof v} into field ${key} of type int`);
  return v;
}

export function optStrings(o: Record<string, unknown>, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw badRequest(`json: cannot unmarshal ${typeof v} into field ${key} of type []string`);
  return v as string[];
}

export function optObject(o: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`json: cannot unmarshal ${typeof v} into field ${key} of type object`);
  return v as Record<string, unknown>;
}

export function optStringMap(o: Record<string, unknown>, key: string): Record<string, string> | undefined {
  const v = optObject(o, key);
  if (!v) return undefined;
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw badRequest(`json: cannot unmarshal ${typeof x} into field ${key}.${k} of type string`);
  return v as Record<string, string>;
}

/** A query value Podman's schema decoder could not convert: its wording, with the status the endpoint answers with. */
export function schemaError(url: string | undefined, key: string, status = 400): ApiError {
  const why = `schema: error converting value for "${key}"`;
  return new ApiError(status, `failed to parse parameters for ${url ?? ''}: ${why}`, why);
}

/** A boolean query value as Go's strconv.ParseBool reads it (Podman's libpod handlers): anything else is refused. */
export function qGoBool(q: URLSearchParams, name: string, url: string | undefined, dflt = false, status = 400): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw schemaError(url, name, status);
}

/**
 * A body's top-level keys as Go's encoding/json matches them to a struct whose
 * JSON names are lower case (libpod's SpecGenerator): an exact key wins, any
 * other spelling (`Image` for `image`) matches case-insensitively.
 */
export function foldKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (k !== k.toLowerCase() && !(k.toLowerCase() in o)) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(o)) if (k === k.toLowerCase()) out[k] = v;
  return out;
}

/**
 * A streamed request body (a tar) for a handler that may stop reading early:
 * on failure the rest of the body is drained, so the client gets the error
 * answer instead of a reset connection.
 */
export async function withBody<T>(req: http.IncomingMessage, use: (body: Readable) => Promise<T>): Promise<T> {
  const body = new PassThrough();
  req.pipe(body);
  try {
    return await use(body);
  } catch (err) {
    req.unpipe(body);
    req.resume();
    throw err;
  }
}
