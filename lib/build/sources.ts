// Where COPY and ADD read: the build context (minus what the ignore file
// excludes) or another stage's or image's root filesystem. Source paths are
// resolved inside their root by the kernel (hostPathInRoot): `..` and symlinks never leave it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { hostPathInRoot } from '../storage/in-root';
import { IgnoreRules, hasGlob, patternRegExp } from './patterns';

export interface Source {
  /** the source as the instruction names it (a glob's match), for messages */
  shown: string;
  host: string;
  st: fs.Stats;
}

/** A file below a source: its path relative to the source (`''` for the source itself). */
export interface SourceFile {
  sub: string;
  host: string;
  st: fs.Stats;
}

export class SourceTree {
  constructor(
    readonly root: string,
    private readonly rules?: IgnoreRules,
    private readonly what = 'build context',
  ) {}

  private included(rel: string): boolean {
    return !this.rules || rel === '' || !this.rules.excluded(rel);
  }

  /** Every included path (relative, `/`-separated), for globs. */
  private allPaths(): string[] {
    const out: string[] = [];
    const walk = (dir: string, rel: string) => {
      for (const name of fs.readdirSync(dir).sort()) {
        const r = rel ? `${rel}/${name}` : name;
        const host = path.join(dir, name);
        const st = fs.lstatSync(host);
        if (this.included(r)) out.push(r);
        if (st.isDirectory() && (this.included(r) || this.rules?.hasExceptions)) walk(host, r);
      }
    };
    walk(this.root, '');
    return out;
  }

  /** The sources a COPY/ADD argument names: one path, or every match of a glob. */
  resolve(src: string): Source[] {
    const clean = path.posix.normalize(`/${src}`).slice(1).replace(/\/+$/, '');
    if (hasGlob(clean)) {
      const re = patternRegExp(clean, false);
      const matches = this.allPaths().filter((r) => re.test(r));
      if (matches.length === 0) throw new EngineError('invalid-argument', `no source files were specified: no files in the ${this.what} match "${src}"`);
      return matches.map((r) => ({ shown: r, host: path.join(this.root, r), st: fs.lstatSync(path.join(this.root, r)) }));
    }
    const host = hostPathInRoot(this.root, clean, false);
    const st = fs.lstatSync(host, { throwIfNoEntry: false });
    const rel = path.relative(this.root, host).split(path.sep).join('/');
    const source = { shown: clean || '.', host, st: st as fs.Stats };
    // An excluded directory still counts when an exception (`!dir/file`) keeps something below it.
    if (!st || !(this.included(rel) || (st.isDirectory() && this.rules?.hasExceptions && this.files(source).length > 1)))
      throw new EngineError('invalid-argument', `checking on sources under "${this.root}": copier: stat: "/${clean}": no such file or directory (not in the ${this.what}, or excluded by its ignore file)`);
    return [source];
  }

  /** The source and, for a directory, everything included below it, parents first. */
  files(source: Source): SourceFile[] {
    const out: SourceFile[] = [{ sub: '', host: source.host, st: source.st }];
    if (!source.st.isDirectory()) return out;
    const base = path.relative(this.root, source.host).split(path.sep).join('/');
    const walk = (dir: string, sub: string) => {
      for (const name of fs.readdirSync(dir).sort()) {
        const s = sub ? `${sub}/${name}` : name;
        const rel = base ? `${base}/${s}` : s;
        const host = path.join(dir, name);
        const st = fs.lstatSync(host);
        const inc = this.included(rel);
        if (inc) out.push({ sub: s, host, st });
        if (st.isDirectory() && (inc || this.rules?.hasExceptions)) walk(host, s);
      }
    };
    walk(source.host, '');
    return out;
  }
}

/** A digest of what the files hold (names, types, modes, contents, link targets), for the layer cache. */
export function contentDigest(groups: { shown: string; files: SourceFile[] }[]): string {
  const h = crypto.createHash('sha256');
  for (const g of groups) {
    h.update(`source ${g.shown}\n`);
    for (const f of g.files) {
      h.update(`${f.sub}\0${f.st.mode}\0`);
      if (f.st.isFile()) h.update(fs.readFileSync(f.host));
      else if (f.st.isSymbolicLink()) h.update(fs.readlinkSync(f.host));
      h.update('\n');
    }
  }
  return h.digest('hex');
}
