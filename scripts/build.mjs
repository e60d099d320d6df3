// Bundles each entry point into one CommonJS file in dist/ (one file to read at
// start-up is measurably faster than a module tree), and writes the bin wrappers.
import { build } from 'esbuild';
import { chmodSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  // an engine worker process of the API service (lib/engine/workers.ts): no command of its own
  'tspod-engine-worker': 'lib/engine/worker-main.ts',
};
const commands = Object.keys(entries).filter((name) => name !== 'tspod-engine-worker');

await build({
  entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(root, v)])),
  outdir: dist,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // yaml (kube) and dockerfile-ast (build) are required lazily where used and loaded from
  // node_modules then: kept out of the start-up snapshot, which every command deserializes
  external: ['node-pty', 'yaml', 'dockerfile-ast'],
  logLevel: 'warning',
  legalComments: 'none',
  // While a start-up snapshot is built, require() knows only Node's built-in
  // modules; external packages (node-pty) are then loaded through createRequire.
  banner: {
    js: `var require = ((r) => { if (!r('node:v8').startupSnapshot.isBuildingSnapshot()) return r; const M = r('node:module'); let real; return (id) => (M.isBuiltin(id) ? r(id) : (real ??= M.createRequire(__filename))(id)); })(require);`,
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
// Rootless: an ordinary user's local command joins the pause process's user
// and mount namespaces (lib/rootless/userns.ts, pause.ts) straight from here
// when that process is known and checks out as Node's own check does (alive,
// ours, sleep, 0 mapped to us, a subordinate gid range): one Node start less
// than Node re-executing itself through nsenter. Anything else (no pause yet,
// remote flags or variables, no XDG_RUNTIME_DIR) takes the Node path, which
// decides, starts the pause process and re-execs. exec keeps the pid and the
// fds (LISTEN_PID, activated sockets).
function joinUserNamespace(start) {
  return `if [ -n "$XDG_RUNTIME_DIR" ] && [ -z "$_TSPOD_USERNS_CONFIGURED$CONTAINER_HOST$CONTAINER_CONNECTION" ] && ! [ -O / ]; then
  _tspod_join=1
  for _tspod_a in "$@"; do case $_tspod_a in --remote*|--url*|--connection*|-[!-]*[rc]*) _tspod_join= ;; esac; done
  if [ -n "$_tspod_join" ] && read -r _tspod_pid 2>/dev/null < "$XDG_RUNTIME_DIR/tspod/pause.pid"; then
    case $_tspod_pid in ''|*[!0-9]*) ;; *)
      if [ -O "/proc/$_tspod_pid" ] && read -r _tspod_comm < "/proc/$_tspod_pid/comm" && [ "$_tspod_comm" = sleep ] &&
        read -r _tspod_in _tspod_out _tspod_n < "/proc/$_tspod_pid/uid_map" && [ "$_tspod_in" = 0 ] &&
        { read -r _tspod_g1 && read -r _tspod_g2; } < "/proc/$_tspod_pid/gid_map" && [ -n "$_tspod_g2" ] &&
        [ "$_tspod_out" = "$(id -u)" ]; then
        _TSPOD_USERNS_CONFIGURED=wrapper; export _TSPOD_USERNS_CONFIGURED
        exec /usr/bin/nsenter --user --mount --target="$_tspod_pid" -- ${start.replace(/^exec /, '')}
      fi ;;
    esac
  fi
fi
`;
}

for (const name of commands) {
  const file = join(dist, name);
  const start =
    name === 'tspod' && existsSync(blob)
      ? `exec "${process.execPath}" --snapshot-blob "${blob}" -- "$@"`
      : `exec "${process.execPath}" "${join(dist, name)}.js" "$@"`;
  writeFileSync(
    file,
    `#!/bin/sh
if [ -n "$NODE_EXTRA_CA_CERTS" ]; then TSPOD_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; export TSPOD_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi
${name === 'tspod' ? joinUserNamespace(start) : ''}${start}
`,
  );
  chmodSync(file, 0o755);
}

// The per-container monitors run as dist/libexec/conmon: a hard link to this
// Node binary, so /proc/PID/exe, ps and pidof name them conmon as Podman's
// (the engine falls back to plain node when the link is missing or stale).
const monitorNode = join(dist, 'libexec', 'conmon');
mkdirSync(dirname(monitorNode), { recursive: true });
rmSync(monitorNode, { force: true });
try {
  linkSync(process.execPath, monitorNode);
} catch (err) {
  console.warn(`note: monitors run as plain node (${monitorNode}: ${err.code ?? err.message})`);
}

// Man pages from the command definitions (tspod(1), tspod-run(1), ...); setup links them into man's path.
const man = spawnSync(process.execPath, [join(dist, 'tspod.js'), '__man', join(dist, 'man', 'man1')], {
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  encoding: 'utf8',
});
if (man.status !== 0) throw new Error(`build: writing the man pages failed: ${man.stderr}`);
