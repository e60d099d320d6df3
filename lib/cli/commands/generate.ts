// `tspod generate systemd`: a systemd service unit for a container, in the
// layout of `podman generate systemd` (lib/systemd/generate.ts does the work).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandDef } from '../command';
import { err, out } from '../command';
import { arr, bool, int, str, UsageError, type Parsed } from '../parse';
import { EngineError } from '../../errors';
import { goJSON } from '../../format/gotemplate';
import type { GenerateOptions } from '../../systemd/generate';

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
  async run(ctx, p) {
    if (p.args.length !== 1) {
      err(`Error: accepts 1 arg(s), received ${p.args.length}\n`);
      return 125;
    }
    const format = str(p.flags.format);
    if (format !== undefined && format !== '' && format !== 'json') throw new EngineError('invalid-argument', `unknown --format argument: ${format}`);
    // as Podman: --template implies --new, and an explicit --new=false contradicts it
    if (bool(p.flags.template) && p.given.has('new') && !bool(p.flags.new)) throw new EngineError('invalid-argument', '--template cannot be set with --new=false');
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
      podPrefix: str(p.flags['pod-prefix']) ?? 'pod',
    };

    const { units: generated, warnings, fileNames } = await ctx.client.generate.generateSystemd(p.args[0], opts);
    for (const w of warnings) err(`WARN[0000] ${w}\n`);

    // name -> unit content or, with --files, the path written
    const units: Record<string, string> = {};
    for (const [name, content] of Object.entries(generated)) {
      if (bool(p.flags.files)) {
        // the unit's file is written here, by the client (as podman-remote does)
        const file = path.join(process.cwd(), fileNames?.[name] ?? `${name}${opts.template ? '@' : ''}.service`);
        fs.writeFileSync(file, content, { mode: 0o644 });
        units[name] = file;
      } else units[name] = content;
    }

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

export const specCommand: CommandDef = {
  name: 'spec',
  usage: 'tspod generate spec [options] CONTAINER',
  description: 'Generate Specgen JSON based on containers',
  flags: [
    { name: 'compact', short: 'c', type: 'bool', help: 'Print the json in a compact format for consumption' },
    { name: 'filename', short: 'f', type: 'string', help: 'Write output to the specified path' },
    { name: 'name', short: 'n', type: 'bool', default: true, help: 'Specify a new name for the generated spec' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    const spec = await ctx.client.generate.generateSpec(p.args[0], bool(p.flags.name));
    const text = bool(p.flags.compact) ? JSON.stringify(spec) : JSON.stringify(spec, null, '     ');
    const file = str(p.flags.filename);
    if (file) fs.writeFileSync(file, text, { mode: 0o644 });
    else out(`${text}\n`);
    return 0;
  },
};

export const GENERATE_GROUP: CommandDef[] = [systemdCommand, specCommand];
