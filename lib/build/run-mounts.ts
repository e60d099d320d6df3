// `RUN --mount=...` and `build --secret`: what a RUN step sees besides its
// image, never committed into the layer it makes.
//   type=secret  a --secret's content, read-only at /run/secrets/<id> (or target)
//   type=cache   a directory kept between builds under the store (keyed by id)
//   type=bind    a path of the build context or of another stage/image, as a private copy
//   type=tmpfs   an empty tmpfs
// Every value is checked before it reaches a path or the spec.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';

const invalid = (msg: string) => new EngineError('invalid-argument', msg);

/** `--secret id=NAME,src=FILE` or `--secret id=NAME,env=VAR`: where a secret's content comes from. */
export interface BuildSecret {
  id: string;
  /** the content (read when the build starts: the file may be gone by the RUN that uses it) */
  data: Buffer;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function keyValues(text: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (out.has(k)) throw invalid(`${what}: "${k}" is given twice`);
    out.set(k, v);
  }
  return out;
}

/** Parses one `--secret` value as Podman 4.3 accepts it (type=file|env; src/source, env). */
export function parseBuildSecret(text: string, env: NodeJS.ProcessEnv = process.env): BuildSecret {
  const kv = keyValues(text, `--secret ${text}`);
  for (const k of kv.keys()) if (!['id', 'src', 'source', 'env', 'type'].includes(k)) throw invalid(`--secret ${text}: unknown option "${k}" (id, src, env, type)`);
  const id = kv.get('id') ?? '';
  if (!ID_RE.test(id)) throw invalid(`--secret ${text}: "id" must be given: letters, digits, "_", "." and "-"`);
  const src = kv.get('src') ?? kv.get('source');
  const envName = kv.get('env');
  const type = kv.get('type') ?? (envName !== undefined && src === undefined ? 'env' : 'file');
  if (type === 'env') {
    const name = envName ?? src ?? id;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(`--secret ${text}: "${name}" is not an environment variable name`);
    if (env[name] === undefined) throw invalid(`--secret ${text}: the environment variable ${name} is not set`);
    return { id, data: Buffer.from(env[name] as string) };
  }
  if (type !== 'file') throw invalid(`--secret ${text}: type must be file or env`);
  const file = src ?? id;
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    throw invalid(`--secret ${text}: reading ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { id, data };
}

export type RunMountType = 'secret' | 'cache' | 'bind' | 'tmpfs';

export interface RunMount {
  type: RunMountType;
  /** absolute path in the container */
  target: string;
  /** secret and cache: the id (cache: default the target) */
  id?: string;
  /** bind: the path in the context or in `from` */
  source?: string;
  /** bind: another stage (name or index) or an image */
  from?: string;
  rw: boolean;
  /** secret: fail when the secret was not given (default false, as Docker's) */
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** cache: shared (default) or locked (one RUN at a time) */
  sharing?: 'shared' | 'locked';
  /** tmpfs: size in bytes */
  size?: number;
}

function absTarget(v: string, what: string): string {
  if (!v.startsWith('/') || v.includes('\0') || v.split('/').includes('..')) throw invalid(`${what}: target "${v}" must be an absolute path without ".."`);
  const norm = path.posix.normalize(v).replace(/\/+$/, '');
  if (norm === '' || norm === '/') throw invalid(`${what}: target "${v}" cannot be the root directory`);
  return norm;
}

function num(v: string, what: string, radix = 10): number {
  const re = radix === 8 ? /^[0-7]{1,4}$/ : /^\d{1,10}$/;
  if (!re.test(v)) throw invalid(`${what}: "${v}" is not a ${radix === 8 ? 'file mode' : 'number'}`);
  return parseInt(v, radix);
}

const boolOpt = (v: string, what: string): boolean => {
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw invalid(`${what}: "${v}" is not true or false`);
};

/** Parses one `RUN --mount=` value (BuildKit's syntax, the options Buildah supports for each type). */
export function parseRunMount(text: string, line: number): RunMount {
  const what = `RUN --mount=${text} (line ${line})`;
  const kv = keyValues(text, what);
  const type = (kv.get('type') ?? 'bind') as RunMountType;
  if (!['secret', 'cache', 'bind', 'tmpfs'].includes(type)) throw invalid(`${what}: type must be bind, cache, secret or tmpfs`);
  const allowed: Record<RunMountType, string[]> = {
    secret: ['type', 'id', 'target', 'dst', 'destination', 'required', 'mode', 'uid', 'gid'],
    cache: ['type', 'id', 'target', 'dst', 'destination', 'sharing', 'mode', 'uid', 'gid', 'ro', 'readonly', 'rw', 'readwrite'],
    bind: ['type', 'target', 'dst', 'destination', 'source', 'src', 'from', 'rw', 'readwrite', 'ro', 'readonly'],
    tmpfs: ['type', 'target', 'dst', 'destination', 'size', 'tmpfs-size'],
  };
  for (const k of kv.keys()) if (!allowed[type].includes(k)) throw invalid(`${what}: option "${k}" is not supported for type=${type}`);
  const get = (...names: string[]) => names.map((n) => kv.get(n)).find((v) => v !== undefined);
  const m: RunMount = { type, target: '', rw: type !== 'bind' && type !== 'secret', required: false };
  const id = get('id');
  if (id !== undefined && !ID_RE.test(id)) throw invalid(`${what}: id "${id}": letters, digits, "_", "." and "-" only`);
  if (type === 'secret') {
    if (id === undefined && get('target', 'dst', 'destination') === undefined) throw invalid(`${what}: a secret mount needs an id or a target`);
    m.id = id ?? path.posix.basename(get('target', 'dst', 'destination') as string);
    m.target = absTarget(get('target', 'dst', 'destination') ?? `/run/secrets/${m.id}`, what);
    m.required = kv.has('required') ? boolOpt(kv.get('required') as string, what) : false;
  } else {
    const target = get('target', 'dst', 'destination');
    if (target === undefined) throw invalid(`${what}: "target" must be given`);
    m.target = absTarget(target, what);
  }
  if (type === 'cache') {
    m.id = id ?? m.target;
    const sharing = kv.get('sharing') ?? 'shared';
    if (sharing !== 'shared' && sharing !== 'locked') throw invalid(`${what}: sharing=${sharing} is not supported by tspod build (shared, locked)`);
    m.sharing = sharing;
  }
  if (type === 'bind') {
    m.source = get('source', 'src') ?? '/';
    if (m.source.includes('\0')) throw invalid(`${what}: bad source`);
    const from = kv.get('from');
    if (from !== undefined) {
      if (from === '' || from.includes('\0')) throw invalid(`${what}: bad from`);
      m.from = from;
    }
  }
  if (type === 'bind' || type === 'cache') {
    const rw = get('rw', 'readwrite');
    const ro = get('ro', 'readonly');
    if (rw !== undefined) m.rw = boolOpt(rw, what);
    if (ro !== undefined) m.rw = !boolOpt(ro, what);
  }
  const mode = kv.get('mode');
  if (mode !== undefined) m.mode = num(mode, what, 8);
  const uid = kv.get('uid');
  if (uid !== undefined) m.uid = num(uid, what);
  const gid = kv.get('gid');
  if (gid !== undefined) m.gid = num(gid, what);
  const size = get('size', 'tmpfs-size');
  if (size !== undefined) m.size = num(size, what);
  return m;
}

/** What the cache key of a RUN step holds of its mounts (secrets by id only, never their content). */
export function mountKey(m: RunMount): unknown {
  return [m.type, m.target, m.id ?? '', m.source ?? '', m.from ?? '', m.rw, m.mode ?? '', m.uid ?? '', m.gid ?? '', m.size ?? ''];
}

/** Where the cache mount `id` lives: one directory per id under the store, the name a digest of it. */
export function cacheMountDir(storeRoot: string, id: string): string {
  return path.join(storeRoot, 'build-cache-mounts', crypto.createHash('sha256').update(id).digest('hex'));
}

/**
 * A copy of `files` (a source and what is below it, parents first) into `dest`:
 * regular files, directories and symlinks with their modes; the bind mount of
 * a RUN step is this copy, so the step never writes into the context.
 */
export function copyTree(files: { sub: string; host: string; st: fs.Stats }[], dest: string): string {
  const [top] = files;
  const root = top.st.isDirectory() ? dest : path.join(dest, 'file');
  for (const f of files) {
    const to = f.sub === '' ? root : path.join(root, f.sub);
    if (f.st.isDirectory()) fs.mkdirSync(to, { recursive: true, mode: 0o700 });
    else if (f.st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(f.host), to);
    else if (f.st.isFile()) fs.copyFileSync(f.host, to);
    else continue; // devices, fifos and sockets of a context are not copied, as COPY skips them
    if (!f.st.isSymbolicLink()) fs.chmodSync(to, f.st.mode & 0o7777);
  }
  return root;
}
