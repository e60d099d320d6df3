// Bundles each entry point into one CommonJS file in dist/ (one file to read at
// start-up is measurably faster than a module tree), and writes the bin wrappers.
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const entries = {
  tspod: 'lib/cli/main.ts',
  'tspod-conmon': 'conmon/main.ts',
  'tspod-runtime': 'runtime/main.ts',
  'tspod-systemd-generator': 'lib/systemd/generator-main.ts',
};

await build({
  entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(root, v)])),
  outdir: dist,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['node-pty'],
  logLevel: 'warning',
  legalComments: 'none',
  // While a start-up snapshot is built, require() knows only Node's built-in
  // modules; external packages (node-pty) are then loaded through createRequire.
  banner: {
    js: `var require = ((r) => { if (!r('node:v8').startupSnapshot.isBuildingSnapshot()) return r; const M = r('node:module'); let real; return (id) => (id.startsWith('node:') || M.builtinModules.includes(id) ? r(id) : (real ??= M.createRequire(__filename))(id)); })(require);`,
  },
});

// A V8 start-up snapshot of the CLI bundle: Node starts with the bundle already
// compiled and evaluated, which saves ~30 ms on every tspod command. The snapshot
// is tied to this Node binary; the wrapper falls back to the plain bundle without it.
// Written aside and renamed: a tspod starting meanwhile opens the old blob or the new one.
const blob = join(dist, 'tspod.blob');
const fresh = `${blob}.${process.pid}`;
const snap = spawnSync(process.execPath, ['--snapshot-blob', fresh, '--build-snapshot', join(dist, 'tspod.js')], {
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  encoding: 'utf8',
});
if (snap.status === 0) renameSync(fresh, blob);
else {
  rmSync(fresh, { force: true });
  rmSync(blob, { force: true });
  console.warn(`build: no start-up snapshot (${(snap.stderr || '').trim().split('\n').pop()}); tspod starts from the bundle`);
}

// The wrapper moves NODE_EXTRA_CA_CERTS aside: Node would parse the CA file at
// every start (about 40 ms); the registry client loads it only when it needs TLS.
// exec keeps the pid, so LISTEN_PID from systemd still names this process.
for (const name of Object.keys(entries)) {
  const file = join(dist, name);
  const start =
    name === 'tspod' && existsSync(blob)
      ? `exec "${process.execPath}" --snapshot-blob "${blob}" -- "$@"`
      : `exec "${process.execPath}" "${join(dist, name)}.js" "$@"`;
  writeFileSync(
    file,
    `#!/bin/sh
if [ -n "$NODE_EXTRA_CA_CERTS" ]; then TSPOD_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; export TSPOD_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi
${start}
`,
  );
  chmodSync(file, 0o755);
}
