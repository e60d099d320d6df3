// `generate spec`: a container's configuration as libpod's SpecGenerator, the
// body POST /libpod/containers/create takes, so that a container can be made
// again (here, or by any libpod client) from what tspod recorded.
import type { LocalEngine } from './engine';
import type { Database } from '../storage/records';
import { specGenerator } from '../remote/spec-generator';

/**
 * Podman's clone name: NAME-clone, then NAME-clone1, -clone2... while taken
 * (and NAME-cloneN becomes NAME-clone(N+1)).
 */
export function cloneName(db: Database, name: string): string {
  const taken = new Set(Object.values(db.containers).map((c) => c.name));
  const at = name.lastIndexOf('-clone');
  const base = at >= 0 && /^\d*$/.test(name.slice(at + 6)) ? name.slice(0, at) : name;
  let n = at >= 0 && base !== name ? Number(name.slice(at + 6) || '0') + 1 : 0;
  for (let i = 0; i < 10_000; i++, n++) {
    const cand = `${base}-clone${n === 0 ? '' : n}`;
    if (!taken.has(cand)) return cand;
  }
  return `${base}-clone${Date.now()}`;
}

/** The container's SpecGenerator; with newName, named as a clone so that it can be created beside the original. */
export function containerSpec(engine: LocalEngine, ref: string, newName: boolean): Record<string, unknown> {
  const rec = engine.get(ref);
  const name = newName ? cloneName(engine.store.read(), rec.name) : rec.name;
  // the default hostname is the container's short id: the new one gets its own
  const config = rec.config.hostname === rec.id.slice(0, 12) ? { ...rec.config, hostname: '' } : rec.config;
  const spec = specGenerator({ image: rec.config.image, name, command: rec.config.cmd, config });
  // JSON has no undefined: drop the fields this container does not set
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}
