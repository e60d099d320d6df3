// `kube generate|play|down` over the libpod API of a `tspod system service`.
import type { ServiceConnection } from '../remote/connection';
import type { GenerateRequest } from './generate';
import type { PlayReport, PlayRequest } from './play';
import { EngineError } from '../errors';

const YAML_HEADERS = { 'Content-Type': 'application/yaml' };

export async function remoteGenerate(conn: ServiceConnection, req: GenerateRequest): Promise<string> {
  const q = new URLSearchParams();
  for (const n of req.names) q.append('names', n);
  if (req.service) q.set('service', 'true');
  if (req.type) q.set('type', req.type);
  if (req.replicas !== undefined) q.set('replicas', String(req.replicas));
  return (await conn.request('GET', `/generate/kube?${q}`)).body.toString('utf8');
}

export async function remotePlay(conn: ServiceConnection, req: PlayRequest): Promise<PlayReport> {
  if (req.build) throw new EngineError('invalid-argument', '--build is not supported by the remote client: invalid argument');
  if (req.serviceContainer) throw new EngineError('invalid-argument', '--service-container is not supported by the remote client: invalid argument');
  if (req.configMaps?.length) throw new EngineError('invalid-argument', '--configmap is not supported by the remote client: invalid argument');
  const q = new URLSearchParams({ start: String(req.start !== false), replace: String(!!req.replace) });
  if (req.network) q.set('network', req.network);
  if (req.logDriver) q.set('logDriver', req.logDriver);
  if (req.annotations && Object.keys(req.annotations).length) q.set('annotations', JSON.stringify(req.annotations));
  if (req.userns) q.set('userns', req.userns);
  // libpod's publishPorts: -p syntax, one mapping each
  for (const p of req.publish ?? []) q.append('publishPorts', `${p.hostIp ? `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:` : ''}${p.hostPort}:${p.containerPort}/${p.protocol}`);
  const r = await conn.request('POST', `/kube/play?${q}`, Buffer.from(req.yaml), YAML_HEADERS);
  return JSON.parse(r.body.toString('utf8')) as PlayReport;
}

export async function remoteDown(conn: ServiceConnection, yaml: string): Promise<PlayReport> {
  const r = await conn.request('DELETE', '/kube/play', Buffer.from(yaml), YAML_HEADERS);
  return JSON.parse(r.body.toString('utf8')) as PlayReport;
}
