// `build`: runs a Containerfile's stages. Every step that changes the image
// makes an (unnamed) image: config instructions a config-only child, RUN a
// real container of the stage's image whose changes become a layer, COPY/ADD
// files written into a (never started) container's root filesystem and
// committed the same way. The layer cache maps each step's key to its image.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import type { LocalEngine } from '../container/engine';
import type { ImageRecord, NetworkMode } from '../storage/records';
import type { ImageConfig, ImageRuntimeConfig } from '../oci/image-spec';
import { EngineError } from '../errors';
import { applyChanges } from '../image/changes';
import { imageConfig } from '../image/store';
import { resolveImage } from '../image/resolve';
import { tagImage } from '../image/tag';
import { removeImage } from '../image/remove';
import { ensureImage, type PullPolicy } from '../image/pull-policy';
import { stderrProgress } from '../image/registry/progress';
import { commitContainerLayer, dockerFormatImage, scratchConfig, storeChildImage, tempLayerFile } from '../image/commit';
import { exportRootfs, extractTar, leaseRootfs } from '../container/archive';
import { hostPathInRoot, withRoot } from '../storage/in-root';
import { entriesTar, type DiffEntry, type EntryOverride } from '../storage/container-diff';
import { type Instruction, type Stage, parseContainerfile } from './containerfile';
import { expandVariables } from './expand';
import { IgnoreRules } from './patterns';
import { type Source, type SourceFile, SourceTree, contentDigest } from './sources';
import { cachedImage, rememberImage, stepKey } from './cache';
import { OCI_OS, ociArchitecture } from '../image/platform';
import { type BuildSecret, type RunMount, cacheMountDir, copyTree, mountKey, parseRunMount } from './run-mounts';
import { storageTmpDir } from '../storage/paths';
import type { MountSpec } from '../storage/records';
import { lockFileExclusive } from '../storage/file-lock';
import { parseGoDuration } from '../container/healthcheck';

export interface BuildOptions {
  contextDir: string;
  /** the Containerfile; default Containerfile, then Dockerfile, in the context */
  file?: string;
  tags: string[];
  buildArgs: Map<string, string>;
  target?: string;
  noCache: boolean;
  /** keep every step's image and use the cache (Podman's default) */
  layers: boolean;
  labels: string[];
  pull: PullPolicy;
  network: NetworkMode;
  quiet: boolean;
  /** --squash-all: the final image is one layer (the base's included) */
  squashAll?: boolean;
  /** --secret: what RUN --mount=type=secret can read, by id */
  secrets?: Map<string, BuildSecret>;
  /** the final image's manifest and config media types (default oci) */
  format?: 'oci' | 'docker';
  /** aborts the build (a signal to the CLI): a running step's container is killed, no new step starts */
  signal?: AbortSignal;
  /** step lines (STEP, -->, COMMIT) */
  log: (line: string) => void;
  /** where RUN output goes */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A RUN that failed: the build exits with its code, as Podman's does. */
export class RunStepError extends EngineError {
  constructor(
    step: string,
    readonly exitCode: number,
  ) {
    super('runtime', `building at STEP "${step}": while running runtime: exit status ${exitCode}`);
  }
}

/** What a step does: its cache key (besides its parent), the work, what to release after. */
interface StepPlan {
  key: () => Promise<unknown> | unknown;
  run: () => Promise<ImageRecord>;
  cleanup?: () => void;
}

interface StageState {
  stage: Stage;
  /** the image so far; undefined: scratch with no step yet */
  image?: ImageRecord;
  config: ImageConfig;
  args: Map<string, string>;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const SCRATCH_CREATED = '1970-01-01T00:00:00Z';

/** Docker's config fields beyond the OCI ones. */
interface Healthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}
type BuildRuntimeConfig = ImageRuntimeConfig & { Shell?: string[]; OnBuild?: string[]; Healthcheck?: Healthcheck };

function runtimeOf(config: ImageConfig): BuildRuntimeConfig {
  return (config.config ?? {}) as BuildRuntimeConfig;
}

/** A Go duration (1m30s, 500ms) in nanoseconds, as Docker stores health check times. */
function goDuration(v: string, what: string): number {
  const ns = parseGoDuration(v);
  if (ns === undefined) throw new EngineError('invalid-argument', `HEALTHCHECK --${what}: invalid duration "${v}"`);
  return ns;
}

/** HEALTHCHECK NONE | [--interval=D --timeout=D --start-period=D --start-interval=D --retries=N] CMD command */
function healthcheck(ins: Instruction): Healthcheck {
  const m = /^(NONE|CMD)\b\s*([\s\S]*)$/i.exec(ins.args);
  if (!m) throw new EngineError('invalid-argument', `HEALTHCHECK must be NONE or CMD (line ${ins.line})`);
  if (m[1].toUpperCase() === 'NONE') {
    if (m[2] || ins.flags.length > 0) throw new EngineError('invalid-argument', `HEALTHCHECK NONE takes no other arguments (line ${ins.line})`);
    return { Test: ['NONE'] };
  }
  let json: string[] | undefined;
  try {
    const v: unknown = JSON.parse(m[2]);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v as string[];
  } catch {
    // shell form
  }
  const h: Healthcheck = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', m[2]] };
  for (const [name, value = ''] of ins.flags) {
    if (name === 'retries') {
      if (!/^\d+$/.test(value)) throw new EngineError('invalid-argument', `HEALTHCHECK --retries: "${value}" is not a number`);
      h.Retries = Number(value);
    } else {
      const key = ({ interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval' } as const)[name as 'interval'];
      h[key] = goDuration(value, name);
    }
  }
  return h;
}

/** The Containerfile to use: -f, else Containerfile, else Dockerfile in the context. */
export function findContainerfile(contextDir: string, file?: string): string {
  if (file) {
    if (!fs.existsSync(file)) throw new EngineError('invalid-argument', `the specified Containerfile or Dockerfile does not exist, ${file}: no such file or directory`);
    return file;
  }
  for (const name of ['Containerfile', 'Dockerfile']) {
    const f = path.join(contextDir, name);
    if (fs.existsSync(f)) return f;
  }
  throw new EngineError('invalid-argument', `no Containerfile or Dockerfile specified or found in context directory, ${contextDir}`);
}

/** `.containerignore`, else `.dockerignore`, in the context. */
function ignoreRules(contextDir: string): IgnoreRules | undefined {
  for (const name of ['.containerignore', '.dockerignore']) {
    const f = path.join(contextDir, name);
    if (fs.existsSync(f)) return new IgnoreRules(fs.readFileSync(f, 'utf8'));
  }
  return undefined;
}

export class Builder {
  private readonly stages: StageState[] = [];
  private readonly context: SourceTree;
  private readonly globalArgs = new Map<string, string>();
  private readonly madeImages: string[] = [];
  private stepNo = 0;
  private totalSteps = 0;

  /** A step's container; none once the build is aborted. */
  private createContainer(req: Parameters<LocalEngine['create']>[0]): ReturnType<LocalEngine['create']> {
    this.opts.signal?.throwIfAborted();
    return this.engine.create(req);
  }

  /**
   * Runs a RUN step's container attached; an abort kills it (SIGKILL, retried while it is still
   * starting), so the step fails and its `finally` removes it as for a failing RUN.
   */
  private async runAttached(id: string, streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
    const signal = this.opts.signal;
    let done = false;
    const killOnAbort = async () => {
      for (let tries = 0; !done && tries < 100; tries++) {
        try {
          this.engine.kill(id, 9);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50)); // not running yet
        }
      }
    };
    signal?.addEventListener('abort', killOnAbort, { once: true });
    try {
      return await this.engine.startAttached(id, streams);
    } finally {
      done = true;
      signal?.removeEventListener('abort', killOnAbort);
      signal?.throwIfAborted();
    }
  }

  constructor(
    private readonly engine: LocalEngine,
    private readonly opts: BuildOptions,
  ) {
    if (!fs.statSync(opts.contextDir, { throwIfNoEntry: false })?.isDirectory())
      throw new EngineError('invalid-argument', `context directory ${opts.contextDir} does not exist or is not a directory`);
    this.context = new SourceTree(fs.realpathSync(opts.contextDir), ignoreRules(opts.contextDir));
  }

  async build(): Promise<ImageRecord> {
    const parsed = parseContainerfile(fs.readFileSync(findContainerfile(this.opts.contextDir, this.opts.file), 'utf8'));
    for (const a of parsed.globalArgs) for (const [k, v] of a.properties ?? []) {
      const val = this.opts.buildArgs.get(k) ?? (v !== undefined ? expandVariables(v, this.globalArgs) : undefined);
      if (val !== undefined) this.globalArgs.set(k, val);
    }
    let last = parsed.stages.length - 1;
    if (this.opts.target !== undefined) {
      last = parsed.stages.findIndex((s) => s.name === this.opts.target?.toLowerCase());
      if (last < 0) throw new EngineError('invalid-argument', `the target "${this.opts.target}" was not found in the provided Containerfile`);
    }
    const todo = parsed.stages.slice(0, last + 1);
    this.totalSteps = todo.reduce((n, s) => n + 1 + s.steps.length, 0);
    let final: ImageRecord | undefined;
    for (const stage of todo) final = await this.runStage(stage, stage.index === last);
    if (!final) throw new EngineError('internal', 'the build produced no image');
    if (!this.opts.layers) this.dropIntermediates(final.id);
    return final;
  }

  private log(line: string): void {
    if (!this.opts.quiet) this.opts.log(line);
  }

  private async runStage(stage: Stage, isFinal: boolean): Promise<ImageRecord> {
    const state = await this.from(stage);
    this.stages.push(state);
    for (const [i, ins] of stage.steps.entries()) {
      this.log(`STEP ${++this.stepNo}/${this.totalSteps}: ${ins.text}`);
      await this.step(state, ins, !(isFinal && i === stage.steps.length - 1 && this.opts.labels.length === 0));
    }
    if (isFinal && this.opts.labels.length > 0) {
      const config = structuredClone(state.config);
      config.config = applyChanges(runtimeOf(config), this.opts.labels.map((l) => `LABEL ${l}`));
      state.image = await this.childImage(state, config, undefined, { created_by: '/bin/sh -c #(nop) LABEL from --label' });
      state.config = imageConfig(this.engine.paths, state.image.id);
    }
    let image = state.image ?? (await this.materialize(state));
    if (isFinal && this.opts.squashAll) image = await this.squashed(image);
    if (isFinal && this.opts.format === 'docker') image = this.dockerFormat(image);
    if (isFinal) {
      this.log(`COMMIT ${this.opts.tags[0] ?? ''}`.trimEnd());
      this.log(`--> ${image.id.slice(0, 12)}`);
      for (const t of this.opts.tags) this.log(`Successfully tagged ${tagImage(this.engine.store, image.id, t)}`);
    }
    return image;
  }

  private async from(stage: Stage): Promise<StageState> {
    this.log(`STEP ${++this.stepNo}/${this.totalSteps}: ${expandVariables(stage.from.text, this.globalArgs)}`); // as Podman: the base as expanded
    for (const [flag, value] of stage.from.flags) {
      if (flag !== 'platform') throw new EngineError('invalid-argument', `FROM: unsupported flag --${flag}`);
      const here = `${OCI_OS}/${ociArchitecture()}`;
      if (value !== here && !value?.startsWith(`${here}/`)) // builds run here: another platform would need emulation
        throw new EngineError('invalid-argument', `FROM --platform=${value}: only this machine's platform (${here}) can be built`);
    }
    const ref = expandVariables(stage.from.args.split(/\s+/)[0], this.globalArgs);
    const args = new Map<string, string>();
    if (ref === 'scratch') return { stage, config: scratchConfig(), args };
    const earlier = this.stages.find((s) => s.stage.name !== undefined && s.stage.name === ref.toLowerCase());
    if (earlier) {
      const image = earlier.image ?? (await this.materialize(earlier));
      return { stage, image, config: imageConfig(this.engine.paths, image.id), args };
    }
    await ensureImage(this.engine.store, ref, this.opts.pull, { progress: stderrProgress(this.opts.quiet) });
    const image = resolveImage(this.engine.store, ref);
    return { stage, image, config: imageConfig(this.engine.paths, image.id), args };
  }

  /** The stage's image as a stored image (a scratch stage before its first step: an empty one). */
  private async materialize(state: StageState): Promise<ImageRecord> {
    state.image ??= await storeChildImage(this.engine.store, { config: state.config, names: [], created: SCRATCH_CREATED });
    return state.image;
  }

  /** Variables for expansion: the stage's ARGs, then its ENV (which wins). */
  private vars(state: StageState): Map<string, string> {
    const vars = new Map(state.args);
    for (const e of runtimeOf(state.config).Env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) vars.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return vars;
  }

  private async step(state: StageState, ins: Instruction, showId: boolean): Promise<void> {
    if (ins.keyword === 'ARG') return this.arg(state, ins);
    const allowed: Record<string, string[]> = {
      COPY: ['from', 'chown', 'chmod'],
      ADD: ['chown', 'chmod'],
      HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
      RUN: ['mount', 'network'],
    };
    for (const [flag] of ins.flags)
      if (!(allowed[ins.keyword] ?? []).includes(flag)) throw new EngineError('invalid-argument', `${ins.keyword}: the flag --${flag} is not supported by tspod build (line ${ins.line})`);
    const parent = state.image?.id ?? 'scratch';
    const plan = this.plan(state, ins);
    try {
      const key = stepKey([parent, await plan.key()]);
      const cached = this.opts.noCache || !this.opts.layers ? undefined : cachedImage(this.engine.store, key);
      if (cached) {
        this.log(`--> Using cache ${cached}`);
        state.image = resolveImage(this.engine.store, cached);
      } else {
        state.image = await plan.run();
        this.madeImages.push(state.image.id);
        if (this.opts.layers) rememberImage(this.engine.store, key, state.image.id);
      }
    } finally {
      plan.cleanup?.();
    }
    state.config = imageConfig(this.engine.paths, state.image.id);
    if (showId) this.log(`--> ${state.image.id.slice(0, 12)}`);
  }

  private arg(state: StageState, ins: Instruction): void {
    const vars = this.vars(state);
    for (const [k, v] of ins.properties ?? []) {
      const val = this.opts.buildArgs.get(k) ?? (v !== undefined ? expandVariables(v, vars) : this.globalArgs.get(k));
      if (val !== undefined) state.args.set(k, val);
    }
  }

  private childImage(state: StageState, config: ImageConfig, layerTar: string | undefined, history: { created_by: string }): Promise<ImageRecord> {
    return storeChildImage(this.engine.store, { base: state.image, config, layerTar, history, names: [] });
  }

  private plan(state: StageState, ins: Instruction): StepPlan {
    const vars = this.vars(state);
    const k = ins.keyword;
    const configStep = (change: (rt: BuildRuntimeConfig, config: ImageConfig) => void, shown = ins.text): StepPlan => ({
      key: () => [k, shown],
      run: () => {
        const config = structuredClone(state.config);
        config.config = structuredClone(runtimeOf(config));
        change(config.config as BuildRuntimeConfig, config);
        return this.childImage(state, config, undefined, { created_by: `/bin/sh -c #(nop) ${shown}` });
      },
    });
    const shellForm = (rt: BuildRuntimeConfig) => (ins.json ? ins.json : [...(rt.Shell ?? DEFAULT_SHELL), ins.args]);
    switch (k) {
      case 'RUN':
        return this.runPlan(state, ins, vars);
      case 'COPY':
      case 'ADD':
        return this.copyPlan(state, ins, vars);
      case 'CMD':
        return configStep((rt) => (rt.Cmd = shellForm(rt)));
      case 'ENTRYPOINT':
        return configStep((rt) => {
          rt.Entrypoint = shellForm(rt);
          if (!state.stage.steps.some((s) => s.keyword === 'CMD')) rt.Cmd = null; // Docker: a new ENTRYPOINT drops the base's CMD
        });
      case 'SHELL':
        if (!ins.json || ins.json.length === 0) throw new EngineError('invalid-argument', `SHELL requires the arguments to be in JSON form (line ${ins.line})`);
        return configStep((rt) => (rt.Shell = ins.json));
      case 'ENV':
      case 'LABEL': {
        const pairs = (ins.properties ?? []).map(([n, v]) => [expandVariables(n, vars), expandVariables(v ?? '', vars)]);
        if (pairs.length === 0) throw new EngineError('invalid-argument', `${k} requires at least one argument (line ${ins.line})`);
        const shown = `${k} ${pairs.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(' ')}`;
        return configStep((rt) => {
          if (k === 'LABEL') rt.Labels = { ...(rt.Labels ?? {}), ...Object.fromEntries(pairs) };
          else {
            const env = [...(rt.Env ?? [])];
            for (const [n, v] of pairs) {
              const i = env.findIndex((e) => e.split('=', 1)[0] === n);
              if (i >= 0) env[i] = `${n}=${v}`;
              else env.push(`${n}=${v}`);
            }
            rt.Env = env;
          }
        }, shown);
      }
      case 'WORKDIR':
      case 'USER':
      case 'EXPOSE':
      case 'VOLUME':
      case 'STOPSIGNAL': {
        const expanded = `${k} ${expandVariables(ins.args, vars)}`;
        return configStep((rt, config) => (config.config = applyChanges(rt, [expanded])), expanded);
      }
      case 'MAINTAINER':
        return configStep((_rt, config) => (config.author = ins.args));
      case 'HEALTHCHECK': {
        const health = healthcheck(ins);
        return configStep((rt) => (rt.Healthcheck = health));
      }
      case 'ONBUILD':
        return configStep((rt) => (rt.OnBuild = [...(rt.OnBuild ?? []), ins.args]));
      default:
        throw new EngineError('invalid-argument', `${k} is not supported by tspod build yet (line ${ins.line})`);
    }
  }

  private runPlan(state: StageState, ins: Instruction, vars: Map<string, string>): StepPlan {
    const rt = runtimeOf(state.config);
    let argv: string[];
    const heredoc = /^<<(-?)["']?([A-Za-z_][A-Za-z0-9_]*)["']?\n([\s\S]*)\n\2$/.exec(ins.args);
    if (ins.json) argv = ins.json;
    else if (heredoc) argv = [...(rt.Shell ?? DEFAULT_SHELL), heredoc[1] ? heredoc[3].replace(/^\t+/gm, '') : heredoc[3]];
    else argv = [...(rt.Shell ?? DEFAULT_SHELL), ins.args];
    // ARGs reach RUN as environment variables (not kept in the image); ENV of the same name wins.
    const envNames = new Set((rt.Env ?? []).map((e) => e.split('=', 1)[0]));
    const env = [...vars].filter(([n]) => state.args.has(n) && !envNames.has(n)).map(([n, v]) => `${n}=${v}`);
    const mounts = ins.flags.filter(([n]) => n === 'mount').map(([, v]) => parseRunMount(expandVariables(v ?? '', vars), ins.line));
    let network = this.opts.network;
    for (const [n, v] of ins.flags) {
      if (n !== 'network') continue;
      if (v === 'default') network = this.opts.network;
      else if (v === 'none' || v === 'host') network = v;
      else throw new EngineError('invalid-argument', `RUN --network=${v ?? ''}: must be default, none or host (line ${ins.line})`);
    }
    const binds = mounts.filter((m) => m.type === 'bind');
    const bindRoots = new Map<RunMount, { tree: SourceTree; release: () => void }>();
    const releaseBindRoots = () => {
      for (const r of bindRoots.values()) r.release();
      bindRoots.clear();
    };
    return {
      key: async () => {
        // What a bind mount shows is part of the step, as COPY's sources are.
        const contents: string[] = [];
        for (const m of binds) {
          const { tree, imageId } = await this.bindRoot(m);
          bindRoots.set(m, tree);
          contents.push(imageId ?? contentDigest(tree.tree.resolve(m.source ?? '/').map((source) => ({ shown: source.shown, files: tree.tree.files(source) }))));
        }
        return ['RUN', argv, env, ...(mounts.length > 0 ? [mounts.map(mountKey), contents] : []), ...(network !== this.opts.network ? [network] : [])];
      },
      run: async () => {
        const image = await this.materialize(state);
        const prepared = await this.prepareRunMounts(mounts, bindRoots);
        try {
          const ctr = this.createContainer({
            image: image.id,
            command: argv,
            config: { entrypoint: [], entrypointSet: true, env, network, labels: {}, systemd: 'false', ...(prepared.specs.length > 0 ? { mounts: prepared.specs } : {}) },
          });
          try {
            const created = mounts.length > 0 ? this.missingTargets(ctr.id, mounts) : [];
            const out = this.opts.quiet ? this.opts.stderr : this.opts.stdout;
            const code = await this.runAttached(ctr.id, { stdout: out, stderr: this.opts.stderr });
            if (code !== 0) throw new RunStepError(ins.text, code);
            if (created.length > 0) this.removeMountTargets(ctr.id, created);
            return await commitContainerLayer(this.engine, ctr.id, rt, { created_by: `/bin/sh -c ${ins.args}` }, []);
          } finally {
            await this.engine.removeAsync(ctr.id, { force: true, ignoreMissing: true, timeout: 0, volumes: true });
          }
        } finally {
          prepared.release();
        }
      },
      cleanup: releaseBindRoots,
    };
  }

  /** Where a bind mount reads: the context, or another stage's or image's root (held until the step ends). */
  private async bindRoot(m: RunMount): Promise<{ tree: { tree: SourceTree; release: () => void }; imageId?: string }> {
    if (m.from === undefined) return { tree: { tree: this.context, release: () => undefined } };
    const from = m.from;
    const earlier = /^\d+$/.test(from) ? this.stages[Number(from)] : this.stages.find((s) => s.stage.name === from.toLowerCase());
    let image: ImageRecord;
    if (earlier) image = earlier.image ?? (await this.materialize(earlier));
    else {
      await ensureImage(this.engine.store, from, this.opts.pull, { progress: stderrProgress(this.opts.quiet) });
      image = resolveImage(this.engine.store, from);
    }
    const ctr = this.createContainer({ image: image.id, command: ['true'], config: { network: 'none', labels: {} } });
    let lease: { root: string; release(): void };
    try {
      lease = leaseRootfs(this.engine, ctr.id);
    } catch (e) {
      this.engine.remove(ctr.id, { force: true, ignoreMissing: true, volumes: true });
      throw e;
    }
    const release = () => {
      lease.release();
      this.engine.remove(ctr.id, { force: true, ignoreMissing: true, volumes: true });
    };
    return { tree: { tree: new SourceTree(lease.root, undefined, `image ${from}`), release }, imageId: image.id };
  }

  /** The host side of a RUN step's mounts, in a private directory removed when the step ends. */
  private async prepareRunMounts(mounts: RunMount[], bindRoots: Map<RunMount, { tree: SourceTree }>): Promise<{ specs: MountSpec[]; release: () => void }> {
    if (mounts.length === 0) return { specs: [], release: () => undefined };
    const tmp = storageTmpDir(this.engine.paths);
    fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
    const dir = fs.mkdtempSync(path.join(tmp, 'run-mounts-'));
    const locks: (() => void)[] = [];
    const release = () => {
      for (const unlock of locks) unlock();
      fs.rmSync(dir, { recursive: true, force: true }); // secrets never outlive the step
    };
    try {
      const specs: MountSpec[] = [];
      for (const [i, m] of mounts.entries()) {
        if (m.type === 'tmpfs') {
          specs.push({ type: 'tmpfs', source: 'tmpfs', destination: m.target, options: m.size !== undefined ? [`size=${m.size}`] : [], rw: true });
        } else if (m.type === 'secret') {
          const secret = this.opts.secrets?.get(m.id as string);
          if (!secret) {
            if (m.required) throw new EngineError('invalid-argument', `secret required but no secret with id "${m.id}" found`);
            continue; // as Docker: an optional secret that was not given is simply absent
          }
          const file = path.join(dir, `secret-${i}`);
          fs.writeFileSync(file, secret.data, { mode: 0o600 });
          fs.chownSync(file, m.uid ?? 0, m.gid ?? 0);
          fs.chmodSync(file, m.mode ?? 0o400);
          specs.push({ type: 'bind', source: file, destination: m.target, options: [], rw: false });
        } else if (m.type === 'cache') {
          const cache = cacheMountDir(this.engine.paths.root, m.id as string);
          if (!fs.existsSync(cache)) {
            fs.mkdirSync(path.dirname(cache), { recursive: true, mode: 0o700 });
            fs.mkdirSync(cache, { mode: 0o755 });
            fs.chownSync(cache, m.uid ?? 0, m.gid ?? 0);
            if (m.mode !== undefined) fs.chmodSync(cache, m.mode);
          }
          if (m.sharing === 'locked') locks.push(await lockFileExclusive(`${cache}.lock`, 30 * 60_000));
          specs.push({ type: 'bind', source: cache, destination: m.target, options: [], rw: m.rw });
        } else {
          const root = bindRoots.get(m);
          if (!root) throw new EngineError('internal', 'RUN --mount=type=bind: its source was not prepared');
          const [source] = root.tree.resolve(m.source ?? '/');
          const copy = copyTree(root.tree.files(source), path.join(dir, `bind-${i}`));
          specs.push({ type: 'bind', source: copy, destination: m.target, options: [], rw: m.rw });
        }
      }
      return { specs, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  /**
   * For each mount target the image does not have: the first missing component.
   * The runtime creates those as mount points; they are removed again before
   * the step's layer is written, as Buildah does.
   */
  private missingTargets(ctrId: string, mounts: RunMount[]): { target: string; firstMissing: string }[] {
    const lease = leaseRootfs(this.engine, ctrId);
    try {
      const out: { target: string; firstMissing: string }[] = [];
      for (const m of mounts) {
        const parts = m.target.split('/').filter(Boolean);
        for (let n = 1; n <= parts.length; n++) {
          const p = '/' + parts.slice(0, n).join('/');
          if (!fs.lstatSync(hostPathInRoot(lease.root, p, false), { throwIfNoEntry: false })) {
            out.push({ target: m.target, firstMissing: p });
            break;
          }
        }
      }
      return out;
    } finally {
      lease.release();
    }
  }

  /** Removes the mount points the runtime made (only while still empty: what the step wrote stays). */
  private removeMountTargets(ctrId: string, created: { target: string; firstMissing: string }[]): void {
    const lease = leaseRootfs(this.engine, ctrId);
    try {
      for (const { target, firstMissing } of created) {
        for (let p = target; p.length >= firstMissing.length; p = path.posix.dirname(p)) {
          const host = hostPathInRoot(lease.root, p, false);
          const st = fs.lstatSync(host, { throwIfNoEntry: false });
          if (!st) continue;
          if (st.isDirectory() && fs.readdirSync(host).length === 0) fs.rmdirSync(host);
          else if (st.isFile() && st.size === 0 && p === target) fs.unlinkSync(host);
          else break;
        }
      }
    } finally {
      lease.release();
    }
  }

  private copyPlan(state: StageState, ins: Instruction, vars: Map<string, string>): StepPlan {
    const flags = new Map(ins.flags.map(([n, v]) => [n, v === undefined ? '' : expandVariables(v, vars)]));
    const words = ins.json ?? splitWords(ins.args);
    const expanded = words.map((w) => expandVariables(w, vars));
    if (expanded.length < 2) throw new EngineError('invalid-argument', `${ins.keyword} requires at least two arguments (line ${ins.line})`);
    const dest = expanded[expanded.length - 1];
    const srcs = expanded.slice(0, -1);
    if (ins.keyword === 'ADD' && srcs.some((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s)))
      throw new EngineError('invalid-argument', `ADD from a URL is not supported by tspod build (no downloads during builds): ${srcs.find((s) => s.includes('://'))}`);
    const from = flags.get('from');
    let tree: SourceTree = this.context;
    let release = (): void => {};
    let fromImage: string | undefined;
    let groups: { shown: string; source: Source; files: SourceFile[] }[] | undefined;
    const read = () => {
      groups ??= srcs.flatMap((s) => tree.resolve(s)).map((source) => ({ shown: source.shown, source, files: tree.files(source) }));
      return groups;
    };
    return {
      key: async () => {
        if (from === undefined) return [ins.keyword, ins.text, expanded, contentDigest(read())];
        // Another stage or an image: its id says what the files hold.
        const earlier = /^\d+$/.test(from) ? this.stages[Number(from)] : this.stages.find((s) => s.stage.name === from.toLowerCase());
        let image: ImageRecord;
        if (earlier) image = earlier.image ?? (await this.materialize(earlier));
        else {
          await ensureImage(this.engine.store, from, this.opts.pull, { progress: stderrProgress(this.opts.quiet) });
          image = resolveImage(this.engine.store, from);
        }
        fromImage = image.id;
        return [ins.keyword, ins.text, expanded, image.id];
      },
      run: async () => {
        if (fromImage !== undefined) {
          // The other image's files, from a (never started) container's mounted root.
          const ctr = this.createContainer({ image: fromImage, command: ['true'], config: { network: 'none', labels: {} } });
          release = () => this.engine.remove(ctr.id, { force: true, ignoreMissing: true, volumes: true });
          const lease = leaseRootfs(this.engine, ctr.id);
          release = () => {
            lease.release();
            this.engine.remove(ctr.id, { force: true, ignoreMissing: true, volumes: true });
          };
          tree = new SourceTree(lease.root, undefined, `image ${from}`);
        }
        return this.copy(state, ins, read(), dest, flags);
      },
      cleanup: () => release(),
    };
  }

  /** Writes the sources into a container of the stage's image and commits its changes. */
  private async copy(state: StageState, ins: Instruction, groups: { shown: string; source: Source; files: SourceFile[] }[], dest: string, flags: Map<string, string>): Promise<ImageRecord> {
    const image = await this.materialize(state);
    const rt = runtimeOf(state.config);
    const ctr = this.createContainer({ image: image.id, command: ['true'], config: { network: 'none', labels: {} } });
    try {
      const lease = leaseRootfs(this.engine, ctr.id);
      try {
        const root = lease.root;
        const override: EntryOverride = { ...ownerOf(root, flags.get('chown')), ...(flags.has('chmod') ? { mode: parseChmod(flags.get('chmod') ?? '') } : {}) };
        const destAbs = path.posix.resolve(rt.WorkingDir || '/', dest);
        const destHost = hostPathInRoot(root, destAbs, true);
        const destIsDir = fs.statSync(destHost, { throwIfNoEntry: false })?.isDirectory() ?? false;
        const many = groups.length > 1 || groups.some((g) => g.source.st.isDirectory());
        if (groups.length > 1 && !dest.endsWith('/') && !destIsDir)
          throw new EngineError('invalid-argument', `When using ${ins.keyword} with more than one source file, the destination must be a directory and end with a / (line ${ins.line})`);
        const intoDir = dest.endsWith('/') || destIsDir || many;
        const destRel = destAbs.replace(/^\/+/, '');
        const join = (...p: string[]) => p.filter(Boolean).join('/');
        const entries: DiffEntry[] = [];
        for (const g of groups) {
          if (ins.keyword === 'ADD' && g.source.st.isFile() && isTarArchive(g.source.host)) {
            mkdirInRoot(root, destAbs);
            await extractTar(root, destAbs, archiveStream(g.source.host));
            continue;
          }
          if (g.source.st.isDirectory()) {
            for (const f of g.files.slice(1)) entries.push({ name: join(destRel, f.sub), host: f.host, st: f.st });
          } else entries.push({ name: intoDir ? join(destRel, path.posix.basename(g.shown)) : destRel, host: g.source.host, st: g.source.st });
        }
        if (intoDir) mkdirInRoot(root, destAbs);
        if (entries.length > 0) await extractTar(root, '/', entriesTar(entries, override));
      } finally {
        lease.release();
      }
      const shown = `${ins.keyword} ${groups.map((g) => g.shown).join(' ')} ${dest}`;
      return await commitContainerLayer(this.engine, ctr.id, rt, { created_by: `/bin/sh -c #(nop) ${shown}` }, []);
    } finally {
      this.engine.remove(ctr.id, { force: true, ignoreMissing: true, volumes: true });
    }
  }

  /**
   * --format docker: the image recorded again with Docker's v2 schema 2 media types. Its
   * config carries container_config as Docker's does, so it is an image of its own.
   */
  private dockerFormat(image: ImageRecord): ImageRecord {
    const docker = dockerFormatImage(this.engine.store, image, []);
    if (docker.id !== image.id) this.madeImages.push(docker.id);
    return docker;
  }

  /** --squash-all: the image's whole root filesystem as its one layer, with its config and no history of steps. */
  private async squashed(image: ImageRecord): Promise<ImageRecord> {
    const config = imageConfig(this.engine.paths, image.id);
    const ctr = this.createContainer({ image: image.id, command: ['true'], config: { network: 'none', labels: {} } });
    const file = tempLayerFile(this.engine.store);
    try {
      const lease = leaseRootfs(this.engine, ctr.id);
      try {
        await exportRootfs(lease.root, fs.createWriteStream(file, { mode: 0o600 }));
      } finally {
        lease.release();
      }
      const squashed = await storeChildImage(this.engine.store, {
        config: { ...config, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
        layerTar: file,
        history: { created_by: `/bin/sh -c #(nop) squashed image of ${image.id.slice(0, 12)}` },
        names: [],
      });
      this.madeImages.push(squashed.id);
      return squashed;
    } finally {
      fs.rmSync(file, { force: true });
      this.engine.remove(ctr.id, { force: true, ignoreMissing: true, volumes: true });
    }
  }

  /** --layers=false: the step images of this build go, the final one stays. */
  private dropIntermediates(finalId: string): void {
    for (const id of this.madeImages.reverse()) {
      if (id === finalId) continue;
      try {
        removeImage(this.engine.store, id, false, () => {});
      } catch {
        // still used (a base of another image): kept
      }
    }
  }
}

/** Splits shell-form arguments on whitespace (COPY a b /dst/). */
function splitWords(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

function parseChmod(v: string): number {
  if (!/^[0-7]{3,4}$/.test(v)) throw new EngineError('invalid-argument', `--chmod: "${v}" is not an octal mode`);
  return parseInt(v, 8);
}

/** --chown USER[:GROUP] with names looked up in the image's /etc/passwd and /etc/group. */
function ownerOf(root: string, spec: string | undefined): EntryOverride {
  if (spec === undefined) return { uid: 0, gid: 0 }; // COPY: root owns new files unless --chown
  const [user, group] = spec.split(':', 2);
  const table = (file: string) => {
    try {
      // a bounded read of a regular file only: a FIFO or a huge file in the image cannot stall the build
      return (withRoot(root, (r) => r.readRegularFile(file))?.toString('utf8') ?? '').split('\n').map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  else {
    const row = table('/etc/passwd').find((r) => r[0] === user);
    if (!row) throw new EngineError('invalid-argument', `--chown: no user "${user}" in the image's /etc/passwd`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const row = table('/etc/group').find((r) => r[0] === group);
      if (!row) throw new EngineError('invalid-argument', `--chown: no group "${group}" in the image's /etc/group`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}

/** Creates the directories of containerPath inside root (0755, root's), each resolved inside root. */
function mkdirInRoot(root: string, containerPath: string): void {
  const parts = containerPath.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const host = hostPathInRoot(root, `/${parts.slice(0, i).join('/')}`, true);
    const st = fs.statSync(host, { throwIfNoEntry: false });
    if (st?.isDirectory()) continue;
    if (st) throw new EngineError('invalid-argument', `/${parts.slice(0, i).join('/')} is not a directory`);
    fs.mkdirSync(host);
    fs.chmodSync(host, 0o755);
  }
}

type Compression = 'none' | 'gzip' | 'xz' | 'bzip2';

/** The first bytes of a file (at most n). */
function head(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, fs.readSync(fd, b, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}

function compressionOf(start: Buffer): Compression {
  if (start[0] === 0x1f && start[1] === 0x8b) return 'gzip';
  if (start.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (start.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/** ADD extracts local tar archives (plain, gzip, xz, bzip2): ustar magic in the first header. Reads only the file's start. */
export function isTarArchive(file: string): boolean {
  try {
    const start = head(file, 256 * 1024);
    const kind = compressionOf(start);
    let data: Buffer;
    if (kind === 'gzip') data = zlib.gunzipSync(start, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    else if (kind === 'none') data = start;
    else data = spawnSync(kind, ['-dc'], { input: start, maxBuffer: 64 << 20 }).stdout ?? Buffer.alloc(0); // a truncated input still decodes its start
    return data.length >= 512 && data.subarray(257, 262).toString('latin1') === 'ustar';
  } catch {
    return false;
  }
}

export function archiveStream(file: string): Readable {
  const kind = compressionOf(head(file, 6));
  if (kind === 'gzip') return fs.createReadStream(file).pipe(zlib.createGunzip());
  if (kind === 'none') return fs.createReadStream(file);
  const child = spawn(kind, ['-dc', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('exit', (code) => {
    if (code !== 0) child.stdout.destroy(new EngineError('invalid-argument', `${path.basename(file)}: ${kind} decompression failed`));
  });
  return child.stdout;
}

export async function buildImage(engine: LocalEngine, opts: BuildOptions): Promise<ImageRecord> {
  return new Builder(engine, opts).build();
}

