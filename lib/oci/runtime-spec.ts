// The part of the OCI runtime spec (v1.1, config-schema.json in
// shared/reference/oci-runtime-spec-schema) that tspod writes. Our own types:
// there is no npm package for them.

export interface Spec {
  ociVersion: string;
  hostname?: string;
  annotations?: Record<string, string>;
  mounts?: Mount[];
  root?: { path: string; readonly?: boolean };
  process?: Process;
  linux?: Linux;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[]; username?: string };
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities?: {
    bounding?: string[];
    permitted?: string[];
    effective?: string[];
    inheritable?: string[];
    ambient?: string[];
  };
  rlimits?: { type: string; hard: number; soft: number }[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Namespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';
  path?: string;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: { containerID: number; hostID: number; size: number }[];
  gidMappings?: { containerID: number; hostID: number; size: number }[];
  devices?: Device[];
  resources?: Resources;
  cgroupsPath?: string;
  seccomp?: Seccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: string;
}

export interface DeviceCgroup {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access?: string;
}

export interface Device {
  path: string;
  type: 'b' | 'c' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** Written in cgroup v1 terms; runc and crun translate them for cgroup v2. */
export interface Resources {
  devices?: DeviceCgroup[];
  memory?: { limit?: number; reservation?: number; swap?: number; disableOOMKiller?: boolean; swappiness?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: { weight?: number };
}

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY';

export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ' }[];
}

export interface Seccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}
