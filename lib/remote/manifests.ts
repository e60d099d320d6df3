// Manifest lists over the libpod API (Podman 4's /manifests endpoints):
// create is POST /manifests/{name}, add/remove/annotate one PUT with an
// operation, push POST /manifests/{name}/registry/{destination}.
import type { ServiceConnection } from './connection';
import type { AddOptions, InstanceOptions, ManifestEngine, ManifestPushRequest } from '../engine/manifests';
import type { RemoveReport } from '../image/remove';
import { EngineError } from '../errors';

const enc = encodeURIComponent;

/** Podman's ManifestModifyOptions fields for the instance options. */
function modifyBody(operation: string, images: string[], o: AddOptions | InstanceOptions): Record<string, unknown> {
  const a = o as AddOptions;
  return {
    operation,
    images,
    ...(a.all ? { all: true } : {}),
    ...(o.os ? { os: o.os } : {}),
    ...(o.arch ? { arch: o.arch } : {}),
    ...(o.variant ? { variant: o.variant } : {}),
    ...(o.osVersion ? { os_version: o.osVersion } : {}),
    ...(o.features?.length ? { features: o.features } : {}),
    ...(o.osFeatures?.length ? { os_features: o.osFeatures } : {}),
    ...(o.annotations && Object.keys(o.annotations).length ? { annotation: o.annotations } : {}),
    ...(a.tlsVerify !== undefined ? { skip_tls_verify: !a.tlsVerify } : {}),
  };
}

export class RemoteManifests implements ManifestEngine {
  constructor(private readonly conn: ServiceConnection) {}

  async create(name: string, images: string[], opts: AddOptions): Promise<string> {
    const q = new URLSearchParams();
    for (const i of images) q.append('images', i);
    if (opts.all) q.set('all', 'true');
    if (opts.tlsVerify !== undefined) q.set('tlsVerify', String(opts.tlsVerify));
    const qs = q.toString();
    return (await this.conn.json<{ Id: string }>('POST', `/manifests/${enc(name)}${qs ? `?${qs}` : ''}`)).Id;
  }

  private async modify(list: string, body: Record<string, unknown>): Promise<string> {
    const q = body.skip_tls_verify !== undefined ? `?tlsVerify=${!body.skip_tls_verify}` : '';
    return (await this.conn.json<{ Id: string }>('PUT', `/manifests/${enc(list)}${q}`, body)).Id;
  }

  add(list: string, image: string, opts: AddOptions): Promise<string> {
    return this.modify(list, modifyBody('update', [image], opts));
  }

  remove(list: string, digest: string): Promise<string> {
    return this.modify(list, modifyBody('remove', [digest], {}));
  }

  annotate(list: string, digest: string, opts: InstanceOptions): Promise<string> {
    return this.modify(list, modifyBody('annotate', [digest], opts));
  }

  inspect(list: string): Promise<Record<string, unknown>> {
    return this.conn.json<Record<string, unknown>>('GET', `/manifests/${enc(list)}/json`);
  }

  async exists(list: string): Promise<boolean> {
    const r = await this.conn.open('GET', `/manifests/${enc(list)}/exists`);
    r.resume();
    if (r.statusCode === 204 || r.statusCode === 404) return r.statusCode === 204;
    throw new EngineError('invalid-argument', `${list}: image is not a manifest list`);
  }

  async push(list: string, dest: string, req: ManifestPushRequest): Promise<string> {
    const q = new URLSearchParams();
    if (req.all !== undefined) q.set('all', String(req.all));
    if (req.tlsVerify !== undefined) q.set('tlsVerify', String(req.tlsVerify));
    if (req.format) q.set('format', req.format);
    if (req.rm) q.set('rm', 'true');
    return (await this.conn.json<{ Id: string }>('POST', `/manifests/${enc(list)}/registry/${enc(dest)}?${q}`)).Id;
  }

  async rm(list: string): Promise<RemoveReport> {
    const r = await this.conn.json<{ Deleted?: string[] | null; Untagged?: string[] | null }>('DELETE', `/manifests/${enc(list)}`);
    return { untagged: r.Untagged ?? [], deleted: r.Deleted ?? [] };
  }
}
