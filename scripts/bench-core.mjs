#!/usr/bin/env node
// Benchmarks of the engine core, printed as medians, side by side with Podman
// when it is installed (configured with runc and default_ulimits, in private
// storage):
//   - `run --rm --network=none IMAGE true` wall time, with the default seccomp
//     filter and with seccomp=unconfined (what compiling the filter costs)
//   - `ps -a` with 100 containers
//   - the idle monitor's private memory (RssAnon), tspod-conmon next to conmon
// Usage: node scripts/bench-core.mjs [--runs N]
import { spawnSync, execFileSync } from 'node:child_process';
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
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

const engines = [
  {
    name: 'tspod',
    argv: [path.join(repo, 'dist/tspod'), '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`],
    conmonPid: '{{.State.ConmonPid}}',
  },
];
const havePodman = spawnSync('podman', ['--version']).status === 0;
if (havePodman) {
  const conf = path.join(dir, 'containers.conf');
  // Podman needs runc and limits it may set here (the kernel refuses to raise rlimits).
  // The kernel here refuses to raise rlimits; Podman's defaults (and even the host's
  // hard limits) fail in runc, values below them work.
  fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n');
  env.CONTAINERS_CONF = conf;
  engines.push({
    name: 'podman',
    argv: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--storage-driver', 'overlay'],
    conmonPid: '{{.State.ConmonPid}}',
  });
}

const run = (e, args, opts = {}) => {
  const r = spawnSync(e.argv[0], [...e.argv.slice(1), ...args], { env, encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${e.name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const timeMs = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const rssAnonKiB = (pid) => Number(/RssAnon:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const results = {};
try {
  for (const e of engines) {
    const r = (results[e.name] = {});
    run(e, ['import', rootfs, 'localhost/busybox']);
    run(e, ['run', '--rm', '--network=none', 'localhost/busybox', 'true']); // warm caches
    // Interleaved with and without the seccomp filter (runc compiles the profile at every start).
    const rm = [];
    const rmUnconfined = [];
    for (let i = 0; i < runs; i++) {
      rm.push(timeMs(() => run(e, ['run', '--rm', '--network=none', 'localhost/busybox', 'true'])));
      rmUnconfined.push(timeMs(() => run(e, ['run', '--rm', '--network=none', '--security-opt', 'seccomp=unconfined', 'localhost/busybox', 'true'])));
    }
    r.runRm = median(rm);
    r.runRmUnconfined = median(rmUnconfined);

    const id = run(e, ['run', '-d', '--network=none', 'localhost/busybox', 'sleep', '1000']).trim();
    const conmon = Number(run(e, ['inspect', '--format', e.conmonPid, id]).trim());
    spawnSync('sleep', ['1']);
    r.monitorRssAnonKiB = rssAnonKiB(conmon);
    run(e, ['rm', '-f', '-t', '0', id]);

    for (let i = 0; i < 100; i++) run(e, ['create', '--network=none', 'localhost/busybox', 'true']);
    r.ps100 = median(Array.from({ length: runs }, () => timeMs(() => run(e, ['ps', '-a']))));
    run(e, ['rm', '-a', '-f'], { allowFail: true });
  }
} finally {
  for (const e of engines) run(e, ['rm', '-a', '-f', '-t', '0'], { allowFail: true });
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir)).reverse())
    spawnSync('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
}

const fmt = (v, unit) => (v === undefined ? '-' : `${v.toFixed(unit === 'MiB' ? 1 : 0)} ${unit}`);
const rows = [
  ['run --rm --network=none true (median)', 'runRm', 'ms'],
  ['  the same, seccomp=unconfined (median)', 'runRmUnconfined', 'ms'],
  ['ps -a with 100 containers (median)', 'ps100', 'ms'],
  ['idle monitor RssAnon', 'monitorRssAnonKiB', 'MiB'],
];
console.log(`runs per figure: ${runs}; runtime: runc; podman: ${havePodman ? execFileSync('podman', ['--version']).toString().trim() : 'not installed'}`);
console.log(`${'measure'.padEnd(42)}${'tspod'.padStart(12)}${havePodman ? 'podman'.padStart(12) + 'ratio'.padStart(9) : ''}`);
for (const [label, key, unit] of rows) {
  const conv = (v) => (unit === 'MiB' && v !== undefined ? v / 1024 : v);
  const t = conv(results.tspod?.[key]);
  const p = conv(results.podman?.[key]);
  console.log(`${label.padEnd(42)}${fmt(t, unit).padStart(12)}${havePodman ? fmt(p, unit).padStart(12) + (t / p).toFixed(2).padStart(8) + 'x' : ''}`);
}
