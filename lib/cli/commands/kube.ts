// `tspod kube generate|play|down`, and Podman 4.3's older spellings
// `generate kube` and `play kube`: Kubernetes YAML from and to pods (lib/kube).
import * as fs from 'node:fs';
import type { CliContext, CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, int, keyValues, str, UsageError, type Parsed } from '../parse';
import { EngineError, invalidArgument } from '../../errors';
import type { PlayReport } from '../../engine/engine';
import { parsePublish } from '../../network/ports';

const YAML_LIMIT = 16 * 1024 * 1024;

/** FILE, `-` (stdin) or an http(s) URL, as Podman reads the YAML. */
async function readYaml(src: string): Promise<string> {
  if (/^https?:\/\//i.test(src)) {
    let res: Response;
    try {
      res = await fetch(src, { redirect: 'follow', signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      throw new EngineError('internal', `downloading YAML from ${src}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    if (!res.ok) throw new EngineError('internal', `downloading YAML from ${src}: ${res.status} ${res.statusText}`);
    const buf = Buffer.from(await res.arrayBuffer());
    if (buf.length > YAML_LIMIT) throw invalidArgument(`the YAML at ${src} is larger than ${YAML_LIMIT} bytes`);
    return buf.toString('utf8');
  }
  try {
    if (src === '-') return fs.readFileSync(0, 'utf8');
    const st = fs.statSync(src);
    if (!st.isFile()) throw invalidArgument(`${src} is not a file`);
    if (st.size > YAML_LIMIT) throw invalidArgument(`${src} is larger than ${YAML_LIMIT} bytes`);
    return fs.readFileSync(src, 'utf8');
  } catch (e) {
    if (e instanceof EngineError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError('invalid-argument', `open ${src}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

function printWarnings(r: PlayReport): void {
  for (const w of r.Warnings ?? []) err(`time="${new Date().toISOString()}" level=warning msg=${JSON.stringify(w)}\n`);
}

/** Podman's listing: the volumes, then each pod with its containers and a blank line. */
function printPlay(r: PlayReport): number {
  printWarnings(r);
  const vols = r.Volumes ?? [];
  if (vols.length) out(`${vols.length === 1 ? 'Volume' : 'Volumes'}:\n${vols.map((v) => `${v.Name}\n`).join('')}`);
  let failed = 0;
  for (const p of r.Pods ?? []) {
    out(`Pod:\n${p.ID}\n`);
    if (!p.Containers.length) continue;
    out(`${p.Containers.length === 1 ? 'Container' : 'Containers'}:\n${p.Containers.map((c) => `${c}\n`).join('')}`);
    for (const e of p.ContainerErrors ?? []) {
      err(`${e}\n`);
      failed++;
    }
    out('\n');
  }
  if (failed) {
    err(`Error: failed to start ${failed} containers\n`);
    return 125;
  }
  return 0;
}

function printDown(r: PlayReport): number {
  const stopped = r.StopReport ?? [];
  const removed = r.RmReport ?? [];
  let code = 0;
  if (stopped.length) out(`Pods stopped:\n${stopped.filter((s) => !s.Err).map((s) => `${s.Id}\n`).join('')}`);
  if (removed.length) out(`Pods removed:\n${removed.filter((s) => !s.Err).map((s) => `${s.Id}\n`).join('')}`);
  for (const e of [...stopped, ...removed]) {
    if (!e.Err) continue;
    err(`Error: ${e.Err}\n`);
    code = 125;
  }
  return code;
}

const playFlags: CommandDef['flags'] = [
  { name: 'annotation', type: 'array', help: 'Add annotations to pods (key=value)' },
  { name: 'build', type: 'bool', help: 'Build all images in a YAML (given Containerfiles)' },
  { name: 'configmap', type: 'array', help: '`Pathname` of a YAML file containing a kubernetes configmap' },
  { name: 'context-dir', type: 'string', help: 'Path to top level of context directory' },
  { name: 'down', type: 'bool', help: 'Stop pods defined in the YAML file' },
  { name: 'log-driver', type: 'string', help: 'Logging driver for the container' },
  { name: 'network', type: 'array', help: 'Connect pod to network(s) or network mode' },
  { name: 'publish', type: 'array', help: 'Publish a container port, or range of ports, to the host (overrides the YAML\'s for the same container port)' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output information when pulling images' },
  { name: 'replace', type: 'bool', help: 'Delete and recreate pods defined in the YAML file' },
  { name: 'service-container', type: 'bool', help: 'Starts a service container before all pods' },
  { name: 'start', type: 'bool', default: true, help: 'Start the pod after creating it' },
  { name: 'userns', type: 'string', help: 'User namespace to use' },
  { name: 'tls-verify', type: 'bool', default: true, help: 'Require HTTPS and verify certificates when contacting registries' },
  { name: 'authfile', type: 'string', help: 'Path of the authentication file' },
];

async function runPlay(ctx: CliContext, p: Parsed): Promise<number> {
  const f = p.flags;
  const yaml = await readYaml(p.args[0]);
  if (bool(f.down)) return printDown(await ctx.client.kubeDown(yaml));
  const annotations = keyValues(arr(f.annotation));
  const contextDir = str(f['context-dir']);
  if (contextDir !== undefined && !p.given.has('build')) throw invalidArgument('--build must be specified when using --context-dir option');
  const report = await ctx.client.kubePlay({
    yaml,
    start: f.start !== false,
    replace: bool(f.replace),
    network: arr(f.network).length ? arr(f.network).join(',') : undefined,
    configMaps: arr(f.configmap)
      .flatMap((x) => x.split(','))
      .map((file) => fs.readFileSync(file, 'utf8')),
    annotations,
    logDriver: str(f['log-driver']),
    build: p.given.has('build') ? bool(f.build) : undefined,
    contextDir,
    serviceContainer: bool(f['service-container']),
    publish: arr(f.publish).flatMap(parsePublish),
    userns: str(f.userns),
    // under systemd (Type=notify): the play tells it when the pods run
    notifySocket: bool(f['service-container']) ? process.env.NOTIFY_SOCKET || undefined : undefined,
    systemdUnit: process.env.PODMAN_SYSTEMD_UNIT || undefined,
  });
  return printPlay(report);
}

export const kubePlayCommand: CommandDef = {
  name: 'play',
  usage: 'tspod kube play [options] KUBEFILE|-',
  description: 'Play a pod or volume based on Kubernetes YAML.',
  flags: playFlags,
  minArgs: 1,
  maxArgs: 1,
  run: runPlay,
};

export const playKubeCommand: CommandDef = { ...kubePlayCommand, name: 'kube', usage: 'tspod play kube [options] KUBEFILE|-' };

export const kubeDownCommand: CommandDef = {
  name: 'down',
  usage: 'tspod kube down KUBEFILE|-',
  description: 'Remove pods based on Kubernetes YAML.',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return printDown(await ctx.client.kubeDown(await readYaml(p.args[0])));
  },
};

export const kubeGenerateCommand: CommandDef = {
  name: 'generate',
  usage: 'tspod kube generate [options] {CONTAINER...|POD...}',
  description: 'Generate Kubernetes YAML based on containers or pods.',
  flags: [
    { name: 'filename', short: 'f', type: 'string', help: 'Write output to the specified path' },
    { name: 'service', short: 's', type: 'bool', help: 'Generate YAML for a Kubernetes service object' },
    { name: 'type', short: 't', type: 'string', default: 'pod', help: 'Generate YAML for the given Kubernetes kind (pod or deployment)' },
    { name: 'replicas', short: 'r', type: 'int', default: 1, help: 'Set the replica number for Deployment kind' },
  ],
  minArgs: 1,
  async run(ctx, p) {
    const type = str(p.flags.type) ?? 'pod';
    if (type !== 'pod' && type !== 'deployment') throw new UsageError(`invalid type given, only supported types are pod and deployment`);
    const replicas = int(p.flags.replicas) ?? 1;
    if (replicas < 1) throw invalidArgument('--replicas must be at least 1');
    const yaml = await ctx.client.kubeGenerate({ names: p.args, service: bool(p.flags.service), type, replicas });
    const file = str(p.flags.filename);
    if (!file) {
      out(yaml);
      return 0;
    }
    if (fs.existsSync(file)) throw new EngineError('invalid-argument', `cannot write to ${JSON.stringify(file)}; file exists`);
    fs.writeFileSync(file, yaml, { flag: 'wx', mode: 0o644 });
    return 0;
  },
};

export const generateKubeCommand: CommandDef = { ...kubeGenerateCommand, name: 'kube', usage: 'tspod generate kube [options] {CONTAINER...|POD...}' };

export const KUBE_GROUP: CommandDef[] = [kubeGenerateCommand, kubePlayCommand, kubeDownCommand];
export const PLAY_GROUP: CommandDef[] = [playKubeCommand];
