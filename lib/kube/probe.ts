// A container's livenessProbe as its health check (Podman's kube play does the
// same): exec runs the command as given (Podman joins it into a shell line,
// which loses quoting), httpGet and tcpSocket become shell checks against the
// container's own network (the pod's, so localhost reaches its ports). The
// timings are Kubernetes' fields with Kubernetes' defaults; the monitor runs
// the check every periodSeconds.
import type { HealthConfig } from '../container/healthcheck';
import { invalidArgument } from '../errors';
import { listOf, objOf, strOf, type Obj } from './objects';

const SECOND = 1e9;
const HOST = /^[A-Za-z0-9.:[\]-]*$/;
const PATH = /^[A-Za-z0-9._~!$&()*+,;=:@%/?-]*$/; // no quote: it goes inside single quotes

/** Kubernetes' defaults for a probe's timings (seconds). */
const DEFAULTS = { periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0 };

function seconds(probe: Obj, field: keyof typeof DEFAULTS, where: string): number {
  const v = probe[field];
  if (v === undefined || v === null) return DEFAULTS[field];
  if (!Number.isInteger(v) || (v as number) < 0 || (field !== 'initialDelaySeconds' && (v as number) < 1))
    throw invalidArgument(`${where}.${field} must be a ${field === 'initialDelaySeconds' ? 'non-negative' : 'positive'} integer`);
  return v as number;
}

function port(v: unknown, where: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 65535)
    throw invalidArgument(`${where}.port must be a port number (named ports are not supported by tspod)`);
  return n as number;
}

function host(v: unknown, where: string): string {
  const h = strOf(v, `${where}.host`) || 'localhost';
  if (!HOST.test(h)) throw invalidArgument(`${where}.host: invalid host "${h}"`);
  return h;
}

/** The health check a livenessProbe stands for. */
export function livenessHealthcheck(probe: Obj, where: string): HealthConfig {
  let test: string[];
  if (probe.exec !== undefined) {
    const command = listOf(objOf(probe.exec, `${where}.exec`).command, `${where}.exec.command`).map((c) => {
      if (typeof c !== 'string') throw invalidArgument(`${where}.exec.command must be a list of strings`);
      return c;
    });
    if (command.length === 0) throw invalidArgument(`${where}.exec.command is empty`);
    test = ['CMD', ...command];
  } else if (probe.httpGet !== undefined) {
    const g = objOf(probe.httpGet, `${where}.httpGet`);
    const scheme = (strOf(g.scheme, `${where}.httpGet.scheme`) ?? 'HTTP').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') throw invalidArgument(`${where}.httpGet.scheme must be HTTP or HTTPS`);
    const p = strOf(g.path, `${where}.httpGet.path`) ?? '/';
    if (!PATH.test(p)) throw invalidArgument(`${where}.httpGet.path: invalid path "${p}"`);
    if (g.httpHeaders !== undefined) throw invalidArgument(`${where}.httpGet.httpHeaders is not supported by tspod`);
    const url = `${scheme}://${host(g.host, `${where}.httpGet`)}:${port(g.port, `${where}.httpGet`)}${p.startsWith('/') ? '' : '/'}${p}`;
    // wget (busybox) or curl, whichever the image has; the URL is checked above, quoted anyway
    test = ['CMD-SHELL', `wget -q -O /dev/null '${url}' 2>/dev/null || curl -fsS -o /dev/null '${url}' || exit 1`];
  } else if (probe.tcpSocket !== undefined) {
    const t = objOf(probe.tcpSocket, `${where}.tcpSocket`);
    const target = `'${host(t.host, `${where}.tcpSocket`)}' ${port(t.port, `${where}.tcpSocket`)}`;
    // nc -z where nc has it; busybox's small nc connects and exits at the end of its input
    test = ['CMD-SHELL', `nc -z ${target} 2>/dev/null || nc -w 1 ${target} </dev/null >/dev/null 2>&1 || exit 1`];
  } else if (probe.grpc !== undefined) {
    throw invalidArgument(`${where}.grpc is not supported by tspod`);
  } else throw invalidArgument(`${where} needs exec, httpGet or tcpSocket`);
  return {
    Test: test,
    Interval: seconds(probe, 'periodSeconds', where) * SECOND,
    Timeout: seconds(probe, 'timeoutSeconds', where) * SECOND,
    Retries: seconds(probe, 'failureThreshold', where),
    StartPeriod: seconds(probe, 'initialDelaySeconds', where) * SECOND,
  };
}
