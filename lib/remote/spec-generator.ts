// A create request as libpod's SpecGenerator (the JSON body of POST
// /libpod/containers/create): the fields the service's create reads back
// (api/handlers/create-body.ts, api/handlers/networks.ts, api/handlers/libpod.ts).
import type { CreateRequest } from '../engine/engine';
import type { ResourceConfig } from '../storage/records';
import { healthFromFlags } from '../container/healthcheck';
import { usernsSpec } from '../container/idmap';

/** The create request as libpod's SpecGenerator (the fields tspod supports). */
export function specGenerator(req: CreateRequest): Record<string, unknown> {
  const c = req.config;
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return {
    image: req.image,
    name: req.name,
    command: req.command,
    entrypoint: c.entrypointSet ? (c.entrypoint ?? []) : undefined,
    env,
    work_dir: c.workdir || undefined,
    user: c.user || undefined,
    hostname: c.hostname || undefined,
    pod: c.pod,
    labels: c.labels,
    annotations: c.annotations,
    terminal: c.tty,
    stdin: c.stdin,
    stop_signal: c.stopSignal,
    stop_timeout: c.stopTimeout,
    remove: c.autoRemove,
    privileged: c.privileged,
    read_only_filesystem: c.readOnly,
    cap_add: c.capAdd,
    listen: c.listen, // tspod extension: --listen (scale to zero)
    idle_timeout: c.idleTimeout,
    cap_drop: c.capDrop,
    restart_policy: c.restartPolicy || undefined,
    ...networkSpec(c),
    mounts: c.mounts?.filter((m) => m.type !== 'image').map((m) => ({ destination: m.destination, type: m.type, source: m.source, options: [...m.options, m.rw ? 'rw' : 'ro'] })),
    image_volumes: c.mounts?.some((m) => m.type === 'image')
      ? c.mounts.filter((m) => m.type === 'image').map((m) => ({ Source: m.source, Destination: m.destination, ReadWrite: m.rw }))
      : undefined,
    log_configuration: c.logDriver ? { driver: c.logDriver } : undefined,
    sdnotifyMode: c.sdnotify,
    systemd: c.systemd,
    init: c.init,
    ...confinementSpec(c),
    ...healthSpec(req),
    ...usernsSpec(c.idMappings),
  };
}

/** --health-*: a check the flags define (the service applies the image's HEALTHCHECK otherwise). */
function healthSpec(req: CreateRequest): Record<string, unknown> {
  const h = req.health;
  if (!h) return {};
  const action = h.onFailure && h.onFailure !== 'none' ? { health_check_on_failure_action: h.onFailure } : {};
  if (h.noHealthcheck) return { healthconfig: { Test: ['NONE'] }, ...action };
  if (h.cmd === undefined) return action;
  return { healthconfig: healthFromFlags({ ...h, onFailure: undefined }, undefined).healthcheck ?? { Test: ['NONE'] }, ...action };
}

/** Limits as OCI resources (SpecGenerator's resource_limits, libpod's update body); --cpus as a CFS quota. */
export function libpodResourceLimits(r: ResourceConfig | undefined): Record<string, unknown> | undefined {
  if (!r) return undefined;
  const nano = r.nanoCpus;
  return {
    memory: { limit: r.memory, reservation: r.memoryReservation, swap: r.memorySwap, disableOOMKiller: r.oomKillDisable, swappiness: r.memorySwappiness },
    cpu: { shares: r.cpuShares, period: nano ? 100_000 : r.cpuPeriod, quota: nano ? Math.round(nano / 10_000) : r.cpuQuota, cpus: r.cpusetCpus, mems: r.cpusetMems },
    pids: r.pidsLimit !== undefined ? { limit: r.pidsLimit } : undefined,
    blockIO: r.blkioWeight ? { weight: r.blkioWeight } : undefined,
  };
}

/** Security options and limits in SpecGenerator's fields (read back by api/handlers/create-body.ts). */
function confinementSpec(c: CreateRequest['config']): Record<string, unknown> {
  const s = c.security;
  const r = c.resources ?? {};
  return {
    seccomp_profile_path: s?.seccompProfile || undefined,
    no_new_privileges: s?.noNewPrivileges || undefined,
    apparmor_profile: s?.apparmorProfile || undefined,
    selinux_opts: s?.labelOpts.length ? s.labelOpts : undefined,
    mask: s?.mask.length ? s.mask.join(':') : undefined,
    unmask: s?.unmask.length ? s.unmask.join(':') : undefined,
    procfs_opts: s?.procOpts.length ? s.procOpts : undefined,
    read_write_tmpfs: c.readOnlyTmpfs,
    resource_limits: libpodResourceLimits(c.resources),
    oom_score_adj: r.oomScoreAdj,
    r_limits: r.ulimits?.map((u) => {
      const [name, v] = u.split('=');
      const [soft, hard = soft] = v.split(':');
      return { type: `RLIMIT_${name.toUpperCase()}`, soft: Number(soft), hard: Number(hard) };
    }),
    devices: r.devices?.map((d) => ({ path: `${d.pathOnHost}:${d.pathInContainer}:${d.permissions}` })),
    device_cgroup_rule: r.deviceCgroupRules,
  };
}

/** The network part of a SpecGenerator: netns or networks, port mappings, exposed ports, DNS, hosts. */
function networkSpec(c: CreateRequest['config']): Record<string, unknown> {
  const mode = c.network ?? 'bridge';
  const named = Object.keys(c.networks ?? {});
  const expose: Record<string, string> = {};
  for (const e of c.exposedPorts ?? []) {
    const [port, proto = 'tcp'] = e.split('/');
    expose[port] = proto;
  }
  return {
    netns: mode.startsWith('container:') ? { nsmode: 'container', value: mode.slice('container:'.length) } : mode === 'bridge' && named.length ? undefined : { nsmode: mode },
    networks: mode === 'bridge' && named.length
      ? Object.fromEntries(Object.entries(c.networks ?? {}).map(([name, ep]) => [name, { aliases: ep.aliases, static_ips: ep.ip ? [ep.ip] : undefined }]))
      : undefined,
    portmappings: c.ports?.map((p) => ({ container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIp, protocol: p.protocol })),
    // slirp4netns/pasta options, keyed by the mode, as Podman's SpecGenerator
    network_options: c.networkOptions?.length ? { [mode]: c.networkOptions } : undefined,
    publish_image_ports: c.publishAll,
    expose,
    dns_server: c.dns,
    dns_search: c.dnsSearch,
    dns_option: c.dnsOptions,
    hostadd: c.addHosts,
  };
}
