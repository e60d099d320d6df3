// `tspod unshare [COMMAND]`: a command (default $SHELL) inside the rootless
// user and mount namespaces, as Podman's: there a user's store shows its
// real ownership (uid 0 = the user, 1.. = the subordinate range). main.ts has
// already re-executed tspod inside them before this runs.
import { spawnSync } from 'node:child_process';
import type { CommandDef } from '../command';
import { EngineError } from '../../errors';
import { isRootless } from '../../rootless/identity';

export const unshareCommand: CommandDef = {
  name: 'unshare',
  usage: 'tspod unshare [options] [COMMAND [ARG...]]',
  description: 'Run a command in a modified user namespace',
  flags: [],
  interspersed: false,
  run(ctx, p) {
    if (ctx.remote) throw new EngineError('invalid-argument', 'cannot use command "tspod unshare" with the remote tspod client');
    if (!isRootless()) throw new EngineError('invalid-argument', 'please use unshare with rootless');
    const { paths } = ctx.engine;
    const [cmd, ...args] = p.args.length > 0 ? p.args : [process.env.SHELL || '/bin/sh'];
    const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, CONTAINERS_GRAPHROOT: paths.root, CONTAINERS_RUNROOT: paths.runroot } });
    if (r.error) throw new EngineError((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'cmd-not-found' : 'cmd-cannot-invoke', `${cmd}: ${r.error.message}`);
    return r.status ?? 128 + 9;
  },
};

export const UNSHARE_COMMANDS = [unshareCommand];
