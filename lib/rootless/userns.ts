// Rootless mode's user namespace, as Podman builds it: container root (and
// tspod itself) is the user, ids 1..N map onto the user's subordinate range
// from /etc/subuid and /etc/subgid. Only the setuid newuidmap/newgidmap may
// write such maps, and a process cannot unshare a user namespace once it has
// threads (Node has several from the start). So util-linux unshare(1) builds
// the namespaces (user + mount) once, in a single-threaded process that a
// forked helper maps with newuidmap/newgidmap, and execs the pause process
// (lib/rootless/pause.ts) that keeps them. Each command then re-execs itself
// through nsenter(1) into them: exec keeps the pid (so LISTEN_PID still names
// us) and every inherited fd (so activated sockets cross unchanged).
// Layers extracted there keep their real ownership (a file of uid 1000 in the
// image is owned by subuid start + 999 on disk).
import * as fs from 'node:fs';
import { EngineError } from '../errors';
import { native } from '../native';
import { listenFdsFor, SD_LISTEN_FDS_START } from '../activation/listen-fds';
import { hostUid } from './identity';
import { SUBGID_FILE, SUBUID_FILE, subordinateRange, userName, type IdRange } from './subids';
import { userRuntimeDir } from './runtime-dir';
import { pauseProcess } from './pause';

const NSENTER = '/usr/bin/nsenter';
/** Set for the re-executed tspod: a second attempt would loop. */
const CONFIGURED_ENV = '_TSPOD_USERNS_CONFIGURED';

export interface UserNamespaceMaps {
  uids?: IdRange;
  gids?: IdRange;
}

/** The subordinate ranges of the current user; a missing one is a warning (single-id map), as in Podman. */
export function userNamespaceMaps(): UserNamespaceMaps {
  const uid = hostUid();
  const name = userName();
  const uids = subordinateRange(SUBUID_FILE, name, uid);
  const gids = subordinateRange(SUBGID_FILE, name, process.getgid?.() ?? uid);
  return { uids, gids: gids ?? subordinateRange(SUBGID_FILE, name, uid) };
}

/** The unshare(1) options that build the namespace for maps. */
export function unshareArgs(maps: UserNamespaceMaps): string[] {
  const args = ['--user', '--mount', '--propagation', 'private', '--map-user=0', '--map-group=0'];
  if (maps.uids) args.push(`--map-users=${maps.uids.start},1,${maps.uids.count}`);
  if (maps.gids) args.push(`--map-groups=${maps.gids.start},1,${maps.gids.count}`);
  return args;
}

/**
 * For an ordinary user outside tspod's namespace: replaces this process by
 * tspod inside the namespace (never returns). Root, and tspod already inside,
 * return at once.
 */
export function enterUserNamespace(argv: string[] = process.argv): void {
  if ((process.getuid?.() ?? 0) === 0) return;
  if (process.env[CONFIGURED_ENV])
    throw new EngineError('internal', 'cannot set up the user namespace: still not root in it after newuidmap (check /etc/subuid and /etc/subgid)');
  const maps = userNamespaceMaps();
  if (!maps.uids || !maps.gids) {
    const missing = !maps.uids ? SUBUID_FILE : SUBGID_FILE;
    process.stderr.write(`WARN: no subordinate ids for user "${userName()}" in ${missing}: only your own id is mapped in the user namespace (images with other owners cannot be used)\n`);
  }
  if ((maps.uids || maps.gids) && !fs.existsSync('/usr/bin/newuidmap'))
    throw new EngineError('internal', 'newuidmap and newgidmap are needed for rootless mode with subordinate ids: install the uidmap package');
  // The run-time directory is resolved (and any fallback warned about) once, outside.
  const env = { ...process.env, [CONFIGURED_ENV]: '1', XDG_RUNTIME_DIR: userRuntimeDir() };
  const blob = process.execArgv.indexOf('--snapshot-blob');
  const self =
    blob >= 0
      ? [process.execPath, '--snapshot-blob', process.execArgv[blob + 1], '--', ...argv.slice(2)]
      : [process.execPath, ...process.execArgv, argv[1], ...argv.slice(2)];
  // Node marks even stdio close-on-exec: clear it for stdio and our activated sockets.
  const passed = listenFdsFor(process.env, process.pid)?.count ?? 0;
  for (let fd = 0; fd < SD_LISTEN_FDS_START + passed; fd++) if (native().fdIsOpen(fd)) native().setCloexec(fd, false);
  const pause = pauseProcess(env.XDG_RUNTIME_DIR, hostUid(), unshareArgs(maps));
  // Without a gid range, unshare denied setgroups in the namespace: keep our credentials (our uid is its 0 anyway).
  const keep = maps.gids ? [] : ['--preserve-credentials'];
  native().execve(NSENTER, [NSENTER, '--user', '--mount', `--target=${pause}`, ...keep, '--', ...self], Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`));
}
