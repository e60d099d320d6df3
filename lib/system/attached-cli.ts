// The CLI attached to a container (`tspod run`, `start -a` in the foreground):
// it records its pid and start time in the bundle once the container runs, so
// `tspod tree` can show it. The start time guards against a reused pid: a
// record whose process is gone or is another process now names nobody.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readProc } from '../container/top';

const ATTACHED_CLI_FILE = 'attached-cli.json';

export function recordAttachedCli(bundle: string): void {
  const self = readProc(process.pid);
  if (!self) return;
  try {
    const file = path.join(bundle, ATTACHED_CLI_FILE);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ pid: self.pid, startTicks: self.startTicks }), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    /* the container is gone already (--rm): nothing to show it for */
  }
}

/** The pid of the attached CLI while it lives, else undefined. */
export function attachedCliPid(bundle: string): number | undefined {
  let doc: { pid?: unknown; startTicks?: unknown };
  try {
    doc = JSON.parse(fs.readFileSync(path.join(bundle, ATTACHED_CLI_FILE), 'utf8')) as typeof doc;
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(doc?.pid) || (doc.pid as number) <= 0 || !Number.isSafeInteger(doc.startTicks)) return undefined;
  const p = readProc(doc.pid as number);
  return p && p.startTicks === doc.startTicks ? p.pid : undefined;
}
