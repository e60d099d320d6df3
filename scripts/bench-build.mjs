#!/usr/bin/env node
// A five-instruction build, cold (--no-cache) and cached, as medians, side by
// side with `podman build` when Podman is installed (private storage, runc,
// the same busybox base imported from the test fixtures, --network=none).
// Usage: node scripts/bench-build.mjs [--runs N]
import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const rootfs = path.join(repo, 'test/fixtures/out/busybox-rootfs.tar');
if (!fs.existsSync(rootfs)) {
  console.error('bench: build the test images first (bash scripts/setup.sh)');
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-build-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

const ctx = path.join(dir, 'context');
fs.mkdirSync(ctx);
fs.writeFileSync(path.join(ctx, 'data.txt'), 'data\n');
fs.writeFileSync(
  path.join(ctx, 'Containerfile'),
  'FROM localhost/busybox\nENV GREETING=hello\nRUN echo "$GREETING" > /greeting\nCOPY data.txt /data/\nWORKDIR /data\nCMD ["cat", "/greeting"]\n',
);

const engines = [{ name: 'tspod', argv: [path.join(repo, 'dist/tspod'), '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`] }];
if (spawnSync('podman', ['--version']).status === 0) {
  const conf = path.join(dir, 'containers.conf');
  fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n');
  env.CONTAINERS_CONF = conf;
  engines.push({ name: 'podman', argv: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--storage-driver', 'overlay'] });
}

const run = (e, args) => {
  const r = spawnSync(e.argv[0], [...e.argv.slice(1), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${e.name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const timeMs = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = {};
try {
  for (const e of engines) {
    run(e, ['import', rootfs, 'localhost/busybox']);
    const build = (extra) => run(e, ['build', '-q', '--network=none', ...extra, '-t', 'bench', ctx]);
    build([]); // warm-up: page cache, the runtime's first start
    const cold = [];
    const cached = [];
    for (let i = 0; i < runs; i++) {
      cold.push(timeMs(() => build(['--no-cache'])));
      cached.push(timeMs(() => build([])));
    }
    results[e.name] = { cold: median(cold), cached: median(cached) };
  }
} finally {
  for (const e of engines) spawnSync(e.argv[0], [...e.argv.slice(1), 'rm', '-af'], { env });
  fs.rmSync(dir, { recursive: true, force: true });
}

const podman = results.podman;
console.log(`runs per figure: ${runs}; podman: ${podman ? execFileSync('podman', ['--version']).toString().trim() : 'not installed'}`);
console.log(`${'five-instruction build (median ms)'.padEnd(40)}${'tspod'.padStart(10)}${podman ? 'podman'.padStart(10) : ''}`);
for (const key of ['cold', 'cached'])
  console.log(`${key.padEnd(40)}${results.tspod[key].toFixed(0).padStart(10)}${podman ? podman[key].toFixed(0).padStart(10) : ''}`);
