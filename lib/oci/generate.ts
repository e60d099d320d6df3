// Builds a container's OCI config.json from what `create` recorded, the image
// config and the moment's activation state. Regenerated at every start, as
// Podman does, so the environment reflects the process that starts it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord } from '../storage/records';
import type { Mount, Spec } from './runtime-spec';
import { EngineError, invalidArgument } from '../errors';
import { type InRoot, withRoot } from '../storage/in-root';
import { isSystemdMode, systemdEnv, systemdTmpfsMounts } from '../systemd/container-mode';
import { hostDevices } from './privileged-devices';
import { cgroupPathsAmbiguous } from './cgroup-namespace';
import { apparmorProfile, confinedPaths, containerSeccomp } from './security-options';
import { ociDevices, ociResources, ociRlimits, parseDeviceCgroupRule } from './resources';
import { cgroupSupport, containerCgroupsPath } from './cgroups';
import { writeContainerEnv } from './containerenv';
import { zoneFile } from './timezone';
import { gidMapped, isRootless } from '../rootless/identity';
import { keepIdAccount, toHost } from '../container/idmap';
import { rootlessCgroups } from '../rootless/cgroups';

/** /dev/shm's size: Podman's default (shm_size "65536k" read as 65536000 bytes, mounted as 64000k). */
export const SHM_SIZE_BYTES = 65536000;

export interface ImageDefaults {
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

export interface SpecInputs {
  ctr: ContainerRecord;
  image: ImageDefaults;
  rootfs: string;
  /** hosts, hostname, resolv.conf written for this container */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  /** LISTEN_FDS/LISTEN_FDNAMES for the container when sockets are handed over */
  listen?: { count: number; names?: string };
  notifySocketDir?: string;
  /** --network container:X: the namespace to join instead of a new one */
  netnsPath?: string;
  /** a pod's infra container: its ipc/uts/pid namespaces to join and its /dev/shm (lib/pod) */
  sharedNsPaths?: { ipc?: string; uts?: string; pid?: string; shm?: string };
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

const ALL_CAPS = [
  ...DEFAULT_CAPS,
  'CAP_AUDIT_CONTROL', 'CAP_AUDIT_READ', 'CAP_AUDIT_WRITE', 'CAP_BLOCK_SUSPEND', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  'CAP_DAC_READ_SEARCH', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_LEASE', 'CAP_LINUX_IMMUTABLE', 'CAP_MAC_ADMIN',
  'CAP_MAC_OVERRIDE', 'CAP_MKNOD', 'CAP_NET_ADMIN', 'CAP_NET_BROADCAST', 'CAP_NET_RAW', 'CAP_PERFMON',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_MODULE', 'CAP_SYS_NICE', 'CAP_SYS_PACCT', 'CAP_SYS_PTRACE',
  'CAP_SYS_RAWIO', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
];

const MASKED = [
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
];
const READONLY = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The command the container runs: entrypoint + cmd, each falling back to the image's. */
export function containerCommand(ctr: ContainerRecord, image: ImageDefaults): string[] {
  const entrypoint = ctr.config.entrypoint.length || ctr.config.entrypointSet ? ctr.config.entrypoint : (image.Entrypoint ?? []);
  const cmd = ctr.config.cmd.length ? ctr.config.cmd : ctr.config.entrypointSet ? [] : (image.Cmd ?? []);
  return [...entrypoint, ...cmd];
}

export function mergeEnv(...lists: string[][]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) for (const e of list) {
    const eq = e.indexOf('=');
    map.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...map.values()];
}

const nsEntry = (type: 'ipc' | 'uts' | 'pid', nsPath: string | undefined) => (nsPath ? { type, path: nsPath } : { type });

export function generateSpec(inp: SpecInputs): Spec {
  const { ctr, image } = inp;
  const c = ctr.config;
  const args = containerCommand(ctr, image);
  if (args.length === 0) throw invalidArgument('no command or entrypoint provided, and no CMD or ENTRYPOINT from image');
  const systemdMode = isSystemdMode(c.systemd, args);
  const extraEnv: string[] = [`container=tspod`, `HOSTNAME=${c.hostname}`];
  if (systemdMode) extraEnv.push(...systemdEnv(ctr.id));
  if (c.tty) extraEnv.push('TERM=xterm');
  // keep-id without --user: the user's home, as Podman (--env still wins)
  if (c.idMappings?.keepId && !c.user) {
    const account = keepIdAccount();
    if (account) extraEnv.push(`HOME=${account.home}`);
  }
  if (inp.listen) {
    // In its own pid namespace the container's process is pid 1.
    extraEnv.push(`LISTEN_FDS=${inp.listen.count}`, 'LISTEN_PID=1');
    if (inp.listen.names !== undefined) extraEnv.push(`LISTEN_FDNAMES=${inp.listen.names}`);
  }
  if (inp.notifySocketDir) extraEnv.push('NOTIFY_SOCKET=/run/notify/notify.sock');
  let env = mergeEnv([DEFAULT_PATH], image.Env ?? [], extraEnv, c.env);
  if (!inp.listen) env = env.filter((e) => !/^LISTEN_(PID|FDS|FDNAMES)=/.test(e));
  // keep-id: the user's own ids inside, unless --user names others
  const keep = c.idMappings?.keepId;
  const user = resolveUser(inp.rootfs, c.user || (keep ? `${keep.uid}:${keep.gid}` : '') || image.User || '');
  if (c.workdir) checkWorkdir(inp.rootfs, c.workdir, c.mounts.map((m) => m.destination), ctr.id);
  const caps = containerCaps(c);
  const sec = c.security;
  const res = c.resources;

  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev', ...(sec?.procOpts ?? [])] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...((c.idMappings ? toHost(c.idMappings.gidMap, 5) !== undefined : gidMapped(5)) ? ['gid=5'] : [])] }, // tty's gid: absent from a single-id rootless map
    // In a pod sharing ipc, the infra container's /dev/shm: one shared memory for the pod, as Podman's.
    inp.sharedNsPaths?.shm
      ? { destination: '/dev/shm', type: 'bind', source: inp.sharedNsPaths.shm, options: ['rbind', 'nosuid', 'noexec', 'nodev'] }
      : { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${SHM_SIZE_BYTES / 1024}k`] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    c.network === 'host'
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    // Privileged or systemd mode: the container's own cgroups are writable (systemd and a nested runtime create cgroups there).
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', c.privileged || systemdMode ? 'rw' : 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: inp.etcFiles.hosts, options: ['bind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: inp.etcFiles.hostname, options: ['bind', 'rprivate'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: inp.etcFiles.resolvConf, options: ['bind', 'rprivate'] },
  ];
  if (systemdMode) {
    mounts.push(...systemdTmpfsMounts(c.mounts.map((m) => m.destination)));
  }
  if (c.readOnly && c.readOnlyTmpfs !== false) mounts.push(...readOnlyTmpfsMounts([...mounts, ...c.mounts].map((m) => m.destination)));
  if (inp.notifySocketDir) mounts.push({ destination: '/run/notify', type: 'bind', source: inp.notifySocketDir, options: ['bind', 'rprivate'] });
  for (const m of c.mounts) {
    // tmpfs: the image's content at that place is copied in (tmpcopyup, Podman's default), also what cp put there before the start
    if (m.type === 'tmpfs') mounts.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(m.options) });
    else mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.rw ? 'rw' : 'ro', ...m.options] });
  }
  // --tz: the zone file read-only as /etc/localtime, unless the user mounts one there
  if (c.timezone && !c.mounts.some((m) => m.destination === '/etc/localtime'))
    mounts.push({ destination: '/etc/localtime', type: 'bind', source: zoneFile(c.timezone), options: ['bind', 'rprivate', 'ro'] });
  // Beside /etc/hostname, which is always this container's own (hosts may be a --network container:X peer's).
  // nosuid,nodev,noexec: runc's read-only remount must keep the flags a user
  // namespace locks on the source (a rootless run root in /run/user/UID is a
  // nosuid,nodev tmpfs; dropping them is EPERM), and an info file needs none.
  if (!c.mounts.some((m) => m.destination === '/run/.containerenv'))
    mounts.push({ destination: '/run/.containerenv', type: 'bind', source: writeContainerEnv(path.dirname(inp.etcFiles.hostname), ctr), options: ['bind', 'rprivate', 'ro', 'nosuid', 'nodev', 'noexec'] });
  const paths = confinedPaths(sec, c.privileged, MASKED, READONLY);
  const devices = ociDevices(res?.devices ?? []);
  // Privileged (as root): the host's device nodes too, as Podman; rootless cannot mknod them
  if (c.privileged && !isRootless()) devices.devices.push(...hostDevices(systemdMode, new Set(devices.devices.map((d) => d.path))));
  const seccomp = containerSeccomp(sec, c.privileged, caps);
  const apparmor = apparmorProfile(sec, c.privileged);

  const namespaces: Spec['linux'] = {
    namespaces: [...(c.pidMode === 'host' ? [] : [nsEntry('pid', inp.sharedNsPaths?.pid)]), nsEntry('ipc', inp.sharedNsPaths?.ipc), nsEntry('uts', inp.sharedNsPaths?.uts), { type: 'mount' }],
  };
  if (c.network !== 'host') namespaces.namespaces?.push(inp.netnsPath ? { type: 'network', path: inp.netnsPath } : { type: 'network' });
  // --uidmap/--gidmap, keep-id: a user namespace of the container's own (its netns is created inside it)
  if (c.idMappings) {
    namespaces.namespaces?.push({ type: 'user' });
    namespaces.uidMappings = c.idMappings.uidMap;
    namespaces.gidMappings = c.idMappings.gidMap;
  }
  // systemd mode: a cgroup namespace, so systemd (and a runtime nested in it) finds its cgroup at "/" of the tree it sees;
  // also when we run where the runtime cannot map our cgroups through the mounts (nested in some containers).
  if (systemdMode || cgroupPathsAmbiguous()) namespaces.namespaces?.push({ type: 'cgroup' });

  return {
    ociVersion: '1.0.2-dev',
    hostname: c.hostname,
    annotations: { ...c.annotations, 'io.container.manager': 'tspod' },
    root: { path: inp.rootfs, readonly: c.readOnly },
    mounts,
    process: {
      terminal: c.tty,
      user,
      args,
      env,
      cwd: c.workdir || image.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: ociRlimits(res?.ulimits),
      noNewPrivileges: sec?.noNewPrivileges ?? false,
      oomScoreAdj: res?.oomScoreAdj ?? 0,
      ...(apparmor ? { apparmorProfile: apparmor } : {}),
    },
    linux: {
      ...namespaces,
      ...(devices.devices.length ? { devices: devices.devices } : {}),
      // Rootless (lib/rootless/cgroups.ts): no cgroup of ours to write on cgroup v1, so none, as Podman.
      ...(isRootless()
        ? rootlessCgroups(ociResources(res, cgroupSupport()))
        : {
            cgroupsPath: containerCgroupsPath(ctr.id, ctr.config.cgroupManager),
            resources: {
              // Privileged: every device, as Podman does (a runtime nested in it sets up its own devices cgroup).
              devices: [{ allow: c.privileged, access: 'rwm' }, ...devices.rules, ...(res?.deviceCgroupRules ?? []).map(parseDeviceCgroupRule)],
              ...ociResources(res, cgroupSupport()),
            },
          }),
      ...(seccomp ? { seccomp } : {}),
      maskedPaths: paths.masked,
      readonlyPaths: paths.readonly,
    },
  };
}

function tmpfsOptions(given: string[]): string[] {
  const out = ['rw', 'nosuid', 'nodev', ...given.filter((o) => o !== 'notmpcopyup' && o !== 'tmpcopyup')];
  if (!given.includes('notmpcopyup')) out.push('tmpcopyup');
  return out;
}

/** The capabilities a container's process gets (also what inspect shows). */
export function containerCaps(c: Pick<ContainerRecord['config'], 'privileged' | 'capAdd' | 'capDrop'>): string[] {
  return c.privileged ? boundingCaps() : applyCapChanges(DEFAULT_CAPS, c.capAdd, c.capDrop);
}

/** Capability names by number (linux/capability.h), for reading a CapBnd mask. */
const CAP_BY_NUMBER = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
].map((n) => `CAP_${n}`);

/**
 * "All" capabilities means all this process may grant (its bounding set), as
 * Podman does for --privileged: runc refuses a cap outside it ("unable to apply
 * caps"), and a sandbox (or an outer container) may lack some, e.g. CAP_SYS_RESOURCE.
 */
export function boundingCaps(status = readProcStatus()): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return ALL_CAPS;
  const mask = BigInt(`0x${m[1]}`);
  return CAP_BY_NUMBER.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

function readProcStatus(): string {
  try {
    return fs.readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

function applyCapChanges(base: string[], add: string[], drop: string[]): string[] {
  const norm = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);
  const dropAll = drop.some((d) => d.toLowerCase() === 'all');
  const set = new Set(dropAll ? [] : base.filter((c) => !drop.map(norm).includes(c)));
  for (const a of add) {
    if (a.toLowerCase() === 'all') boundingCaps().forEach((c) => set.add(c));
    else set.add(norm(a));
  }
  return [...set];
}

/**
 * uid[:gid] or names looked up in the container's /etc/passwd and /etc/group,
 * read through the in-root resolver: a symlink stays inside the rootfs, a
 * FIFO or device is refused, the size is bounded.
 */
/**
 * As Podman: a --workdir is not created in the root file system; it must exist
 * there (looked up inside the root by the kernel), or be a mount, lie under one, or hold one.
 */
function checkWorkdir(rootfs: string, workdir: string, mountDestinations: string[], id: string): void {
  const wd = path.posix.normalize(workdir).replace(/(.)\/$/, '$1');
  const within = (a: string, b: string) => a === b || a.startsWith(b === '/' ? '/' : `${b}/`);
  // a mount there or above it, or one below it (the runtime creates the directories leading to a mount point)
  if (mountDestinations.map((d) => path.posix.normalize(d).replace(/(.)\/$/, '$1')).some((d) => within(wd, d) || within(d, wd))) return;
  const found = withRoot(rootfs, (root) => {
    const fd = root.resolveIfExists(wd, true);
    if (fd === undefined) return false;
    fs.closeSync(fd);
    return true;
  });
  if (!found) throw new EngineError('cmd-cannot-invoke', `workdir "${workdir}" does not exist on container ${id}`);
}

export function resolveUser(rootfs: string, spec: string): { uid: number; gid: number; additionalGids?: number[] } {
  if (!spec) return { uid: 0, gid: 0 };
  return withRoot(rootfs, (root) => {
    const [u, g] = spec.split(':');
    let uid: number;
    let gid = 0;
    if (/^\d+$/.test(u)) {
      uid = Number(u);
      const entry = readDbOrEmpty(root, '/etc/passwd').find((p) => p[2] === u);
      if (entry) gid = Number(entry[3]);
    } else {
      const entry = readDb(root, '/etc/passwd').find((p) => p[0] === u);
      if (!entry) throw invalidArgument(`unable to find user ${u}: no matching entries in passwd file`);
      uid = Number(entry[2]);
      gid = Number(entry[3]);
    }
    if (g !== undefined) {
      if (/^\d+$/.test(g)) gid = Number(g);
      else {
        const entry = readDb(root, '/etc/group').find((e) => e[0] === g);
        if (!entry) throw invalidArgument(`unable to find group ${g}: no matching entries in group file`);
        gid = Number(entry[2]);
      }
    }
    return { uid, gid };
  });
}

/** The entries of a passwd-style file in the container ([] when it is missing). */
function readDb(root: InRoot, file: string): string[][] {
  let text: string;
  try {
    text = root.readRegularFile(file)?.toString('utf8') ?? '';
  } catch (err) {
    if (err instanceof EngineError) throw invalidArgument(`unable to read ${file}: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'ELOOP') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** readDb for an optional lookup (a numeric user's group): an unreadable file counts as none. */
function readDbOrEmpty(root: InRoot, file: string): string[][] {
  try {
    return readDb(root, file);
  } catch {
    return [];
  }
}

/** --read-only-tmpfs (Podman's default with --read-only): where programs expect to write. */
function readOnlyTmpfsMounts(taken: string[]): Mount[] {
  const have = new Set(taken.map((d) => path.posix.normalize(d).replace(/\/$/, '') || '/'));
  return ['/tmp', '/var/tmp', '/run']
    .filter((d) => !have.has(d))
    .map((destination) => ({ destination, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] }));
}
