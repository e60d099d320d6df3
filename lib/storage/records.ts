// What the state database holds: one record per container and per image.
import type { HealthConfig, HealthOnFailure } from '../container/healthcheck';
import type { AutoUsernsOptions } from '../container/auto-userns';

export type ContainerStatus = 'created' | 'running' | 'stopped' | 'exited' | 'removing';

export interface MountSpec {
  /** image: --mount type=image (lib/container/image-volumes.ts), source as given */
  type: 'bind' | 'volume' | 'tmpfs' | 'image';
  source: string;
  destination: string;
  options: string[];
  rw: boolean;
  /** type image: the image's id, resolved at create */
  imageId?: string;
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
  /** none, host, private (loopback only), bridge (the networks below) or container:<id> */
  network: NetworkMode;
  /** --uidmap/--gidmap, --userns=keep-id: the container's own user namespace (lib/container/idmap.ts) */
  idMappings?: { uidMap: IdMapping[]; gidMap: IdMapping[]; keepId?: { uid: number; gid: number }; auto?: AutoUsernsOptions };
  /** slirp4netns/pasta: the options given after the colon, checked (lib/network/usermode.ts) */
  networkOptions?: string[];
  /** bridge mode: the networks joined, by name, with this container's aliases and static IP (lib/network) */
  networks?: Record<string, EndpointConfig>;
  /** -p/-P: published ports, host ports already chosen */
  ports?: PortMapping[];
  /** --expose and the image's EXPOSE, e.g. "8080/tcp" */
  exposedPorts?: string[];
  /** -P: every exposed port was published on a host port */
  publishAll?: boolean;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host host:ip */
  addHosts?: string[];
  stopSignal: number;
  stopTimeout: number;
  autoRemove: boolean;
  tty: boolean;
  stdin: boolean;
  logDriver: 'k8s-file' | 'passthrough' | 'none';
  sdnotify: 'container' | 'conmon' | 'ignore';
  sdNotifySocket: string;
  preserveFds: number;
  /** --listen: addresses the listener holds for the container (scale to zero, lib/activation/listen.ts) */
  listen?: string[];
  /** --idle-timeout: seconds without a connection before a --listen container is stopped (0: never) */
  idleTimeout?: number;
  privileged: boolean;
  readOnly: boolean;
  /** --pid=host: the host's pid namespace (absent: the container's own) */
  pidMode?: 'host';
  systemd: 'true' | 'false' | 'always';
  capAdd: string[];
  capDrop: string[];
  init: boolean;
  restartPolicy: string;
  /** Who creates the container's cgroup: absent = cgroupfs (a path under /tspod), systemd = a transient scope */
  cgroupManager?: 'systemd';
  /** --runtime as given at create (a name or a full path): inspect's OCIRuntime, and the runtime its runs use */
  ociRuntime?: string;
  createCommand: string[];
  /** --security-opt and related confinement choices (lib/oci/security-options.ts) */
  security?: SecurityConfig;
  /** cgroup limits, rlimits and devices (lib/oci/resources.ts) */
  resources?: ResourceConfig;
  /** --read-only-tmpfs: with --read-only, /tmp, /var/tmp and /run stay writable (default true) */
  readOnlyTmpfs?: boolean;
  /** --tz: a zone name under /usr/share/zoneinfo or `local` (lib/oci/timezone.ts) */
  timezone?: string;
  /** --conmon-pidfile: absolute path that receives the monitor's pid at each start */
  conmonPidFile?: string;
  /** --timeout: seconds the container may run before its monitor kills it (0/absent = no limit) */
  timeout?: number;
  /** --log-opt max-size: the k8s-file log is truncated when a record would take it past this many bytes */
  logSizeMax?: number;
  /** the id of the pod this container belongs to (lib/pod) */
  pod?: string;
  /** this container is its pod's infra container (it holds the shared namespaces) */
  isInfra?: boolean;
  /** the service container of pods made by kube play --service-container: it runs while they do */
  isService?: boolean;
  /** --secret, resolved to ids at create */
  secrets?: SecretRef[];
  /** --health-* or the image's HEALTHCHECK (lib/container/healthcheck.ts); absent: none */
  healthcheck?: HealthConfig;
  /** --health-on-failure (absent: none) */
  healthOnFailure?: HealthOnFailure;
  /** --rootfs: a directory on the host is the root filesystem (no image); overlay (`:O`) keeps it unchanged */
  rootfs?: { path: string; overlay: boolean };
}

export interface SecurityConfig {
  /** '' = the default profile, 'unconfined', or a profile file (checked at create) */
  seccompProfile: string;
  noNewPrivileges: boolean;
  /** '' = the default, 'unconfined' or a profile name */
  apparmorProfile: string;
  /** label=... options, recorded (no SELinux here) */
  labelOpts: string[];
  mask: string[];
  /** paths, or ALL */
  unmask: string[];
  procOpts: string[];
  /** the options as given, for inspect */
  securityOpt: string[];
}

export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  permissions: string;
}

/** Zero or absent means "not set", as in Docker's HostConfig. */
export interface ResourceConfig {
  memory?: number;
  memoryReservation?: number;
  /** memory + swap; -1 = unlimited swap */
  memorySwap?: number;
  oomKillDisable?: boolean;
  /** 0-100; absent = the kernel's default */
  memorySwappiness?: number;
  oomScoreAdj?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** absent = containers.conf pids_limit; <= 0 = unlimited */
  pidsLimit?: number;
  blkioWeight?: number;
  /** name=soft[:hard], e.g. nofile=1024:2048 */
  ulimits?: string[];
  devices?: DeviceMapping[];
  deviceCgroupRules?: string[];
}

export type NetworkMode = 'none' | 'host' | 'private' | 'bridge' | 'slirp4netns' | 'pasta' | `container:${string}`;

/** One range of a user namespace's map: container ids containerID.. are tspod's ids hostID.. */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface EndpointConfig {
  aliases: string[];
  /** --ip: a static address */
  ip?: string;
  /** --mac-address: the interface's MAC (else one derived from the address) */
  mac?: string;
}

export interface PortMapping {
  hostIp: string; // '' = every address
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** A container's live attachment to one network, while it runs (lib/network). */
export interface Endpoint {
  networkId: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  hostVeth: string;
  ifname: string; // inside the container: eth0, eth1...
}

/** A bridge network (lib/network); its bridge device and subnet are host-global. */
/** bridge: a host bridge with NAT; macvlan: devices on a host interface, on its LAN. (Podman's ipvlan needs a module this kernel lacks: not offered.) */
export type NetworkDriver = 'bridge' | 'macvlan';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriver;
  /** bridge: the host bridge's name; macvlan: the parent interface ('' = the default route's, found at each run) */
  bridge: string;
  subnet: string; // a.b.c.d/n
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string;
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
  /** The last exit came from `stop`/`kill`: restart policies leave the container down. */
  stoppedByUser?: boolean;
  /** `stop` sent the stop signal and waits for the exit (inspect: "stopping"); status stays 'running' */
  stopping?: boolean;
  /** `mount` calls not yet matched by `unmount` (Podman's mount counter): the rootfs stays mounted across runs */
  userMounts?: number;
  /** the run's processes are frozen (`pause`); status stays 'running' */
  paused?: boolean;
  /** `init` made the container in the runtime (pid and conmonPid are its); status stays created until started */
  initialized?: boolean;
  /** the kernel's OOM killer killed a process of the last run */
  oomKilled?: boolean;
  /** network name -> the endpoint set up for the current run (lib/network) */
  endpoints?: Record<string, Endpoint>;
  /** slirp4netns/pasta: the helper serving the current run's network (lib/network/usermode.ts) */
  userNet?: { pid: number; tool: 'slirp4netns' | 'pasta' };
  /** --listen: the listener process holding the sockets (tspod-conmon --listen) */
  listenerPid?: number;
  /** --listen: starts on a connection */
  activations?: number;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  imageId: string;
  imageName: string;
  /** the image's manifest digest at create (inspect's ImageDigest) */
  imageDigest?: string;
  config: ContainerConfig;
  state: ContainerState;
}

export interface ImageRecord {
  id: string; // sha256 hex of the image config, no prefix
  names: string[]; // fully qualified references, e.g. localhost/echo:latest
  /** every name the image had, the latest set first (containers/storage's NamesHistory) */
  namesHistory?: string[];
  digest: string; // manifest digest, sha256:...
  layers: string[]; // diff ids (sha256:...), bottom first
  created: string;
  size: number;
  /** a manifest list (lib/image/manifest-list.ts): no config or layers, images/<id>/list.json holds its instances */
  manifestList?: boolean;
}

/** A named or anonymous volume (lib/volume); its data lives in <root>/volumes/<name>/_data. */
export interface VolumeRecord {
  name: string;
  driver: 'local';
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string;
  /** made for one container (image VOLUME, `-v /path`): `rm -v` removes it with the container */
  anonymous: boolean;
  /** still empty: the first container to mount it copies the image's content in */
  needsCopyUp: boolean;
  /** false once a container has mounted it (Podman's NeedsChown: the first user's ownership is applied then) */
  needsChown?: boolean;
}

/** A pod (lib/pod): an infra container holding the shared namespaces, and the containers that join them. */
export interface PodRecord {
  id: string;
  name: string;
  created: string;
  labels: Record<string, string>;
  hostname: string;
  /** the infra container's id ('' with --infra=false) */
  infraId: string;
  /** namespaces the pod's containers share with the infra container: net, ipc, uts */
  share: string[];
  /** --exit-policy: 'stop' stops the infra when the last other container exits (absent: continue) */
  exitPolicy?: 'continue' | 'stop';
  createCommand: string[];
  /** kube play --service-container: the container that runs while the pod does (lib/kube) */
  serviceContainer?: string;
}

export interface Database {
  version: 1;
  containers: Record<string, ContainerRecord>;
  images: Record<string, ImageRecord>;
  volumes?: Record<string, VolumeRecord>;
  networks?: Record<string, NetworkRecord>;
  pods?: Record<string, PodRecord>;
  /** by id (lib/secret) */
  secrets?: Record<string, SecretRecord>;
}

export interface SecretRecord {
  id: string;
  name: string;
  driver: 'file';
  driverOptions: Record<string, string>;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

/** `--secret`: which secret the container gets, and how (lib/secret/container-secrets.ts). */
export interface SecretRef {
  id: string;
  name: string;
  type: 'mount' | 'env';
  /** mount: the path in the container; env: the variable's name */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

export const emptyDatabase = (): Database => ({ version: 1, containers: {}, images: {} });
