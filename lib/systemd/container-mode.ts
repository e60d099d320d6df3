// `--systemd=true|false|always`: what a container needs so that systemd (or
// another init) can run as its PID 1, set up the way Podman does it
// (libpod's setupSystemd): tmpfs on /run, /run/lock, /tmp and /var/log/journal,
// `container_uuid` for the machine id, SIGRTMIN+3 (systemd's "halt") as the
// stop signal, and (lib/oci/generate.ts) a writable cgroup tree in a cgroup
// namespace of its own.
//
// `container=tspod` (Podman sets container=podman) is in every container's
// environment; systemd only checks that `container` is set, and tools such as
// systemd-detect-virt print its value. With an empty /etc/machine-id, systemd
// takes the machine id from container_uuid (the first 32 hex digits of the id).
//
// The cgroup namespace is where tspod differs from Podman on cgroup v1, which
// binds the host's whole name=systemd hierarchy over the runtime's own mount of
// it: then a runtime nested in the container (tspod inside the booted system)
// resolves its new cgroup against the lower of the two stacked mounts, gets a
// path outside it ("stat /sys/fs/cgroup/tspod-<id>: no such file or directory")
// and fails to mount /sys/fs/cgroup. In a cgroup namespace every hierarchy is
// mounted once, rooted where /proc/self/cgroup says "/", on v1 and v2 alike.
import * as path from 'node:path';
import type { Mount } from '../oci/runtime-spec';

export type SystemdFlag = 'true' | 'false' | 'always';

/** systemd's halt request: what `tspod stop` sends to a systemd-mode container. */
export const SYSTEMD_STOP_SIGNAL = 37; // SIGRTMIN+3

const INIT_COMMANDS = new Set(['/sbin/init', '/usr/sbin/init', '/usr/local/sbin/init']);

/**
 * Podman's rule: `always`, or `true` when the command is an init: /sbin/init,
 * /usr/sbin/init, /usr/local/sbin/init or any path named systemd (looked for
 * after a leading `/bin/sh -c`, as a build's RUN/CMD shell form adds it).
 */
export function isSystemdMode(flag: SystemdFlag, command: string[]): boolean {
  if (flag === 'always') return true;
  if (flag === 'false' || command.length === 0) return false;
  const cmd = command.length > 2 && command[0] === '/bin/sh' && command[1] === '-c' ? command.slice(2) : command;
  return INIT_COMMANDS.has(cmd[0]) || path.basename(cmd[0]) === 'systemd';
}

/** The tmpfs mounts of systemd mode, skipping destinations the user mounts something on. */
export function systemdTmpfsMounts(userDestinations: string[]): Mount[] {
  const taken = new Set(userDestinations.map((d) => path.posix.normalize(d).replace(/\/$/, '') || '/'));
  const options = ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'];
  const out: Mount[] = [];
  for (const dest of ['/run', '/run/lock', '/tmp', '/var/log/journal']) {
    if (taken.has(dest)) continue;
    // /run and /run/lock hold sockets and pid files, not data: bounded like Podman's.
    const size = dest.startsWith('/run') ? ['size=65536k'] : [];
    out.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: [...options, ...size] });
  }
  return out;
}

/** Environment systemd reads in a container: `container` (set for every container) and `container_uuid`. */
export function systemdEnv(containerId: string): string[] {
  return [`container_uuid=${containerId.slice(0, 32)}`];
}

/**
 * The stop signal a new container gets when neither the user nor the image
 * chose one: SIGRTMIN+3 in systemd mode (SIGTERM would make systemd re-execute
 * itself, not stop), else SIGTERM. The command is resolved as `create` does.
 */
export function defaultStopSignal(
  flag: SystemdFlag,
  req: { entrypoint?: string[]; entrypointSet?: boolean; cmd: string[] },
  image: { Entrypoint?: string[] | null; Cmd?: string[] | null },
): number {
  const entrypoint = req.entrypoint?.length || req.entrypointSet ? (req.entrypoint ?? []) : (image.Entrypoint ?? []);
  const cmd = req.cmd.length ? req.cmd : req.entrypointSet ? [] : (image.Cmd ?? []);
  return isSystemdMode(flag, [...entrypoint, ...cmd]) ? SYSTEMD_STOP_SIGNAL : 15;
}
