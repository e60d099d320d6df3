// Seccomp profiles in the containers-common format (/usr/share/containers/seccomp.json,
// the file Podman and Docker read) translated into the OCI spec's linux.seccomp,
// as containers/common does for Podman: the architectures of this machine, and
// only the rules whose includes/excludes (capabilities, architectures, kernel
// version) match this container. The runtime compiles the result at each start.
//
// Unlike runc, which skips syscall names it does not know, a profile naming an
// unknown syscall, action, operator, architecture or flag is refused before the
// container starts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { EngineError } from '../errors';
import type { Seccomp, SeccompSyscall } from './runtime-spec';
import bundledDefault from './seccomp-default.json';
import knownSyscallList from './seccomp-syscalls.json';

/** Where containers-common installs the default profile (Podman's seccomp_profile default). */
export const SECCOMP_DEFAULT_PATH = '/usr/share/containers/seccomp.json';

interface Filter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

interface ProfileArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

interface ProfileRule {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  errno?: string;
  args?: ProfileArg[] | null;
  includes?: Filter | null;
  excludes?: Filter | null;
}

/** containers-common's profile (a superset of the OCI section: archMap, includes, excludes). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  defaultErrno?: string;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: ProfileRule[] | null;
}

const ACTIONS = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPERATORS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const ARCHES = new Set([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
]);
const FLAGS = new Set(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);
const KNOWN_SYSCALLS = new Set<string>(knownSyscallList);

/** Node's arch → (the Go name profiles use in includes.arches, the libseccomp name). */
const NATIVE: Record<string, { go: string; scmp: string }> = {
  x64: { go: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  ia32: { go: '386', scmp: 'SCMP_ARCH_X86' },
  arm64: { go: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  arm: { go: 'arm', scmp: 'SCMP_ARCH_ARM' },
  ppc64: { go: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  s390x: { go: 's390x', scmp: 'SCMP_ARCH_S390X' },
  riscv64: { go: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
  mips64el: { go: 'mips64le', scmp: 'SCMP_ARCH_MIPSEL64' },
};

export interface SeccompTarget {
  /** the container's capabilities (its bounding set, as containers/common checks) */
  caps: string[];
  /** process.arch; defaults to this machine's */
  arch?: string;
  /** os.release() style; defaults to this machine's */
  kernel?: string;
}

/** The profile a container gets: an explicit path, else containers.conf's, else the installed default, else our copy. */
export function loadSeccompProfile(file: string | undefined): { profile: SeccompProfile; source: string } {
  if (!file) {
    if (!fs.existsSync(SECCOMP_DEFAULT_PATH)) return { profile: bundledDefault as SeccompProfile, source: 'built-in default' };
    file = SECCOMP_DEFAULT_PATH;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EngineError('invalid-argument', `opening seccomp profile failed: open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  return { profile: parseSeccompProfile(text, file), source: file };
}

/** Parses and checks a profile; every problem is a clear error naming the file. */
export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  const fail = (msg: string) => new EngineError('invalid-argument', `loading seccomp profile (${source}) failed: ${msg}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw fail(`decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw fail('decoding seccomp profile failed: not a JSON object');
  const p = raw as SeccompProfile;
  const checkAction = (a: unknown, where: string) => {
    if (typeof a !== 'string' || !ACTIONS.has(a)) throw fail(`${where}: unknown action ${JSON.stringify(a)}`);
  };
  checkAction(p.defaultAction, 'defaultAction');
  if (p.defaultErrnoRet != null && !isUint(p.defaultErrnoRet)) throw fail('defaultErrnoRet: must be a non-negative integer');
  for (const a of p.architectures ?? []) if (!ARCHES.has(a)) throw fail(`architectures: unknown architecture ${JSON.stringify(a)}`);
  for (const m of p.archMap ?? []) {
    for (const a of [m.architecture, ...(m.subArchitectures ?? [])]) if (!ARCHES.has(a)) throw fail(`archMap: unknown architecture ${JSON.stringify(a)}`);
  }
  for (const f of p.flags ?? []) if (!FLAGS.has(f)) throw fail(`flags: unknown flag ${JSON.stringify(f)}`);
  if (p.syscalls != null && !Array.isArray(p.syscalls)) throw fail('syscalls: must be an array');
  (p.syscalls ?? []).forEach((rule, i) => {
    const where = `syscalls[${i}]`;
    if (!rule || typeof rule !== 'object') throw fail(`${where}: must be an object`);
    if (rule.name && rule.names?.length) throw fail(`${where}: 'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'`);
    const names = rule.name ? [rule.name] : (rule.names ?? []);
    if (!Array.isArray(names) || names.length === 0) throw fail(`${where}: no syscall names`);
    for (const n of names) if (typeof n !== 'string' || !KNOWN_SYSCALLS.has(n)) throw fail(`${where}: unknown syscall ${JSON.stringify(n)}`);
    checkAction(rule.action, where);
    if (rule.errnoRet != null && !isUint(rule.errnoRet)) throw fail(`${where}: errnoRet must be a non-negative integer`);
    if (rule.errno !== undefined && rule.errno !== '' && errnoNumber(rule.errno) === undefined) throw fail(`${where}: unknown errno ${JSON.stringify(rule.errno)}`);
    for (const a of rule.args ?? []) {
      if (!a || !isUint(a.index) || a.index > 5) throw fail(`${where}: argument index must be 0 to 5`);
      if (!isUint(a.value) || (a.valueTwo !== undefined && !isUint(a.valueTwo))) throw fail(`${where}: argument values must be non-negative integers`);
      if (!OPERATORS.has(a.op)) throw fail(`${where}: unknown operator ${JSON.stringify(a.op)}`);
    }
    for (const f of [rule.includes, rule.excludes]) {
      if (f?.minKernel && !/^\d+\.\d+/.test(f.minKernel)) throw fail(`${where}: invalid minKernel ${JSON.stringify(f.minKernel)}`);
    }
  });
  return p;
}

/** The OCI linux.seccomp section for a container with these capabilities on this machine. */
export function seccompSection(profile: SeccompProfile, target: SeccompTarget): Seccomp {
  const native = NATIVE[target.arch ?? process.arch];
  const kernel = target.kernel ?? os.release();
  const caps = new Set(target.caps);
  const out: Seccomp = { defaultAction: profile.defaultAction as Seccomp['defaultAction'] };
  const defaultErrno = profile.defaultErrnoRet ?? (profile.defaultErrno ? errnoNumber(profile.defaultErrno) : undefined);
  if (defaultErrno != null) out.defaultErrnoRet = defaultErrno;
  const arches = [...(profile.architectures ?? [])];
  const mapped = native && profile.archMap?.find((m) => m.architecture === native.scmp);
  if (mapped) arches.push(mapped.architecture, ...(mapped.subArchitectures ?? []));
  if (arches.length) out.architectures = [...new Set(arches)] as Seccomp['architectures'];
  if (profile.flags?.length) out.flags = profile.flags as Seccomp['flags'];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const syscalls: SeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule, native?.go, caps, kernel)) continue;
    const call: SeccompSyscall = { names: rule.name ? [rule.name] : [...(rule.names ?? [])], action: rule.action as SeccompSyscall['action'] };
    const errno = rule.errnoRet ?? (rule.errno ? errnoNumber(rule.errno) : undefined);
    if (errno != null) call.errnoRet = errno;
    if (rule.args?.length)
      call.args = rule.args.map((a) => ({ index: a.index, value: a.value, ...(a.valueTwo ? { valueTwo: a.valueTwo } : {}), op: a.op as NonNullable<SeccompSyscall['args']>[number]['op'] }));
    syscalls.push(call);
  }
  out.syscalls = syscalls;
  return out;
}

/** containers/common's order: any exclude that matches drops the rule, then every include must match. */
function ruleApplies(rule: ProfileRule, goArch: string | undefined, caps: Set<string>, kernel: string): boolean {
  const ex = rule.excludes ?? {};
  if (ex.arches?.length && goArch && ex.arches.includes(goArch)) return false;
  if (ex.caps?.length && ex.caps.some((c) => caps.has(c))) return false;
  if (ex.minKernel && kernelAtLeast(kernel, ex.minKernel)) return false;
  const inc = rule.includes ?? {};
  if (inc.arches?.length && (!goArch || !inc.arches.includes(goArch))) return false;
  if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
  if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  return true;
}

/** "6.1.0-13-amd64" >= "4.8": major, then minor. */
export function kernelAtLeast(release: string, min: string): boolean {
  const [a, b] = release.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const [c, d] = min.split('.').map((x) => Number.parseInt(x, 10));
  return a !== c ? a > c : (b || 0) >= (d || 0);
}

function errnoNumber(name: string): number | undefined {
  return (os.constants.errno as Record<string, number>)[name];
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
