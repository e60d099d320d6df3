// What the state database holds: one record per container and per image.

export type ContainerStatus = 'created' | 'running' | 'stopped' | 'exited' | 'removing';

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  destination: string;
  options: string[];
  rw: boolean;
}

/** Everything `create` decided; the OCI spec is generated from this at each start. */
export interface ContainerConfig {
  image: string; // the name the user gave
  entrypoint: string[];
  /** --entrypoint was given (even empty): the image's CMD is then dropped, as Docker does */
  entrypointSet: boolean;
  cmd: string[];
  env: string[];
  workdir: string;
  user: string;
  hostname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: MountSpec[];
  network: 'none' | 'host' | 'private';
  stopSignal: number;
  stopTimeout: number;
  autoRemove: boolean;
  tty: boolean;
  stdin: boolean;
  logDriver: 'k8s-file' | 'passthrough' | 'none';
  sdnotify: 'container' | 'conmon' | 'ignore';
  sdNotifySocket: string;
  preserveFds: number;
  privileged: boolean;
  readOnly: boolean;
  systemd: 'true' | 'false' | 'always';
  capAdd: string[];
  capDrop: string[];
  init: boolean;
  restartPolicy: string;
  createCommand: string[];
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  conmonPid: number;
  exitCode: number;
  startedAt: string; // ISO, '' when never started
  finishedAt: string;
  error: string;
  restartCount: number;
  mounted: boolean;
  /** Names the current run; a monitor's cleanup acts only on its own run. */
  runId?: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  imageId: string;
  imageName: string;
  config: ContainerConfig;
  state: ContainerState;
}

export interface ImageRecord {
  id: string; // sha256 hex of the image config, no prefix
  names: string[]; // fully qualified references, e.g. localhost/echo:latest
  digest: string; // manifest digest, sha256:...
  layers: string[]; // diff ids (sha256:...), bottom first
  created: string;
  size: number;
}

export interface Database {
  version: 1;
  containers: Record<string, ContainerRecord>;
  images: Record<string, ImageRecord>;
}

export const emptyDatabase = (): Database => ({ version: 1, containers: {}, images: {} });
