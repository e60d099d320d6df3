// The Kubernetes objects `kube play` and `kube down` read: which documents
// make pods (Pod, Deployment, DaemonSet) and under which pod names, and the
// ConfigMaps and PVCs beside them. Unknown kinds are named in a warning.
import { invalidArgument } from '../errors';
import { parseKubeYaml } from './yaml';

export type Obj = Record<string, unknown>;

/** More replicas than this on one machine is a mistake, not a plan. */
const MAX_REPLICAS = 64;

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const objOf = (v: unknown, where: string): Obj => {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw invalidArgument(`${where} must be a mapping`);
  return v;
};
export const listOf = (v: unknown, where: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArgument(`${where} must be a list`);
  return v;
};
export const strOf = (v: unknown, where: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidArgument(`${where} must be a string`);
  return v;
};
export const stringMap = (v: unknown, where: string): Record<string, string> => {
  const o = objOf(v, where);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) out[k] = val === null || val === undefined ? '' : typeof val === 'object' ? JSON.stringify(val) : String(val);
  return out;
};

/** A workload that becomes one pod here. */
export interface Workload {
  kind: 'Pod' | 'Deployment' | 'DaemonSet';
  /** the pod's name here (a Deployment's replicas: NAME-pod-0, NAME-pod-1, ... as Podman names them) */
  podName: string;
  meta: Obj;
  spec: Obj;
}

export interface KubeDocuments {
  workloads: Workload[];
  configMaps: Map<string, Record<string, string>>;
  /** Secrets of the YAML (data decoded): env values only, never written to disk by play */
  secrets: Map<string, Record<string, string>>;
  claims: Obj[];
  warnings: string[];
}

/** Reads every document; configMapTexts are the extra --configmap files. */
export function readDocuments(text: string, configMapTexts: string[] = []): KubeDocuments {
  const res: KubeDocuments = { workloads: [], configMaps: new Map(), secrets: new Map(), claims: [], warnings: [] };
  const docs = parseKubeYaml(text);
  if (docs.length === 0) throw invalidArgument('unable to read kube YAML: no documents');
  for (const extra of configMapTexts)
    for (const d of parseKubeYaml(extra)) {
      if (!isObj(d) || d.kind !== 'ConfigMap') throw invalidArgument(`--configmap: a file holds a ${isObj(d) ? String(d.kind) : 'non-object'} document, not a ConfigMap`);
      addConfigMap(res, d);
    }
  for (const [i, d] of docs.entries()) {
    if (!isObj(d)) throw invalidArgument(`unable to read kube YAML: document ${i + 1} is not a mapping`);
    const kind = strOf(d.kind, `document ${i + 1}: kind`);
    if (!kind) throw invalidArgument(`unable to read kube YAML: document ${i + 1} has no kind`);
    const meta = objOf(d.metadata, `${kind}.metadata`);
    const name = strOf(meta.name, `${kind}.metadata.name`) ?? '';
    switch (kind) {
      case 'Pod':
        res.workloads.push({ kind, podName: name, meta, spec: objOf(d.spec, 'Pod.spec') });
        break;
      case 'Deployment':
      case 'DaemonSet': {
        const spec = objOf(d.spec, `${kind}.spec`);
        const tmpl = objOf(spec.template, `${kind}.spec.template`);
        const tmeta = objOf(tmpl.metadata, `${kind}.spec.template.metadata`);
        if (!name) throw invalidArgument(`${kind} has no metadata.name`);
        // A Deployment's replicas are pods NAME-pod-0, NAME-pod-1, ... (as Podman plays them); a DaemonSet is one pod here.
        const replicas = kind === 'Deployment' ? (spec.replicas ?? 1) : 1;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS)
          throw invalidArgument(`Deployment ${name}: replicas must be an integer from 0 to ${MAX_REPLICAS}`);
        for (let r = 0; r < replicas; r++)
          res.workloads.push({
            kind,
            podName: kind === 'Deployment' ? `${name}-pod-${r}` : `${name}-pod`,
            meta: { ...tmeta, labels: { ...stringMap(meta.labels, 'labels'), ...stringMap(tmeta.labels, 'labels') }, annotations: { ...stringMap(meta.annotations, 'annotations'), ...stringMap(tmeta.annotations, 'annotations') } },
            spec: objOf(tmpl.spec, `${kind}.spec.template.spec`),
          });
        break;
      }
      case 'ConfigMap':
        addConfigMap(res, d);
        break;
      case 'Secret':
        res.secrets.set(name, secretValues(d, name));
        break;
      case 'PersistentVolumeClaim':
        res.claims.push(meta);
        break;
      case 'Service':
        break; // what a Service asks for (ports) comes from the containers' ports here
      default:
        res.warnings.push(`kind "${kind}" (document ${i + 1}) is not supported by kube play; it was skipped`);
    }
  }
  for (const w of res.workloads) if (!w.podName) throw invalidArgument(`a ${w.kind} has no metadata.name`);
  return res;
}

function addConfigMap(res: KubeDocuments, d: Obj): void {
  const meta = objOf(d.metadata, 'ConfigMap.metadata');
  const name = strOf(meta.name, 'ConfigMap.metadata.name');
  if (!name) throw invalidArgument('a ConfigMap has no metadata.name');
  res.configMaps.set(name, stringMap(d.data, `ConfigMap ${name}: data`));
}

/** A Secret's values: data (base64, checked) with stringData over it. */
export function secretValues(d: Obj, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(stringMap(d.data, `Secret ${name}: data`))) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw invalidArgument(`Secret ${name}: data.${k} is not base64`);
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return { ...out, ...stringMap(d.stringData, `Secret ${name}: stringData`) };
}
