#!/usr/bin/env node
// Benchmarks of socket activation into a container, printed as medians over N
// fresh activations, for tspod, Podman (when installed; runc, cgroupfs, private
// storage) and the echo server run directly on the host (the baseline):
//   1. first-connection latency: from the client's connect() until "ping\n"
//      comes back, container start included (each activation is a fresh
//      `systemd-socket-activate -l 127.0.0.1:PORT ... run --rm --network=none localhost/echo`)
//   2. warm round trip: 1000 small request/response round trips on one
//      connection to the activated server, median per round trip
//   3. echo throughput: 200 MB pushed through one connection (written and read
//      concurrently)
// plus the teardown (SIGTERM to the activator's pid until it has exited) and the
// after-work (until no process started for the bench is left, e.g. `container cleanup`).
// Usage: node scripts/bench-activation.mjs [--runs N] [--mb MB] [--round-trips N]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : def;
};
const runs = arg('--runs', 10);
const megabytes = arg('--mb', 200);
const roundTrips = arg('--round-trips', 1000);
const MB = 1e6;

const rootfs = path.join(repo, 'test/fixtures/out/echo-rootfs.tar');
const hostServer = path.join(repo, 'test/fixtures/out/echo-server');
const tspodBin = path.join(repo, 'dist/tspod');
for (const f of [rootfs, hostServer, tspodBin]) {
  if (!fs.existsSync(f)) {
    console.error(`bench: ${f} is missing (npm run build; bash scripts/setup.sh)`);
    process.exit(1);
  }
}
if (spawnSync('systemd-socket-activate', ['--version']).status !== 0) {
  console.error('bench: systemd-socket-activate is not installed');
  process.exit(1);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-act-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root' };
const entrypoint = 'ENTRYPOINT ["/usr/local/bin/echo-server"]';
const started = new Set(); // activator processes we started and that have not exited yet

const targets = [];
targets.push({
  name: 'tspod',
  admin: [tspodBin, '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`],
  activated: (a) => [...a.admin, 'run', '--rm', '--network=none', 'localhost/echo'],
  passEnv: [`PATH=${env.PATH}`],
  prepare: (a) => admin(a, ['import', rootfs, 'localhost/echo', '--change', entrypoint]),
  cleanup: (a) => admin(a, ['rm', '-a', '-f', '-t', '0'], true),
});
const havePodman = spawnSync('podman', ['--version']).status === 0;
if (havePodman) {
  const conf = path.join(dir, 'containers.conf');
  // nproc too (as in bench-core.mjs): without it Podman asks runc for RLIMIT_NPROC
  // above the hard limit (no CAP_SYS_RESOURCE here) and the container fails with EPERM.
  fs.writeFileSync(conf, '[engine]\nruntime="runc"\nevents_logger="file"\ncgroup_manager="cgroupfs"\n[containers]\ndefault_ulimits=["nofile=1024:1024","nproc=1024:1024"]\n');
  env.CONTAINERS_CONF = conf;
  targets.push({
    name: 'podman',
    admin: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--storage-driver', 'overlay'],
    activated: (a) => [...a.admin, 'run', '--rm', '--network=none', 'localhost/echo'],
    passEnv: ['PATH', 'CONTAINERS_CONF'],
    prepare: (a) => admin(a, ['import', rootfs, 'localhost/echo', '--change', entrypoint]),
    cleanup: (a) => admin(a, ['rm', '-a', '-f', '-t', '0'], true),
  });
}
targets.push({ name: 'host', activated: () => [hostServer], passEnv: [`PATH=${env.PATH}`], prepare() {}, cleanup() {} });

function admin(t, args, allowFail = false) {
  const r = spawnSync(t.admin[0], [...t.admin.slice(1), ...args], { env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`${t.name} ${args.join(' ')}: ${r.error ?? ''}${r.stderr}`);
  return r.stdout;
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : undefined;
};
const withTimeout = (p, ms, what) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });

// Starts systemd-socket-activate on a random free high port on 127.0.0.1 and
// resolves once it listens. The command is exec'd only at the first connection.
async function startActivator(t) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000); // below the ephemeral range
    const argv = ['-l', `127.0.0.1:${port}`, ...t.passEnv.flatMap((e) => ['-E', e]), ...t.activated(t)];
    const child = spawn('systemd-socket-activate', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    const a = { child, port, out: '', exited: null };
    a.exit = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        started.delete(child);
        a.exited = { code, signal, at: now() };
        resolve(a.exited);
      }),
    );
    child.stdout.on('data', (d) => (a.out += d));
    const listening = new Promise((resolve) => {
      child.stderr.on('data', (d) => {
        a.out += d;
        if (/Listening on/.test(a.out)) resolve(true);
      });
      a.exit.then(() => resolve(false));
    });
    const ok = await withTimeout(listening, 5000, 'systemd-socket-activate listening').catch(() => false);
    if (ok) return a;
    await stopActivator(a, true);
  }
  throw new Error('could not start systemd-socket-activate on a free port');
}

// SIGTERM to the activator's pid (which by now is the exec'd engine or server),
// bounded wait; SIGKILL as a last resort. Returns the teardown time in ms.
async function stopActivator(a, quiet = false) {
  if (a.exited) return 0;
  const t0 = now();
  a.child.kill('SIGTERM');
  let r = await withTimeout(a.exit, 30_000, 'activator exit after SIGTERM').catch(() => null);
  if (!r) {
    a.child.kill('SIGKILL');
    await withTimeout(a.exit, 5000, 'activator exit after SIGKILL').catch(() => null);
    if (!quiet) throw new Error(`pid ${a.child.pid} did not exit within 30 s of SIGTERM:\n${a.out}`);
    return undefined;
  }
  if (!quiet && (r.code !== 0 || r.signal)) console.error(`bench: warning: pid ${a.child.pid} exited with ${r.code ?? r.signal}:\n${a.out}`);
  return r.at - t0;
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// First connection: connect(), write "ping\n", wait for "ping\n".
function firstConnection(port) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let got = '';
    s.once('connect', () => s.write('ping\n'));
    s.on('error', reject);
    s.on('data', function onData(d) {
      got += d;
      if (got === 'ping\n') {
        s.off('data', onData);
        resolve({ ms: now() - t0, socket: s });
      } else if (!'ping\n'.startsWith(got)) reject(new Error(`unexpected echo ${JSON.stringify(got)}`));
    });
    s.once('end', () => reject(new Error(`connection closed before the echo (got ${JSON.stringify(got)})`)));
  });
}

// n request/response round trips of a small message; median per round trip in us.
function roundTripsOn(s, n) {
  return new Promise((resolve, reject) => {
    const msg = Buffer.from('ping\n');
    const samples = [];
    let got = 0;
    let t0 = 0;
    const send = () => {
      got = 0;
      t0 = process.hrtime.bigint();
      s.write(msg);
    };
    s.on('error', reject);
    s.on('data', (d) => {
      got += d.length;
      if (got < msg.length) return;
      if (got > msg.length) return reject(new Error('echo longer than the request'));
      samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
      if (samples.length === n) {
        s.removeAllListeners('data');
        resolve(median(samples));
      } else send();
    });
    send();
  });
}

// Pushes total bytes through one connection, writing and reading concurrently; MB/s.
function throughput(s, total) {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    let received = 0;
    const t0 = now();
    s.on('error', reject);
    s.on('data', (d) => {
      received += d.length;
      if (received >= total) {
        const ms = now() - t0;
        resolve(received / MB / (ms / 1000));
      }
    });
    s.once('end', () => received < total && reject(new Error(`connection closed after ${received} of ${total} bytes`)));
    const pump = () => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump);
      }
    };
    pump();
  });
}

async function activation(t, full) {
  const a = await startActivator(t);
  const r = {};
  try {
    const first = await withTimeout(firstConnection(a.port), 60_000, `${t.name}: first echo`);
    r.first = first.ms;
    if (full) {
      r.rtt = await withTimeout(roundTripsOn(first.socket, roundTrips), 60_000, `${t.name}: round trips`);
      const s2 = await withTimeout(connect(a.port), 10_000, `${t.name}: second connection`);
      r.mbps = await withTimeout(throughput(s2, megabytes * MB), 300_000, `${t.name}: throughput`);
      s2.destroy();
    }
    first.socket.destroy();
  } catch (e) {
    await stopActivator(a, true);
    throw new Error(`${e.message}\n--- output of the activated command ---\n${a.out}`);
  }
  r.stop = await stopActivator(a);
  r.after = await settle(`${t.name}${full ? '' : ' (warm-up)'}`);
  return r;
}

// Lets the engines' asynchronous after-work (monitors, exit commands such as
// `container cleanup`) finish before the next measurement, so that it does not
// load the CPU during someone else's figures. Bounded.
async function settle(what) {
  const t0 = now();
  for (let i = 0; i < 300 && strays().length; i++) await new Promise((r) => setTimeout(r, 10));
  const ms = now() - t0;
  const left = strays();
  if (left.length) {
    // Seen with Podman now and then: a conmon whose container stays "Initialized".
    console.error(`bench: warning: killing processes left ${Math.round(ms)} ms after the ${what} activation: ${left.map(describe).join('; ')}`);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  await new Promise((r) => setTimeout(r, 100));
  return ms;
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
// Processes that name the bench dir on their command line: started (through the
// engines) by this bench, e.g. a monitor left behind by an interrupted run.
const strays = () =>
  fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);

const describe = (pid) => {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' ')}`;
  } catch {
    return String(pid);
  }
};

function cleanupAll() {
  // Activators still running (interrupted or failed run): SIGTERM first so the
  // engine can tear its container down, SIGKILL after a bounded wait.
  for (const c of started) {
    try {
      c.kill('SIGTERM');
    } catch {}
  }
  for (let i = 0; i < 100 && [...started].some((c) => alive(c.pid)); i++) sleepSync(50);
  for (const c of started) {
    try {
      if (alive(c.pid)) c.kill('SIGKILL');
    } catch {}
  }
  for (const t of targets) {
    try {
      t.cleanup(t);
    } catch {}
  }
  for (const pid of strays()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')))
    .reverse();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    console.error(`bench: could not remove ${dir}: ${e.message}`);
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });
}

const results = Object.fromEntries(targets.map((t) => [t.name, { first: [], rtt: [], mbps: [], stop: [], after: [] }]));
let failed = false;
try {
  for (const t of targets) {
    t.prepare(t);
    await activation(t, false); // warm caches, not counted
  }
  // Interleave the targets so that drift on the machine hits all of them alike.
  for (let i = 0; i < runs; i++) {
    for (const t of targets) {
      const r = await activation(t, true);
      for (const k of Object.keys(r)) results[t.name][k].push(r[k]);
    }
  }
} catch (e) {
  failed = true;
  console.error(`bench: ${e.stack ?? e}`);
} finally {
  cleanupAll();
}
if (failed) process.exit(1);

const med = (name, key) => median(results[name]?.[key] ?? []);
const rows = [
  ['first-connection latency (ms)', 'first', 1],
  [`warm round trip, ${roundTrips} on one connection (us)`, 'rtt', 1],
  [`echo throughput, ${megabytes} MB one connection (MB/s)`, 'mbps', 0],
  ['teardown: SIGTERM until exit (ms)', 'stop', 0],
  ['after-work: exit until no engine process left (ms)', 'after', 0],
];
const ratio = (a, b) => (a !== undefined && b ? `${(a / b).toFixed(2)}x` : '-');
const cols = ['tspod', 'podman', 'host', 'tspod/podman', 'tspod/host', 'podman/host'];
console.log(
  `activations per figure: ${runs} (medians; +1 warm-up each); runtime: runc; ` +
    `podman: ${havePodman ? execFileSync('podman', ['--version']).toString().trim() : 'not installed'}; MB = 10^6 bytes`,
);
console.log(`${'measure'.padEnd(48)}${cols.map((c) => c.padStart(13)).join('')}`);
for (const [label, key, digits] of rows) {
  const t = med('tspod', key);
  const p = med('podman', key);
  const h = med('host', key);
  const f = (v) => (v === undefined ? '-' : v.toFixed(digits));
  console.log(`${label.padEnd(48)}${[f(t), f(p), f(h), ratio(t, p), ratio(t, h), ratio(p, h)].map((c) => c.padStart(13)).join('')}`);
}
console.log('first-connection samples (ms):');
for (const t of targets) console.log(`  ${t.name.padEnd(7)} ${results[t.name].first.map((v) => v.toFixed(0)).join(' ')}`);
