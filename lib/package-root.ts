// Where tspod is installed, so a process can start the others (dist/*.js).
import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'dist'))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error('cannot find the tspod installation (dist/)');
  }
}

/** dist/<name>.js for tspod, tspod-conmon, tspod-runtime */
export const entryScript = (name: 'tspod' | 'tspod-conmon' | 'tspod-runtime') =>
  path.join(packageRoot(), 'dist', `${name}.js`);

/**
 * What a tspod started later by a monitor (the exit command, a health check) must
 * see of this process's environment to read the same configuration: Podman's
 * monitor passes its whole environment on; ours stays minimal (NODE_EXTRA_CA_CERTS
 * alone costs 40 ms per start), so only what chooses files and stores goes along.
 */
const CONFIG_ENV = [
  'CONTAINERS_CONF',
  'CONTAINERS_REGISTRIES_CONF',
  'REGISTRY_AUTH_FILE',
  'DOCKER_CONFIG',
  'HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_RUNTIME_DIR',
  'TMPDIR',
  'TZ',
  'TSPOD_NETWORK_STATE_DIR',
  'TSPOD_STORAGE_DRIVER',
];

export function tspodCommandEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const name of CONFIG_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * argv that starts the tspod CLI: from its start-up snapshot when the build made
 * one (about 30 ms faster), else from the bundle.
 */
export function tspodCommand(): string[] {
  const blob = path.join(packageRoot(), 'dist', 'tspod.blob');
  return fs.existsSync(blob) ? [process.execPath, '--snapshot-blob', blob, '--'] : [process.execPath, entryScript('tspod')];
}

let monitorExe: string | undefined;

/**
 * The Node binary a monitor runs as: dist/libexec/conmon, the build's hard link
 * to this Node (so /proc/PID/exe and ps name it conmon, as Podman's), while it
 * still is the same file; else this Node itself.
 */
export function monitorNode(): string {
  if (monitorExe) return monitorExe;
  const link = path.join(packageRoot(), 'dist', 'libexec', 'conmon');
  try {
    const a = fs.statSync(link);
    const b = fs.statSync(process.execPath);
    monitorExe = a.ino === b.ino && a.dev === b.dev ? link : process.execPath;
  } catch {
    monitorExe = process.execPath;
  }
  return monitorExe;
}
