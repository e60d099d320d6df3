// A container's own user namespace: `--uidmap/--gidmap CTR:HOST:SIZE` and,
// for an ordinary user, `--userns=keep-id` (the user's uid and gid inside, for
// bind-mounted work directories), as in Podman. HOST ids are ids of tspod's
// namespace: the host's for root, the rootless namespace's for a user (0 is
// the user, 1.. the subordinate range), as Podman counts them.
// The image's files must show their own owners inside, so such a container
// runs on a copy of its layers with every owner moved through the map (what
// containers/storage does with a chown copy); files the map leaves out keep
// their owner (shown as nobody inside).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IdMapping } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import type { OwnerShift } from '../storage/rootfs';
import { reopen, withFd, withRoot } from '../storage/in-root';
import { hostUid, isRootless } from '../rootless/identity';
import { type AutoUsernsOptions, formatAutoOptions, parseAutoOptions } from './auto-userns';
import { loadContainersConf } from '../config/containers-conf';

/** The kernel's limit on lines in uid_map. */
const MAX_MAPPINGS = 340;
const MAX_ID = 0xffffffff;

export interface UsernsChoice {
  uidMap: IdMapping[];
  gidMap: IdMapping[];
  /** keep-id: the process runs as this uid:gid unless --user says otherwise */
  keepId?: { uid: number; gid: number };
  /** --userns=auto: the maps stay empty until create picks the ids, under the store lock (auto-userns.ts) */
  auto?: AutoUsernsOptions;
}

/** One CTR:HOST:SIZE value. */
export function parseIdMapping(spec: string, flag: string): IdMapping {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(spec);
  if (!m) throw invalidArgument(`invalid ${flag} "${spec}": must be CONTAINER_ID:HOST_ID:SIZE`);
  const [containerID, hostID, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (size < 1 || containerID + size - 1 > MAX_ID || hostID + size - 1 > MAX_ID) throw invalidArgument(`invalid ${flag} "${spec}": the range must be non-empty and stay below 2^32`);
  return { containerID, hostID, size };
}

function checkMap(map: IdMapping[], flag: string, available: number | undefined): void {
  if (map.length > MAX_MAPPINGS) throw invalidArgument(`too many ${flag} ranges: ${map.length} (at most ${MAX_MAPPINGS})`);
  const overlap = (key: 'containerID' | 'hostID') => {
    const sorted = [...map].sort((a, b) => a[key] - b[key]);
    return sorted.some((m, i) => i > 0 && sorted[i - 1][key] + sorted[i - 1].size > m[key]);
  };
  if (overlap('containerID') || overlap('hostID')) throw invalidArgument(`${flag} ranges overlap`);
  // A user's namespace has only its own id (0) and the subordinate range: ids beyond it cannot be mapped.
  if (available !== undefined && map.some((m) => m.hostID + m.size > available))
    throw invalidArgument(`${flag}: host ids beyond ${available - 1} are not mapped in your user namespace (0 is you, 1-${available - 1} your subordinate ids)`);
}

/** How many ids tspod's own namespace has (0..N-1): undefined for root (all of them). */
function idsInNamespace(file: string): number | undefined {
  if (!isRootless()) return undefined;
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter((f) => f.length === 3 && f.every(Number.isInteger))
      .reduce((max, [inner, , count]) => Math.max(max, inner + count), 0);
  } catch {
    return undefined;
  }
}

/**
 * --userns, --uidmap and --gidmap together: undefined when the container
 * shares tspod's user namespace (the default, and --userns=host).
 */
export function parseUserns(userns: string | undefined, uidmaps: string[], gidmaps: string[]): UsernsChoice | undefined {
  // Neither --userns nor maps: containers.conf's [containers] userns (e.g. "auto"), as Podman.
  const mode = userns ?? (uidmaps.length || gidmaps.length ? '' : (loadContainersConf().userns ?? ''));
  if ((uidmaps.length || gidmaps.length) && mode !== '') throw invalidArgument(`--userns=${mode} and --uidmap/--gidmap cannot be used together`);
  if (uidmaps.length || gidmaps.length) {
    const uidMap = (uidmaps.length ? uidmaps : gidmaps).map((s) => parseIdMapping(s, '--uidmap'));
    // Podman: a --uidmap alone maps the gids the same way.
    const gidMap = (gidmaps.length ? gidmaps : uidmaps).map((s) => parseIdMapping(s, '--gidmap'));
    checkMap(uidMap, '--uidmap', idsInNamespace('/proc/self/uid_map'));
    checkMap(gidMap, '--gidmap', idsInNamespace('/proc/self/gid_map'));
    // The runtime reaches the bundle through $XDG_RUNTIME_DIR (0700, the user's): the user must be someone inside.
    if (isRootless() && !uidMap.some((m) => m.hostID === 0))
      throw invalidArgument('--uidmap as an ordinary user must map your own id (host id 0) into the container, e.g. --uidmap 0:0:1 --uidmap 1:1:65536 (or use --userns=keep-id)');
    return { uidMap, gidMap };
  }
  if (mode === '' || mode === 'host') return undefined;
  if (mode === 'auto' || mode.startsWith('auto:')) return { uidMap: [], gidMap: [], auto: mode === 'auto' ? {} : parseAutoOptions(mode.slice('auto:'.length)) };
  if (mode === 'keep-id' || mode.startsWith('keep-id:')) return keepId(keepIdOptions(mode.slice('keep-id:'.length)));
  // Podman's words, exit 125 (170-run-userns)
  if (mode === 'nomap' && !isRootless()) throw new EngineError('invalid-argument', 'nomap is only supported in rootless mode');
  throw invalidArgument(`--userns=${mode} is not supported (auto, keep-id, host, or --uidmap/--gidmap)`);
}

/** keep-id:uid=N,gid=M: the ids the user has inside (default: the user's own). */
function keepIdOptions(text: string): { uid?: number; gid?: number } {
  const out: { uid?: number; gid?: number } = {};
  for (const o of text.split(',').filter(Boolean)) {
    const m = /^(uid|gid)=(\d{1,9})$/.exec(o);
    if (!m) throw invalidArgument(`invalid keep-id option "${o}": uid=N or gid=N`);
    out[m[1] as 'uid' | 'gid'] = Number(m[2]);
  }
  return out;
}

/** The user's own uid and gid inside (or the ones asked for); container ids below it go to the subordinate range, as Podman's keep-id. */
function keepId(inside: { uid?: number; gid?: number } = {}): UsernsChoice {
  if (!isRootless()) throw new EngineError('invalid-argument', 'keep-id is only supported in rootless mode');
  const uid = inside.uid ?? hostUid();
  const gid = inside.gid ?? hostGid();
  const map = (id: number, file: string): IdMapping[] => {
    const n = idsInNamespace(file) ?? 1;
    if (n <= 1) throw invalidArgument('--userns=keep-id needs subordinate ids (/etc/subuid and /etc/subgid) for your user');
    const out: IdMapping[] = [{ containerID: 0, hostID: 1, size: Math.min(id, n - 1) }, { containerID: id, hostID: 0, size: 1 }];
    if (n - 1 > id) out.push({ containerID: id + 1, hostID: id + 1, size: n - 1 - id });
    return out.filter((m) => m.size > 0);
  };
  return { uidMap: map(uid, '/proc/self/uid_map'), gidMap: map(gid, '/proc/self/gid_map'), keepId: { uid, gid } };
}

/** The user's gid outside tspod's namespace (the one mapped to 0), as hostUid does for the uid. */
function hostGid(): number {
  const gid = process.getgid?.() ?? 0;
  if (gid !== 0) return gid;
  try {
    for (const line of fs.readFileSync('/proc/self/gid_map', 'utf8').split('\n')) {
      const [inner, outer] = line.trim().split(/\s+/).map(Number);
      if (inner === 0 && Number.isInteger(outer)) return outer;
    }
  } catch {
    /* not in a namespace */
  }
  return 0;
}

/** Where a container id lives in tspod's namespace under map; undefined when the map leaves it out. */
export function toHost(map: readonly IdMapping[], id: number): number | undefined {
  for (const m of map) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return undefined;
}

/** The owner shift of a container's root filesystem copy, or undefined when it shares tspod's namespace. */
export function ownerShift(config: { idMappings?: { uidMap: IdMapping[]; gidMap: IdMapping[] } }): OwnerShift | undefined {
  const m = config.idMappings;
  if (!m) return undefined;
  return (id, kind) => toHost(kind === 'uid' ? m.uidMap : m.gidMap, id);
}

/**
 * The runtime mounts the root filesystem and the /etc files from the bundle
 * as the container's root, whose capabilities count only on files whose
 * owner its namespace maps: every directory on the way to the bundle must be
 * searchable by others or owned by a mapped id. tspod's own directories (the
 * run root and below) are made traversable (o+x, never listable); any other
 * is an error naming it. The bundle belongs to the container's root (0700).
 */
export function openBundleForUserns(runroot: string, bundle: string, m: { uidMap: IdMapping[]; gidMap: IdMapping[] }): void {
  openPathForUserns(runroot, path.dirname(bundle), m);
  chownToContainerRoot(bundle, m);
}

/** The bundle (0700) belongs to the container's root. */
export function chownToContainerRoot(dir: string, m: { uidMap: IdMapping[]; gidMap: IdMapping[] }): void {
  const uid = toHost(m.uidMap, 0);
  const gid = toHost(m.gidMap, 0);
  if (uid !== undefined && gid !== undefined) fs.chownSync(dir, uid, gid);
}

/** Every directory down to dir (included) searchable from the container's namespace: tspod's own (under ownRoot) made so, others checked. */
export function openPathForUserns(ownRoot: string, dir: string, m: { uidMap: IdMapping[]; gidMap: IdMapping[] }, what = 'its run root'): void {
  const mapped = (st: fs.Stats) => m.uidMap.some((r) => st.uid >= r.hostID && st.uid < r.hostID + r.size) && m.gidMap.some((r) => st.gid >= r.hostID && st.gid < r.hostID + r.size);
  const ours = (d: string) => d === ownRoot || !path.relative(ownRoot, d).startsWith('..');
  const dirs: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of dirs) {
    const st = fs.statSync(d);
    if (st.mode & 0o001 || mapped(st)) continue;
    if (!ours(d)) throw invalidArgument(`a container with its own user namespace needs every directory above ${what} searchable: ${d} is not (mode ${(st.mode & 0o777).toString(8)})`);
    fs.chmodSync(d, (st.mode & 0o777) | 0o011);
  }
}

/**
 * True for an ordinary user's container whose namespace leaves the user (id 0
 * of tspod's namespace) out, as --userns=auto does: the user's run-time
 * directory (0700) is then closed to the container's root, so the runtime
 * gets the root filesystem by its path in the store (as Podman's graph root).
 */
export function userLeftOut(m: { uidMap: IdMapping[] } | undefined): boolean {
  return m !== undefined && isRootless() && toHost(m.uidMap, 0) !== 0 && !m.uidMap.some((r) => r.hostID === 0);
}

/** SpecGenerator's userns {nsmode, value} and idmappings {UIDMap, GIDMap: [{container_id, host_id, size}]}, as Podman's clients send them. */
export function usernsFromSpec(body: Record<string, unknown>): UsernsChoice | undefined {
  const ns = (body.userns ?? {}) as { nsmode?: unknown; value?: unknown };
  const mode = typeof ns.nsmode === 'string' ? ns.nsmode : '';
  const value = typeof ns.value === 'string' && ns.value ? `:${ns.value}` : '';
  const maps = (body.idmappings ?? {}) as { UIDMap?: unknown; GIDMap?: unknown };
  const specs = (list: unknown): string[] =>
    Array.isArray(list)
      ? list.map((m) => {
          const e = (m ?? {}) as Record<string, unknown>;
          return `${e.container_id}:${e.host_id}:${e.size}`;
        })
      : [];
  const uid = specs(maps.UIDMap);
  const gid = specs(maps.GIDMap);
  if (uid.length || gid.length) return parseUserns(mode === 'private' ? '' : mode, uid, gid);
  if (mode === '') return parseUserns(undefined, [], []); // none asked: the server's containers.conf decides
  return parseUserns(mode === 'private' || mode === 'default' ? '' : `${mode}${value}`, [], []);
}

/** The other way, for the remote client. */
export function usernsSpec(m: UsernsChoice | undefined): Record<string, unknown> {
  if (!m) return {};
  if (m.keepId) return { userns: { nsmode: 'keep-id', value: `uid=${m.keepId.uid},gid=${m.keepId.gid}` } };
  if (m.auto) return { userns: { nsmode: 'auto', value: formatAutoOptions(m.auto) } };
  const list = (map: IdMapping[]) => map.map((e) => ({ container_id: e.containerID, host_id: e.hostID, size: e.size }));
  return { userns: { nsmode: 'private' }, idmappings: { UIDMap: list(m.uidMap), GIDMap: list(m.gidMap) } };
}

/** The user's name and home from the host's /etc/passwd, for keep-id's passwd entry and $HOME; undefined if not there or not safe to write. */
export function keepIdAccount(): { name: string; home: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  const uid = String(hostUid());
  const f = text.split('\n').map((l) => l.split(':')).find((e) => e.length >= 7 && e[2] === uid);
  if (!f || !/^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/.test(f[0]) || !/^\/[^\s:]*$/.test(f[5])) return undefined;
  return { name: f[0], home: f[5] };
}

/**
 * keep-id without --user, as Podman: the user gets a line in the container's
 * /etc/passwd (its own copy of the image) when its uid has none, so that
 * `id -un` and $HOME work. The file is found inside the root by the kernel
 * and only appended to; a missing or odd one is left alone.
 */
export function addKeepIdUser(rootfs: string, keep: { uid: number; gid: number }): void {
  const account = keepIdAccount();
  if (!account) return;
  withRoot(rootfs, (root) => {
    const text = root.readRegularFile('/etc/passwd')?.toString('utf8');
    if (text === undefined || text.split('\n').some((l) => l.split(':')[2] === String(keep.uid))) return;
    const held = root.resolveIfExists('/etc/passwd', true);
    if (held === undefined) return;
    withFd(held, (pfd) => {
      if (!fs.fstatSync(pfd).isFile()) return;
      withFd(reopen(pfd, fs.constants.O_WRONLY | fs.constants.O_APPEND), (fd) => {
        const line = `${account.name}:*:${keep.uid}:${keep.gid}:${account.name}:${account.home}:/bin/sh\n`;
        fs.writeSync(fd, `${text.endsWith('\n') || text === '' ? '' : '\n'}${line}`);
      });
    });
  });
}
