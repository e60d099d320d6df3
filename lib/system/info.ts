// `info`: what the CLI prints and the libpod API serves, in Podman's shape
// (define.Info: host, store, registries, plugins, version).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { LocalEngine } from '../container/engine';
import { API_VERSION, VERSION } from '../version';
import { loadRegistriesConf } from '../config/registries-conf';
import { containersConfFiles, loadContainersConf } from '../config/containers-conf';
import { entryScript } from '../package-root';
import { goMap } from '../format/gotemplate';
import { volumesRoot } from '../volume/volumes';
import { isRootless } from '../rootless/identity';

export const ociArch = () => (os.arch() === 'x64' ? 'amd64' : os.arch());

export function containerCounts(engine: LocalEngine) {
  const ctrs = engine.list();
  const running = ctrs.filter((c) => c.state.status === 'running').length;
  return { total: ctrs.length, running, stopped: ctrs.length - running, images: Object.keys(engine.store.read().images).length };
}

/** /etc/os-release's ID, VERSION_ID and VERSION_CODENAME. */
function distribution(): { distribution: string; version: string; codename?: string } {
  let text = '';
  try {
    text = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    return { distribution: 'unknown', version: 'unknown' };
  }
  const field = (k: string) => /^(\w+)=(.*)$/m.exec(text.split('\n').find((l) => l.startsWith(`${k}=`)) ?? '')?.[2].replace(/^"|"$/g, '');
  return { distribution: field('ID') ?? 'unknown', version: field('VERSION_ID') ?? 'unknown', codename: field('VERSION_CODENAME') };
}

function cgroupVersion(): 'v1' | 'v2' {
  return fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
}

/** The first line of `BINARY --version`, '' when it cannot run. */
function versionLine(binary: string): string {
  if (!binary) return '';
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 2000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : '';
}

/** What Podman's info reports as its rootless network helper: the slirp4netns found on PATH, if any. */
function slirp4netns(): { executable: string; package: string; version: string } {
  const dirs = (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(':').filter((d) => d.startsWith('/'));
  const executable = dirs.map((d) => path.join(d, 'slirp4netns')).find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return { executable: executable ?? '', package: '', version: executable ? versionLine(executable) : '' };
}

/** Podman 4.3.1's buildah (Debian's 1.28.2): the Containerfile semantics tspod's build follows. */
const BUILDAH_COMPAT_VERSION = '1.28.2';

// statfs f_type magic numbers, named as containers/storage names them.
const FS_NAMES: Record<number, string> = { 0xef53: 'extfs', 0x58465342: 'xfs', 0x01021994: 'tmpfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };

/** Total and used bytes and the type of the filesystem holding dir (or its nearest existing parent). */
function fsUsage(dir: string): { total: number; used: number; type: string } {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const s = fs.statfsSync(d);
      return { total: s.blocks * s.bsize, used: (s.blocks - s.bfree) * s.bsize, type: FS_NAMES[s.type] ?? `0x${s.type.toString(16)}` };
    } catch {
      if (path.dirname(d) === d) return { total: 0, used: 0, type: 'unknown' };
    }
  }
}

function formatUptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${h}h ${m}m ${s}.00s${h > 0 ? ` (Approximately ${(h / 24).toFixed(2)} days)` : ''}`;
}

function swap(): { total: number; free: number } {
  try {
    const text = fs.readFileSync('/proc/meminfo', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { total: kb('SwapTotal'), free: kb('SwapFree') };
  } catch {
    return { total: 0, free: 0 };
  }
}

export function systemInfo(engine: LocalEngine, remote: boolean) {
  const n = containerCounts(engine);
  const runtime = (() => {
    try {
      return engine.runtime().runtime;
    } catch {
      return { name: '', path: '' };
    }
  })();
  const conmon = entryScript('tspod-conmon');
  const usage = fsUsage(engine.paths.root);
  const sw = swap();
  // Not getuid(): a rootless tspod runs as 0 inside its user namespace.
  const rootless = isRootless();
  const conf = loadContainersConf();
  const confFile = containersConfFiles().filter((f) => fs.existsSync(f)).pop() ?? '';
  let search: string[] = [];
  try {
    search = loadRegistriesConf().unqualifiedSearch;
  } catch {
    /* an unreadable registries.conf is reported where it is used */
  }
  const socketPath = path.join(engine.paths.runroot, 'tspod.sock');
  return {
    host: {
      arch: ociArch(),
      cgroupManager: conf.cgroupManager === 'systemd' ? 'systemd' : 'cgroupfs',
      cgroupVersion: cgroupVersion(),
      buildahVersion: BUILDAH_COMPAT_VERSION,
      conmon: { package: `tspod-conmon ${VERSION}`, path: conmon.replace(/\.js$/, ''), version: `tspod-conmon version ${VERSION}` },
      cpus: os.cpus().length,
      distribution: distribution(),
      eventLogger: conf.eventsLogger ?? 'file',
      hostname: os.hostname(),
      idMappings: { gidmap: null, uidmap: null },
      kernel: os.release(),
      logDriver: 'k8s-file',
      memFree: os.freemem(),
      memTotal: os.totalmem(),
      networkBackend: 'tspod',
      ociRuntime: { name: runtime.name, package: runtime.name, path: runtime.path, version: versionLine(runtime.path) },
      os: 'linux',
      remoteSocket: { path: `unix://${socketPath}`, exists: remote || fs.existsSync(socketPath) },
      security: {
        apparmorEnabled: false,
        capabilities: 'CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_NET_BIND_SERVICE,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT',
        rootless,
        seccompEnabled: false,
        seccompProfilePath: '',
        selinuxEnabled: false,
      },
      serviceIsRemote: remote,
      slirp4netns: slirp4netns(),
      swapFree: sw.free,
      swapTotal: sw.total,
      uptime: formatUptime(os.uptime()),
      linkmode: 'dynamic',
    },
    store: {
      configFile: confFile,
      containerStore: { number: n.total, paused: 0, running: n.running, stopped: n.stopped },
      graphDriverName: 'overlay',
      graphOptions: {},
      graphRoot: engine.paths.root,
      graphRootAllocated: usage.total,
      graphRootUsed: usage.used,
      graphStatus: { 'Backing Filesystem': usage.type, 'Native Overlay Diff': 'true', 'Supports d_type': 'true', 'Using metacopy': 'false' },
      imageCopyTmpDir: '/var/tmp',
      imageStore: { number: n.images },
      runRoot: engine.paths.runroot,
      volumePath: volumesRoot(engine.paths),
    },
    registries: { search },
    plugins: { volume: ['local'], network: ['bridge'], log: ['k8s-file', 'none', 'passthrough'], authorization: null },
    version: { APIVersion: API_VERSION, Version: VERSION, GoVersion: `node${process.versions.node}`, GitCommit: '', BuiltTime: new Date(0).toUTCString(), Built: 0, OsArch: `linux/${ociArch()}`, Os: 'linux' },
  };
}

// Podman's Go field names where they are not the JSON key with a capital first letter.
const GO_NAMES: Record<string, string> = {
  cgroupVersion: 'CgroupsVersion',
  cpus: 'CPUs',
  ociRuntime: 'OCIRuntime',
  os: 'OS',
  idMappings: 'IDMappings',
  gidmap: 'GIDMap',
  uidmap: 'UIDMap',
  apparmorEnabled: 'AppArmorEnabled',
  capabilities: 'DefaultCapabilities',
  seccompEnabled: 'SECCOMPEnabled',
  seccompProfilePath: 'SECCOMPProfilePath',
  selinuxEnabled: 'SELinuxEnabled',
  slirp4netns: 'Slirp4NetNS',
  imageCopyTmpDir: 'ImageCopyTmpDir',
};
// Maps in Podman's types: their keys are data, not field names.
const GO_MAPS = new Set(['registries', 'graphOptions', 'graphStatus']);

/**
 * info as `--format` templates see it: Podman's templates use the Go field
 * names (`{{.Host.Arch}}`, `{{.Store.GraphRoot}}`), while JSON and YAML use the
 * json keys (`host.arch`).
 */
export function infoTemplateView(value: unknown, key = ''): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => infoTemplateView(v));
  if (GO_MAPS.has(key)) return goMap({ ...(value as Record<string, unknown>) }); // printed as map[...] like Go's
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[GO_NAMES[k] ?? k.charAt(0).toUpperCase() + k.slice(1)] = infoTemplateView(v, k);
  return out;
}
