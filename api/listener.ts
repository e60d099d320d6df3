// Where the service listens: an inherited socket (systemd socket activation,
// LISTEN_PID naming us), a unix path, or tcp host:port. A unix socket we bind
// is owner-only (0600) in a 0700 directory; a live socket of another service
// is never taken over, a stale one is replaced.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { listenFdsFor, SD_LISTEN_FDS_START } from '../lib/activation/listen-fds';
import { native } from '../lib/native';
import { isRootless } from '../lib/rootless/identity';
import { userRuntimeDir } from '../lib/rootless/runtime-dir';

export type Endpoint = { kind: 'fd'; fd: number } | { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export class ListenerError extends Error {}

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (!isRootless()) return '/run/tspod/tspod.sock';
  const dir = userRuntimeDir(env);
  return path.join(dir, 'tspod', 'tspod.sock');
}

export function parseUri(uri: string): Endpoint {
  // Go's url.Parse: a scheme is a letter then letters, digits, "+-."; without one the scheme is ""
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:\/\/)?(.*)$/.exec(uri);
  const [scheme, rest] = m ? [m[1].toLowerCase(), m[2]] : ['', uri];
  if (scheme === 'unix') {
    if (!rest) throw new ListenerError(`API Service endpoint "${uri}" has no path`);
    return { kind: 'unix', path: path.resolve(rest) };
  }
  if (scheme === 'tcp') {
    const hp = /^\[?([^\]]*)\]?:(\d+)$/.exec(rest.replace(/\/$/, ''));
    if (!hp || Number(hp[2]) > 65535) throw new ListenerError(`API Service endpoint "${uri}": expected tcp://host:port`);
    return { kind: 'tcp', host: hp[1] || '0.0.0.0', port: Number(hp[2]) };
  }
  throw new ListenerError(`API Service endpoint scheme "${scheme}" is not supported. Try tcp://${uri} or unix:/${uri}`);
}

/** The endpoint in Podman's order: activation (LISTEN_PID = us) when no URI, else the URI, else the default path. */
export function resolveEndpoint(uri: string | undefined, env: NodeJS.ProcessEnv, pid: number): Endpoint {
  if (!uri) {
    const fds = listenFdsFor(env, pid);
    if (fds) {
      if (fds.count !== 1) throw new ListenerError(`wrong number of file descriptors for socket activation protocol (${fds.count} != 1)`);
      return { kind: 'fd', fd: SD_LISTEN_FDS_START };
    }
  }
  return parseUri(uri ?? `unix://${defaultSocketPath(env)}`);
}

/** Resolves when something answers on the unix socket. */
function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: file });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}

/** Binds the endpoint on the server; returns a cleanup that removes a socket file we created. */
export async function listenOn(server: net.Server, ep: Endpoint): Promise<() => void> {
  const listen = (arg: net.ListenOptions | { fd: number }) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(arg as net.ListenOptions, () => {
        server.off('error', reject);
        resolve();
      });
    });
  if (ep.kind === 'fd') {
    await listen({ fd: ep.fd });
    // Inherited from systemd without close-on-exec: the monitors of containers we
    // start must not hold the API socket open.
    native().setCloexec(ep.fd, true);
    return () => undefined;
  }
  if (ep.kind === 'tcp') {
    await listen({ host: ep.host, port: ep.port });
    return () => undefined;
  }
  const file = ep.path;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(file);
  } catch {
    /* free */
  }
  if (st) {
    if (!st.isSocket()) throw new ListenerError(`${file} exists and is not a socket`);
    if (await answers(file)) throw new ListenerError(`another API service is already listening on ${file}`);
    fs.rmSync(file, { force: true }); // stale
  }
  const old = process.umask(0o177);
  try {
    await listen({ path: file });
  } finally {
    process.umask(old);
  }
  fs.chmodSync(file, 0o600);
  const ino = fs.statSync(file).ino;
  return () => {
    try {
      if (fs.statSync(file).ino === ino) fs.rmSync(file, { force: true });
    } catch {
      /* gone */
    }
  };
}

export function describe(ep: Endpoint): string {
  if (ep.kind === 'fd') return `fd://${ep.fd} (socket activation)`;
  if (ep.kind === 'tcp') return `tcp://${ep.host}:${ep.port}`;
  return `unix://${ep.path}`;
}
