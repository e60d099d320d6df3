// Subordinate id ranges (subuid(5), subgid(5)): lines NAME_OR_UID:START:COUNT.
// newuidmap/newgidmap check them again: this reading only picks the range.
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface IdRange {
  start: number;
  count: number;
}

export const SUBUID_FILE = '/etc/subuid';
export const SUBGID_FILE = '/etc/subgid';

/** The first range of the user (by name or by numeric id) in file, or undefined. */
export function subordinateRange(file: string, name: string, id: number): IdRange | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseSubordinateRange(text, name, id);
}

export function parseSubordinateRange(text: string, name: string, id: number): IdRange | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^:]+):(\d+):(\d+)$/.exec(line);
    if (!m || (m[1] !== name && m[1] !== String(id))) continue;
    const start = Number(m[2]);
    const count = Number(m[3]);
    if (count > 0 && Number.isSafeInteger(start) && start + count <= 0xffffffff) return { start, count };
  }
  return undefined;
}

export function userName(): string {
  return os.userInfo().username;
}

/** Every range of name (or of the numeric id, when given) in file, in file order; [] when none or no file. */
export function subordinateRanges(file: string, name: string, id?: number): IdRange[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: IdRange[] = [];
  for (const raw of text.split('\n')) {
    const m = /^([^:]+):(\d+):(\d+)$/.exec(raw.trim());
    if (!m || (m[1] !== name && (id === undefined || m[1] !== String(id)))) continue;
    const start = Number(m[2]);
    const count = Number(m[3]);
    if (count > 0 && Number.isSafeInteger(start) && start + count <= 0xffffffff) out.push({ start, count });
  }
  return out;
}
