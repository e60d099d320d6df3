#!/usr/bin/env node
// What bridge networking costs `run`, as medians, side by side with Podman
// (netavark) when it is installed (runc, default_ulimits, private storage):
//   - run --rm --network=none IMAGE true       (no network setup: the baseline)
//   - run --rm IMAGE true, warm                 (default bridge kept up by another container)
//   - run --rm IMAGE true, cold                 (the bridge and its NAT rules made and removed each time)
//   - run --rm -p PORT:8080 IMAGE true, warm    (plus DNAT rules)
// Usage (root): node scripts/bench-network.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;
const rootfs = path.join(repo, 'test/fixtures/out/busybox-rootfs.tar');
if (!fs.existsSync(rootfs)) {
  console.error('bench: build the test images first (bash scripts/setup.sh)');
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-net-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

const engines = [{ name: 'tspod', argv: [path.join(repo, 'dist/tspod'), '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`] }];
if (spawnSync('podman', ['--version']).status === 0) {
  const conf = path.join(dir, 'containers.conf');
  fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n');
  env.CONTAINERS_CONF = conf;
  engines.push({ name: 'podman', argv: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--storage-driver', 'overlay'] });
}

const run = (e, args, allowFail = false) => {
  const r = spawnSync(e.argv[0], [...e.argv.slice(1), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${e.name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const timeMs = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The cases are measured interleaved (one round each, `runs` times), so load that comes and goes hits them alike. */
function interleaved(cases) {
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, fn] of Object.entries(cases)) times[k].push(timeMs(fn));
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { median: median(xs), min: Math.min(...xs) }]));
}

const results = {};
try {
  for (const e of engines) {
    const r = (results[e.name] = {});
    run(e, ['import', rootfs, 'localhost/busybox']);
    run(e, ['run', '--rm', 'localhost/busybox', 'true']); // warm caches, make the default network
    Object.assign(
      r,
      interleaved({
        none: () => run(e, ['run', '--rm', '--network=none', 'localhost/busybox', 'true']),
        cold: () => run(e, ['run', '--rm', 'localhost/busybox', 'true']),
      }),
    );
    const keeper = run(e, ['run', '-d', 'localhost/busybox', 'sleep', '1000']).trim();
    Object.assign(
      r,
      interleaved({
        noneWarm: () => run(e, ['run', '--rm', '--network=none', 'localhost/busybox', 'true']),
        warm: () => run(e, ['run', '--rm', 'localhost/busybox', 'true']),
        port: () => run(e, ['run', '--rm', '-p', '18399:8080', 'localhost/busybox', 'true']),
      }),
    );
    run(e, ['rm', '-f', '-t', '0', keeper]);
  }
} finally {
  for (const e of engines) run(e, ['rm', '-a', '-f', '-t', '0'], true);
  spawnSync('umount', ['-R', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

const rows = [
  ['run --rm --network=none true', 'none'],
  ['run --rm true (bridge up, warm)', 'warm'],
  ['run --rm true (bridge made and removed)', 'cold'],
  ['run --rm -p 18399:8080 true (warm)', 'port'],
];
const names = engines.map((e) => e.name);
const fmt = (x) => `${x.median.toFixed(0)} ms (min ${x.min.toFixed(0)})`;
console.log([`measure (median of ${runs}, interleaved)`, ...names].join('\t'));
for (const [label, key] of rows) console.log([label, ...names.map((n) => fmt(results[n][key]))].join('\t'));
for (const n of names) {
  const t = results[n];
  const d = (a, b) => `${(a.median - b.median).toFixed(0)} ms (min ${(a.min - b.min).toFixed(0)})`;
  console.log(`${n}: the bridge adds ${d(t.warm, t.noneWarm)} warm, ${d(t.cold, t.none)} cold`);
}
