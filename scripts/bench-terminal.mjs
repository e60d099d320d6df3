#!/usr/bin/env node
// Keystroke round trip through `run -it`: a character typed into the user's
// terminal (a node-pty) travels through the CLI, the monitor and the
// container's pty, is echoed by the container's line discipline, and comes
// back the same way. Prints the median and 90th percentile of many keystrokes,
// the time from `run -it` to the first echo, and the idle monitor's RssAnon
// for a container with a terminal; side by side with Podman (runc) when installed.
// Usage: node scripts/bench-terminal.mjs [--keys N]
import { spawnSync, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const pty = createRequire(import.meta.url)(path.join(repo, 'node_modules/node-pty'));
const keys = Number(process.argv[process.argv.indexOf('--keys') + 1]) || 300;
const rootfs = path.join(repo, 'test/fixtures/out/busybox-rootfs.tar');
if (!fs.existsSync(rootfs)) {
  console.error('bench: build the test images first (bash scripts/setup.sh)');
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-term-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm' };

const engines = [{ name: 'tspod', argv: [path.join(repo, 'dist/tspod'), '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`] }];
const havePodman = spawnSync('podman', ['--version']).status === 0;
if (havePodman) {
  const conf = path.join(dir, 'containers.conf');
  // runc, and limits the kernel here lets a container set (it refuses raising rlimits)
  fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n');
  env.CONTAINERS_CONF = conf;
  engines.push({ name: 'podman', argv: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--storage-driver', 'overlay'] });
}

const run = (e, args, allowFail = false) => {
  const r = spawnSync(e.argv[0], [...e.argv.slice(1), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${e.name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the terminal's output (from `from` on) contains `ch`; rejects after the timeout. */
function waitOutput(state, from, ch, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (state.out.indexOf(ch, from) >= 0) {
        state.waiter = undefined;
        clearTimeout(timer);
        resolve(now());
      }
    };
    const timer = setTimeout(() => {
      state.waiter = undefined;
      reject(new Error(`no echo of ${JSON.stringify(ch)} within ${timeoutMs} ms; output: ${JSON.stringify(state.out.slice(-300))}`));
    }, timeoutMs);
    state.waiter = check;
    check();
  });
}

/** Round trips through an interactive session (`run -it` or `exec -it`) running `cat`. */
async function keystrokes(e, args) {
  const state = { out: '', waiter: undefined };
  const t0 = now();
  const term = pty.spawn(e.argv[0], [...e.argv.slice(1), ...args, 'sh', '-c', 'echo READY; exec cat'], { cols: 100, rows: 30, env });
  term.onData((d) => {
    state.out += d;
    state.waiter?.();
  });
  const exited = new Promise((r) => term.onExit(r));
  try {
    // the container announces itself once it runs and we are attached (typing earlier would
    // only be echoed by the user's terminal itself, still in cooked mode)
    const startup = (await waitOutput(state, 0, 'READY', 30_000)) - t0;
    await sleep(300);
    const samples = [];
    for (let i = 0; i < keys; i++) {
      const ch = String.fromCharCode(97 + (i % 26));
      if (i % 60 === 59) term.write('\r'); // keep the line short
      await sleep(2);
      const from = state.out.length;
      const t = now();
      term.write(ch);
      samples.push((await waitOutput(state, from, ch)) - t);
    }
    const result = { median: pct(samples, 0.5), p90: pct(samples, 0.9), startup };
    term.write('\r\x04'); // end of input: cat exits
    await Promise.race([exited, sleep(10_000)]);
    return result;
  } finally {
    term.kill();
  }
}

async function measure(e) {
  run(e, ['import', rootfs, 'localhost/busybox']);
  run(e, ['run', '-dit', '--network=none', '--name', 'bench-tty', 'localhost/busybox', 'sh']);
  const conmon = Number(run(e, ['inspect', '--format', '{{.State.ConmonPid}}', 'bench-tty']).trim());
  await sleep(1000);
  const rss = Number(/RssAnon:\s+(\d+)/.exec(fs.readFileSync(`/proc/${conmon}/status`, 'utf8'))?.[1]) / 1024;
  const r = await keystrokes(e, ['run', '-it', '--rm', '--network=none', 'localhost/busybox']);
  const x = await keystrokes(e, ['exec', '-it', 'bench-tty']);
  return { ...r, execMedian: x.median, execP90: x.p90, rss };
}

const results = {};
try {
  for (const e of engines) results[e.name] = await measure(e);
} finally {
  for (const e of engines) run(e, ['rm', '-a', '-f', '-t', '0'], true);
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir)).reverse())
    spawnSync('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
}

const rows = [
  ['run -it keystroke round trip, median', 'median', 'ms', 2],
  ['run -it keystroke round trip, 90th pct', 'p90', 'ms', 2],
  ['run -it to the container\'s first output', 'startup', 'ms', 0],
  ['exec -it keystroke round trip, median', 'execMedian', 'ms', 2],
  ['exec -it keystroke round trip, 90th pct', 'execP90', 'ms', 2],
  ['monitor RssAnon (tty container)', 'rss', 'MiB', 1],
];
console.log(`keystrokes: ${keys}; runtime: runc; podman: ${havePodman ? execFileSync('podman', ['--version']).toString().trim() : 'not installed'}`);
console.log(`${'measure'.padEnd(40)}${'tspod'.padStart(12)}${havePodman ? 'podman'.padStart(12) : ''}`);
const fmt = (v, unit, d) => (v === undefined || Number.isNaN(v) ? '-' : `${v.toFixed(d)} ${unit}`);
for (const [label, key, unit, d] of rows)
  console.log(`${label.padEnd(40)}${fmt(results.tspod?.[key], unit, d).padStart(12)}${havePodman ? fmt(results.podman?.[key], unit, d).padStart(12) : ''}`);
