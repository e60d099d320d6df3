// The options every tspod command takes (before or after the command name);
// main.ts parses them, help, completion and the man pages list them.
import type { FlagDef } from './parse';

export const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'root', type: 'string', help: 'Path to the root directory in which data, including images, is stored' },
  { name: 'runroot', type: 'string', help: "Path to the 'run directory' where all state information is stored" },
  { name: 'volumepath', type: 'string', help: 'Path to the volume directory in which volume data is stored' },
  { name: 'runtime', type: 'string', help: 'Path to the OCI-compatible binary used to run containers' },
  { name: 'runtime-flag', type: 'array', help: 'Add global flags for the container runtime' },
  { name: 'log-level', type: 'string', help: 'Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic)' },
  { name: 'debug', short: 'D', type: 'bool', help: 'Docker compatibility, same as --log-level=debug' },
  { name: 'noout', type: 'bool', help: 'Do not print to stdout' },
  { name: 'storage-opt', type: 'array', help: "Storage driver options ('' for none; tspod's overlay driver takes none)" },
  { name: 'cgroup-manager', type: 'string', help: 'Cgroup manager to use ("cgroupfs"|"systemd")' },
  { name: 'events-backend', type: 'string', hidden: true },
  { name: 'storage-driver', type: 'string', hidden: true },
  { name: 'remote', short: 'r', type: 'bool', help: 'Access remote tspod service' },
  { name: 'url', type: 'string', help: 'URL to access the tspod service (unix:///path, tcp://host:port; default CONTAINER_HOST)' },
  { name: 'connection', short: 'c', type: 'string', help: 'Connection to use for remote tspod service (system connection ls; default CONTAINER_CONNECTION)' },
  { name: 'identity', type: 'string', help: 'path to SSH identity file (default CONTAINER_SSHKEY)' },
  { name: 'help', type: 'bool', help: 'Help for tspod' },
  { name: 'version', short: 'v', type: 'bool', help: 'Version of tspod' },
];
