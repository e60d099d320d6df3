// System commands: version, info, check.
import * as os from 'node:os';
import type { CommandDef } from '../command';
import { out } from '../command';
import { LIST_INDENT, printJson, renderFormat } from '../output';
import { goJSON } from '../../format/gotemplate';
import { bool, str } from '../parse';
import { EngineError } from '../../errors';
import { serviceCommand } from './service';
import { infoTemplateView } from '../../system/info';
import { toYaml } from '../../format/yaml';

import { API_VERSION, VERSION } from '../../version';

export const versionCommand: CommandDef = {
  name: 'version',
  usage: 'tspod version [options]',
  description: 'Display the tspod version information',
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Change the output format to JSON or a Go template' }],
  maxArgs: 0,
  async run(ctx, p) {
    const info: { Client: Record<string, unknown>; Server?: Record<string, unknown> } = {
      Client: {
        APIVersion: API_VERSION,
        Version: VERSION,
        GoVersion: `node${process.versions.node}`,
        GitCommit: '',
        BuiltTime: '',
        Built: 0,
        OsArch: `linux/${os.arch() === 'x64' ? 'amd64' : os.arch()}`,
        Os: 'linux',
      },
    };
    // remote: the service's version too, in Podman's Client/Server layout
    const server = ctx.remote ? await ctx.client.serverVersion() : undefined;
    if (server) info.Server = { ...server };
    const format = str(p.flags.format);
    const block = (v: Record<string, unknown>, built: string) =>
      `Version:      ${v.Version}\nAPI Version:  ${v.APIVersion}\nGo Version:   ${v.GoVersion}\nBuilt:        ${built}\nOS/Arch:      ${v.OsArch}\n`;
    if (format === 'json') out(`${goJSON(info)}\n`); // one line, as Podman's
    // as Podman: locally a template's .Server is the client itself (JSON shows only Client)
    else if (format) renderFormat(format, [{ ...info, Server: info.Server ?? info.Client }]);
    else if (server) out(`Client:       tspod\n${block(info.Client, new Date(0).toUTCString())}\nServer:       tspod\n${block(server as unknown as Record<string, unknown>, server.BuiltTime)}`);
    else out(block(info.Client, new Date(0).toUTCString()));
    return 0;
  },
};

export const infoCommand: CommandDef = {
  name: 'info',
  usage: 'tspod info [options]',
  description: 'Display tspod system information',
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Change the output format to JSON or a Go template' }],
  maxArgs: 0,
  async run(ctx, p) {
    const info = await ctx.client.info();
    const format = str(p.flags.format);
    // As Podman: YAML by default, JSON keys for json, Go field names for templates.
    if (format === 'json') printJson(info, LIST_INDENT);
    else if (format !== undefined) renderFormat(format, [infoTemplateView(info)]); // -f '' prints an empty line, as Podman
    else out(toYaml(info));
    return 0;
  },
};

export const checkCommand: CommandDef = {
  name: 'check',
  usage: 'tspod system check [options]',
  description: 'Check storage consistency',
  flags: [{ name: 'repair', short: 'r', type: 'bool', help: 'Restore a damaged state file from its backup and remove records whose files are gone' }],
  maxArgs: 0,
  run(ctx, p) {
    const { checkStore } = require('../../system/check') as typeof import('../../system/check');
    const report = checkStore(ctx.engine.store, { repair: bool(p.flags.repair) });
    if (report.problems.length === 0) {
      out('No problems found\n');
      return 0;
    }
    out(`Problems found:\n${report.problems.map((l) => `  ${l}\n`).join('')}`);
    if (report.repaired.length) out(`Repaired:\n${report.repaired.map((l) => `  ${l}\n`).join('')}`);
    if (report.remaining > 0)
      throw new EngineError('internal', bool(p.flags.repair) ? `${report.remaining} problem(s) could not be repaired` : `${report.remaining} problem(s) found: run "tspod system check --repair"`);
    return 0;
  },
};

export const SYSTEM_COMMANDS = [versionCommand, infoCommand];
export const SYSTEM_GROUP = [infoCommand, serviceCommand, checkCommand];
