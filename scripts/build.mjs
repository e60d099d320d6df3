// Bundles each entry point into one CommonJS file in dist/ (one file to read at
// start-up is measurably faster than a module tree), and writes the bin wrappers.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
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
});

// The wrapper moves NODE_EXTRA_CA_CERTS aside: Node would parse the CA file at
// every start (about 40 ms); the registry client loads it only when it needs TLS.
// exec keeps the pid, so LISTEN_PID from systemd still names this process.
for (const name of Object.keys(entries)) {
  const file = join(dist, name);
  writeFileSync(
    file,
    `#!/bin/sh
if [ -n "$NODE_EXTRA_CA_CERTS" ]; then TSPOD_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; export TSPOD_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi
exec "${process.execPath}" "${join(dist, name)}.js" "$@"
`,
  );
  chmodSync(file, 0o755);
}
