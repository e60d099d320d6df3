#!/usr/bin/env node
// Benchmarks of rootless tspod, side by side with rootless Podman (when
// installed), both run by a user made for the bench (useradd, a subordinate
// id range in /etc/subuid and /etc/subgid, its own XDG_RUNTIME_DIR), medians
// of N runs, wall time of the whole command:
//   1. `run --rm --network=none IMAGE true`
//   2. `run --rm IMAGE true` on the default network (slirp4netns for both)
//   3. a published port: `run -d -p PORT:80 IMAGE httpd` until the first HTTP
//      answer on 127.0.0.1:PORT (then `rm -f`)
//   4. socket activation: first-connection latency through
//      `systemd-socket-activate -l 127.0.0.1:PORT ... run --rm --network=none echo`,
//      from the client's connect() until its line comes back
// Needs root (to make the user); /dev/net/tun is made 0666 for the bench when
// it is not, and restored. The user and everything it ran are removed at the end.
// Usage: sudo node scripts/bench-rootless.mjs [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--runs');
const runs = i >= 0 && Number(process.argv[i + 1]) > 0 ? Number(process.argv[i + 1]) : 10;
const tspodBin = path.join(repo, 'dist/tspod');
const fixtures = path.join(repo, 'test/fixtures/out');
for (const f of [tspodBin, path.join(fixtures, 'busybox-rootfs.tar'), path.join(fixtures, 'echo-rootfs.tar')])
  if (!fs.existsSync(f)) {
    console.error(`bench: ${f} is missing (npm run build; bash scripts/setup.sh)`);
    process.exit(1);
  }
if (process.getuid() !== 0) {
  console.error('bench: run as root (it makes a user for the rootless runs)');
  process.exit(1);
}
const podman = spawnSync('podman', ['--version']).status === 0;
const socketActivate = spawnSync('systemd-socket-activate', ['--version']).status === 0;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a');

// ---- the user
const name = `tsbench${process.pid % 100000}`;
const tunMode = fs.statSync('/dev/net/tun').mode & 0o7777;
let user;
let work;

function makeUser() {
  const add = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`useradd: ${add.stderr}`);
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout);
  const home = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.trim().split(':')[5];
  const taken = ['/etc/subuid', '/etc/subgid'].flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n') : [])).map((l) => l.split(':')).filter((f) => f.length === 3 && f[0] !== name);
  const start = Math.max(300000, ...taken.map(([, s, c]) => Number(s) + Number(c)));
  dropRanges();
  for (const f of ['/etc/subuid', '/etc/subgid']) fs.appendFileSync(f, `${name}:${start}:65536\n`);
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), `xdg-${name}-`));
  fs.chownSync(runtimeDir, uid, gid);
  fs.chmodSync(runtimeDir, 0o700);
  return { uid, gid, home, runtimeDir };
}

function dropRanges() {
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    if (!fs.existsSync(f)) continue;
    const kept = fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith(`${name}:`));
    fs.writeFileSync(f, kept.map((l) => `${l}\n`).join(''));
  }
}

function userPids() {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return fs.statSync(`/proc/${d}`).uid === user.uid;
    } catch {
      return false;
    }
  }).map(Number);
}

function removeUser() {
  for (let round = 0; round < 20 && userPids().length; round++) {
    for (const pid of userPids())
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    spawnSync('sleep', ['0.1']);
  }
  spawnSync('userdel', ['--remove', name]);
  dropRanges();
  if (user.home?.startsWith('/home/')) fs.rmSync(user.home, { recursive: true, force: true, maxRetries: 5 });
  fs.rmSync(user.runtimeDir, { recursive: true, force: true });
}

const userEnv = () => ['env', '-i', `HOME=${user.home}`, `USER=${name}`, `PATH=${process.env.PATH}`, `XDG_RUNTIME_DIR=${user.runtimeDir}`];
const engines = () => [['tspod', [tspodBin]], ...(podman ? [['podman', ['podman']]] : [])];

function asUser(cmd, args, timeout = 120_000) {
  return spawnSync('runuser', ['-u', name, '--', ...userEnv(), ...cmd, ...args], { encoding: 'utf8', timeout, cwd: '/' });
}

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = asUser(cmd, args);
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return dt;
}

function freePort(base) {
  const used = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6'])
    for (const l of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = l.trim().split(/\s+/);
      if (c.length > 3) used.add(parseInt(c[1].split(':')[1], 16));
    }
  for (let p = base; p < base + 100; p++) if (!used.has(p)) return p;
  throw new Error('no free port');
}

function httpOnce(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (data += d));
    s.on('end', () => done(/bench-ok/.test(data)));
    s.on('error', () => done(false));
  });
}

async function publishedPort(cmd) {
  const port = freePort(41750);
  const t0 = process.hrtime.bigint();
  const r = asUser(cmd, ['run', '-d', '--name', 'bench-web', '-p', `${port}:80`, 'localhost/busybox', 'sh', '-c', 'echo bench-ok > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
  if (r.status !== 0) throw new Error(`run -p: ${r.stderr}`);
  let ok = false;
  for (let i = 0; i < 400 && !ok; i++) ok = await httpOnce(port);
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  asUser(cmd, ['rm', '-f', '-t', '0', 'bench-web']);
  if (!ok) throw new Error('the published port never answered');
  return dt;
}

async function activation(cmd) {
  const port = freePort(41780);
  const child = spawn('runuser', ['-u', name, '--', ...userEnv(), 'systemd-socket-activate', '-l', `127.0.0.1:${port}`, '-E', 'XDG_RUNTIME_DIR', ...cmd, 'run', '--rm', '--network=none', 'localhost/echo'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 200 && !/Listening on/.test(err); i++) await new Promise((r) => setTimeout(r, 25));
  const t0 = process.hrtime.bigint();
  const got = await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.setTimeout(30_000, () => s.destroy());
    s.on('connect', () => s.write('ping\n'));
    s.on('data', (d) => {
      data += d;
      if (data.includes('\n')) {
        s.end();
        resolve(true);
      }
    });
    s.on('close', () => resolve(data.includes('\n')));
    s.on('error', () => resolve(false));
  });
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  child.kill('SIGTERM');
  for (let i = 0; i < 400 && child.exitCode === null && child.signalCode === null; i++) await new Promise((r) => setTimeout(r, 25));
  if (!got) throw new Error(`no echo through the activated socket: ${err}`);
  return dt;
}

async function main() {
  if (tunMode !== 0o666) fs.chmodSync('/dev/net/tun', 0o666);
  user = makeUser();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-rl-'));
  fs.chmodSync(work, 0o755);
  for (const f of ['busybox-rootfs.tar', 'echo-rootfs.tar']) {
    fs.copyFileSync(path.join(fixtures, f), path.join(work, f));
    fs.chmodSync(path.join(work, f), 0o644);
  }
  console.log(`rootless benchmarks as ${name} (uid ${user.uid}), ${runs} runs each, median wall time; load ${os.loadavg()[0].toFixed(2)}`);
  const results = {};
  for (const [engine, cmd] of engines()) {
    const imp = (tar, ref, change) => {
      const r = asUser(cmd, ['import', ...(change ? ['--change', change] : []), path.join(work, tar), ref]);
      if (r.status !== 0) throw new Error(`${engine} import: ${r.stderr}`);
    };
    imp('busybox-rootfs.tar', 'localhost/busybox');
    imp('echo-rootfs.tar', 'localhost/echo', 'ENTRYPOINT ["/usr/local/bin/echo-server"]');
    const row = (results[engine] = {});
    const measure = async (label, fn) => {
      const xs = [];
      try {
        timed(cmd, ['run', '--rm', '--network=none', 'localhost/busybox', 'true']); // warm-up (pause process, caches)
        for (let n = 0; n < runs; n++) xs.push(await fn());
        row[label] = median(xs);
      } catch (e) {
        row[label] = NaN;
        console.error(`${engine} ${label}: ${e.message.split('\n')[0]}`);
      }
    };
    await measure('run --rm --network=none true', () => timed(cmd, ['run', '--rm', '--network=none', 'localhost/busybox', 'true']));
    await measure('run --rm true (slirp4netns)', () => timed(cmd, ['run', '--rm', 'localhost/busybox', 'true']));
    await measure('run -d -p, first HTTP answer', () => publishedPort(cmd));
    if (socketActivate) await measure('socket activation, first connection', () => activation(cmd));
    asUser(cmd, ['rm', '-af', '-t', '0']);
  }
  const labels = [...new Set(Object.values(results).flatMap((r) => Object.keys(r)))];
  const names = Object.keys(results);
  console.log(['measure'.padEnd(40), ...names.map((n) => n.padStart(10))].join(''));
  for (const l of labels) console.log([l.padEnd(40), ...names.map((n) => ms(results[n][l]).padStart(10))].join(''));
}

try {
  await main();
} finally {
  if (user) removeUser();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  fs.chmodSync('/dev/net/tun', tunMode);
}
