// System commands: version, info.
import * as os from 'node:os';
import type { CommandDef } from '../command';
import { out } from '../command';
import { printJson, renderFormat } from '../output';
import { str } from '../parse';
import { serviceCommand } from './service';

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
    const db = ctx.engine.store.read();
    const ctrs = Object.values(db.containers);
    const info = {
      host: {
        arch: os.arch() === 'x64' ? 'amd64' : os.arch(),
        hostname: os.hostname(),
        kernel: os.release(),
        os: 'linux',
        cpus: os.cpus().length,
        memTotal: os.totalmem(),
        memFree: os.freemem(),
        ociRuntime: { name: ctx.engine.runtimeName() },
        uptime: `${Math.floor(os.uptime())}s`,
      },
      store: {
        graphRoot: ctx.engine.paths.root,
        runRoot: ctx.engine.paths.runroot,
        graphDriverName: 'overlay',
        containerStore: {
          number: ctrs.length,
          running: ctrs.filter((c) => c.state.status === 'running').length,
          stopped: ctrs.filter((c) => c.state.status !== 'running').length,
          paused: 0,
        },
        imageStore: { number: Object.keys(db.images).length },
      },
      version: { APIVersion: API_VERSION, Version: VERSION, OsArch: `linux/${os.arch() === 'x64' ? 'amd64' : os.arch()}` },
    };
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, [info]);
    else printJson(info);
    return 0;
  },
};

export const SYSTEM_COMMANDS = [versionCommand, infoCommand];
export const SYSTEM_GROUP = [infoCommand, serviceCommand];
