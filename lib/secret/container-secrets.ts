// A container's secrets: `--secret NAME[,type=mount|env][,target=T][,uid=U][,gid=G][,mode=M]`
// parsed by the CLI, resolved to secret ids at create (the container then
// keeps its secret even if a new one takes the name), and given to the
// container at each start: a read-only file (default /run/secrets/NAME) or an
// environment variable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import type { Database, MountSpec, SecretRef } from '../storage/records';
import { invalidArgument } from '../errors';
import { checkSecretName, findSecret, noSuchSecret, secretData } from './secrets';

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one --secret value (the id is filled in at create). */
export function parseSecretFlag(spec: string): SecretRef {
  const [name, ...opts] = spec.split(',');
  checkSecretName(name);
  const ref: SecretRef = { id: '', name, type: 'mount', target: '', uid: 0, gid: 0, mode: 0o444 };
  let owned = false;
  for (const o of opts) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const val = eq < 0 ? '' : o.slice(eq + 1);
    if (eq < 0 || val === '') throw invalidArgument(`option "${o}" of --secret ${spec} must be key=value`);
    switch (key) {
      case 'type':
        if (val !== 'mount' && val !== 'env') throw invalidArgument(`type ${val} is unknown: secret type must be mount or env`);
        ref.type = val;
        break;
      case 'target':
        ref.target = val;
        break;
      case 'uid':
      case 'gid':
      case 'mode': {
        const n = key === 'mode' ? parseInt(val, 8) : Number(val);
        if (!/^[0-9]+$/.test(val) || !Number.isSafeInteger(n) || (key === 'mode' && n > 0o777)) throw invalidArgument(`${key} ${val} of --secret ${spec} is not valid`);
        ref[key] = n;
        owned = true;
        break;
      }
      default:
        throw invalidArgument(`option "${key}" of --secret ${spec} is unknown`);
    }
  }
  if (ref.type === 'env') {
    if (owned) throw invalidArgument('uid, gid and mode apply to mount secrets only');
    ref.target ||= name;
    if (!ENV_NAME_RE.test(ref.target)) throw invalidArgument(`secret target ${JSON.stringify(ref.target)} is not a valid environment variable name`);
  } else {
    const t = ref.target || name;
    ref.target = path.posix.normalize(path.posix.isAbsolute(t) ? t : `/run/secrets/${t}`);
    if (ref.target === '/' || ref.target.includes('\0')) throw invalidArgument(`secret target ${JSON.stringify(t)} is not valid`);
  }
  return ref;
}

/** At create: each reference bound to the secret's id (unknown secrets are an error). */
export function resolveSecretRefs(db: Database, refs: SecretRef[]): SecretRef[] {
  const seen = new Set<string>();
  return refs.map((r) => {
    const s = findSecret(db, r.name);
    if (!s) throw noSuchSecret(r.name);
    const key = `${r.type}:${r.target}`;
    if (seen.has(key)) throw invalidArgument(`secret target ${r.target} is used twice`);
    seen.add(key);
    return { ...r, id: s.id, name: s.name };
  });
}

/**
 * At start: the secret files written under dir (the container's private
 * bundle, on the run root) and the mounts and variables that give them to it.
 */
export function materializeSecrets(store: Store, refs: SecretRef[], dir: string): { mounts: MountSpec[]; env: string[] } {
  const mounts: MountSpec[] = [];
  const env: string[] = [];
  if (!refs.length) return { mounts, env };
  const db = store.read();
  const secretsDir = path.join(dir, 'secrets');
  fs.rmSync(secretsDir, { recursive: true, force: true });
  fs.mkdirSync(secretsDir, { mode: 0o700 });
  refs.forEach((r, i) => {
    const rec = db.secrets?.[r.id];
    if (!rec) throw noSuchSecret(r.name);
    const data = secretData(store.paths, rec);
    if (r.type === 'env') {
      env.push(`${r.target}=${data.toString('utf8')}`);
      return;
    }
    const file = path.join(secretsDir, String(i));
    fs.writeFileSync(file, data, { mode: 0o600, flag: 'wx' });
    fs.chownSync(file, r.uid, r.gid);
    fs.chmodSync(file, r.mode);
    mounts.push({ type: 'bind', source: file, destination: r.target, rw: false, options: [] });
  });
  return { mounts, env };
}
