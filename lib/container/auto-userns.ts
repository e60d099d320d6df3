// --userns=auto[:size=N,uidmapping=C:H:S,gidmapping=C:H:S], as Podman 4.3
// (containers/storage's getAutoUserNS): each container gets its own range of
// host ids, disjoint from every other container's. Root takes them from the
// ranges of `root-auto-userns-user` (storage.conf, default "containers") in
// /etc/subuid and /etc/subgid; an ordinary user from its own subordinate ids
// (1.. in tspod's namespace). The size is the one asked for, else the image's
// highest id in its files and /etc/passwd, /etc/group (+1), at least
// auto-userns-min-size (1024) and at most auto-userns-max-size (65536).
// Two steps, so no slow work runs under the store lock: autoUsernsRequest
// (image scan, file reads) before, allocateAutoUserns (interval arithmetic
// over the records) inside the create transaction.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord, IdMapping } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { withRoot } from '../storage/in-root';
import { isRootless } from '../rootless/identity';
import { SUBGID_FILE, SUBUID_FILE, subordinateRanges } from '../rootless/subids';
import { loadAutoUsernsConf } from '../config/storage-conf';
import { parseIdMapping } from './idmap';

export interface AutoUsernsOptions {
  size?: number;
  uidMapping?: IdMapping[];
  gidMapping?: IdMapping[];
}

/** What the create transaction needs: computed beforehand, outside the lock. */
export interface AutoUsernsRequest {
  size: number;
  availableUids: Interval[];
  availableGids: Interval[];
  options: AutoUsernsOptions;
}

/** Half-open [start, end). */
type Interval = [number, number];

const NOBODY = 65534;

/** The text after `auto:`: size=N, uidmapping=C:H:S and gidmapping=C:H:S (repeatable), comma separated. */
export function parseAutoOptions(text: string): AutoUsernsOptions {
  const out: AutoUsernsOptions = {};
  for (const o of text.split(',')) {
    const eq = o.indexOf('=');
    // Podman's words (exit 125)
    if (eq < 0) throw new EngineError('invalid-argument', `invalid option specified: "${o}"`);
    const [key, value] = [o.slice(0, eq), o.slice(eq + 1)];
    if (key === 'size') {
      if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff) throw new EngineError('invalid-argument', `strconv.ParseUint: parsing "${value}": invalid syntax`);
      out.size = Number(value);
    } else if (key === 'uidmapping') (out.uidMapping ??= []).push(parseIdMapping(value, 'uidmapping'));
    else if (key === 'gidmapping') (out.gidMapping ??= []).push(parseIdMapping(value, 'gidmapping'));
    else throw new EngineError('invalid-argument', `unknown option specified: "${key}"`);
  }
  return out;
}

/** The options back as text (for the remote client and the API). */
export function formatAutoOptions(o: AutoUsernsOptions): string {
  const m = (k: string, l?: IdMapping[]) => (l ?? []).map((e) => `${k}=${e.containerID}:${e.hostID}:${e.size}`);
  return [...(o.size !== undefined ? [`size=${o.size}`] : []), ...m('uidmapping', o.uidMapping), ...m('gidmapping', o.gidMapping)].join(',');
}

/** Slow part, before the transaction: the ids available and the size (from the image unless given). */
export function autoUsernsRequest(options: AutoUsernsOptions, layerDirs: string[]): AutoUsernsRequest {
  const conf = loadAutoUsernsConf();
  let size = options.size ?? 0;
  if (!size) {
    size = Math.max(1, conf.minSize, imageIdsSize(layerDirs));
    if (size > conf.maxSize)
      throw invalidArgument(`the container needs a user namespace with size ${size} that is bigger than the maximum value allowed with userns=auto ${conf.maxSize}`);
  }
  const { uids, gids } = availableIds(conf.rootAutoUsernsUser);
  return { size, availableUids: uids, availableGids: gids, options };
}

function availableIds(rootUser: string): { uids: Interval[]; gids: Interval[] } {
  if (isRootless()) {
    // tspod's own namespace: 0 is the user, 1..N the subordinate ids (Podman counts the same way).
    const inner = (file: string): Interval[] =>
      normalize(
        readMap(file)
          .map(([i, , n]): Interval => [Math.max(i, 1), i + n])
          .filter(([a, b]) => b > a),
      );
    const uids = inner('/proc/self/uid_map');
    const gids = inner('/proc/self/gid_map');
    if (!uids.length || !gids.length)
      throw new EngineError('internal', 'creating container storage: could not find enough available IDs: --userns=auto needs subordinate ids for your user in /etc/subuid and /etc/subgid');
    return { uids, gids };
  }
  const ranges = (file: string): Interval[] => normalize(subordinateRanges(file, rootUser).map((r): Interval => [r.start, r.start + r.count]));
  const uids = ranges(SUBUID_FILE);
  const gids = ranges(SUBGID_FILE);
  if (!uids.length || !gids.length) {
    const file = !uids.length ? SUBUID_FILE : SUBGID_FILE;
    throw new EngineError(
      'internal',
      `creating container storage: could not find enough available IDs: no subordinate ids for user "${rootUser}" in ${file} (--userns=auto takes them from root-auto-userns-user in storage.conf, default "containers")`,
    );
  }
  return { uids, gids };
}

function readMap(file: string): number[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter((f) => f.length === 3 && f.every(Number.isSafeInteger));
  } catch {
    return [];
  }
}

/**
 * Fast part, inside the create transaction: the first free host ids (not
 * used by any container's map, nor by the extra mappings asked for), zipped
 * onto the container ids 0..size-1 that the extra mappings leave.
 */
export function allocateAutoUserns(req: AutoUsernsRequest, containers: Iterable<ContainerRecord>): { uidMap: IdMapping[]; gidMap: IdMapping[] } {
  const usedU: Interval[] = [];
  const usedG: Interval[] = [];
  for (const c of containers) {
    for (const m of c.config.idMappings?.uidMap ?? []) usedU.push([m.hostID, m.hostID + m.size]);
    for (const m of c.config.idMappings?.gidMap ?? []) usedG.push([m.hostID, m.hostID + m.size]);
  }
  const one = (available: Interval[], used: Interval[], extra: IdMapping[]): IdMapping[] => {
    const free = subtract(available, normalize([...used, ...extra.map((m): Interval => [m.hostID, m.hostID + m.size])]));
    const wanted = subtract([[0, req.size]], normalize(extra.map((m): Interval => [m.containerID, m.containerID + m.size])));
    const host = take(free, total(wanted));
    if (!host) throw new EngineError('internal', 'creating container storage: could not find enough available IDs');
    return [...zip(host, wanted), ...extra].sort((a, b) => a.containerID - b.containerID);
  };
  return {
    uidMap: one(req.availableUids, usedU, req.options.uidMapping ?? []),
    gidMap: one(req.availableGids, usedG, req.options.gidMapping ?? []),
  };
}

// ---- interval sets (sorted, disjoint, half-open)

function normalize(list: Interval[]): Interval[] {
  const sorted = list.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function subtract(from: Interval[], minus: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [a0, b] of from) {
    let a = a0;
    for (const [c, d] of minus) {
      if (d <= a || c >= b) continue;
      if (c > a) out.push([a, c]);
      a = Math.max(a, d);
      if (a >= b) break;
    }
    if (a < b) out.push([a, b]);
  }
  return out;
}

const total = (s: Interval[]) => s.reduce((n, [a, b]) => n + b - a, 0);

/** The first n ids of s, or undefined when s has fewer. */
function take(s: Interval[], n: number): Interval[] | undefined {
  const out: Interval[] = [];
  let left = n;
  for (const [a, b] of s) {
    if (left === 0) break;
    const k = Math.min(left, b - a);
    out.push([a, a + k]);
    left -= k;
  }
  return left === 0 ? out : undefined;
}

/** Pairs host ids with container ids in order, one mapping per run where both are contiguous. */
function zip(host: Interval[], ctr: Interval[]): IdMapping[] {
  const out: IdMapping[] = [];
  let h = 0;
  let hOff = 0;
  for (const [c0, c1] of ctr) {
    let c = c0;
    while (c < c1 && h < host.length) {
      const k = Math.min(c1 - c, host[h][1] - host[h][0] - hOff);
      out.push({ containerID: c, hostID: host[h][0] + hOff, size: k });
      c += k;
      hOff += k;
      if (host[h][0] + hOff >= host[h][1]) {
        h++;
        hOff = 0;
      }
    }
  }
  return out;
}

// ---- the size an image needs

/** The highest id owning a file in the layers, or named in the image's /etc/passwd and /etc/group (nobody aside), plus one. */
export function imageIdsSize(layerDirs: string[]): number {
  let size = 0;
  for (const dir of layerDirs) size = Math.max(size, layerMaxId(dir) + 1);
  return Math.max(size, accountsSize(layerDirs));
}

/** Cached beside the layer (layers never change once stored). */
function layerMaxId(diffDir: string): number {
  const cache = path.join(path.dirname(diffDir), 'max-id');
  try {
    const text = fs.readFileSync(cache, 'utf8').trim();
    if (/^\d{1,10}$/.test(text)) return Number(text);
  } catch {
    /* not computed yet */
  }
  let max = 0;
  const stack = [diffDir];
  while (stack.length) {
    const dir = stack.pop() as string;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const st = fs.lstatSync(p);
      max = Math.max(max, st.uid, st.gid);
      if (e.isDirectory()) stack.push(p);
    }
  }
  const st = fs.lstatSync(diffDir);
  max = Math.max(max, st.uid, st.gid);
  try {
    fs.writeFileSync(`${cache}.${process.pid}`, `${max}\n`);
    fs.renameSync(`${cache}.${process.pid}`, cache);
  } catch {
    fs.rmSync(`${cache}.${process.pid}`, { force: true }); // a read-only or full store: computed again next time
  }
  return max;
}

/** containers/storage's parseMountedFiles: the top layer that has each file wins (read inside the layer, symlinks resolved there). */
function accountsSize(layerDirs: string[]): number {
  let size = 0;
  const fromTop = (file: string, ids: (f: string[]) => number[]) => {
    for (const dir of [...layerDirs].reverse()) {
      const text = withRoot(dir, (root) => root.readRegularFile(file))?.toString('utf8');
      if (text === undefined) continue;
      for (const line of text.split('\n')) {
        const f = line.split(':');
        if (f.length < 4 || f[0] === 'nobody' || f[0] === 'nogroup') continue;
        for (const id of ids(f)) if (/^\d{1,10}$/.test(String(id)) && id !== NOBODY && id + 1 > size) size = id + 1;
      }
      return;
    }
  };
  fromTop('/etc/passwd', (f) => [Number(f[2]), Number(f[3])]);
  fromTop('/etc/group', (f) => [Number(f[2])]);
  return size;
}
