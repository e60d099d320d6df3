// `kube play`: Kubernetes YAML becomes pods here, as Podman 4.3 plays it.
// Each Pod (a Deployment's or DaemonSet's template: one pod) becomes a pod
// with an infra container; its containers are named POD-CONTAINER, its
// containers' ports are published by the pod, its volumes become binds
// (hostPath), named volumes (PVC, ConfigMap) or anonymous ones (emptyDir).
// The pods' exit policy is "stop": when the last container exits, the pod stops.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalEngine } from '../container/engine';
import type { ContainerConfig, MountSpec, PortMapping, PodRecord } from '../storage/records';
import { EngineError, invalidArgument } from '../errors';
import { ensureImage, type PullPolicy } from '../image/pull-policy';
import { lookupImage } from '../image/resolve';
import { createPod, getPod, removePod, startPod } from '../pod/pods';
import { parseNetworkMode } from '../network/container-config';
import { addVolume, volumeMountpoint } from '../volume/volumes';
import { isObj, listOf, objOf, readDocuments, secretValues, strOf, stringMap, type Obj, type Workload } from './objects';
import { parseKubeYaml } from './yaml';
import { livenessHealthcheck } from './probe';

export interface PlayRequest {
  /** the YAML text */
  yaml: string;
  /** start the pods (default true) */
  start?: boolean;
  replace?: boolean;
  /** --network: the pods' network (overrides hostNetwork) */
  network?: string;
  /** the texts of --configmap files */
  configMaps?: string[];
  /** --annotation: added to every container */
  annotations?: Record<string, string>;
  logDriver?: string;
  /** true: build every image that has a directory in the context; false: never; undefined: when missing */
  build?: boolean;
  contextDir?: string;
  /** where a build's output goes */
  buildLog?: (line: string) => void;
  /** --service-container: a container that runs while the pods do, named from the YAML's hash */
  serviceContainer?: boolean;
  /** --userns: only the host's (the default) is supported for pods */
  userns?: string;
  /** --publish: ports that override (same containerPort and protocol) or add to every pod's */
  publish?: PortMapping[];
  /**
   * The caller's NOTIFY_SOCKET (the CLI's, under systemd): with a service
   * container, READY=1 and MAINPID=its monitor go there once the pods run, as
   * Podman 4.3 does for `Type=notify` units (quadlet .kube, tspod-kube@.service).
   */
  notifySocket?: string;
  /** the caller's PODMAN_SYSTEMD_UNIT (the CLI's, set by the unit): a label on each container */
  systemdUnit?: string;
}

export interface PlayPodReport {
  ID: string;
  Containers: string[];
  InitContainers: string[];
  Logs: string[] | null;
  ContainerErrors: string[] | null;
}

/** Podman's PlayKubeReport (the libpod API's answer). */
export interface PlayReport {
  Pods: PlayPodReport[] | null;
  Volumes: { Name: string }[] | null;
  /** warnings (unsupported kinds and fields), printed by the CLI on stderr */
  Warnings?: string[];
  StopReport?: { Err: string | null; Id: string; RawInput: string }[] | null;
  RmReport?: { Err: string | null; Id: string }[] | null;
}

/** Podman limits each annotation value to Kubernetes' label length (63), and so does --annotation. */
export const ANNOTATION_MAX = 63;

export function checkAnnotationFlag(annotations: Record<string, string>): void {
  for (const v of Object.values(annotations)) if (v.length > ANNOTATION_MAX) throw invalidArgument(`annotation exceeds maximum size, ${ANNOTATION_MAX}, of kubernetes annotation: ${v}`);
}

const RESTART: Record<string, string> = { Always: 'always', OnFailure: 'on-failure', Never: 'no' };
const PULL: Record<string, PullPolicy> = { Always: 'always', IfNotPresent: 'missing', Never: 'never' };

/** Container fields acted on, and fields Kubernetes has that tspod accepts without acting on them. */
const CONTAINER_FIELDS = new Set(['name', 'image', 'command', 'args', 'env', 'envFrom', 'ports', 'volumeMounts', 'workingDir', 'securityContext', 'resources', 'imagePullPolicy', 'tty', 'stdin', 'stdinOnce', 'livenessProbe']);
const CONTAINER_IGNORED = new Set(['readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath', 'terminationMessagePolicy', 'volumeDevices', 'resizePolicy', 'restartPolicy']);
const POD_FIELDS = new Set(['containers', 'volumes', 'restartPolicy', 'hostNetwork', 'hostname', 'initContainers']);
const POD_IGNORED = new Set([
  'automountServiceAccountToken', 'enableServiceLinks', 'dnsPolicy', 'schedulerName', 'serviceAccount', 'serviceAccountName', 'terminationGracePeriodSeconds', 'securityContext',
  'nodeSelector', 'nodeName', 'affinity', 'tolerations', 'priority', 'priorityClassName', 'imagePullSecrets', 'dnsConfig', 'hostAliases', 'subdomain', 'shareProcessNamespace',
  'hostIPC', 'hostPID', 'preemptionPolicy', 'runtimeClassName', 'topologySpreadConstraints', 'readinessGates', 'overhead', 'os', 'setHostnameAsFQDN', 'activeDeadlineSeconds',
]);

export async function playKube(engine: LocalEngine, req: PlayRequest): Promise<PlayReport> {
  const docs = readDocuments(req.yaml, req.configMaps ?? []);
  const warnings = [...docs.warnings];
  checkAnnotationFlag(req.annotations ?? {});
  checkUserns(req.userns);
  if (req.serviceContainer && req.start === false) throw invalidArgument('running a service container requires starting the pod(s)');
  // Everything is checked before anything is made.
  const secrets = (name: string) => docs.secrets.get(name) ?? storedSecret(engine, name);
  const plans = docs.workloads.map((w) => planPod(w, docs.configMaps, secrets, req, warnings));
  const report: PlayReport = { Pods: [], Volumes: null, Warnings: warnings };
  for (const claim of docs.claims) {
    const name = strOf(claim.name, 'PersistentVolumeClaim.metadata.name') ?? '';
    const vol = engine.store.update((db) => addVolume(db, engine.paths, { name, labels: stringMap(claim.labels, 'labels') }, 'return'));
    (report.Volumes ??= []).push({ Name: vol.name });
  }
  if (req.replace) for (const plan of plans) await removePod(engine, plan.name, { force: true, ignoreMissing: true, timeout: 0 });
  const service = req.serviceContainer && plans.length ? await makeServiceContainer(engine, req) : undefined;
  try {
    for (const plan of plans) (report.Pods as PlayPodReport[]).push(await playPod(engine, plan, req, service));
  } catch (err) {
    // as Podman: a service container no pod got is not left behind
    if (service && !Object.values(engine.store.read().pods ?? {}).some((p) => p.serviceContainer === service))
      await engine.removeAsync(service, { force: true, ignoreMissing: true, timeout: 0 }).catch(() => undefined);
    throw err;
  }
  if (service && req.notifySocket) notifyReady(engine, service, req.notifySocket);
  return report;
}

/** --userns: Podman's values and errors; a mapped namespace is not something tspod's pods have. */
function checkUserns(userns: string | undefined): void {
  if (userns === undefined) return;
  const { parseUserns } = require('../container/idmap') as typeof import('../container/idmap');
  if (parseUserns(userns, [], []) !== undefined) throw invalidArgument(`--userns=${userns}: tspod plays pods in the host's user namespace only (--userns=host)`);
}

/**
 * The pods run: systemd's main process becomes the service container's monitor
 * (it runs while the pods do, and exits when they all have), then READY=1.
 */
function notifyReady(engine: LocalEngine, service: string, socket: string): void {
  const rec = engine.get(service);
  if (rec.state.status !== 'running' || !rec.state.conmonPid) throw new EngineError('internal', `service container ${rec.id} is not running: cannot notify systemd`);
  const { native } = require('../native') as typeof import('../native');
  native().dgramSend(socket, Buffer.from(`MAINPID=${rec.state.conmonPid}\nREADY=1`));
}

/** Podman's service container: the infra image, named from the first 12 hex digits of the YAML's sha256. */
async function makeServiceContainer(engine: LocalEngine, req: PlayRequest): Promise<string> {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const { ensureInfraImage } = require('../pod/infra-image') as typeof import('../pod/infra-image');
  const name = `${createHash('sha256').update(req.yaml).digest('hex').slice(0, 12)}-service`;
  const image = await ensureInfraImage(engine);
  return engine.create({ image, name, command: [], config: { isService: true, network: 'none', systemd: 'false', sdnotify: 'ignore' }, replace: true }).id;
}

interface ContainerPlan {
  name: string;
  image: string;
  pull: PullPolicy;
  command: string[];
  config: Partial<ContainerConfig>;
  /** ConfigMap volumes to fill before the container is created: volume name -> files */
  configVolumes: Map<string, Record<string, string>>;
  /** hostPath directories and files to make (DirectoryOrCreate, FileOrCreate) */
  create: { path: string; dir: boolean }[];
}

interface PodPlan {
  name: string;
  labels: Record<string, string>;
  hostname?: string;
  network?: string;
  ports: PortMapping[];
  containers: ContainerPlan[];
}

function checkAnnotations(a: Record<string, string>): void {
  for (const [k, v] of Object.entries(a)) if (v.length > 63) throw invalidArgument(`invalid annotation "${k}"="${v}"`);
}

type SecretLookup = (name: string) => Record<string, string> | undefined;

/** A tspod secret (`secret create`) holding a Kubernetes Secret in YAML or JSON, as Podman reads them for secretKeyRef. */
function storedSecret(engine: LocalEngine, name: string): Record<string, string> | undefined {
  const { findSecret, secretData } = require('../secret/secrets') as typeof import('../secret/secrets');
  const rec = findSecret(engine.store.read(), name);
  if (!rec) return undefined;
  let doc: unknown;
  try {
    doc = parseKubeYaml(secretData(engine.paths, rec).toString('utf8'))[0];
  } catch {
    doc = undefined;
  }
  if (!isObj(doc) || doc.kind !== 'Secret') throw invalidArgument(`secret ${name} does not hold a Kubernetes Secret (YAML or JSON with kind: Secret)`);
  return secretValues(doc, name);
}

function planPod(w: Workload, configMaps: Map<string, Record<string, string>>, secrets: SecretLookup, req: PlayRequest, warnings: string[]): PodPlan {
  const spec = w.spec;
  for (const k of Object.keys(spec))
    if (!POD_FIELDS.has(k) && !POD_IGNORED.has(k)) warnings.push(`${w.kind} ${w.podName}: field spec.${k} is not known to tspod; ignored`);
  if (spec.initContainers !== undefined && listOf(spec.initContainers, 'initContainers').length)
    throw invalidArgument(`${w.kind} ${w.podName}: initContainers are not supported by tspod`);
  const annotations = stringMap(w.meta.annotations, 'metadata.annotations');
  checkAnnotations(annotations);
  const labels = stringMap(w.meta.labels, 'metadata.labels');
  const volumes = new Map<string, Obj>();
  for (const [i, v] of listOf(spec.volumes, 'spec.volumes').entries()) {
    const vo = objOf(v, `spec.volumes[${i}]`);
    const name = strOf(vo.name, `spec.volumes[${i}].name`);
    if (!name) throw invalidArgument(`spec.volumes[${i}] has no name`);
    volumes.set(name, vo);
  }
  const restartName = strOf(spec.restartPolicy, 'spec.restartPolicy') ?? 'Always';
  const restartPolicy = RESTART[restartName];
  if (!restartPolicy) throw invalidArgument(`${w.podName}: unknown restartPolicy "${restartName}" (Always, OnFailure or Never)`);
  const ports: PortMapping[] = [];
  const ctrs = listOf(spec.containers, 'spec.containers');
  if (ctrs.length === 0) throw invalidArgument(`${w.kind} ${w.podName} has no containers`);
  const containers = ctrs.map((c, i) => {
    const where = `${w.podName}: spec.containers[${i}]`;
    const co = objOf(c, where);
    for (const k of Object.keys(co)) {
      if (CONTAINER_IGNORED.has(k)) warnings.push(`${where}: ${k} is not supported by tspod; ignored`);
      else if (!CONTAINER_FIELDS.has(k)) warnings.push(`${where}: field ${k} is not known to tspod; ignored`);
    }
    const plan = planContainer(w, co, where, volumes, configMaps, secrets, req);
    plan.config.restartPolicy = restartPolicy;
    // as Podman's play: a failing liveness check restarts the container when the policy restarts
    if (plan.config.healthcheck && restartPolicy !== 'no') plan.config.healthOnFailure = 'restart';
    plan.config.annotations = { ...annotations, ...(req.annotations ?? {}) };
    for (const [j, p] of listOf(co.ports, `${where}.ports`).entries()) ports.push(portOf(objOf(p, `${where}.ports[${j}]`), `${where}.ports[${j}]`));
    return plan;
  });
  const names = new Set<string>();
  for (const c of containers) {
    if (names.has(c.name)) throw invalidArgument(`${w.podName}: two containers are named ${c.name}`);
    names.add(c.name);
  }
  const network = req.network ?? (spec.hostNetwork === true ? 'host' : undefined);
  if (network === 'host' && ports.length) warnings.push(`${w.podName}: the pod uses the host's network: its ports are not published (the containers listen on the host directly)`);
  return {
    name: w.podName,
    labels,
    hostname: strOf(spec.hostname, 'spec.hostname'),
    network,
    ports: network === 'host' ? [] : mergePorts(ports, req.publish ?? []),
    containers,
  };
}

/** --publish over the YAML's ports: matched by containerPort and protocol, as Podman's kube play --publish. */
function mergePorts(yaml: PortMapping[], publish: PortMapping[]): PortMapping[] {
  const same = (a: PortMapping, b: PortMapping) => a.containerPort === b.containerPort && a.protocol === b.protocol;
  return [...yaml.filter((p) => !publish.some((q) => same(p, q))), ...publish];
}

function portOf(p: Obj, where: string): PortMapping {
  const containerPort = p.containerPort;
  if (typeof containerPort !== 'number' || !Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535)
    throw invalidArgument(`${where}: containerPort must be a port number (1-65535)`);
  // Podman publishes a containerPort without hostPort on the same port of the host.
  const hostPort = p.hostPort ?? containerPort;
  if (typeof hostPort !== 'number' || !Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) throw invalidArgument(`${where}: hostPort must be a port number (1-65535)`);
  const proto = (strOf(p.protocol, `${where}.protocol`) ?? 'TCP').toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`${where}: protocol ${proto.toUpperCase()} is not supported (TCP or UDP)`);
  return { hostIp: strOf(p.hostIP, `${where}.hostIP`) ?? '', hostPort, containerPort, protocol: proto };
}

const strList = (v: unknown, where: string): string[] => listOf(v, where).map((x) => (typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : (() => { throw invalidArgument(`${where} must be a list of strings`); })()));

/** Kubernetes quantities: 128Mi, 1G, 500m (cpu), 0.5. */
export function parseQuantity(v: unknown, where: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(v));
  if (!m) throw invalidArgument(`${where}: invalid quantity "${String(v)}"`);
  const mult: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function planContainer(w: Workload, c: Obj, where: string, volumes: Map<string, Obj>, configMaps: Map<string, Record<string, string>>, secrets: SecretLookup, req: PlayRequest): ContainerPlan {
  const name = strOf(c.name, `${where}.name`);
  if (!name) throw invalidArgument(`${where} has no name`);
  const image = strOf(c.image, `${where}.image`);
  if (!image) throw invalidArgument(`${where} (${name}) has no image`);
  const pullName = strOf(c.imagePullPolicy, `${where}.imagePullPolicy`);
  const pull = pullName === undefined ? 'missing' : PULL[pullName];
  if (!pull) throw invalidArgument(`${where}: unknown imagePullPolicy "${pullName}" (Always, IfNotPresent or Never)`);
  // Podman's kube play: containers do not talk to systemd (the play sends READY once all run)
  const config: Partial<ContainerConfig> = { pod: w.podName, sdnotify: 'ignore' };
  const command = c.command === undefined ? undefined : strList(c.command, `${where}.command`);
  const args = c.args === undefined ? undefined : strList(c.args, `${where}.args`);
  if (command) {
    config.entrypoint = command;
    config.entrypointSet = true;
  }
  const env: string[] = [];
  for (const [i, e] of listOf(c.envFrom, `${where}.envFrom`).entries()) {
    const eo = objOf(e, `${where}.envFrom[${i}]`);
    const isSecret = eo.secretRef !== undefined;
    if (eo.configMapRef === undefined && !isSecret) throw invalidArgument(`${where}.envFrom[${i}]: configMapRef or secretRef is needed`);
    const ref = objOf(isSecret ? eo.secretRef : eo.configMapRef, `${where}.envFrom[${i}]`);
    const refName = strOf(ref.name, 'envFrom name') ?? '';
    const cm = isSecret ? secrets(refName) : configMaps.get(refName);
    if (!cm) {
      if (ref.optional === true) continue;
      throw invalidArgument(isSecret ? `${where}: no Secret named ${refName} (in the YAML or as a tspod secret)` : `${where}: no ConfigMap named ${refName} (give it in the YAML or with --configmap)`);
    }
    const prefix = strOf(eo.prefix, 'envFrom.prefix') ?? '';
    for (const [k, v] of Object.entries(cm)) env.push(`${prefix}${k}=${v}`);
  }
  for (const [i, e] of listOf(c.env, `${where}.env`).entries()) {
    const eo = objOf(e, `${where}.env[${i}]`);
    const n = strOf(eo.name, `${where}.env[${i}].name`);
    if (!n || n.includes('=')) throw invalidArgument(`${where}.env[${i}]: invalid name "${n ?? ''}"`);
    if (eo.valueFrom !== undefined) {
      const vf = objOf(eo.valueFrom, `${where}.env[${i}].valueFrom`);
      const isSecret = vf.secretKeyRef !== undefined;
      if (vf.configMapKeyRef === undefined && !isSecret) throw invalidArgument(`${where}.env[${i}] (${n}): valueFrom supports configMapKeyRef and secretKeyRef in tspod`);
      const ref = objOf(isSecret ? vf.secretKeyRef : vf.configMapKeyRef, `${where}.env[${i}].valueFrom`);
      const refName = strOf(ref.name, 'valueFrom name') ?? '';
      const key = strOf(ref.key, 'valueFrom key') ?? '';
      const value = (isSecret ? secrets(refName) : configMaps.get(refName))?.[key];
      if (value === undefined) {
        if (ref.optional === true) continue;
        throw invalidArgument(`${where}: env ${n}: no key ${key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${refName}`);
      }
      env.push(`${n}=${value}`);
    } else env.push(`${n}=${eo.value === undefined || eo.value === null ? '' : String(eo.value)}`);
  }
  config.env = env;
  const wd = strOf(c.workingDir, `${where}.workingDir`);
  if (wd) {
    if (!wd.startsWith('/')) throw invalidArgument(`${where}.workingDir must be an absolute path`);
    config.workdir = wd;
  }
  if (c.tty === true) config.tty = true;
  if (c.livenessProbe !== undefined) config.healthcheck = livenessHealthcheck(objOf(c.livenessProbe, `${where}.livenessProbe`), `${where}.livenessProbe`);
  if (c.stdin === true) config.stdin = true;
  const sc = objOf(c.securityContext, `${where}.securityContext`);
  if (sc.runAsUser !== undefined || sc.runAsGroup !== undefined) {
    const uid = sc.runAsUser ?? 0;
    if (!Number.isInteger(uid) || (sc.runAsGroup !== undefined && !Number.isInteger(sc.runAsGroup))) throw invalidArgument(`${where}.securityContext: runAsUser and runAsGroup must be integers`);
    config.user = sc.runAsGroup !== undefined ? `${String(uid)}:${String(sc.runAsGroup)}` : String(uid);
  }
  if (sc.privileged === true) config.privileged = true;
  if (sc.readOnlyRootFilesystem === true) config.readOnly = true;
  const caps = objOf(sc.capabilities, `${where}.securityContext.capabilities`);
  const cap = (x: string) => {
    const u = x.toUpperCase();
    if (!/^[A-Z_]+$/.test(u)) throw invalidArgument(`${where}: invalid capability "${x}"`);
    return u.startsWith('CAP_') ? u : `CAP_${u}`;
  };
  if (caps.add !== undefined) config.capAdd = strList(caps.add, 'capabilities.add').map(cap);
  if (caps.drop !== undefined) config.capDrop = strList(caps.drop, 'capabilities.drop').map(cap);
  const limits = objOf(objOf(c.resources, `${where}.resources`).limits, `${where}.resources.limits`);
  if (limits.memory !== undefined || limits.cpu !== undefined)
    config.resources = {
      ...(limits.memory !== undefined ? { memory: Math.round(parseQuantity(limits.memory, `${where}.resources.limits.memory`)) } : {}),
      ...(limits.cpu !== undefined ? { nanoCpus: Math.round(parseQuantity(limits.cpu, `${where}.resources.limits.cpu`) * 1e9) } : {}),
    };
  if (req.logDriver !== undefined) {
    if (!['k8s-file', 'passthrough', 'none', 'journald'].includes(req.logDriver)) throw invalidArgument(`invalid log driver: "${req.logDriver}"`);
    config.logDriver = req.logDriver === 'journald' ? 'k8s-file' : (req.logDriver as ContainerConfig['logDriver']);
  }
  const mounts: MountSpec[] = [];
  const configVolumes = new Map<string, Record<string, string>>();
  const create: { path: string; dir: boolean }[] = [];
  for (const [i, m] of listOf(c.volumeMounts, `${where}.volumeMounts`).entries()) {
    const mo = objOf(m, `${where}.volumeMounts[${i}]`);
    const vname = strOf(mo.name, `${where}.volumeMounts[${i}].name`) ?? '';
    // Podman takes options after the path: /data:z, /data:ro
    const [dest, ...opts] = (strOf(mo.mountPath, `${where}.volumeMounts[${i}].mountPath`) ?? '').split(':');
    if (!dest.startsWith('/')) throw invalidArgument(`${where}.volumeMounts[${i}]: mountPath must be an absolute path`);
    for (const o of opts.flatMap((o) => o.split(','))) if (!['z', 'Z', 'ro', 'rw', ''].includes(o)) throw invalidArgument(`${where}.volumeMounts[${i}]: invalid mount option "${o}"`);
    if (mo.subPath !== undefined) throw invalidArgument(`${where}.volumeMounts[${i}]: subPath is not supported by tspod`);
    const rw = mo.readOnly !== true && !opts.includes('ro');
    const vol = volumes.get(vname);
    if (!vol) throw invalidArgument(`${where}: volume mount ${vname} has no volume of that name in spec.volumes`);
    if (vol.hostPath !== undefined) {
      const hp = objOf(vol.hostPath, `volume ${vname}: hostPath`);
      const p = strOf(hp.path, `volume ${vname}: hostPath.path`) ?? '';
      if (!path.isAbsolute(p)) throw invalidArgument(`volume ${vname}: hostPath.path must be an absolute path`);
      const type = strOf(hp.type, `volume ${vname}: hostPath.type`) ?? '';
      checkHostPath(vname, p, type, create);
      mounts.push({ type: 'bind', source: path.resolve(p), destination: dest, rw, options: [] });
    } else if (vol.persistentVolumeClaim !== undefined) {
      const claim = strOf(objOf(vol.persistentVolumeClaim, 'persistentVolumeClaim').claimName, `volume ${vname}: claimName`) ?? '';
      if (!VOLUME_NAME.test(claim)) throw invalidArgument(`volume ${vname}: invalid claimName "${claim}"`);
      mounts.push({ type: 'volume', source: claim, destination: dest, rw, options: [] });
    } else if (vol.emptyDir !== undefined) {
      const medium = strOf(objOf(vol.emptyDir, 'emptyDir').medium, 'emptyDir.medium');
      if (medium === 'Memory') mounts.push({ type: 'tmpfs', source: 'tmpfs', destination: dest, rw, options: [] });
      else mounts.push({ type: 'volume', source: '', destination: dest, rw, options: [] });
    } else if (vol.configMap !== undefined) {
      const ref = objOf(vol.configMap, 'configMap');
      const cmName = strOf(ref.name, `volume ${vname}: configMap.name`) ?? '';
      const cm = configMaps.get(cmName);
      if (!cm) {
        if (ref.optional === true) continue;
        throw invalidArgument(`volume ${vname}: no ConfigMap named ${cmName} (give it in the YAML or with --configmap)`);
      }
      if (!VOLUME_NAME.test(cmName)) throw invalidArgument(`volume ${vname}: ConfigMap name "${cmName}" cannot name a volume`);
      let files = cm;
      if (ref.items !== undefined) {
        files = {};
        for (const it of listOf(ref.items, 'configMap.items')) {
          const io = objOf(it, 'configMap.items[]');
          const key = strOf(io.key, 'items.key') ?? '';
          if (cm[key] === undefined) throw invalidArgument(`volume ${vname}: no key ${key} in ConfigMap ${cmName}`);
          files[strOf(io.path, 'items.path') ?? key] = cm[key];
        }
      }
      for (const k of Object.keys(files)) if (!CONFIG_KEY.test(k) || k === '.' || k === '..') throw invalidArgument(`ConfigMap ${cmName}: "${k}" cannot name a file`);
      configVolumes.set(cmName, files);
      mounts.push({ type: 'volume', source: cmName, destination: dest, rw: false, options: [] });
    } else {
      const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'empty';
      throw invalidArgument(`volume ${vname}: volume type ${kind} is not supported by tspod (hostPath, persistentVolumeClaim, emptyDir, configMap)${kind === 'secret' ? '; use env with secretKeyRef, or run --secret' : ''}`);
    }
  }
  config.mounts = mounts;
  return { name: `${w.podName}-${name}`, image, pull, command: args ?? [], config, configVolumes, create };
}

/** hostPath's type as the kubelet checks it; the *OrCreate types are made at play. */
function checkHostPath(vname: string, p: string, type: string, create: { path: string; dir: boolean }[]): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(p);
  } catch {
    st = undefined;
  }
  const fail = (what: string) => {
    throw invalidArgument(`volume ${vname}: hostPath ${p} ${what}`);
  };
  switch (type) {
    case '':
      if (!st) fail('does not exist');
      return;
    case 'DirectoryOrCreate':
      if (!st) create.push({ path: p, dir: true });
      else if (!st.isDirectory()) fail('is not a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('is not a directory');
      return;
    case 'FileOrCreate':
      if (!st) create.push({ path: p, dir: false });
      else if (!st.isFile()) fail('is not a file');
      return;
    case 'File':
      if (!st?.isFile()) fail('is not a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('is not a socket');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('is not a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('is not a block device');
      return;
    default:
      fail(`has an unknown type "${type}"`);
  }
}

/** The image: built from CONTEXT/NAME/Containerfile when asked (or when missing and such a directory exists), else pulled by policy. */
async function provideImage(engine: LocalEngine, c: ContainerPlan, req: PlayRequest): Promise<void> {
  if (req.build !== false) {
    const base = c.image.replace(/@.*$/, '').replace(/:[^/:]*$/, '').split('/').pop() ?? '';
    const dir = path.join(req.contextDir ?? process.cwd(), base);
    const hasDir = base !== '' && base !== '.' && base !== '..' && ['Containerfile', 'Dockerfile'].some((f) => fs.existsSync(path.join(dir, f)));
    if (hasDir && (req.build === true || !lookupImage(engine.store.read(), c.image))) {
      const { buildImage } = require('../build/builder') as typeof import('../build/builder');
      const log = req.buildLog ?? ((l: string) => process.stderr.write(`${l}\n`));
      await buildImage(engine, {
        contextDir: dir,
        tags: [c.image],
        buildArgs: new Map(),
        noCache: false,
        layers: true,
        labels: [],
        pull: 'missing',
        network: 'private',
        quiet: false,
        log,
        stdout: process.stderr,
        stderr: process.stderr,
      });
      return;
    }
  }
  await ensureImage(engine.store, c.image, c.pull);
}

async function playPod(engine: LocalEngine, plan: PodPlan, req: PlayRequest, service: string | undefined): Promise<PlayPodReport> {
  for (const c of plan.containers) await provideImage(engine, c, req);
  if (plan.network !== undefined) parseNetworkMode(plan.network); // checked before the pod is made
  const pod = await createPod(engine, {
    name: plan.name,
    labels: plan.labels,
    hostname: plan.hostname,
    ports: plan.ports,
    network: plan.network,
    exitPolicy: 'stop',
    infraSdnotify: 'ignore',
  });
  if (service)
    engine.store.update((db) => {
      const p = db.pods?.[pod.id];
      if (p) p.serviceContainer = service;
    });
  const ids: string[] = [];
  try {
    for (const c of plan.containers) {
      for (const f of c.create) {
        if (f.dir) fs.mkdirSync(f.path, { recursive: true, mode: 0o755 });
        else fs.closeSync(fs.openSync(f.path, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW, 0o644));
      }
      for (const [vol, files] of c.configVolumes) fillConfigVolume(engine, vol, files);
      // as Podman: the unit a container runs under is a label (auto-update restarts it)
      const labels = req.systemdUnit ? { labels: { ...(c.config.labels ?? {}), PODMAN_SYSTEMD_UNIT: req.systemdUnit } } : {};
      const rec = engine.create({ image: c.image, name: c.name, command: c.command, config: { ...c.config, ...labels, pod: pod.id }, replace: req.replace });
      ids.push(rec.id);
    }
  } catch (err) {
    await removePod(engine, pod.id, { force: true, ignoreMissing: true, timeout: 0 }).catch(() => undefined);
    throw err;
  }
  const errors: string[] = [];
  if (req.start !== false)
    try {
      await startPod(engine, pod.id);
    } catch (err) {
      errors.push((err as Error).message);
    }
  return { ID: pod.id, Containers: ids, InitContainers: [], Logs: null, ContainerErrors: errors.length ? errors : null };
}

/** A ConfigMap volume: a named volume holding one file per key (rewritten at each play). */
function fillConfigVolume(engine: LocalEngine, name: string, files: Record<string, string>): void {
  engine.store.update((db) => addVolume(db, engine.paths, { name, labels: { 'io.tspod.kube.configmap': name } }, 'return'));
  const dir = volumeMountpoint(engine.paths, name);
  const dfd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    for (const [k, v] of Object.entries(files)) {
      // O_NOFOLLOW: a container may have left a symlink under that name
      const fd = fs.openSync(`/proc/self/fd/${dfd}/${k}`, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o644);
      try {
        fs.writeSync(fd, v);
      } finally {
        fs.closeSync(fd);
      }
    }
  } finally {
    fs.closeSync(dfd);
  }
}

/** The pods a YAML text plays (by name), for `kube down` and `play --down`. */
export function podsOf(yaml: string): string[] {
  return readDocuments(yaml).workloads.map((w) => w.podName);
}

/** `kube down`: stops and removes the pods the YAML made (missing ones are skipped). */
export async function downKube(engine: LocalEngine, yaml: string): Promise<PlayReport> {
  const { stopPod, podMembers } = require('../pod/pods') as typeof import('../pod/pods');
  const found: PodRecord[] = [];
  for (const name of podsOf(yaml))
    try {
      found.push(getPod(engine, name));
    } catch (err) {
      if (!(err instanceof EngineError && err.kind === 'no-such-object')) throw err;
    }
  const StopReport: { Err: string | null; Id: string; RawInput: string }[] = [];
  const RmReport: { Err: string | null; Id: string }[] = [];
  for (const pod of found) {
    try {
      // the containers stop together (each may take its stop timeout), then the infra
      const running = podMembers(engine, pod).filter((c) => !c.config.isInfra && c.state.status === 'running');
      await Promise.all(running.map((c) => engine.stop(c.id, 10).catch(() => undefined)));
      await stopPod(engine, pod.id, 10);
      StopReport.push({ Err: null, Id: pod.id, RawInput: pod.name });
    } catch (err) {
      StopReport.push({ Err: (err as Error).message, Id: pod.id, RawInput: pod.name });
    }
    try {
      await removePod(engine, pod.id, { force: true, timeout: 0 });
      RmReport.push({ Err: null, Id: pod.id });
    } catch (err) {
      RmReport.push({ Err: (err as Error).message, Id: pod.id });
    }
  }
  return { Pods: null, Volumes: null, StopReport, RmReport };
}

