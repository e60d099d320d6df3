// Resource limits: the flags' values checked as Podman checks them, and their
// translation into the OCI spec (linux.resources in cgroup v1 terms, which runc
// and crun also translate for cgroup v2; rlimits; devices).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DeviceMapping, ResourceConfig } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { loadContainersConf } from '../config/containers-conf';
import { cgroupSupport, type CgroupSupport } from './cgroups';
import type { Device, DeviceCgroup, Resources } from './runtime-spec';

const MIN_MEMORY = 6 * 1024 * 1024;
/** --cpus becomes a CFS quota over this period, as in Podman. */
export const CPU_PERIOD = 100_000;

/** Docker's RAMInBytes: "512m", "1g", "1024" (bytes), binary units; -1 where unlimited is allowed. */
export function parseMemory(value: string, flag: string, allowUnlimited = false): number {
  if (allowUnlimited && value === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp])?b?$/i.exec(value.trim());
  if (!m) throw invalidArgument(`invalid value "${value}" for --${flag}: invalid size: '${value}'`);
  const mult = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? 'b').toLowerCase()] as number;
  return Math.floor(Number(m[1]) * mult);
}

/** --memory-swappiness as Podman takes it: a negative value means the kernel's default. */
export function swappiness(value: number | undefined): number | undefined {
  return value === undefined || value < 0 ? undefined : value;
}

export function parseCpus(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw invalidArgument(`invalid argument "${value}" for "--cpus" flag: strconv.ParseFloat: parsing "${value}": invalid syntax`);
  return Math.round(Number(value) * 1e9);
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const RLIMITS = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

/** `--ulimit name=soft[:hard]` (-1 = unlimited). */
export function parseUlimit(spec: string): string {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m || !RLIMITS.includes(m[1])) throw invalidArgument(`invalid ulimit "${spec}": must be name=soft[:hard] with name one of ${RLIMITS.join(', ')}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft !== -1 && hard !== -1 && soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return spec;
}

/** `--device /dev/x[:/dev/y][:rwm]`: the host path must be a device node. */
export function parseDevice(spec: string): DeviceMapping {
  const parts = spec.split(':');
  let perms = 'rwm';
  if (parts.length > 1 && /^[rwm]+$/.test(parts[parts.length - 1])) perms = parts.pop() as string;
  if (parts.length > 2 || !parts[0]) throw invalidArgument(`invalid device specification: ${spec}`);
  const [host, ctr = parts[0]] = parts;
  for (const p of [host, ctr]) if (!path.isAbsolute(p) || path.normalize(p) !== p) throw invalidArgument(`invalid device path "${p}": must be a clean absolute path`);
  let st: fs.Stats;
  try {
    st = fs.statSync(host);
  } catch {
    throw invalidArgument(`stat ${host}: no such file or directory`);
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw invalidArgument(`${host} is not a device`);
  return { pathOnHost: host, pathInContainer: ctr, permissions: perms };
}

/** `--device-cgroup-rule 'c 1:3 mr'`, `'a *:* rwm'`, `'c 7 rw'` (no minor: any), with Podman's messages. */
export function parseDeviceCgroupRule(rule: string): DeviceCgroup {
  const fields = rule.trim().split(/\s+/);
  if (fields.length !== 3) throw new EngineError('invalid-argument', `invalid device cgroup rule requires type, major:Minor, and access rules: ${JSON.stringify(rule)}`);
  const [type, numbers, access] = fields;
  if (!['a', 'b', 'c'].includes(type)) throw new EngineError('invalid-argument', `invalid device type in device-access-add: ${type}`);
  const num = (v: string | undefined) => {
    if (v === undefined || v === '*') return undefined;
    if (!/^\d+$/.test(v)) throw new EngineError('invalid-argument', `strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  };
  const [major, minor] = numbers.split(':');
  for (const ch of access) if (!'rwm'.includes(ch)) throw new EngineError('invalid-argument', `invalid device access in device-access-add: ${ch}`);
  return { allow: true, type: type as DeviceCgroup['type'], major: num(major), minor: num(minor), access };
}

/** Podman's checks of the combination; every message is Podman's. */
export function checkResources(r: ResourceConfig): void {
  const mem = r.memory ?? 0;
  if (mem < 0) throw invalidArgument('invalid memory limit');
  if (mem > 0 && mem < MIN_MEMORY) throw invalidArgument('minimum memory limit allowed is 6MB');
  if (r.memorySwap && r.memorySwap !== -1) {
    if (!mem) throw invalidArgument('you should always set the Memory limit when using Memoryswap limit, see usage');
    if (r.memorySwap < mem) throw invalidArgument('minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.memorySwappiness !== undefined && r.memorySwappiness > 100) throw new EngineError('invalid-argument', `invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
  if (mem && r.memoryReservation && r.memoryReservation > mem) throw invalidArgument('minimum memory limit can not be less than memory reservation limit, see usage');
  if (r.oomScoreAdj !== undefined && (r.oomScoreAdj < -1000 || r.oomScoreAdj > 1000)) throw invalidArgument(`oom_score_adj must be between -1000 and 1000: ${r.oomScoreAdj}`);
  if (r.nanoCpus) {
    if (r.cpuPeriod || r.cpuQuota) throw invalidArgument('--cpu-period and --cpu-quota cannot be set with --cpus');
    const ncpu = os.availableParallelism();
    if (r.nanoCpus < 0 || r.nanoCpus > ncpu * 1e9) throw invalidArgument(`range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  }
  if (r.cpuPeriod && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (r.cpuQuota && r.cpuQuota > 0 && r.cpuQuota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (r.cpuShares !== undefined && r.cpuShares < 0) throw invalidArgument('invalid CPU shares');
  for (const [flag, v] of [['cpuset-cpus', r.cpusetCpus], ['cpuset-mems', r.cpusetMems]] as const)
    if (v && !CPU_LIST.test(v)) throw invalidArgument(`invalid --${flag} "${v}": must be a list such as 0-2,4`);
  if (r.blkioWeight && (r.blkioWeight < 10 || r.blkioWeight > 1000)) throw invalidArgument('range of blkio weight is from 10 to 1000');
  for (const u of r.ulimits ?? []) parseUlimit(u);
}

/** Podman's warnings for limits this kernel cannot apply (they are then dropped). */
export function resourceWarnings(r: ResourceConfig, support: CgroupSupport): string[] {
  const out: string[] = [];
  if (r.memorySwap && r.memorySwap !== -1 && !support.swap) out.push('Your kernel does not support swap limit capabilities,or the cgroup is not mounted. Memory limited without swap.');
  if (r.blkioWeight && !support.blkioWeight) out.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
  if (r.memorySwappiness !== undefined && !support.swappiness) out.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
  if (r.oomKillDisable && !support.oomKillDisable) out.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  if (r.oomKillDisable && !r.memory) out.push('Disabling the OOM killer on containers without setting a \'-m/--memory\' limit may be dangerous.');
  for (const u of r.ulimits ?? []) {
    const c = clampUlimit(u);
    if (c.clamped) out.push(`ulimit ${u} is above this process's hard limit: lowered to ${c.soft}:${c.hard}`);
  }
  return out;
}

/** The warnings a create gets for its limits on this host: printed by the CLI, the `Warnings` of the APIs' create. */
export function createWarnings(r: ResourceConfig | undefined): string[] {
  return r ? resourceWarnings(r, cgroupSupport()) : [];
}

/** Swap as Podman sets it: memory + swap twice the memory when only --memory is given. */
export function effectiveSwap(r: ResourceConfig, support: CgroupSupport): number | undefined {
  if (!r.memory || !support.swap) return undefined;
  if (r.memorySwap) return r.memorySwap;
  return 2 * r.memory;
}

export function effectivePidsLimit(r: ResourceConfig | undefined): number {
  return r?.pidsLimit ?? loadContainersConf().pidsLimit;
}

/** linux.resources (without the device rules, which generate.ts owns). */
export function ociResources(r: ResourceConfig | undefined, support: CgroupSupport): Omit<Resources, 'devices'> {
  const out: Omit<Resources, 'devices'> = {};
  const pids = effectivePidsLimit(r);
  if (pids > 0) out.pids = { limit: pids };
  if (!r) return out;
  const memory: NonNullable<Resources['memory']> = {};
  if (r.memory) memory.limit = r.memory;
  if (r.memoryReservation) memory.reservation = r.memoryReservation;
  const swap = effectiveSwap(r, support);
  if (swap !== undefined) memory.swap = swap;
  if (r.oomKillDisable && support.oomKillDisable) memory.disableOOMKiller = true;
  if (r.memorySwappiness !== undefined && support.swappiness) memory.swappiness = r.memorySwappiness;
  if (Object.keys(memory).length) out.memory = memory;
  const cpu: NonNullable<Resources['cpu']> = {};
  if (r.nanoCpus) {
    cpu.period = CPU_PERIOD;
    cpu.quota = Math.round((r.nanoCpus * CPU_PERIOD) / 1e9);
  }
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.blkioWeight && support.blkioWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}

/** --device: the nodes to create and the cgroup rules that allow them. */
export function ociDevices(devices: DeviceMapping[]): { devices: Device[]; rules: DeviceCgroup[] } {
  const out = { devices: [] as Device[], rules: [] as DeviceCgroup[] };
  for (const d of devices) {
    const st = fs.statSync(d.pathOnHost);
    const type = st.isBlockDevice() ? 'b' : 'c';
    // glibc's major()/minor()
    const rdev = BigInt(st.rdev);
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n));
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n));
    out.devices.push({ path: d.pathInContainer, type, major, minor, fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid });
    out.rules.push({ allow: true, type, major, minor, access: d.permissions });
  }
  return out;
}

const unlimited = (v: number) => (v < 0 ? Number.MAX_SAFE_INTEGER : v);

function clampUlimit(spec: string): { type: string; soft: number; hard: number; clamped: boolean } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec) as RegExpExecArray;
  let soft = unlimited(Number(m[2]));
  let hard = m[3] === undefined ? soft : unlimited(Number(m[3]));
  const cur = currentLimits().get(m[1]);
  let clamped = false;
  if (cur && hard > cur.hard) {
    hard = cur.hard;
    clamped = true;
  }
  if (soft > hard) {
    soft = hard;
    clamped = true;
  }
  return { type: m[1], soft, hard, clamped };
}

/**
 * process.rlimits: containers.conf default_ulimits overridden by --ulimit, each
 * clamped to this process's hard limit (the kernel here refuses to raise one).
 */
export function ociRlimits(ulimits: string[] = []): { type: string; hard: number; soft: number }[] {
  const byType = new Map<string, string>();
  for (const u of [...loadContainersConf().defaultUlimits, ...ulimits]) {
    const m = /^([a-z]+)=/.exec(u);
    if (m && /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.test(u)) byType.set(m[1], u);
  }
  return [...byType.values()].map((u) => {
    const c = clampUlimit(u);
    return { type: `RLIMIT_${c.type.toUpperCase()}`, soft: c.soft, hard: c.hard };
  });
}

/** /proc/self/limits names → rlimit names. */
const LIMIT_LABELS: Record<string, string> = {
  'Max cpu time': 'cpu', 'Max file size': 'fsize', 'Max data size': 'data', 'Max stack size': 'stack',
  'Max core file size': 'core', 'Max resident set': 'rss', 'Max processes': 'nproc', 'Max open files': 'nofile',
  'Max locked memory': 'memlock', 'Max address space': 'as', 'Max file locks': 'locks', 'Max pending signals': 'sigpending',
  'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice', 'Max realtime priority': 'rtprio', 'Max realtime timeout': 'rttime',
};

function currentLimits(): Map<string, { soft: number; hard: number }> {
  const out = new Map<string, { soft: number; hard: number }>();
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    for (const [label, name] of Object.entries(LIMIT_LABELS)) {
      if (!line.startsWith(label)) continue;
      const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
      const num = (v: string) => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));
      out.set(name, { soft: num(soft), hard: num(hard) });
    }
  }
  return out;
}
