// A build context as a tar, for a remote build (as podman-remote sends it):
// the context directory without what its `.containerignore`/`.dockerignore`
// excludes, symlinks kept as symlinks, only directories, regular files and
// symlinks. The Containerfile always goes, under `extra` names when it lives
// outside the context. The service applies the ignore file again (it goes too),
// so a rule with exceptions may send a little more than needed, never less.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import { IgnoreRules } from './patterns';

/** `.containerignore`, else `.dockerignore`, in the context (as the builder reads them). */
export function contextIgnoreRules(dir: string): IgnoreRules | undefined {
  for (const name of ['.containerignore', '.dockerignore']) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return new IgnoreRules(fs.readFileSync(f, 'utf8'));
  }
  return undefined;
}

/** Context paths sent whatever the ignore file says. */
const ALWAYS = new Set(['Containerfile', 'Dockerfile', '.containerignore', '.dockerignore']);

/**
 * Packs dir; `keep` are context paths (relative, `/`-separated) sent even if
 * ignored, `extra` host files added at the top under the given names.
 */
export function packContext(dir: string, opts: { keep?: string[]; extra?: { name: string; host: string }[] } = {}): Readable {
  const pack = (require('tar-stream') as typeof tar).pack();
  const rules = contextIgnoreRules(dir);
  const keep = new Set([...ALWAYS, ...(opts.keep ?? [])]);
  const skipped = (rel: string) => !keep.has(rel) && !!rules?.excluded(rel);
  // with exceptions (`!x`), an excluded directory may hold a file that goes
  const descendExcluded = rules?.hasExceptions ?? false;
  const keptBelow = (rel: string) => [...keep].some((k) => k.startsWith(`${rel}/`));

  const entry = (header: Partial<tar.Header>, body?: Readable | string) =>
    new Promise<void>((resolve, reject) => {
      if (typeof body === 'string' || body === undefined) {
        pack.entry(header as tar.Header, body ?? '', (err) => (err ? reject(err) : resolve()));
        return;
      }
      const e = pack.entry(header as tar.Header, (err) => (err ? reject(err) : resolve()));
      body.on('error', (err) => {
        e.destroy(err);
        reject(err);
      });
      body.pipe(e as unknown as NodeJS.WritableStream);
    });

  const file = (name: string, host: string, st: fs.Stats) =>
    entry({ name, type: 'file', size: st.size, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid }, fs.createReadStream(host));

  const walk = async (hostDir: string, rel: string): Promise<void> => {
    for (const name of fs.readdirSync(hostDir).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const host = path.join(hostDir, name);
      const st = fs.lstatSync(host, { throwIfNoEntry: false });
      if (!st) continue; // gone meanwhile
      const out = skipped(r);
      if (st.isDirectory()) {
        if (out && !descendExcluded && !keptBelow(r)) continue;
        // (an excluded directory goes as a parent of what it holds that goes: the service's rules drop the rest)
        await entry({ name: r, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid });
        await walk(host, r);
      } else if (out) continue;
      else if (st.isFile()) await file(r, host, st);
      else if (st.isSymbolicLink()) await entry({ name: r, type: 'symlink', linkname: fs.readlinkSync(host), mode: 0o777, mtime: st.mtime, uid: st.uid, gid: st.gid });
      // devices, FIFOs, sockets: not part of a build context
    }
  };

  void (async () => {
    for (const x of opts.extra ?? []) await file(x.name, x.host, fs.statSync(x.host));
    await walk(dir, '');
  })().then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return pack as unknown as Readable;
}
