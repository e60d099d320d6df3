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
  resources?: {
    devices?: { allow: boolean; type?: string; major?: number; minor?: number; access?: string }[];
    memory?: { limit?: number };
    pids?: { limit: number };
  };
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: string;
}
