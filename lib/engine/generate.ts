// The unit generator part of the Engine contract (Podman's GenerateSystemd):
// `generate systemd`'s units for a container, made where the container is
// (its paths, its create command, the service's tspod executable).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalEngine } from '../container/engine';
import { EngineError } from '../errors';
import { bundleDir } from '../storage/paths';
import { VERSION } from '../version';
import {
  type ContainerUnitInput,
  generateContainerUnit,
  type GenerateContext,
  GenerateError,
  type GeneratedUnit,
  type GenerateOptions,
  generatePodUnit,
  type KnownFlag,
  podServiceFiles,
} from '../systemd/generate';
import type { ContainerRecord, PodRecord } from '../storage/records';
import { getPod, podMembers } from '../pod/pods';
import { listenerPidFile } from '../activation/listen';

export type { GenerateOptions };

export interface SystemdUnits {
  /** service name -> unit content */
  units: Record<string, string>;
  warnings: string[];
  /** service name -> the file --files writes (absent over the API: NAME.service) */
  fileNames?: Record<string, string>;
}

export interface GenerateEngine {
  generateSystemd(target: string, opts: GenerateOptions): Promise<SystemdUnits>;
  /** A container's libpod SpecGenerator (`generate spec`); with newName, named as a clone. */
  generateSpec(target: string, newName: boolean): Promise<Record<string, unknown>>;
}

/**
 * The tspod command for the unit's Exec lines. Node runs the bundle
 * (dist/tspod.js) behind a launcher script (dist/tspod); the unit needs the
 * launcher. When the launcher is reachable on $PATH (for example as the
 * /usr/local/bin/tspod symlink setup creates), that stable name is used.
 */
export function tspodExecutable(): string {
  const isExec = (f: string) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  };
  const real = (f: string) => {
    try {
      return fs.realpathSync(f);
    } catch {
      return f;
    }
  };
  const script = process.argv[1] ? path.resolve(process.argv[1]) : '';
  let launcher = '';
  if (script.endsWith('.js') && isExec(script.slice(0, -3))) launcher = script.slice(0, -3);
  else if (script && isExec(script)) launcher = script;
  for (const dir of (process.env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d))) {
    const cand = path.join(dir, 'tspod');
    if (isExec(cand) && (!launcher || real(cand) === real(launcher))) return cand;
  }
  return launcher || '/usr/local/bin/tspod';
}

/** `tspod run`'s flags, so the create command's options and image are told apart exactly (loaded when used). */
function runFlags(): KnownFlag[] {
  const { runCommand } = require('../cli/commands/containers') as typeof import('../cli/commands/containers');
  return runCommand.flags.map((f) => ({ name: f.name, short: f.short, takesValue: f.type !== 'bool' }));
}

const containerInput = (engine: LocalEngine, rec: ContainerRecord, pod?: ContainerUnitInput['pod']): ContainerUnitInput => ({
  id: rec.id,
  name: rec.name,
  stopTimeout: rec.config.stopTimeout,
  restartPolicy: rec.config.restartPolicy,
  createCommand: rec.config.createCommand ?? [],
  env: rec.config.env,
  // --listen: the listener is the main process (it outlives idle stops); the unit needs no .socket
  conmonPidFile: rec.config.listen?.length ? listenerPidFile(engine.paths, rec.id) : rec.config.conmonPidFile || path.join(bundleDir(engine.paths, rec.id), 'conmon.pid'),
  runRoot: engine.paths.runroot,
  ...(pod ? { pod } : {}),
});

/** The units of a container, or of a pod: one for the pod (its infra container) and one per other container. */
function unitsFor(engine: LocalEngine, target: string, opts: GenerateOptions): GeneratedUnit[] {
  const gen = { executable: tspodExecutable(), version: VERSION, knownFlags: runFlags() };
  let rec: ContainerRecord | undefined;
  try {
    rec = engine.get(target);
  } catch (e) {
    if (!(e instanceof EngineError && e.kind === 'no-such-container')) throw e;
    let pod: PodRecord;
    try {
      pod = getPod(engine, target);
    } catch (pe) {
      if (pe instanceof EngineError && pe.kind === 'no-such-object') throw new EngineError('no-such-container', `${target} does not refer to a container or pod: ${pe.message}: ${e.message}`);
      throw pe;
    }
    return podUnits(engine, pod, opts, gen);
  }
  if (rec.config.listen?.length && (opts.new || opts.template))
    throw new EngineError('invalid-argument', `--new is not supported for a --listen container yet: generate the unit without --new`);
  return [generateContainerUnit(containerInput(engine, rec), opts, gen)];
}

function podUnits(engine: LocalEngine, pod: PodRecord, opts: GenerateOptions, gen: GenerateContext): GeneratedUnit[] {
  if (opts.template) throw new GenerateError('--template is not supported for pods');
  const members = podMembers(engine, pod);
  const infra = members.find((c) => c.config.isInfra);
  if (!infra) throw new GenerateError(`generating systemd unit files: Pod ${JSON.stringify(pod.name)} has no infra container`);
  const others = members.filter((c) => !c.config.isInfra);
  const files = podServiceFiles(pod, opts);
  const ctrUnits = others.map((c) => generateContainerUnit(containerInput(engine, c, { serviceName: files.serviceName, podIdFile: files.podIdFile }), opts, gen));
  const podUnit = generatePodUnit(
    {
      id: pod.id,
      name: pod.name,
      infraId: infra.id,
      infraName: infra.name,
      stopTimeout: infra.config.stopTimeout,
      createCommand: pod.createCommand,
      infraConmonPidFile: containerInput(engine, infra).conmonPidFile,
      runRoot: engine.paths.runroot,
    },
    ctrUnits.map((u) => u.serviceName),
    opts,
    gen,
  );
  return [podUnit, ...ctrUnits];
}

export class LocalGenerate implements GenerateEngine {
  constructor(private readonly local: LocalEngine) {}

  async generateSpec(target: string, newName: boolean): Promise<Record<string, unknown>> {
    const { containerSpec } = require('../container/spec-export') as typeof import('../container/spec-export');
    return containerSpec(this.local, target, newName);
  }

  async generateSystemd(target: string, opts: GenerateOptions): Promise<SystemdUnits> {
    try {
      const generated = unitsFor(this.local, target, opts);
      return {
        units: Object.fromEntries(generated.map((u) => [u.serviceName, u.content])),
        warnings: generated.flatMap((u) => u.warnings),
        fileNames: Object.fromEntries(generated.map((u) => [u.serviceName, u.fileName])),
      };
    } catch (e) {
      if (e instanceof GenerateError) throw new EngineError('invalid-argument', e.message);
      throw e;
    }
  }
}
