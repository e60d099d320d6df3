// systemd socket activation (sd_listen_fds(3)): fds 3..3+N-1 are ours only when
// LISTEN_PID names this very process. Each hop of tspod forwards them by
// position and rewrites LISTEN_PID for the next process.

export const SD_LISTEN_FDS_START = 3;

export interface ListenFds {
  count: number;
  names: string | undefined; // LISTEN_FDNAMES, kept verbatim
}

/** The activated sockets meant for `pid`, or undefined. Never trusts a LISTEN_PID of another process. */
export function listenFdsFor(env: NodeJS.ProcessEnv, pid: number): ListenFds | undefined {
  if (env.LISTEN_PID === undefined || env.LISTEN_FDS === undefined) return undefined;
  if (!/^\d+$/.test(env.LISTEN_PID) || Number(env.LISTEN_PID) !== pid) return undefined;
  if (!/^\d+$/.test(env.LISTEN_FDS)) return undefined;
  const count = Number(env.LISTEN_FDS);
  if (count < 1) return undefined;
  return { count, names: env.LISTEN_FDNAMES };
}

/** Removes the activation variables, as sd_listen_fds(unset_environment=1) does. */
export function withoutListenEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.LISTEN_PID;
  delete out.LISTEN_FDS;
  delete out.LISTEN_FDNAMES;
  return out;
}

/** fd numbers 3..3+count-1 */
export const listenFdNumbers = (count: number): number[] =>
  Array.from({ length: count }, (_, i) => SD_LISTEN_FDS_START + i);

/**
 * The command that starts `argv` so that LISTEN_PID equals the new process's pid:
 * the pid is only known after fork, so a shell sets it to its own `$$` and execs,
 * which keeps the pid.
 */
export function execWithOwnListenPid(argv: string[]): string[] {
  return ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh', ...argv];
}
