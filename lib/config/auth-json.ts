// Registry credentials in the containers auth.json format (containers-auth.json(5)):
// {"auths": {"registry[/namespace]": {"auth": base64("user:password")}}}.
// Written to --authfile, REGISTRY_AUTH_FILE, or ${XDG_RUNTIME_DIR}/containers/auth.json
// (/run/containers/0/auth.json for root); read from there, then from the
// legacy ~/.config/containers/auth.json and Docker's ~/.docker/config.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRootless } from '../rootless/identity';
import { userRuntimeDir } from '../rootless/runtime-dir';

export interface Credentials {
  username: string;
  password: string;
  /** an OAuth2 refresh token (Docker's identitytoken) */
  identityToken?: string;
}

interface AuthEntry {
  auth?: string;
  identitytoken?: string;
}

interface AuthFile {
  auths?: Record<string, AuthEntry>;
  [other: string]: unknown;
}

const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io'];

export function defaultAuthFile(): string {
  if (process.env.REGISTRY_AUTH_FILE) return process.env.REGISTRY_AUTH_FILE;
  if (!isRootless()) return '/run/containers/0/auth.json';
  return path.join(userRuntimeDir(), 'containers', 'auth.json');
}

/** The files credentials are read from, most important first. */
export function authFilesToRead(explicit?: string): string[] {
  if (explicit) return [explicit];
  const files = [defaultAuthFile()];
  const home = process.env.HOME;
  if (home) {
    files.push(path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json'));
    files.push(path.join(process.env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'));
  }
  return files;
}

function readAuthFile(file: string): AuthFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as AuthFile;
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`reading ${file}: ${(err as Error).message}`);
  }
}

function writeAuthFile(file: string, data: AuthFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, '\t')}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function decode(entry: AuthEntry): Credentials | undefined {
  if (entry.identitytoken) return { username: '', password: '', identityToken: entry.identitytoken };
  if (!entry.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The keys to look for, most specific first: registry/ns/repo, registry/ns, registry. */
function candidateKeys(registry: string, repository?: string): string[] {
  const keys: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let i = parts.length; i > 0; i--) keys.push(`${registry}/${parts.slice(0, i).join('/')}`);
  }
  keys.push(registry);
  if (registry === 'docker.io') keys.push(...DOCKER_HUB_KEYS);
  return keys;
}

/** Normalizes a key as written by other tools (`https://host/v2/` -> host). */
function normalizeKey(key: string): string {
  if (DOCKER_HUB_KEYS.includes(key)) return key;
  return key.replace(/^https?:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/$/, '');
}

export function lookupCredentials(registry: string, repository?: string, authfile?: string): Credentials | undefined {
  for (const file of authFilesToRead(authfile)) {
    const auths = readAuthFile(file).auths ?? {};
    const normalized = new Map(Object.entries(auths).map(([k, v]) => [normalizeKey(k), v]));
    for (const key of candidateKeys(registry, repository)) {
      const entry = normalized.get(key);
      const creds = entry && decode(entry);
      if (creds) return creds;
    }
  }
  return undefined;
}

/** Stores credentials for key (a registry, or registry/namespace). */
export function storeCredentials(key: string, username: string, password: string, authfile?: string): string {
  const file = authfile ?? defaultAuthFile();
  const data = readAuthFile(file);
  data.auths ??= {};
  data.auths[key] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  writeAuthFile(file, data);
  return file;
}

/** Removes the credentials for key; returns false when there were none. */
export function removeCredentials(key: string, authfile?: string): boolean {
  const file = authfile ?? defaultAuthFile();
  const data = readAuthFile(file);
  if (!data.auths || !(key in data.auths)) return false;
  delete data.auths[key];
  writeAuthFile(file, data);
  return true;
}

export function removeAllCredentials(authfile?: string): void {
  const file = authfile ?? defaultAuthFile();
  const data = readAuthFile(file);
  if (!data.auths) return;
  data.auths = {};
  writeAuthFile(file, data);
}
