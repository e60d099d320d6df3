// `--change` instructions (import, commit): the Dockerfile instructions that
// only set image config. Forms as Podman accepts them: `CMD ["a","b"]`,
// `CMD a b` (shell form, run by /bin/sh -c) and `CMD=a b`.
import * as path from 'node:path';
import type { ImageRuntimeConfig } from '../oci/image-spec';
import { invalidArgument } from '../errors';
import { signalNumber } from '../container/signals';

function invalidChange(change: string, why: string): Error {
  return invalidArgument(`invalid change "${change}" - ${why}`);
}

/** A JSON array of strings, or undefined when value is not one (shell form). */
function jsonArray(value: string): string[] | undefined {
  if (!value.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

/** Splits `k=v k2="v 2"` into pairs, honouring double and single quotes and backslashes. */
function keyValueWords(value: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < value.length) cur += value[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < value.length) {
      cur += value[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error('unterminated quote');
  if (inWord) words.push(cur);
  return words;
}

/** ENV and LABEL: `k=v [k=v...]`, or the legacy `k v` (the rest of the line is the value). */
function keyValuePairs(change: string, value: string, what: string): [string, string][] {
  const firstWord = value.split(/\s/, 1)[0];
  if (!firstWord.includes('=')) {
    const m = /^(\S+)\s+(.*)$/s.exec(value);
    if (!m) throw invalidChange(change, `${what} must be formatted as KEY=VALUE`);
    return [[m[1], m[2].trim()]];
  }
  let words: string[];
  try {
    words = keyValueWords(value);
  } catch (err) {
    throw invalidChange(change, (err as Error).message);
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidChange(change, `${what} must be formatted as KEY=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function exposedPort(change: string, spec: string): string {
  const m = /^(\d+)(?:\/([A-Za-z]+))?$/.exec(spec);
  if (!m) throw invalidChange(change, 'EXPOSE port must be formatted as PORT[/PROTO]');
  const port = Number(m[1]);
  if (port < 1 || port > 65535) throw invalidChange(change, 'EXPOSE port must be a valid port number');
  const proto = (m[2] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw invalidChange(change, 'EXPOSE protocol must be TCP, UDP or SCTP');
  return `${port}/${proto}`;
}

/** Applies the change instructions, in order, to a copy of base. Throws invalidArgument. */
export function applyChanges(base: ImageRuntimeConfig, changes: string[]): ImageRuntimeConfig {
  const config: ImageRuntimeConfig = structuredClone(base);
  for (const change of changes) {
    const m = /^\s*([A-Za-z]+)(?:\s+|=)(.*)$/s.exec(change);
    if (!m) throw invalidChange(change, 'must be formatted as KEY VALUE');
    const instruction = m[1].toUpperCase();
    const value = m[2].trim();
    switch (instruction) {
      case 'CMD':
        config.Cmd = jsonArray(value) ?? ['/bin/sh', '-c', ...(value ? [value] : [])];
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = jsonArray(value) ?? (value ? ['/bin/sh', '-c', value] : []);
        break;
      case 'ENV': {
        if (!value) throw invalidChange(change, 'ENV must have at least one argument');
        const env = [...(config.Env ?? [])];
        for (const [k, v] of keyValuePairs(change, value, 'ENV')) {
          const i = env.findIndex((e) => e.split('=', 1)[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        config.Env = env;
        break;
      }
      case 'EXPOSE': {
        if (!value) throw invalidChange(change, 'EXPOSE must have at least one port');
        const ports = { ...(config.ExposedPorts ?? {}) };
        for (const spec of value.split(/\s+/)) ports[exposedPort(change, spec)] = {};
        config.ExposedPorts = ports;
        break;
      }
      case 'LABEL': {
        if (!value) throw invalidChange(change, 'LABEL must have at least one argument');
        const labels = { ...(config.Labels ?? {}) };
        for (const [k, v] of keyValuePairs(change, value, 'LABEL')) labels[k] = v;
        config.Labels = labels;
        break;
      }
      case 'USER':
        if (!value) throw invalidChange(change, 'must provide a value to USER');
        config.User = value;
        break;
      case 'WORKDIR':
        if (!value) throw invalidChange(change, 'must provide a non-empty WORKDIR');
        // relative to the previous WORKDIR, as in a Dockerfile
        config.WorkingDir = path.posix.resolve('/', config.WorkingDir ?? '/', value);
        break;
      case 'VOLUME': {
        const vols = jsonArray(value) ?? value.split(/\s+/).filter(Boolean);
        if (vols.length === 0 || vols.some((v) => v === ''))
          throw invalidChange(change, 'must provide at least one non-empty path to VOLUME');
        config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
        break;
      }
      case 'STOPSIGNAL':
        try {
          signalNumber(value);
        } catch {
          throw invalidChange(change, `STOPSIGNAL must be given a valid signal`);
        }
        config.StopSignal = value;
        break;
      default:
        throw invalidChange(change, `invalid instruction ${instruction}`);
    }
  }
  return config;
}
