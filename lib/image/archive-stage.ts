// Staging of an image archive (docker-archive or oci-archive, plain or gzip):
// each regular file of the outer tar is written to a numbered file in a
// private directory and hashed on the way. The archive's own paths are only
// keys in a map, never used on disk, so the outer tar cannot escape either.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { openArchive, readTarEntries } from '../storage/layer';

export interface StagedFile {
  /** where the content sits in the staging directory */
  file: string;
  /** sha256:<hex> of the content */
  digest: string;
  size: number;
}

const MAX_LINK_HOPS = 16;

/** Lexically cleaned archive path ('' for the root); undefined when it climbs above the root. */
export function cleanArchivePath(name: string): string | undefined {
  const parts: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(c);
  }
  return parts.join('/');
}

export class StagedArchive {
  readonly files = new Map<string, StagedFile>();
  /** symlink path -> cleaned target path */
  readonly links = new Map<string, string>();

  constructor(readonly dir: string) {}

  /** The file at name, following the archive's symlinks. */
  get(name: string): StagedFile | undefined {
    let p = cleanArchivePath(name);
    for (let hop = 0; p !== undefined && hop < MAX_LINK_HOPS; hop++) {
      const file = this.files.get(p);
      if (file) return file;
      const target = this.resolveLinkedPrefix(p);
      if (target === undefined) return undefined;
      p = target;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  read(name: string): Buffer | undefined {
    const f = this.get(name);
    return f ? fs.readFileSync(f.file) : undefined;
  }

  /** Rewrites the first symlinked component of p (a link may name a file or a directory). */
  private resolveLinkedPrefix(p: string): string | undefined {
    const parts = p.split('/');
    for (let i = parts.length; i > 0; i--) {
      const prefix = parts.slice(0, i).join('/');
      const target = this.links.get(prefix);
      if (target !== undefined) return [target, ...parts.slice(i)].filter(Boolean).join('/');
    }
    return undefined;
  }
}

/** Reads the whole archive into dir (which must exist and be private). */
export async function stageArchive(input: Readable, dir: string): Promise<StagedArchive> {
  const staged = new StagedArchive(dir);
  const archive = await openArchive(input);
  let n = 0;
  await readTarEntries(archive.tar, async (h, body) => {
    const name = cleanArchivePath(h.name);
    if (name === undefined || name === '') return;
    if (h.type === 'symlink') {
      const base = h.linkname.startsWith('/') ? '' : path.posix.dirname(name);
      const target = cleanArchivePath(path.posix.join(base, h.linkname));
      if (target !== undefined) staged.links.set(name, target);
      return;
    }
    if (h.type === 'link') {
      const target = staged.get(h.linkname);
      if (target) staged.files.set(name, target);
      return;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') return;
    const file = path.join(dir, String(n++));
    const hash = crypto.createHash('sha256');
    let size = 0;
    const fh = await fs.promises.open(file, 'wx', 0o600);
    try {
      for await (const chunk of body) {
        hash.update(chunk);
        size += chunk.length;
        await fh.write(chunk);
      }
    } finally {
      await fh.close();
    }
    staged.files.set(name, { file, digest: `sha256:${hash.digest('hex')}`, size });
  });
  return staged;
}
