// Signal names and numbers as Podman accepts them: "TERM", "SIGTERM", "15", "RTMIN+3".
import { constants } from 'node:os';
import { invalidArgument } from '../errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;
const byName = constants.signals as Record<string, number>;

export function signalNumber(spec: string | number): number {
  if (typeof spec === 'number') return spec;
  const s = spec.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > SIGRTMAX) throw invalidArgument(`invalid signal: ${spec}`);
    return n;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (byName[name] !== undefined) return byName[name];
  const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw invalidArgument(`invalid signal: ${spec}`);
}

export function signalName(n: number): string {
  for (const [name, num] of Object.entries(byName)) if (num === n) return name;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return String(n);
}
