// Where tspod is installed, so a process can start the others (dist/*.js).
import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'dist'))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error('cannot find the tspod installation (dist/)');
  }
}

/** dist/<name>.js for tspod, tspod-conmon, tspod-runtime */
export const entryScript = (name: 'tspod' | 'tspod-conmon' | 'tspod-runtime') =>
  path.join(packageRoot(), 'dist', `${name}.js`);

/**
 * argv that starts the tspod CLI: from its start-up snapshot when the build made
 * one (about 30 ms faster), else from the bundle.
 */
export function tspodCommand(): string[] {
  const blob = path.join(packageRoot(), 'dist', 'tspod.blob');
  return fs.existsSync(blob) ? [process.execPath, '--snapshot-blob', blob, '--'] : [process.execPath, entryScript('tspod')];
}
