// GET /libpod/generate/{name}/systemd: Podman's query names, its answer (service
// name -> unit), through the same generator as `tspod generate systemd`.
import type { RouteContext } from '../router';
import { badRequest, qbool, sendJson } from '../http';
import { LocalGenerate, type GenerateOptions } from '../../lib/engine/generate';

function uintParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v)) throw badRequest(`${name}: ${JSON.stringify(v)} is not an unsigned integer`);
  return Number(v);
}

export async function systemdLibpod(ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const opts: GenerateOptions = {
    name: qbool(q, 'useName'),
    new: qbool(q, 'new'),
    noHeader: qbool(q, 'noHeader'),
    template: qbool(q, 'template'),
    restartPolicy: q.get('restartPolicy') ?? undefined,
    restartSec: uintParam(q, 'restartSec'),
    startTimeout: uintParam(q, 'startTimeout'),
    stopTimeout: uintParam(q, 'stopTimeout'),
    containerPrefix: q.get('containerPrefix') ?? 'container',
    separator: q.get('separator') ?? '-',
    wants: q.getAll('wants'),
    after: q.getAll('after'),
    requires: q.getAll('requires'),
    env: q.getAll('additionalEnvVariables'),
  };
  const r = await new LocalGenerate(ctx.engine).generateSystemd(ctx.params.name, opts);
  // tspod's extra: the generator's warnings (Podman's answer has no place for them)
  if (r.warnings.length) ctx.res.setHeader('X-Tspod-Warnings', encodeURIComponent(JSON.stringify(r.warnings)));
  sendJson(ctx.res, 200, r.units);
}
