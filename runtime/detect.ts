// Which OCI runtime to drive: containers.conf `[engine] runtime` (or --runtime)
// when set, else crun when it works on this host, else runc. crun 1.8 refuses
// hybrid cgroup layouts, so it is probed once and the verdict cached.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadContainersConf } from '../lib/config/containers-conf';

export interface RuntimeInfo {
  name: string;
  path: string;
}

const SEARCH_DIRS = ['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/sbin'];

function findBinary(name: string, extra: string[] = []): string | undefined {
  if (name.includes('/')) return fs.existsSync(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_DIRS];
  for (const candidate of [...extra, ...dirs.map((d) => path.join(d, name))]) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Resolves the runtime; `explicit` is --runtime (a name or a path). */
export function detectRuntime(runroot: string, explicit?: string): RuntimeInfo {
  const conf = loadContainersConf();
  const wanted = explicit || conf.runtime;
  if (wanted) {
    const name = path.basename(wanted);
    const found = findBinary(wanted, conf.runtimePaths[wanted] ?? []);
    if (!found) throw new Error(`could not find OCI runtime "${wanted}"`);
    return { name, path: found };
  }
  const crun = findBinary('crun', conf.runtimePaths.crun ?? []);
  if (crun && crunWorks(crun, runroot)) return { name: 'crun', path: crun };
  const runc = findBinary('runc', conf.runtimePaths.runc ?? []);
  if (runc) return { name: 'runc', path: runc };
  if (crun) return { name: 'crun', path: crun };
  throw new Error('no OCI runtime found: install runc or crun');
}

/** Runs crun once on an empty bundle: an exec error means it works, a cgroup error means it cannot here. */
function crunWorks(crun: string, runroot: string): boolean {
  const stat = fs.statSync(crun);
  const cache = path.join(runroot, 'runtime-probe.json');
  const key = `${crun}:${stat.mtimeMs}:${stat.size}`;
  try {
    const cached = JSON.parse(fs.readFileSync(cache, 'utf8')) as { key: string; works: boolean };
    if (cached.key === key) return cached.works;
  } catch {
    /* probe */
  }
  fs.mkdirSync(runroot, { recursive: true });
  const dir = fs.mkdtempSync(path.join(runroot, 'probe-'));
  try {
    fs.mkdirSync(path.join(dir, 'rootfs'));
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        ociVersion: '1.0.2',
        process: { args: ['/tspod-probe'], cwd: '/', user: { uid: 0, gid: 0 } },
        root: { path: 'rootfs' },
        mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
        linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }], cgroupsPath: `/tspod/probe-${process.pid}` },
      }),
    );
    const r = spawnSync(crun, ['--root', path.join(dir, 'state'), 'run', '--bundle', dir, `tspod-probe-${process.pid}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    const works = r.status !== null && !/cgroup/i.test(`${r.stderr}${r.stdout}`);
    fs.writeFileSync(cache, JSON.stringify({ key, works }));
    return works;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
