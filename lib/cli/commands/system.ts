// System commands: version, info.
import * as os from 'node:os';
import type { CommandDef } from '../command';
import { out } from '../command';
import { printJson, renderFormat } from '../output';
import { str } from '../parse';
import { serviceCommand } from './service';
import { systemInfo } from '../../system/info';

import { API_VERSION, VERSION } from '../../version';

export const versionCommand: CommandDef = {
  name: 'version',
  usage: 'tspod version [options]',
  description: 'Display the tspod version information',
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Change the output format to JSON or a Go template' }],
  maxArgs: 0,
  run(_ctx, p) {
    const info = {
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
    const format = str(p.flags.format);
    if (format === 'json') printJson(info);
    else if (format) renderFormat(format, [info]);
    else
      out(
        `Version:      ${VERSION}\nAPI Version:  ${API_VERSION}\nGo Version:   ${info.Client.GoVersion}\nBuilt:        ${new Date(0).toUTCString()}\nOS/Arch:      ${info.Client.OsArch}\n`,
      );
    return 0;
  },
};

export const infoCommand: CommandDef = {
  name: 'info',
  usage: 'tspod info [options]',
  description: 'Display tspod system information',
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Change the output format to JSON or a Go template' }],
  maxArgs: 0,
  run(ctx, p) {
    const info = systemInfo(ctx.engine, false);
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, [info]);
    else printJson(info);
    return 0;
  },
};

export const SYSTEM_COMMANDS = [versionCommand, infoCommand];
export const SYSTEM_GROUP = [infoCommand, serviceCommand];
