// Signal names and numbers as Podman accepts them: "TERM", "SIGTERM", "15", "RTMIN+3".
import { constants } from 'node:os';
import { EngineError } from '../errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;
const byName = constants.signals as Record<string, number>;

export function signalNumber(spec: string | number): number {
  if (typeof spec === 'number') return spec;
  // A leading dash is dropped (`kill -s -TERM`), as Podman's wrapper does.
  const bare = spec.startsWith('-') ? spec.slice(1) : spec;
  const s = bare.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n === 0) throw new EngineError('invalid-argument', `invalid signal: ${bare}`);
    if (n > SIGRTMAX) throw new EngineError('invalid-argument', `valid signals are 1 through ${SIGRTMAX}`);
    return n;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (byName[name] !== undefined) return byName[name];
  const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new EngineError('invalid-argument', `invalid signal: ${bare}`);
}

export function signalName(n: number): string {
  for (const [name, num] of Object.entries(byName)) if (num === n) return name;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return String(n);
}
