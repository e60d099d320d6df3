// tspod: the command line. Global flags, the command tree, and the one place
// where errors become messages and exit codes.
import { GLOBAL_FLAGS } from './global-flags';
import { resolve as resolvePath } from 'node:path';
import { parseArgs, UsageError, helpText, bool, str } from './parse';
import type { CliContext, CommandDef } from './command';
import { err, out } from './command';
import { GROUP_INDEX, allTop, findCommand, findTop } from './command-index';
import { VERSION } from '../version';
import { LocalEngine } from '../container/engine';
import { defaultPaths } from '../storage/paths';
import { EngineError, exitCodeFor } from '../errors';
import type { Engine } from '../engine/engine';
import { REMOTE_UNSUPPORTED } from '../engine/engine';
import { InProcessEngine } from '../engine/in-process';
import { LOG_LEVELS, isLogLevel, log, logEnabled, setLogLevel } from './log';
import { containersConfFiles } from '../config/containers-conf';
import { enterUserNamespace } from '../rootless/userns';


function usage(): string {
  const lines = allTop()
    .filter((c) => !c.hidden)
    .map((c) => `  ${c.name.padEnd(12)} ${c.description}`);
  const groups = Object.entries(GROUP_INDEX).map(([g, e]) => `  ${g.padEnd(12)} ${e.description}`);
  return `Manage pods, containers and images\n\nUsage:\n  tspod [options] [command]\n\nAvailable Commands:\n${[...groups, ...lines].join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  // Global flags come first; the command's own parser accepts them too.
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-')) {
    const name = argv[i].replace(/^--?/, '').split('=')[0];
    const def = GLOBAL_FLAGS.find((f) => f.name === name || f.short === name);
    if (!def) break;
    i += def.type === 'bool' || argv[i].includes('=') ? 1 : 2;
  }
  const globals = parseArgs(argv.slice(0, i), GLOBAL_FLAGS, true);
  if (globals.flags.version) {
    out(`tspod version ${VERSION}\n`);
    return 0;
  }
  let rest = argv.slice(i);
  if (rest.length === 0 || globals.flags.help) {
    out(usage());
    return rest.length === 0 && !globals.flags.help ? 125 : 0;
  }
  let path = 'tspod';
  let cmd: CommandDef | undefined;
  const group = GROUP_INDEX[rest[0]];
  if (group) {
    path += ` ${rest[0]}`;
    rest = rest.slice(1);
    if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
      const list = group.load();
      out(`${group.description}\n\nAvailable Commands:\n${list.map((c) => `  ${c.name.padEnd(12)} ${c.description}`).join('\n')}\n`);
      return 0;
    }
    cmd = group.find ? group.find(rest[0]) : findCommand(group.load(), rest[0]);
  } else cmd = findTop(rest[0]);
  if (!cmd) {
    // As cobra: the flags are parsed before the unknown command is reported
    try {
      if (!group) parseArgs(rest.slice(1), GLOBAL_FLAGS, true);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      err(`Error: ${e.message}\nSee '${path} --help'\n`);
      return 125;
    }
    err(`Error: unrecognized command \`${path} ${rest[0]}\`\nTry '${path} --help' for more information\n`);
    return 125;
  }
  path += ` ${cmd.name}`;
  const defs = [...cmd.flags, ...GLOBAL_FLAGS.filter((g) => !cmd.flags.some((f) => f.name === g.name || (g.short && f.short === g.short)))];
  let parsed;
  try {
    parsed = parseArgs(rest.slice(1), defs, cmd.interspersed !== false);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`Error: ${e.message}\nSee '${path} --help'\n`);
      return 125;
    }
    throw e;
  }
  if (parsed.flags.help) {
    out(helpText(cmd.usage, cmd.description, cmd.flags));
    return 0;
  }
  if (cmd.minArgs !== undefined && parsed.args.length < cmd.minArgs) {
    err(`Error: ${path} requires at least ${cmd.minArgs} argument${cmd.minArgs === 1 ? '' : 's'}\nSee '${path} --help'\n`);
    return 125;
  }
  if (cmd.maxArgs !== undefined && parsed.args.length > cmd.maxArgs) {
    err(`Error: ${path} accepts at most ${cmd.maxArgs} arg(s), received ${parsed.args.length}\nSee '${path} --help'\n`);
    return 125;
  }
  const flag = (name: string) => parsed.flags[name] ?? globals.flags[name];
  // Podman's "none" events backend records nothing, so there is nothing to read
  if (cmd.name === 'events' && str(flag('events-backend')) === 'none') throw new EngineError('invalid-argument', 'cannot read events with the "none" backend');
  // Global flags may come before or after the command's name.
  const setup = applyGlobalFlags({ 'log-level': flag('log-level'), debug: bool(parsed.flags.debug) || bool(globals.flags.debug), noout: bool(parsed.flags.noout) || bool(globals.flags.noout), 'storage-opt': [...((globals.flags['storage-opt'] as string[]) ?? []), ...((parsed.flags['storage-opt'] as string[]) ?? [])] });
  if (setup !== 0) return setup;
  log('info', `tspod filtering at log level ${logLevelName}`);
  log('debug', `Called ${cmd.name}.PersistentPreRunE(${['tspod', ...argv].join(' ')})`);
  if (logEnabled('trace')) log('trace', `Configuration files considered: ${containersConfFiles().join(', ')}`);
  // Podman's rules: --connection, --url, CONTAINER_CONNECTION, CONTAINER_HOST (in that order) name the service and imply --remote.
  const service: ServiceChoice | undefined =
    str(flag('connection')) !== undefined
      ? { connection: str(flag('connection')) }
      : str(flag('url')) !== undefined
        ? { url: str(flag('url')) }
        : process.env.CONTAINER_CONNECTION
          ? { connection: process.env.CONTAINER_CONNECTION }
          : process.env.CONTAINER_HOST
            ? { url: process.env.CONTAINER_HOST }
            : undefined;
  const remote = bool(flag('remote')) || service !== undefined;
  const url = service?.url ?? (service?.connection !== undefined ? `connection ${service.connection}` : undefined);
  const identity = str(flag('identity')) ?? (process.env.CONTAINER_SSHKEY || undefined);
  const defaults = defaultPaths();
  let local: LocalEngine | undefined;
  const localEngine = (): LocalEngine =>
    (local ??= new LocalEngine({
      // Absolute: the monitor runs in the bundle directory, and exit commands anywhere.
      paths: {
        root: resolvePath(str(flag('root')) ?? defaults.root),
        runroot: resolvePath(str(flag('runroot')) ?? defaults.runroot),
        ...(str(flag('volumepath')) ? { volumePath: resolvePath(str(flag('volumepath')) as string) } : {}),
      },
      runtime: str(flag('runtime')),
      runtimeFlags: [...((globals.flags['runtime-flag'] as string[]) ?? []), ...((parsed.flags['runtime-flag'] as string[]) ?? [])],
      cgroupManager: str(flag('cgroup-manager')),
    }));
  if (!remote) {
    log('debug', `Using graph root ${resolvePath(str(flag('root')) ?? defaults.root)}`);
    log('debug', `Using run root ${resolvePath(str(flag('runroot')) ?? defaults.runroot)}`);
  } else log('debug', `Using the service at ${url ?? 'the default socket'}`);
  let client: Engine | undefined;
  const ctx: CliContext = {
    commandPath: path,
    remote,
    get engine(): LocalEngine {
      if (remote) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED(path));
      return localEngine();
    },
    get client(): Engine {
      return (client ??= remote ? remoteEngine(service, identity) : new InProcessEngine(localEngine()));
    },
  };
  // An ordinary user's local commands run in tspod's user namespace (re-exec, no return).
  if (!remote) enterUserNamespace();
  return cmd.run(ctx, parsed);
}

let logLevelName = 'warn';

/**
 * --log-level / --debug, --noout and --storage-opt, checked as Podman checks
 * them (exit 1 for a bad log level). Returns an exit code, 0 to go on.
 */
function applyGlobalFlags(flags: Record<string, string | boolean | number | string[] | undefined>): number {
  const level = str(flags['log-level']);
  if (bool(flags.debug) && level !== undefined) {
    err('Setting --log-level and --debug is not allowed\n');
    return 1;
  }
  const chosen = bool(flags.debug) ? 'debug' : level ?? logLevelName;
  if (!isLogLevel(chosen)) {
    err(`Log Level "${chosen}" is not supported, choose from: ${LOG_LEVELS.join(', ')}\n`);
    return 1;
  }
  logLevelName = chosen;
  setLogLevel(chosen);
  for (const opt of (flags['storage-opt'] as string[] | undefined) ?? [])
    if (opt !== '') throw new EngineError('invalid-argument', `storage option ${JSON.stringify(opt)}: tspod's overlay driver takes no options`);
  if (bool(flags.noout)) {
    // Podman points stdout at /dev/null: what tspod itself prints goes nowhere.
    process.stdout.write = ((_chunk: unknown, encoding?: unknown, cb?: unknown) => {
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }) as typeof process.stdout.write;
  }
  return 0;
}

interface ServiceChoice {
  url?: string;
  connection?: string;
}

/**
 * The remote engine is loaded only when used (its http client costs start-up
 * time). The service: the named connection, the URL, else the default
 * connection, else the default socket; the ssh key: --identity, else the connection's.
 */
function remoteEngine(service: ServiceChoice | undefined, identity: string | undefined): Engine {
  const { defaultServiceSocket } = require('../remote/connection') as typeof import('../remote/connection');
  const { defaultConnection, getConnection, remoteEngineAt } = require('../remote/connections') as typeof import('../remote/connections');
  const named = service?.connection !== undefined ? getConnection(service.connection) : service?.url === undefined ? defaultConnection() : undefined;
  const uri = named?.URI ?? service?.url ?? `unix://${defaultServiceSocket()}`;
  return remoteEngineAt(uri, identity ?? (named?.Identity || undefined));
}

// Started from a V8 start-up snapshot (dist/tspod.blob, see scripts/build.mjs) the
// bundle is already loaded and main runs on deserialization. argv then has no
// script path: put the bundle's in, so argv looks the same either way.
const snapshot = require('node:v8').startupSnapshot as { isBuildingSnapshot(): boolean; setDeserializeMainFunction(f: () => void): void };
if (snapshot.isBuildingSnapshot()) {
  // Evaluate the container commands' modules now, so run/ps/... do not pay for it
  // at run time. (Modules that load node:http cannot be part of a Node 20 snapshot.)
  findTop('run');
  snapshot.setDeserializeMainFunction(() => {
    process.argv.splice(1, process.argv[1] === '--' ? 1 : 0, __filename);
    start(process.argv.slice(2));
  });
} else start(process.argv.slice(2));

function start(argv: string[]): void {
  // A reader that went away (`tspod logs ctr | head`): end as a Go program does on
  // SIGPIPE (the shell sees 141), not with an unhandled 'error' event and its stack.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
  main(argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) err(`Error: ${e.message}\n`);
      else if (e instanceof EngineError) err(`Error: ${e.message}\n`);
      else err(`Error: ${(e as Error)?.message ?? String(e)}\n`);
      if (process.env.TSPOD_DEBUG && e instanceof Error) err(`${e.stack}\n`);
      process.exit(exitCodeFor(e));
    },
  );
}
