// `kube generate`: Kubernetes objects for pods and containers, as Podman 4.3
// writes them (a v1 Pod, or an apps/v1 Deployment around the same template,
// and with --service a NodePort Service for the published ports). What it
// writes must apply unchanged to a cluster: names are DNS labels, values are
// the types the schemas ask for (tests check them with kubernetes-models).
import { randomInt } from 'node:crypto';
import type { LocalEngine } from '../container/engine';
import type { ContainerRecord, MountSpec, PodRecord, PortMapping } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { imageConfig } from '../image';
import { findPod, podContainers } from '../pod/membership';
import { parseRestartPolicy } from '../container/restart-policy';
import { VERSION } from '../version';
import { toKubeYaml } from './yaml';

export type KubeObject = Record<string, unknown>;

export interface GenerateRequest {
  /** containers or pods, by name or id */
  names: string[];
  service?: boolean;
  /** the workload's kind: pod (default) or deployment */
  type?: 'pod' | 'deployment';
  replicas?: number;
}

export const GENERATE_HEADER = `# Save the output of this file and use kubectl create -f to import\n# it into Kubernetes.\n#\n# Created with tspod-${VERSION}\n`;

/** A name Kubernetes takes as a DNS label: lower case, [a-z0-9-], at most 63 characters. */
export function dnsLabel(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s || 'ctr';
}

const RESTART: Record<string, string> = { always: 'Always', 'unless-stopped': 'Always', 'on-failure': 'OnFailure', no: 'Never' };

/** The generated objects for the named containers and pods (one workload, plus its Service). */
export function generateKube(engine: LocalEngine, req: GenerateRequest): KubeObject[] {
  if (req.names.length === 0) throw invalidArgument('generate kube requires at least one container or pod');
  const db = engine.store.read();
  const pods: PodRecord[] = [];
  const ctrs: ContainerRecord[] = [];
  for (const name of req.names) {
    if (engine.exists(name)) {
      const rec = engine.get(name);
      if (rec.config.isInfra) throw invalidArgument(`${rec.name} is an infra container: generate kube of an infra container is not supported`);
      ctrs.push(rec);
      continue;
    }
    try {
      pods.push(findPod(db, name));
    } catch {
      throw new EngineError('no-such-object', `${name} does not refer to a container or pod: no pod with name or ID ${name} found: no such pod`, 'no such pod');
    }
  }
  if (pods.length && ctrs.length) throw invalidArgument('cannot generate pods and containers at the same time');
  if (pods.length > 1) throw invalidArgument('generating YAML for more than one pod is not supported by tspod');
  const out: KubeObject[] = [];
  let podName: string;
  let members: ContainerRecord[];
  let infra: ContainerRecord | undefined;
  let labels: Record<string, string>;
  let hostname = '';
  if (pods.length) {
    const pod = pods[0];
    podName = pod.name;
    const all = podContainers(db, pod);
    infra = all.find((c) => c.config.isInfra);
    members = all.filter((c) => !c.config.isInfra);
    labels = { app: dnsLabel(pod.name), ...pod.labels };
    hostname = pod.hostname || pod.name;
  } else {
    members = ctrs;
    podName = `${ctrs.map((c) => c.name).join('_')}-pod`;
    labels = { app: dnsLabel(podName) };
  }
  const ports = infra ? infra.config.ports ?? [] : members.flatMap((c) => c.config.ports ?? []);
  const template = podSpec(engine, podName, members, ports, infra, hostname);
  const meta: KubeObject = { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels, name: dnsLabel(podName) };
  if (req.service) out.push(serviceFor(dnsLabel(podName), labels, ports));
  if (req.type === 'deployment') {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...meta, name: `${dnsLabel(podName)}-deployment` },
      spec: { replicas: req.replicas ?? 1, selector: { matchLabels: { app: labels.app } }, template: { metadata: { ...template.meta, labels }, spec: template.spec } },
    });
  } else out.push({ apiVersion: 'v1', kind: 'Pod', metadata: { ...template.meta, ...meta }, spec: template.spec });
  return out;
}

/** The generated YAML document(s), with Podman's header. */
export function generateKubeYaml(engine: LocalEngine, req: GenerateRequest): string {
  return GENERATE_HEADER + generateKube(engine, req).map(toKubeYaml).join('---\n');
}

function podSpec(engine: LocalEngine, podName: string, members: ContainerRecord[], ports: PortMapping[], infra: ContainerRecord | undefined, hostname: string) {
  const volumes = new Map<string, KubeObject>();
  const annotations: Record<string, string> = {};
  const containers = members.map((c, i) => {
    const ctrName = containerName(c, podName);
    annotations[`io.kubernetes.cri-o.TTY/${ctrName}`] = String(c.config.tty);
    annotations[`io.podman.annotations.autoremove/${ctrName}`] = c.config.autoRemove ? 'TRUE' : 'FALSE';
    annotations[`io.podman.annotations.init/${ctrName}`] = c.config.init ? 'TRUE' : 'FALSE';
    annotations[`io.podman.annotations.privileged/${ctrName}`] = c.config.privileged ? 'TRUE' : 'FALSE';
    // The pod's published ports belong to its first container, as Podman writes them.
    return kubeContainer(engine, c, ctrName, i === 0 ? ports : [], volumes);
  });
  const net = (infra ?? members[0])?.config.network;
  const policy = members.length ? parseRestartPolicy(members[0].config.restartPolicy).name : 'no';
  const spec: KubeObject = {
    automountServiceAccountToken: false,
    containers,
    enableServiceLinks: false,
    ...(hostname ? { hostname: dnsLabel(hostname) } : {}),
    ...(net === 'host' ? { hostNetwork: true } : {}),
    restartPolicy: RESTART[policy] ?? 'Never',
    ...(volumes.size ? { volumes: [...volumes.values()] } : {}),
  };
  return { spec, meta: { annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => a.localeCompare(b))) } };
}

/** A played container is named POD-NAME: the pod's prefix goes, so that playing it again gives the same name. */
function containerName(c: ContainerRecord, podName: string): string {
  const n = c.config.pod && c.name.startsWith(`${podName}-`) ? c.name.slice(podName.length + 1) : c.name;
  return dnsLabel(n);
}

function sameList(a: string[] | null | undefined, b: string[] | null | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function kubeContainer(engine: LocalEngine, c: ContainerRecord, name: string, ports: PortMapping[], volumes: Map<string, KubeObject>): KubeObject {
  const img = imageConfig(engine.paths, c.imageId).config ?? {};
  const cfg = c.config;
  const k: KubeObject = {};
  // command replaces the image's ENTRYPOINT, args its CMD
  if (cfg.entrypointSet) {
    k.command = cfg.entrypoint;
    if (cfg.cmd.length) k.args = cfg.cmd;
  } else if (cfg.cmd.length && !sameList(cfg.cmd, img.Cmd ?? undefined)) {
    if (img.Entrypoint?.length) k.args = cfg.cmd;
    else k.command = cfg.cmd;
  }
  const imageEnv = new Set(img.Env ?? []);
  const env = cfg.env.filter((e) => !imageEnv.has(e) && !/^(HOSTNAME|container|TERM|HOME)=/.test(e));
  if (env.length)
    k.env = env.map((e) => {
      const i = e.indexOf('=');
      return i < 0 ? { name: e } : { name: e.slice(0, i), value: e.slice(i + 1) };
    });
  k.image = c.imageName;
  k.name = name;
  if (ports.length)
    k.ports = ports.map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      ...(p.hostIp ? { hostIP: p.hostIp } : {}),
      ...(p.protocol !== 'tcp' ? { protocol: p.protocol.toUpperCase() } : {}),
    }));
  const limits: Record<string, string> = {};
  if (cfg.resources?.memory) limits.memory = String(cfg.resources.memory);
  if (cfg.resources?.nanoCpus) limits.cpu = `${Math.round(cfg.resources.nanoCpus / 1e6)}m`;
  if (Object.keys(limits).length) k.resources = { limits };
  const sc: KubeObject = {};
  if (cfg.capAdd.length || cfg.capDrop.length)
    sc.capabilities = { ...(cfg.capAdd.length ? { add: cfg.capAdd } : {}), ...(cfg.capDrop.length ? { drop: cfg.capDrop } : {}) };
  if (cfg.privileged) sc.privileged = true;
  if (cfg.readOnly) sc.readOnlyRootFilesystem = true;
  if (cfg.security?.noNewPrivileges) sc.allowPrivilegeEscalation = false;
  const user = /^(\d+)(?::(\d+))?$/.exec(cfg.user);
  if (user) {
    sc.runAsUser = Number(user[1]);
    if (user[2] !== undefined) sc.runAsGroup = Number(user[2]);
  }
  if (Object.keys(sc).length) k.securityContext = sc;
  if (cfg.tty) k.tty = true;
  if (cfg.stdin) k.stdin = true;
  const mounts = cfg.mounts.flatMap((m) => volumeFor(engine, m, volumes));
  if (mounts.length) k.volumeMounts = mounts;
  if (cfg.workdir && cfg.workdir !== (img.WorkingDir || '/')) k.workingDir = cfg.workdir;
  return k;
}

/** A mount as a volumeMount plus its pod volume: bind = hostPath, named volume = PVC, tmpfs = emptyDir in memory. */
function volumeFor(engine: LocalEngine, m: MountSpec, volumes: Map<string, KubeObject>): KubeObject[] {
  if (m.type === 'image') return []; // Kubernetes (as Podman 4.3's generate kube) has no image volumes
  let name: string;
  let vol: KubeObject;
  if (m.type === 'bind') {
    let type = 'Directory';
    try {
      if (!require('node:fs').statSync(m.source).isDirectory()) type = 'File';
    } catch {
      type = 'DirectoryOrCreate';
    }
    const existing = [...volumes.entries()].find(([, v]) => (v.hostPath as { path?: string } | undefined)?.path === m.source);
    name = existing?.[0] ?? `${dnsLabel(m.source.replace(/\//g, '-')).slice(0, 50) || 'root'}-host-${volumes.size}`;
    vol = { hostPath: { path: m.source, type }, name };
  } else if (m.type === 'volume') {
    const rec = engine.store.read().volumes?.[m.source];
    if (rec?.anonymous) return []; // an anonymous volume (image VOLUME) has no name to claim: the cluster makes its own
    name = `${dnsLabel(m.source).slice(0, 59)}-pvc`;
    vol = { name, persistentVolumeClaim: { claimName: m.source } };
  } else {
    name = `${dnsLabel(m.destination.replace(/\//g, '-')).slice(0, 50) || 'root'}-tmpfs`;
    vol = { emptyDir: { medium: 'Memory' }, name };
  }
  volumes.set(name, vol);
  return [{ mountPath: m.destination, name, ...(m.rw ? {} : { readOnly: true }) }];
}

/** A NodePort Service for the published ports (node ports chosen at random, as Podman does). */
function serviceFor(name: string, labels: Record<string, string>, ports: PortMapping[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels, name },
    spec: {
      ports: ports.length ? ports.map((p) => ({
        name: String(p.containerPort),
        nodePort: randomInt(30000, 32768),
        port: p.containerPort,
        ...(p.protocol !== 'tcp' ? { protocol: p.protocol.toUpperCase() } : {}),
        targetPort: p.containerPort,
      })) : undefined,
      selector: { app: labels.app },
      type: 'NodePort',
    },
  };
}
