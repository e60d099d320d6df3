// Who tspod runs for. Inside tspod's own user namespace (lib/rootless/userns.ts)
// getuid() is 0, yet the store, the run root and the config are still the
// user's: the outer uid is read back from /proc/self/uid_map, so that no
// environment variable has to be trusted for it.
import * as fs from 'node:fs';

let cached: number | undefined;

/** The uid tspod acts for on the host: getuid() outside a user namespace, the uid mapped to 0 inside one. */
export function hostUid(): number {
  if (cached !== undefined) return cached;
  const uid = process.getuid?.() ?? 0;
  cached = uid !== 0 ? uid : mappedRootUid();
  return cached;
}

/** True when tspod acts for an ordinary user (rootless mode, also inside its user namespace). */
export function isRootless(): boolean {
  return hostUid() !== 0;
}

/** True when this process is in a user namespace where host root is not mapped to 0. */
export function inUserNamespace(): boolean {
  return (process.getuid?.() ?? 0) === 0 && mappedRootUid() !== 0;
}

function mappedRootUid(): number {
  let map: string;
  try {
    map = fs.readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return 0;
  }
  for (const line of map.split('\n')) {
    const [inner, outer] = line.trim().split(/\s+/).map(Number);
    if (inner === 0 && Number.isInteger(outer)) return outer;
  }
  return 0;
}

/** True when gid is mapped in this process's user namespace (a single-id map has only 0). */
export function gidMapped(gid: number): boolean {
  let map: string;
  try {
    map = fs.readFileSync('/proc/self/gid_map', 'utf8');
  } catch {
    return true;
  }
  return map.split('\n').some((line) => {
    const [inner, , count] = line.trim().split(/\s+/).map(Number);
    return Number.isInteger(count) && gid >= inner && gid < inner + count;
  });
}
