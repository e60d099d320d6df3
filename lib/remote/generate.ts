// `generate systemd` of the remote engine: GET /libpod/generate/{name}/systemd.
import { EngineError } from '../errors';
import { REMOTE_UNSUPPORTED } from '../engine/engine';
import type { ServiceConnection } from './connection';
import { errorFromBody, readAll } from './connection';
import type { GenerateEngine, GenerateOptions, SystemdUnits } from '../engine/generate';

export class RemoteGenerate implements GenerateEngine {
  constructor(private readonly conn: ServiceConnection) {}

  // Podman 4.3's API has no endpoint for it, nor has its remote client.
  async generateSpec(): Promise<Record<string, unknown>> {
    throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('generate spec'));
  }

  async generateSystemd(target: string, opts: GenerateOptions): Promise<SystemdUnits> {
    const q = new URLSearchParams();
    const set = (k: string, v: string | number | boolean | undefined) => v !== undefined && q.set(k, String(v));
    set('useName', !!opts.name);
    set('new', !!opts.new);
    set('noHeader', !!opts.noHeader);
    set('template', !!opts.template);
    set('restartPolicy', opts.restartPolicy);
    set('restartSec', opts.restartSec);
    set('startTimeout', opts.startTimeout);
    set('stopTimeout', opts.stopTimeout);
    set('containerPrefix', opts.containerPrefix);
    set('separator', opts.separator);
    for (const [k, list] of [['wants', opts.wants], ['after', opts.after], ['requires', opts.requires], ['additionalEnvVariables', opts.env]] as const) for (const v of list ?? []) q.append(k, v);
    const res = await this.conn.open('GET', `/generate/${encodeURIComponent(target)}/systemd?${q}`);
    const body = (await readAll(res)).toString('utf8');
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, body);
    let warnings: string[] = [];
    const header = res.headers['x-tspod-warnings'];
    if (typeof header === 'string') {
      try {
        warnings = JSON.parse(decodeURIComponent(header)) as string[];
      } catch {
        /* not ours */
      }
    }
    return { units: JSON.parse(body) as Record<string, string>, warnings };
  }
}
