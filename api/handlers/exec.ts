// Exec endpoints (the same for both trees): create, start (hijacked), inspect.
import type { RouteContext } from '../router';
import { badRequest, optBool, optString, optStrings, qint, readJson, sendEmpty, sendJson } from '../http';
import { resizeExec } from '../../lib/container/exec';
import { EngineError } from '../../lib/errors';
import { execSession, newExecSession } from '../exec-sessions';
import { runExec } from './container-ops';
import { hijack, readUpgradeBody } from '../streams/hijack';

export async function create(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const rec = ctx.engine.get(ctx.params.id);
  if (rec.state.status !== 'running') throw new EngineError('state-improper', `container ${rec.id} is not running`);
  const cmd = optStrings(body, 'Cmd') ?? [];
  if (cmd.length === 0) throw badRequest('No exec command specified');
  const s = newExecSession(
    rec.id,
    { command: cmd, env: optStrings(body, 'Env') ?? [], workdir: optString(body, 'WorkingDir'), user: optString(body, 'User'), tty: optBool(body, 'Tty') ?? false },
    { stdin: optBool(body, 'AttachStdin') ?? false, stdout: optBool(body, 'AttachStdout') ?? false, stderr: optBool(body, 'AttachStderr') ?? false },
  );
  sendJson(ctx.res, 201, { Id: s.id });
}

export async function start(ctx: RouteContext): Promise<void> {
  const s = execSession(ctx.params.id);
  let body: Record<string, unknown> = {};
  if (!ctx.upgrade) body = await readJson(ctx.req);
  else {
    const text = (await readUpgradeBody(ctx)).toString('utf8');
    try {
      if (text) body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw badRequest('decode(): invalid JSON body');
    }
  }
  if (s.running || s.done) throw new EngineError('state-improper', `exec session ${s.id} has already been started`);
  const rec = ctx.engine.get(s.containerId);
  if (rec.state.status !== 'running') throw new EngineError('state-improper', `container ${rec.id} is not running`);
  if (body.Detach === true) {
    void runExec(ctx.engine, s, undefined);
    return sendEmpty(ctx.res, 200);
  }
  await runExec(ctx.engine, s, hijack(ctx));
}

export function inspect(ctx: RouteContext): void {
  const s = execSession(ctx.params.id);
  sendJson(ctx.res, 200, {
    ID: s.id,
    Running: s.running,
    ExitCode: s.exitCode,
    ProcessConfig: { tty: !!s.req.tty, entrypoint: s.req.command[0], arguments: s.req.command.slice(1), privileged: false, user: s.req.user ?? '' },
    OpenStdin: s.attach.stdin,
    OpenStderr: s.attach.stderr,
    OpenStdout: s.attach.stdout,
    CanRemove: false,
    ContainerID: s.containerId,
    DetachKeys: '',
    Pid: s.pid,
  });
}

export function resize(ctx: RouteContext): void {
  const s = execSession(ctx.params.id);
  const h = qint(ctx.query, 'h') ?? 0;
  const w = qint(ctx.query, 'w') ?? 0;
  if (s.req.tty && s.running) resizeExec(s.pid, h, w);
  sendEmpty(ctx.res, 201);
}
