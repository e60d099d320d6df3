#!/usr/bin/env node
// docker-compose 1.29 wall times against `tspod system service`, side by side
// with `podman system service` when Podman is installed (runc, private storage):
// `up -d` and `down -v` of the test project (test/fixtures/compose: a web
// server on a named volume with a published loopback port, and a client on the
// default network), medians of N rounds.
// Usage: node scripts/bench-compose.mjs [--runs N]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const rootfs = path.join(repo, 'test/fixtures/out/busybox-rootfs.tar');
const projectDir = path.join(repo, 'test/fixtures/compose');
if (!fs.existsSync(rootfs)) {
  console.error('bench: build the test images first (bash scripts/setup.sh)');
  process.exit(1);
}
if (spawnSync('docker-compose', ['version']).status !== 0) {
  console.error('bench: docker-compose is not installed (apt-get install docker-compose)');
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-compose-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

const engines = [{ name: 'tspod', argv: [path.join(repo, 'dist/tspod'), '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`] }];
const havePodman = spawnSync('podman', ['--version']).status === 0;
if (havePodman) {
  const conf = path.join(dir, 'containers.conf');
  // runc, and limits the kernel here lets runc set (it refuses to raise rlimits).
  fs.writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n');
  env.CONTAINERS_CONF = conf;
  engines.push({
    name: 'podman',
    argv: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--storage-driver', 'overlay', '--volumepath', `${dir}/p/volumes`],
  });
}

const run = (e, args, allowFail = false) => {
  const r = spawnSync(e.argv[0], [...e.argv.slice(1), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${e.name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const answers = (sock) =>
  new Promise((r) => {
    const s = net.connect({ path: sock });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });

async function bench(e) {
  const sock = path.join(dir, `${e.name}.sock`);
  run(e, ['import', rootfs, 'localhost/busybox', '--change', 'CMD ["sh"]']);
  const svc = spawn(e.argv[0], [...e.argv.slice(1), 'system', 'service', '-t', '0', `unix://${sock}`], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; i < 200 && !(fs.existsSync(sock) && (await answers(sock))); i++) await sleep(50);
    const composeEnv = { ...env, DOCKER_HOST: `unix://${sock}`, WEB_PORT: String(await freePort()) };
    const compose = (args) => {
      const t = process.hrtime.bigint();
      const r = spawnSync('docker-compose', ['-p', 'bench', '--ansi', 'never', ...args], { cwd: projectDir, env: composeEnv, encoding: 'utf8', timeout: 180_000 });
      if (r.status !== 0) throw new Error(`${e.name}: docker-compose ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const up = [];
    const down = [];
    compose(['up', '-d']); // warm caches
    compose(['down', '-v', '-t', '1']);
    for (let i = 0; i < runs; i++) {
      up.push(compose(['up', '-d']));
      down.push(compose(['down', '-v', '-t', '1']));
    }
    return { up: median(up), down: median(down) };
  } finally {
    spawnSync('docker-compose', ['-p', 'bench', 'down', '-v', '-t', '0'], { cwd: projectDir, env: { ...env, DOCKER_HOST: `unix://${sock}` } });
    svc.kill('SIGTERM');
    await new Promise((r) => (svc.exitCode !== null ? r() : svc.once('exit', r)));
  }
}

const results = {};
try {
  for (const e of engines) {
    try {
      results[e.name] = await bench(e);
    } catch (err) {
      console.error(`bench: ${err.message.trim()}`);
    }
  }
} finally {
  for (const e of engines) run(e, ['rm', '-a', '-f', '-t', '0'], true);
  if (havePodman) run(engines[1], ['network', 'prune', '-f'], true);
  run(engines[0], ['network', 'prune', '-f'], true);
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir)).reverse())
    spawnSync('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
}

const fmt = (v) => (v === undefined ? 'failed' : `${v.toFixed(0)} ms`);
console.log(`rounds: ${runs}; docker-compose ${execFileSync('docker-compose', ['version', '--short']).toString().trim()}; podman: ${havePodman ? execFileSync('podman', ['--version']).toString().trim() : 'not installed'}`);
console.log(`${'measure'.padEnd(34)}${'tspod'.padStart(12)}${havePodman ? 'podman'.padStart(12) : ''}`);
for (const [label, key] of [
  ['docker-compose up -d (median)', 'up'],
  ['docker-compose down -v (median)', 'down'],
])
  console.log(`${label.padEnd(34)}${fmt(results.tspod?.[key]).padStart(12)}${havePodman ? fmt(results.podman?.[key]).padStart(12) : ''}`);
