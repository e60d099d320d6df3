// Cgroups for a rootless container. On cgroup v1 (this project's hosts) a user
// owns no cgroup to put a container in, so, as Podman, the spec gets no
// cgroupsPath and no resources: runc --rootless leaves the container in the
// caller's cgroup. Explicit limits are ignored with Podman's warning; the
// default pids limit is dropped silently, as Podman does.
import type { Resources } from '../oci/runtime-spec';

let warned = false;

export function rootlessCgroups(requested: Omit<Resources, 'devices'>): Record<string, never> {
  const explicit = Object.keys(requested).filter((k) => k !== 'pids');
  if (explicit.length > 0 && !warned) {
    warned = true;
    process.stderr.write('WARN: Resource limits are not supported and ignored on cgroups V1 rootless systems\n');
  }
  return {};
}
