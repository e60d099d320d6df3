// `tspod system connection add|ls|default|rename|rm`: named services for
// --connection (lib/remote/connections.ts), in Podman 4.3's output.
import type { CommandDef } from '../command';
import { out } from '../command';
import { bool, helpText, int, parseArgs, str, UsageError } from '../parse';
import { EngineError, invalidArgument } from '../../errors';
import { printJson, renderFormat } from '../output';
import { checkConnection, checkConnectionName, noSuchConnection, readConnections, updateConnections } from '../../remote/connections';
import { parseServiceUri } from '../../remote/connection';

/** A destination as Podman takes it (user@host is ssh), written as the URI that is stored. */
function destinationUri(dest: string, port: number | undefined, socketPath: string | undefined): string {
  const uri = /^[a-z+]+:\/\//.test(dest) ? dest : `ssh://${dest}`;
  const a = parseServiceUri(uri);
  if (a.kind !== 'ssh') {
    if (socketPath !== undefined || port !== undefined) throw invalidArgument('--port and --socket-path are for ssh destinations');
    return uri;
  }
  const portGiven = port ?? (/^ssh:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):\d+/.test(uri) ? a.port : 22);
  const sock = socketPath !== undefined ? parseServiceUri(`ssh://${a.user}@x${socketPath.startsWith('/') ? '' : '/'}${socketPath}`) : a;
  if (sock.kind !== 'ssh') throw invalidArgument(`socket path ${socketPath}`);
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  const checked = `ssh://${a.user}@${host}:${portGiven}${sock.path}`;
  parseServiceUri(checked);
  return checked;
}

const addCommand: CommandDef = {
  name: 'add',
  usage: 'tspod system connection add [options] NAME DESTINATION',
  description: 'Record destination for the tspod service',
  flags: [
    { name: 'default', short: 'd', type: 'bool', help: 'Set connection to be default' },
    { name: 'identity', type: 'string', help: 'path to SSH identity file' },
    { name: 'port', short: 'p', type: 'int', help: 'SSH port number for destination (default 22)' },
    { name: 'socket-path', type: 'string', help: 'path to tspod socket on remote host. (default "/run/tspod/tspod.sock")' },
  ],
  minArgs: 2,
  maxArgs: 2,
  run(_ctx, p) {
    const [name, dest] = p.args;
    checkConnectionName(name);
    const port = int(p.flags.port);
    if (port !== undefined && (port < 1 || port > 65535)) throw invalidArgument(`port ${port} is out of range`);
    const conn = checkConnection(destinationUri(dest, port, str(p.flags['socket-path'])), str(p.flags.identity) ?? '');
    updateConnections((doc) => {
      doc.Connection.Connections[name] = conn;
      // the first one is the default, as Podman's
      if (bool(p.flags.default) || Object.keys(doc.Connection.Connections).length === 1) doc.Connection.Default = name;
    });
    return 0;
  },
};

/** Go's tabwriter as Podman sets it up (minwidth 12, padding 2). */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(12, ...rows.map((r) => r[i].length + 2)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('').trimEnd() + '\n').join('');
}

const lsCommand: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  usage: 'tspod system connection ls [options]',
  description: 'List destination for the tspod service(s)',
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Custom Go template for printing connections' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Custom Go template for printing connections' },
  ],
  maxArgs: 0,
  run(_ctx, p) {
    const doc = readConnections();
    const rows = Object.entries(doc.Connection.Connections)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([Name, c]) => ({ Name, URI: c.URI, Identity: c.Identity, Default: Name === doc.Connection.Default }));
    const format = str(p.flags.format);
    if (bool(p.flags.quiet)) out(rows.map((r) => `${r.Name}\n`).join(''));
    else if (format === 'json') printJson(rows);
    else if (format) renderFormat(format, rows);
    else out(table([['Name', 'URI', 'Identity', 'Default'], ...rows.map((r) => [r.Name, r.URI, r.Identity, String(r.Default)])]));
    return 0;
  },
};

const defaultCommand: CommandDef = {
  name: 'default',
  usage: 'tspod system connection default NAME',
  description: 'Set named destination as default',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  run(_ctx, p) {
    updateConnections((doc) => {
      if (!doc.Connection.Connections[p.args[0]]) throw noSuchConnection(p.args[0]);
      doc.Connection.Default = p.args[0];
    });
    return 0;
  },
};

const renameCommand: CommandDef = {
  name: 'rename',
  aliases: ['mv'],
  usage: 'tspod system connection rename OLD NEW',
  description: 'Rename "old" to "new"',
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  run(_ctx, p) {
    const [from, to] = p.args;
    checkConnectionName(to);
    updateConnections((doc) => {
      const conns = doc.Connection.Connections;
      if (!conns[from]) throw noSuchConnection(from);
      if (from === to) return;
      if (conns[to]) throw new EngineError('name-in-use', `connection "${to}" already exists: name is in use`);
      conns[to] = conns[from];
      delete conns[from];
      if (doc.Connection.Default === from) doc.Connection.Default = to;
    });
    return 0;
  },
};

const rmCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'tspod system connection rm [options] NAME',
  description: 'Delete named destination',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all connections' }],
  maxArgs: 1,
  run(_ctx, p) {
    const all = bool(p.flags.all);
    if (all === (p.args.length === 1)) throw new UsageError(all ? '--all takes no connection name' : 'accepts 1 arg(s), received 0');
    updateConnections((doc) => {
      if (all) {
        doc.Connection.Connections = {};
        doc.Connection.Default = '';
        return;
      }
      const name = p.args[0];
      if (!doc.Connection.Connections[name]) throw noSuchConnection(name);
      delete doc.Connection.Connections[name];
      // no other one becomes the default (as Podman)
      if (doc.Connection.Default === name) doc.Connection.Default = '';
    });
    return 0;
  },
};

const SUBCOMMANDS = [addCommand, lsCommand, defaultCommand, renameCommand, rmCommand];

/** `system connection`: a group inside the system group; its sub-commands parse their own flags. */
export const connectionCommand: CommandDef = {
  name: 'connection',
  usage: 'tspod system connection [command]',
  description: 'Manage remote API service destinations',
  flags: [],
  interspersed: false,
  async run(ctx, p) {
    const sub = SUBCOMMANDS.find((c) => c.name === p.args[0] || c.aliases?.includes(p.args[0]));
    if (!sub) {
      if (p.args[0] !== undefined) throw new UsageError(`unrecognized command \`tspod system connection ${p.args[0]}\``);
      out(`Manage remote API service destinations\n\nAvailable Commands:\n${SUBCOMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.description}`).join('\n')}\n`);
      return 0;
    }
    const parsed = parseArgs(p.args.slice(1), [...sub.flags, { name: 'help', short: 'h', type: 'bool' }], true);
    if (parsed.flags.help) {
      out(helpText(sub.usage, sub.description, sub.flags));
      return 0;
    }
    const path = `tspod system connection ${sub.name}`;
    if (sub.minArgs !== undefined && parsed.args.length < sub.minArgs) throw new UsageError(`accepts ${sub.minArgs} arg(s), received ${parsed.args.length}\nSee '${path} --help'`);
    if (sub.maxArgs !== undefined && parsed.args.length > sub.maxArgs) throw new UsageError(`accepts at most ${sub.maxArgs} arg(s), received ${parsed.args.length}\nSee '${path} --help'`);
    return sub.run(ctx, parsed);
  },
};
