// `tspod generate systemd`: a systemd service unit for a container, in the
// layout of `podman generate systemd` (lib/systemd/generate.ts does the work).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, int, str, UsageError, type Parsed } from '../parse';
import { EngineError } from '../../errors';
import { goJSON } from '../../format/gotemplate';
import { bundleDir } from '../../storage/paths';
import { runCommand } from './containers';
import { VERSION } from '../../version';
import { generateContainerUnit, GenerateError, type GenerateOptions, type KnownFlag } from '../../systemd/generate';
import { listenerPidFile } from '../../activation/listen';

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

/** `tspod run`'s flags, so the create command's options and image are told apart exactly. */
function runFlags(): KnownFlag[] {
  return runCommand.flags.map((f) => ({ name: f.name, short: f.short, takesValue: f.type !== 'bool' }));
}

/** Podman's flags are uint: a negative value is a usage error. */
function uint(p: Parsed, name: string): number | undefined {
  const v = int(p.flags[name]);
  if (v !== undefined && v < 0) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`);
  return v;
}

export const systemdCommand: CommandDef = {
  name: 'systemd',
  usage: 'tspod generate systemd [options] {CONTAINER|POD}',
  description: 'Generate systemd units for a pod or container.\n  The generated units can later be controlled via systemctl(1).',
  flags: [
    { name: 'after', type: 'array', help: 'Add dependencies order to the generated unit file' },
    { name: 'container-prefix', type: 'string', default: 'container', help: 'Systemd unit name prefix for containers (default "container")' },
    { name: 'env', short: 'e', type: 'array', help: 'Set environment variables to the systemd unit files' },
    { name: 'files', short: 'f', type: 'bool', help: 'Generate .service files instead of printing to stdout' },
    { name: 'format', type: 'string', help: 'Print the created units in specified format (json)' },
    { name: 'name', short: 'n', type: 'bool', help: 'Use container/pod names instead of IDs' },
    { name: 'new', type: 'bool', help: 'Create a new container or pod instead of starting an existing one' },
    { name: 'no-header', type: 'bool', help: 'Skip header generation' },
    { name: 'pod-prefix', type: 'string', default: 'pod', help: 'Systemd unit name prefix for pods (default "pod")' },
    { name: 'requires', type: 'array', help: 'Similar to wants, but declares stronger requirement dependencies' },
    { name: 'restart-policy', type: 'string', default: 'on-failure', help: 'Systemd restart-policy (default "on-failure")' },
    { name: 'restart-sec', type: 'int', help: 'Systemd restart-sec' },
    { name: 'separator', type: 'string', default: '-', help: 'Systemd unit name separator between name/id and prefix (default "-")' },
    { name: 'start-timeout', type: 'int', help: 'Start timeout override' },
    { name: 'stop-timeout', type: 'int', help: 'Stop timeout override (default 10)' },
    { name: 'template', type: 'bool', help: 'Make it a template file and use %i and %I specifiers. Working only for containers' },
    { name: 'time', short: 't', type: 'int', hidden: true },
    { name: 'wants', type: 'array', help: 'Add (weak) requirement dependencies to the generated unit file' },
  ],
  run(ctx, p) {
    if (p.args.length !== 1) {
      err(`Error: accepts 1 arg(s), received ${p.args.length}\n`);
      return 125;
    }
    const format = str(p.flags.format);
    if (format !== undefined && format !== '' && format !== 'json') throw new EngineError('invalid-argument', `unknown --format argument: ${format}`);
    const stopTimeout = p.given.has('stop-timeout') ? uint(p, 'stop-timeout') : p.given.has('time') ? uint(p, 'time') : undefined;
    const opts: GenerateOptions = {
      new: bool(p.flags.new),
      name: bool(p.flags.name),
      noHeader: bool(p.flags['no-header']),
      template: bool(p.flags.template),
      restartPolicy: p.given.has('restart-policy') ? str(p.flags['restart-policy']) : undefined,
      restartSec: p.given.has('restart-sec') ? uint(p, 'restart-sec') : undefined,
      startTimeout: p.given.has('start-timeout') ? uint(p, 'start-timeout') : undefined,
      stopTimeout,
      containerPrefix: str(p.flags['container-prefix']) ?? 'container',
      separator: str(p.flags.separator) ?? '-',
      wants: arr(p.flags.wants),
      after: arr(p.flags.after),
      requires: arr(p.flags.requires),
      env: arr(p.flags.env),
    };

    const target = p.args[0];
    let rec;
    try {
      rec = ctx.engine.get(target);
    } catch (e) {
      if (e instanceof EngineError && e.kind === 'no-such-container')
        throw new EngineError(
          'no-such-container',
          `${target} does not refer to a container or pod: no pod with name or ID ${target} found: no such pod (tspod does not support pods yet): ${e.message}`,
        );
      throw e;
    }

    if (rec.config.listen?.length && (opts.new || opts.template))
      throw new EngineError('invalid-argument', `--new is not supported for a --listen container yet: generate the unit without --new`);
    let unit;
    try {
      unit = generateContainerUnit(
        {
          id: rec.id,
          name: rec.name,
          stopTimeout: rec.config.stopTimeout,
          restartPolicy: rec.config.restartPolicy,
          createCommand: rec.config.createCommand ?? [],
          env: rec.config.env,
          // --listen: the listener is the main process (it outlives idle stops); the unit needs no .socket
          conmonPidFile: rec.config.listen?.length ? listenerPidFile(ctx.engine.paths, rec.id) : path.join(bundleDir(ctx.engine.paths, rec.id), 'conmon.pid'),
          runRoot: ctx.engine.paths.runroot,
        },
        opts,
        { executable: tspodExecutable(), version: VERSION, knownFlags: runFlags() },
      );
    } catch (e) {
      if (e instanceof GenerateError) throw new EngineError('invalid-argument', e.message);
      throw e;
    }
    for (const w of unit.warnings) err(`WARN[0000] ${w}\n`);

    // name -> unit content or, with --files, the path written
    const units: Record<string, string> = {};
    if (bool(p.flags.files)) {
      const file = path.join(process.cwd(), unit.fileName);
      fs.writeFileSync(file, unit.content, { mode: 0o644 });
      units[unit.serviceName] = file;
    } else units[unit.serviceName] = unit.content;

    if (format === 'json') {
      out(`${goJSON(units, { indent: ' ', escapeHTML: true })}\n`);
      return 0;
    }
    const names = Object.keys(units).sort();
    if (bool(p.flags.files)) out(names.map((n) => `${units[n]}\n`).join(''));
    else out(names.map((n) => units[n]).join('\n'));
    return 0;
  },
};

export const GENERATE_GROUP: CommandDef[] = [systemdCommand];
