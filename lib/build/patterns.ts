// Path patterns of builds: `.containerignore`/`.dockerignore` rules (Docker's
// patternmatcher: filepath.Match syntax plus `**`, `!` exceptions, the last
// matching rule wins, a rule that matches a directory covers its content) and
// the globs of COPY/ADD sources.
import * as path from 'node:path';

/** A regular expression for one pattern; `**` only when doubleStar (ignore files, not COPY globs). */
export function patternRegExp(pattern: string, doubleStar: boolean): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (doubleStar && pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?'; // `**/` : any number of directories, none included
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export const hasGlob = (s: string) => /[*?[]/.test(s);

interface IgnoreRule {
  re: RegExp;
  exception: boolean;
  /** the pattern's directory depth, to test the path's parents */
  raw: string;
}

export class IgnoreRules {
  private readonly rules: IgnoreRule[];

  constructor(text: string) {
    this.rules = [];
    for (let line of text.split('\n')) {
      line = line.trim();
      if (line === '' || line.startsWith('#')) continue;
      const exception = line.startsWith('!');
      if (exception) line = line.slice(1).trim();
      let p = path.posix.normalize(line).replace(/^\/+/, '');
      if (p === '.' || p === '') continue;
      p = p.replace(/\/+$/, '');
      this.rules.push({ re: patternRegExp(p, true), exception, raw: p });
    }
  }

  get hasExceptions(): boolean {
    return this.rules.some((r) => r.exception);
  }

  /** Whether rel (a context path, `/`-separated, no leading slash) is excluded. */
  excluded(rel: string): boolean {
    const parents: string[] = [];
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let out = false;
    for (const r of this.rules) {
      if (out === !r.exception) continue; // cannot change the verdict
      if (r.re.test(rel) || parents.some((p) => r.re.test(p))) out = !r.exception;
    }
    return out;
  }
}
