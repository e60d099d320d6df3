// `--listen ADDR` in systemd-socket-activate's -l syntax: PORT, IP:PORT,
// [IPv6]:PORT, or an absolute path (a unix stream socket).
import { isIPv4, isIPv6 } from 'node:net';
import { EngineError } from '../errors';

export type ListenAddress = { kind: 'tcp'; host?: string; port: number } | { kind: 'unix'; path: string };

const UNIX_PATH_MAX = 107; // sun_path holds 108 bytes with the NUL

const bad = (addr: string, why: string) => new EngineError('invalid-argument', `invalid --listen address "${addr}": ${why}`);

function port(addr: string, s: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw bad(addr, 'the port must be a number from 1 to 65535');
  return Number(s);
}

export function parseListenAddress(addr: string): ListenAddress {
  if (addr.startsWith('/')) {
    if (/[\0\n]/.test(addr)) throw bad(addr, 'the path holds a NUL or newline');
    if (Buffer.byteLength(addr) > UNIX_PATH_MAX) throw bad(addr, `a unix socket path is at most ${UNIX_PATH_MAX} bytes`);
    if (addr.endsWith('/') || addr.split('/').some((p) => p === '..' || p === '.')) throw bad(addr, 'the path must name a file, without . or .. parts');
    return { kind: 'unix', path: addr };
  }
  if (/^\d+$/.test(addr)) return { kind: 'tcp', port: port(addr, addr) };
  const v6 = /^\[([^\]]+)\]:([^:]*)$/.exec(addr);
  if (v6) {
    if (!isIPv6(v6[1])) throw bad(addr, `${v6[1]} is not an IPv6 address`);
    return { kind: 'tcp', host: v6[1], port: port(addr, v6[2]) };
  }
  const v4 = /^([^:[\]]+):([^:]*)$/.exec(addr);
  if (v4) {
    if (!isIPv4(v4[1])) throw bad(addr, `${v4[1]} is not an IPv4 address`);
    return { kind: 'tcp', host: v4[1], port: port(addr, v4[2]) };
  }
  throw bad(addr, 'expected PORT, IP:PORT, [IPv6]:PORT or an absolute unix socket path');
}

/** Every address valid, no two the same (they would collide on bind). */
export function parseListenAddresses(addrs: string[]): ListenAddress[] {
  const parsed = addrs.map(parseListenAddress);
  const seen = new Set<string>();
  for (const [i, a] of parsed.entries()) {
    const key = a.kind === 'unix' ? a.path : `${a.host ?? ''}:${a.port}`;
    if (seen.has(key)) throw bad(addrs[i], 'given twice');
    seen.add(key);
  }
  return parsed;
}

/** The container config of `--listen ADDR... [--idle-timeout SECONDS]`, checked. */
export function listenConfig(listen: string[], idleTimeout: string | undefined, autoRemove: boolean): { listen?: string[]; idleTimeout?: number } {
  if (idleTimeout !== undefined && !/^\d{1,9}$/.test(idleTimeout))
    throw new EngineError('invalid-argument', `invalid --idle-timeout "${idleTimeout}": a whole number of seconds is needed`);
  if (listen.length === 0) {
    if (idleTimeout !== undefined) throw new EngineError('invalid-argument', '--idle-timeout needs --listen');
    return {};
  }
  if (autoRemove) throw new EngineError('invalid-argument', '--rm and --listen cannot be used together: an idle stop would remove the container');
  parseListenAddresses(listen);
  return { listen, idleTimeout: idleTimeout === undefined ? 0 : Number(idleTimeout) };
}
