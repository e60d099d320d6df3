// `tspod system service`: the API service. The api/ tree is loaded only here,
// so the rest of the CLI does not pay for it at start-up.
import type { CommandDef } from '../command';
import { err } from '../command';
import { int, str } from '../parse';
import { loadContainersConf } from '../../config/containers-conf';
import { EngineError } from '../../errors';

export const serviceCommand: CommandDef = {
  name: 'service',
  usage: 'tspod system service [options] [URI]',
  description: 'Run API service',
  flags: [
    { name: 'time', short: 't', type: 'int', help: 'Time until the service session expires in seconds.  Use 0 to disable the timeout (default 5)' },
    { name: 'timeout', type: 'int', hidden: true },
    { name: 'cors', type: 'string', help: 'Set CORS Headers' },
  ],
  maxArgs: 1,
  async run(ctx, p) {
    const time = int(p.flags.time) ?? int(p.flags.timeout) ?? loadContainersConf().serviceTimeout ?? 5;
    if (time < 0) throw new EngineError('invalid-argument', `invalid --time ${time}: must be 0 or more: invalid argument`);
    const { runService } = await import('../../../api/server');
    const { ListenerError } = await import('../../../api/listener');
    try {
      return await runService({ engine: ctx.engine, uri: p.args[0] ?? (process.env.TSPOD_SOCKET || undefined), time, cors: str(p.flags.cors), log: err });
    } catch (e) {
      if (e instanceof ListenerError || (e as NodeJS.ErrnoException).code) {
        err(`Error: ${(e as Error).message}\n`);
        return 125;
      }
      throw e;
    }
  },
};
