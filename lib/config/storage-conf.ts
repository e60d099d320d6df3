// storage.conf (containers-storage.conf(5)): only the keys of the automatic
// user namespace (--userns=auto). As containers/storage, one file is read:
// $CONTAINERS_STORAGE_CONF, else the user's (rootless) when it exists, else
// /etc/containers/storage.conf, else /usr/share/containers/storage.conf.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRootless } from '../rootless/identity';
import { parseToml } from './containers-conf';

export interface AutoUsernsConf {
  /** [storage.options] root-auto-userns-user: whose /etc/subuid and /etc/subgid ranges root's auto namespaces use */
  rootAutoUsernsUser: string;
  /** auto-userns-min-size and auto-userns-max-size (containers/storage's defaults) */
  minSize: number;
  maxSize: number;
}

function storageConfFile(): string | undefined {
  if (process.env.CONTAINERS_STORAGE_CONF) return process.env.CONTAINERS_STORAGE_CONF;
  const home = process.env.HOME;
  const candidates = [
    ...(isRootless() && home ? [path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'storage.conf')] : []),
    '/etc/containers/storage.conf',
    '/usr/share/containers/storage.conf',
  ];
  return candidates.find((f) => fs.existsSync(f));
}

export function loadAutoUsernsConf(): AutoUsernsConf {
  const conf: AutoUsernsConf = { rootAutoUsernsUser: 'containers', minSize: 1024, maxSize: 65536 };
  const file = storageConfFile();
  if (!file) return conf;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return conf;
  }
  const o = parseToml(text)['storage.options'] ?? {};
  const user = o['root-auto-userns-user'];
  if (typeof user === 'string' && user) conf.rootAutoUsernsUser = user;
  const size = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined);
  conf.minSize = size(o['auto-userns-min-size']) ?? conf.minSize;
  conf.maxSize = size(o['auto-userns-max-size']) ?? conf.maxSize;
  return conf;
}
