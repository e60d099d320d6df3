// build and commit of the remote engine (as podman-remote): the context goes
// as a tar in the body of POST /libpod/build, the output comes back as JSON
// lines (`stream`, then the id; `error` with the RUN's exit code in
// `errorDetail.code`); commit is POST /libpod/commit.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { ServiceConnection } from './connection';
import { errorFromBody, readAll } from './connection';
import { BuildStepFailed, type BuildEngine, type BuildOutput, type BuildRequest, type CommitRequest } from '../engine/build';
import { REMOTE_UNSUPPORTED } from '../engine/engine';
import { EngineError } from '../errors';
import { repoAndTag } from './engine';

/** `key=value` labels as the JSON object the API takes (a bare key: an empty value). */
function labelObject(labels: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    o[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return o;
}

/** The context's tar and the Containerfile's name in it (undefined: the service looks for one). */
function contextBody(req: BuildRequest): { body: Readable; dockerfile?: string } {
  if ('archive' in req.context) return { body: req.context.archive, dockerfile: req.file };
  const dir = path.resolve(req.context.dir);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new EngineError('invalid-argument', `context directory ${req.context.dir} does not exist or is not a directory`);
  const { packContext } = require('../build/context-tar') as typeof import('../build/context-tar');
  if (req.file === undefined) return { body: packContext(dir) };
  const host = path.resolve(req.file);
  if (!fs.statSync(host, { throwIfNoEntry: false })?.isFile())
    throw new EngineError('invalid-argument', `the specified Containerfile or Dockerfile does not exist, ${req.file}: no such file or directory`);
  const rel = path.relative(fs.realpathSync(dir), fs.realpathSync(host));
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    const inside = rel.split(path.sep).join('/');
    return { body: packContext(dir, { keep: [inside] }), dockerfile: inside };
  }
  // outside the context: sent along at its top under a name of its own (podman-remote does the same)
  const name = `.containerfile-${crypto.randomBytes(8).toString('hex')}`;
  return { body: packContext(dir, { extra: [{ name, host }] }), dockerfile: name };
}

interface BuildMessage {
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

export class RemoteBuild implements BuildEngine {
  constructor(private readonly conn: ServiceConnection) {}

  async build(req: BuildRequest, out: BuildOutput): Promise<string> {
    // the secrets would have to travel in the context, readable by the service's store
    if (req.secrets.length) throw new EngineError('invalid-argument', REMOTE_UNSUPPORTED('build --secret'));
    const { body, dockerfile } = contextBody(req);
    const q = new URLSearchParams();
    for (const t of req.tags) q.append('t', t);
    if (dockerfile !== undefined) q.set('dockerfile', JSON.stringify([dockerfile]));
    if (req.buildArgs.size) q.set('buildargs', JSON.stringify(Object.fromEntries(req.buildArgs)));
    if (req.labels.length) q.set('labels', JSON.stringify(labelObject(req.labels)));
    if (req.target !== undefined) q.set('target', req.target);
    q.set('nocache', String(req.noCache));
    q.set('layers', String(req.layers));
    q.set('pullpolicy', req.pull);
    if (req.network !== undefined) q.set('networkmode', req.network);
    q.set('q', String(req.quiet));
    q.set('format', req.format);
    if (req.squashAll) q.set('squashall', 'true');
    const res = await this.conn.send('POST', `/build?${q}`, body, { 'Content-Type': 'application/x-tar' });
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
    // The last stream message is the id: held back until another comes (the caller prints the id).
    let held: string | undefined;
    let failure: Error | undefined;
    const onMessage = (m: BuildMessage) => {
      if (m.error !== undefined || m.errorDetail) {
        const message = m.errorDetail?.message ?? m.error ?? 'the build failed';
        const code = m.errorDetail?.code;
        failure = typeof code === 'number' && code > 0 ? new BuildStepFailed(message, code) : new EngineError('internal', message);
        return;
      }
      if (typeof m.stream !== 'string') return;
      if (held !== undefined) out.stdout.write(held);
      held = m.stream;
    };
    await new Promise<void>((resolve, reject) => {
      let rest = '';
      const lines = (text: string) => {
        for (const line of text.split('\n')) {
          if (!line.trim()) continue;
          try {
            onMessage(JSON.parse(line) as BuildMessage);
          } catch {
            /* a torn or foreign line */
          }
        }
      };
      res.on('data', (d: Buffer) => {
        const parts = (rest + d.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        lines(parts.join('\n'));
      });
      res.on('end', () => {
        lines(rest);
        resolve();
      });
      res.on('error', reject);
    });
    const id = /^(?:sha256:)?([0-9a-f]{64})\s*$/.exec(held ?? '')?.[1];
    if (failure) {
      if (held !== undefined && !id) out.stdout.write(held);
      throw failure;
    }
    if (!id) {
      if (held !== undefined) out.stdout.write(held);
      throw new EngineError('internal', 'the service ended the build without an image id');
    }
    return id;
  }

  async commit(idOrName: string, req: CommitRequest): Promise<string> {
    const q = new URLSearchParams({ container: idOrName, pause: String(req.pause), format: req.format });
    if (req.name) {
      const { repo, tag } = repoAndTag(req.name);
      q.set('repo', repo);
      q.set('tag', tag);
    }
    for (const c of req.changes) q.append('changes', c);
    if (req.message !== undefined) q.set('comment', req.message);
    if (req.author !== undefined) q.set('author', req.author);
    const r = await this.conn.json<{ Id: string }>('POST', `/commit?${q}`);
    return r.Id;
  }
}

