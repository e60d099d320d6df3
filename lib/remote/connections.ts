// Named service connections (`tspod system connection ...`, `--connection`),
// stored as Podman 4.7+ stores them: a JSON file
// ($XDG_CONFIG_HOME or ~/.config)/containers/tspod-connections.json with
// {"Connection":{"Default":NAME,"Connections":{NAME:{"URI","Identity"}}}},
// replaced atomically, private to its user (0600).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError, invalidArgument } from '../errors';
import { parseServiceUri } from './connection';

export interface Connection {
  URI: string;
  Identity: string;
}

export interface ConnectionsDoc {
  Connection: { Default: string; Connections: Record<string, Connection> };
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.@-]{0,127}$/;

export function connectionsFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSPOD_CONNECTIONS_CONF) return env.TSPOD_CONNECTIONS_CONF;
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'containers', 'tspod-connections.json');
}

export function checkConnectionName(name: string): string {
  if (!NAME_RE.test(name)) throw invalidArgument(`connection name ${JSON.stringify(name)}: names must match [a-zA-Z0-9][a-zA-Z0-9_.@-]*`);
  return name;
}

export const noSuchConnection = (name: string) => new EngineError('no-such-object', `connection "${name}" not found: no such connection`);

export function readConnections(file = connectionsFile()): ConnectionsDoc {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { Connection: { Default: '', Connections: {} } };
    throw e;
  }
  let doc: Partial<ConnectionsDoc>;
  try {
    doc = JSON.parse(text) as Partial<ConnectionsDoc>;
  } catch (e) {
    throw new EngineError('internal', `${file}: ${(e as Error).message}`);
  }
  const conns: Record<string, Connection> = {};
  for (const [name, c] of Object.entries(doc.Connection?.Connections ?? {}))
    if (NAME_RE.test(name) && c && typeof c.URI === 'string') conns[name] = { URI: c.URI, Identity: typeof c.Identity === 'string' ? c.Identity : '' };
  const dflt = doc.Connection?.Default ?? '';
  return { Connection: { Default: conns[dflt] ? dflt : '', Connections: conns } };
}

/** Reads, changes and writes back the file (a new file replaces the old one at once). */
export function updateConnections<T>(change: (doc: ConnectionsDoc) => T, file = connectionsFile()): T {
  const doc = readConnections(file);
  const r = change(doc);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return r;
}

/** Checks a connection's URI (and identity) before it is stored. */
export function checkConnection(uri: string, identity: string): Connection {
  parseServiceUri(uri);
  if (identity) {
    if (!path.isAbsolute(identity)) identity = path.resolve(identity);
    if (!fs.existsSync(identity)) throw invalidArgument(`identity file ${identity}: no such file`);
  }
  return { URI: uri, Identity: identity };
}

/** The named connection (`--connection NAME`, CONTAINER_CONNECTION). */
export function getConnection(name: string, file = connectionsFile()): Connection {
  const c = readConnections(file).Connection.Connections[name];
  if (!c) throw noSuchConnection(name);
  return c;
}

/** The default connection, if one is set. */
export function defaultConnection(file = connectionsFile()): Connection | undefined {
  const doc = readConnections(file);
  return doc.Connection.Connections[doc.Connection.Default];
}

/** An engine for a service: its URI (unix, tcp, ssh) and, for ssh, the key. Loaded only when used. */
export function remoteEngineAt(uri: string, identity?: string): import('../engine/engine').Engine {
  const { ServiceConnection, parseServiceUri } = require('./connection') as typeof import('./connection');
  const { RemoteEngine } = require('./engine') as typeof import('./engine');
  return new RemoteEngine(new ServiceConnection(uri, parseServiceUri(uri), identity));
}

/** An engine for a stored connection (`system connection add`). */
export function connectionEngine(name: string): import('../engine/engine').Engine {
  const c = getConnection(name);
  return remoteEngineAt(c.URI, c.Identity || undefined);
}
