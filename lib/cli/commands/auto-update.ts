// `auto-update [--dry-run] [--rollback] [--format]`: lib/image/auto-update.ts.
// Prints Podman's table; exits 125 when any container could not be updated
// (the others are updated regardless), after printing what happened to each.
import type { CommandDef } from '../command';
import { err } from '../command';
import { bool, str } from '../parse';
import { EngineError } from '../../errors';
import { REMOTE_UNSUPPORTED } from '../../engine/engine';
import { printJson, renderList } from '../output';

export const autoUpdateCommand: CommandDef = {
  name: 'auto-update',
  usage: 'tspod auto-update [options]',
  description: 'Auto update containers according to their auto-update policy',
  flags: [
    { name: 'dry-run', type: 'bool', help: 'Check for pending updates' },
    { name: 'rollback', type: 'bool', default: true, help: 'Rollback to previous image if update fails' },
    { name: 'format', type: 'string', help: 'Change the output format to JSON or a Go template' },
    { name: 'authfile', type: 'string', help: 'Path to the authentication file' },
    { name: 'tls-verify', type: 'bool', help: 'Require HTTPS and verify certificates when contacting registries' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    if (ctx.remote) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('auto-update'));
    const { autoUpdate } = await import('../../image/auto-update');
    const { reports, errors } = await autoUpdate(ctx.engine, {
      dryRun: bool(p.flags['dry-run']),
      rollback: p.flags.rollback !== false,
      authfile: str(p.flags.authfile),
      tlsVerify: p.given.has('tls-verify') ? bool(p.flags['tls-verify']) : undefined,
    });
    const format = str(p.flags.format);
    if (format === 'json') printJson(reports);
    else
      renderList(
        {
          name: 'auto-update',
          headers: {},
          fields: ['Unit', 'Container', 'ContainerID', 'ContainerName', 'Image', 'Policy', 'Updated'],
          defaultRow: '{{.Unit}}\t{{.Container}}\t{{.Image}}\t{{.Policy}}\t{{.Updated}}',
        },
        format,
        reports,
        false,
      );
    for (const e of errors) err(`Error: ${e}\n`);
    return errors.length > 0 ? 125 : 0;
  },
};

export const AUTO_UPDATE_COMMANDS: CommandDef[] = [autoUpdateCommand];
