// Containers that need another one to exist: `--network container:X` joins
// X's network namespace, so X cannot be removed before them (Podman's
// "dependent containers"). `rm --depend` removes them first.
import type { Database } from '../storage/records';

/** The containers that join the namespaces of the container `id` (an infra container's: its pod's). */
export function dependentsOf(db: Database, id: string): string[] {
  const self = db.containers[id];
  const pod = self?.config.isInfra ? self.config.pod : undefined;
  return Object.values(db.containers)
    .filter((c) => c.id !== id && (c.config.network === `container:${id}` || (pod !== undefined && c.config.pod === pod)))
    .map((c) => c.id);
}

/** `id` preceded by everything that depends on it, transitively, dependents first (each once). */
export function withDependents(db: Database, id: string, seen = new Set<string>()): string[] {
  if (seen.has(id)) return [];
  seen.add(id);
  return [...dependentsOf(db, id).flatMap((d) => withDependents(db, d, seen)), id];
}
