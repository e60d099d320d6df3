// Exec sessions of this service: created by one request, started by another,
// inspected afterwards. They live as long as the service (as in Podman, where
// they are dropped with the container).
import { randomBytes } from 'node:crypto';
import type { ExecRequest } from '../lib/container/exec';
import { EngineError } from '../lib/errors';

export interface ExecSession {
  id: string;
  containerId: string;
  req: ExecRequest;
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  running: boolean;
  exitCode: number;
  pid: number;
  done?: Promise<number>;
}

const sessions = new Map<string, ExecSession>();

export function newExecSession(containerId: string, req: ExecRequest, attach: ExecSession['attach']): ExecSession {
  const s: ExecSession = { id: randomBytes(32).toString('hex'), containerId, req, attach, running: false, exitCode: 0, pid: 0 };
  sessions.set(s.id, s);
  return s;
}

export function execSession(id: string): ExecSession {
  const s = sessions.get(id) ?? [...sessions.values()].find((x) => x.id.startsWith(id) && id.length >= 12);
  if (!s) throw new EngineError('no-such-object', `No such exec instance: ${id}`, 'no such exec session');
  return s;
}

export function execIdsOf(containerId: string): string[] {
  return [...sessions.values()].filter((s) => s.containerId === containerId).map((s) => s.id);
}
