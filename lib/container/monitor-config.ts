// What the engine tells a tspod-conmon process when it starts one.

export interface MonitorConfig {
  id: string;
  bundle: string; // runtime bundle; the monitor's cwd, where it binds `attach`
  runroot: string;
  runtime: string; // runtime name or path for tspod-runtime --runtime ('' = detect)
  runtimeStateRoot: string;
  /** --runtime-flag: the runtime's global options ("--"-prefixed), before its command */
  runtimeFlags?: string[];
  runtimeScript: string; // dist/tspod-runtime.js
  pidFile: string;
  runtimeLog: string;
  /** The runtime creates the cgroup through systemd (--systemd-cgroup; later calls read it from the runtime's state). */
  systemdCgroup?: boolean;
  exitFile: string;
  logPath: string; // k8s-file log ('' for passthrough/none)
  logDriver: 'k8s-file' | 'passthrough' | 'none';
  stdin: boolean;
  /** The container has a terminal (-t): its pty master comes over the console socket. */
  tty?: boolean;
  /** Inherited fds 3..3+fdCount-1 handed to the container. */
  fdCount: number;
  /** Whether those fds are activated sockets (forwarded with LISTEN_*), else --preserve-fds. */
  listen: boolean;
  listenFdNames?: string;
  syncFd: number; // where the monitor reports {pid} or {error}
  /** Bound in the bundle for sdnotify=container; datagrams forwarded to this host socket. */
  notifySocket: string;
  exitCommand: string[];
  /** the environment of the exit command and the health checks (the CLI's configuration variables) */
  commandEnv: Record<string, string>;
  /** the container's health check: the command to run every intervalMs while it runs */
  healthcheck?: { command: string[]; intervalMs: number };
  /** run --timeout: seconds after which the container is killed (its exit code is then -1, as Podman's) */
  timeout?: number;
  /** --log-opt max-size: bytes the k8s-file log may hold before it is truncated, as conmon's --log-size-max */
  logSizeMax?: number;
}

export interface MonitorReport {
  pid?: number;
  error?: string;
}
