#!/usr/bin/env node
// Benchmarks of the API service (`system service`) of tspod, side by side with
// `podman system service` when Podman is installed (runc, cgroupfs, file events,
// private --root/--runroot/--tmpdir under the bench's temp dir):
//   1. cold start: a fresh socket activation (systemd-socket-activate on a unix
//      socket) until the first `GET /_ping` has been answered, measured from the
//      client's connect() until the whole response is in; median of N runs.
//      The service is stopped by pid (SIGTERM, then waited for) after each run.
//   2. requests per second of `GET /_ping` and of `GET /containers/json?all=1`
//      (50 containers created beforehand) on a long-running service
//      (`--time 0`, unix socket), from C concurrent clients over keep-alive
//      connections (Node http.Agent keepAlive) for a fixed duration; both services
//      run at once and the rounds alternate between them, median of the rounds.
//   3. `docker run --rm IMAGE true` through the API (DOCKER_HOST=unix://...),
//      median wall time of N runs.
// The load generator is Node on the same machine, so it shares the CPUs with the
// service under test (alike for both engines).
// The machine is often shared: the load average is printed before and after.
// Usage: node scripts/bench-api.mjs [--runs N] [--duration S] [--rounds R] [--clients C]
//          [--containers K] [--docker-runs N] [--raw]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
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
const duration = arg('--duration', 5);
const clients = Math.min(arg('--clients', 4), 64);
const nContainers = Math.min(arg('--containers', 50), 500);
const dockerRuns = arg('--docker-runs', runs);
const rounds = arg('--rounds', 3); // throughput rounds per target and endpoint (interleaved), median reported

const rootfs = path.join(repo, 'test/fixtures/out/busybox-rootfs.tar');
const tspodBin = path.join(repo, 'dist/tspod');
for (const f of [rootfs, tspodBin]) {
  if (!fs.existsSync(f)) {
    console.error(`bench: ${f} is missing (npm run build; bash scripts/build-test-images.sh test/fixtures/out)`);
    process.exit(1);
  }
}
if (spawnSync('systemd-socket-activate', ['--version']).status !== 0) {
  console.error('bench: systemd-socket-activate is not installed');
  process.exit(1);
}
const haveDocker = spawnSync('docker', ['--version']).status === 0;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-api-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root' };
const IMAGE = 'localhost/busybox';
const started = new Set(); // child processes we started and that have not exited yet

const targets = [
  {
    name: 'tspod',
    admin: [tspodBin, '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`],
    activateEnv: [`PATH=${env.PATH}`],
  },
];
const havePodman = spawnSync('podman', ['--version']).status === 0;
if (havePodman) {
  const conf = path.join(dir, 'containers.conf');
  fs.writeFileSync(conf, '[engine]\nruntime="runc"\nevents_logger="file"\ncgroup_manager="cgroupfs"\n[containers]\ndefault_ulimits=["nofile=1024:1024","nproc=1024:1024"]\n');
  env.CONTAINERS_CONF = conf;
  fs.mkdirSync(`${dir}/p/tmp`, { recursive: true });
  targets.push({
    name: 'podman',
    admin: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--tmpdir', `${dir}/p/tmp`, '--storage-driver', 'overlay'],
    activateEnv: [`PATH=${env.PATH}`, `CONTAINERS_CONF=${conf}`],
  });
}

// ---- helpers ---------------------------------------------------------------

function admin(t, args, allowFail = false) {
  const r = spawnSync(t.admin[0], [...t.admin.slice(1), ...args], { env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`${t.name} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const median = (xs) => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function startChild(argv, opts = {}) {
  const c = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', opts.stderr ?? 'ignore'], ...opts });
  started.add(c);
  c.exited = new Promise((resolve) => c.on('exit', (code, sig) => (started.delete(c), resolve({ code, sig }))));
  c.on('error', () => started.delete(c));
  return c;
}

async function stop(c, graceMs = 10_000) {
  if (c.exitCode !== null || c.signalCode !== null) return;
  try {
    c.kill('SIGTERM');
  } catch {}
  const t = setTimeout(() => {
    try {
      c.kill('SIGKILL');
    } catch {}
  }, graceMs);
  await c.exited;
  clearTimeout(t);
}

async function waitFor(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** One raw GET /_ping on a fresh connection: resolves with ms from connect() until the full response is in. */
function rawPing(sock, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const s = net.connect({ path: sock });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (err, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      err ? reject(err) : resolve(v);
    };
    const timer = setTimeout(() => done(new Error('ping timed out')), timeoutMs);
    s.on('connect', () => s.write('GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n'));
    const complete = () => {
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0) return false;
      const head = buf.subarray(0, h).toString('latin1');
      if (!/^HTTP\/1\.[01] 200/.test(head)) return done(new Error(`ping: ${head.split('\r\n')[0]}`)), true;
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (cl) return buf.length - h - 4 >= Number(cl[1]);
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return buf.subarray(h + 4).includes('0\r\n\r\n');
      return false; // until close
    };
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (complete()) done(null, nowMs() - t0);
    });
    s.on('end', () => (buf.indexOf('\r\n\r\n') >= 0 ? done(null, nowMs() - t0) : done(new Error('ping: connection closed without a response'))));
    s.on('error', (e) => done(e));
  });
}

/** Whether a unix socket bound at `sock` is listening (/proc/net/unix flag __SO_ACCEPTCON). */
function listening(sock) {
  return fs
    .readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return f[7] === sock && (parseInt(f[3], 16) & 0x10000) !== 0;
    });
}

function serviceArgv(t, time, uri) {
  return [...t.admin, 'system', 'service', `--time=${time}`, ...(uri ? [uri] : [])];
}

// ---- 1. cold start ---------------------------------------------------------

async function coldStart(t) {
  const sock = path.join(dir, `${t.name}-act.sock`);
  fs.rmSync(sock, { force: true });
  const argv = ['systemd-socket-activate', '-l', sock, ...t.activateEnv.flatMap((e) => ['-E', e]), ...serviceArgv(t, 5)];
  const c = startChild(argv, { env: { PATH: env.PATH } });
  try {
    // Connecting is what activates, so wait (without connecting) until the activator listens.
    await waitFor(() => listening(sock), 10_000, `${sock} to listen`);
    return await rawPing(sock);
  } finally {
    // systemd-socket-activate execs the service in place at the first connection: same pid.
    await stop(c);
  }
}

// ---- 2. throughput ---------------------------------------------------------

function request(agent, sock, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { socketPath: sock, agent, method, path: p, headers: { Host: 'd', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) }, timeout: 60_000 },
      (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** CPU time (ms, user+system) used so far by process `pid` (threads included, children not). */
function cpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return NaN;
  }
}

async function throughput(sock, p, seconds, concurrency, pid) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  // Warm-up (connections, JIT), not counted.
  await Promise.all(Array.from({ length: concurrency }, () => request(agent, sock, 'GET', p)));
  let count = 0;
  let errors = 0;
  const cpu0 = cpuMs(pid);
  const self0 = process.cpuUsage();
  const t0 = nowMs();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nowMs() < end) {
        const r = await request(agent, sock, 'GET', p);
        if (r.status === 200) count++;
        else if (++errors > 100) throw new Error(`GET ${p}: status ${r.status}: ${r.body}`);
      }
    }),
  );
  const elapsed = (nowMs() - t0) / 1000;
  const self = process.cpuUsage(self0);
  agent.destroy();
  return {
    rps: count / elapsed,
    errors,
    usPerReq: ((cpuMs(pid) - cpu0) * 1000) / count, // service CPU per request
    clientCpu: (self.user + self.system) / 1e4 / elapsed, // load generator, % of one CPU
  };
}

/** Starts the long-running service of `t` on a unix socket and creates the containers to list. */
async function startService(t) {
  const sock = path.join(dir, `${t.name}-api.sock`);
  const c = startChild(serviceArgv(t, 0, `unix://${sock}`), { stderr: 'pipe' });
  let stderr = '';
  c.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  await waitFor(
    async () => {
      if (c.exitCode !== null) throw new Error(`${t.name} service exited: ${stderr}`);
      return fs.existsSync(sock) && rawPing(sock, 2000).then(() => true, () => false);
    },
    30_000,
    `${t.name} service`,
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < nContainers; i++) {
    const r = await request(agent, sock, 'POST', `/v1.41/containers/create?name=bench${i}`, { Image: IMAGE, Cmd: ['true'] });
    if (r.status !== 201) throw new Error(`${t.name} create: ${r.status} ${r.body}`);
  }
  const list = await request(agent, sock, 'GET', '/v1.41/containers/json?all=1');
  const n = JSON.parse(list.body.toString()).length;
  if (n !== nContainers) throw new Error(`${t.name}: ${n} containers listed, ${nContainers} expected`);
  agent.destroy();
  t.service = c;
  t.sock = sock;
}

/** `docker run --rm IMAGE true` against the service of `t`: wall ms. */
function dockerRun(t) {
  const t0 = nowMs();
  const r = spawnSync('docker', ['run', '--rm', IMAGE, 'true'], { env: { ...env, DOCKER_HOST: `unix://${t.sock}` }, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${t.name}: docker run: ${r.error?.message ?? r.stderr}`);
  return nowMs() - t0;
}

// ---- cleanup ---------------------------------------------------------------

function cleanupAll() {
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
      admin(t, ['rm', '-a', '-f', '-t', '0'], true);
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

// ---- main ------------------------------------------------------------------

const results = Object.fromEntries(targets.map((t) => [t.name, { cold: [], ping: [], pingCpu: [], pingClient: [], ps: [], psCpu: [], psClient: [], drun: [] }]));
console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
const nodeFloor = [];
let failed = false;
try {
  for (const t of targets) {
    admin(t, ['import', rootfs, IMAGE, '--change', 'CMD ["sh"]']);
    await coldStart(t); // warm caches (and first-use storage setup), not counted
  }
  // Interleave the targets so that drift on the machine hits both alike; the floor
  // of any Node service (`node -e 0`, spawn to exit) is sampled alongside.
  for (let i = 0; i < runs; i++) {
    for (const t of targets) results[t.name].cold.push(await coldStart(t));
    const t0 = nowMs();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore', env: { PATH: env.PATH } });
    nodeFloor.push(nowMs() - t0);
  }
  // Long-running services, both up at once so that the rounds can be interleaved.
  for (const t of targets) await startService(t);
  for (let i = 0; i < rounds; i++) {
    for (const [key, p] of [['ping', '/_ping'], ['ps', '/v1.41/containers/json?all=1']]) {
      for (const t of targets) {
        const r = await throughput(t.sock, p, duration, clients, t.service.pid);
        results[t.name][key].push(r.rps);
        results[t.name][`${key}Cpu`].push(r.usPerReq);
        results[t.name][`${key}Client`].push(r.clientCpu);
      }
    }
  }
  if (haveDocker) {
    for (const t of targets) dockerRun(t); // warm-up, not counted
    for (let i = 0; i < dockerRuns; i++) for (const t of targets) results[t.name].drun.push(dockerRun(t));
  }
  for (const t of targets) await stop(t.service);
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} catch (e) {
  failed = true;
  console.error(`bench: ${e.stack ?? e}`);
} finally {
  cleanupAll();
}

const rows = [
  [`cold start, socket activation to first /_ping (ms, median of ${runs})`, (r) => median(r.cold), 1, 'lower'],
  [`GET /_ping (req/s, ${clients} keep-alive clients, median of ${rounds} x ${duration} s)`, (r) => median(r.ping), 0, 'higher'],
  ['  service CPU per request (us)', (r) => median(r.pingCpu), 0],
  ['  load generator CPU (% of one CPU)', (r) => median(r.pingClient), 0],
  [`GET /containers/json?all=1, ${nContainers} containers (req/s, same)`, (r) => median(r.ps), 0, 'higher'],
  ['  service CPU per request (us)', (r) => median(r.psCpu), 0],
  ['  load generator CPU (% of one CPU)', (r) => median(r.psClient), 0],
  [`docker run --rm ${IMAGE} true (ms, median of ${dockerRuns})`, (r) => median(r.drun), 0, 'lower'],
];
const fmt = (v, d) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
const table = [['measure', 'tspod', 'podman', 'tspod/podman']];
for (const [label, get, d] of rows) {
  const a = get(results.tspod);
  const b = results.podman ? get(results.podman) : undefined;
  table.push([label, fmt(a, d), fmt(b, d), a !== undefined && b ? `${(a / b).toFixed(2)}x` : '-']);
}
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
for (const [i, r] of table.entries()) {
  console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(' | '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
}
if (nodeFloor.length) console.log(`\nfloor of a Node service: \`node -e 0\` spawn to exit, median of ${nodeFloor.length}: ${median(nodeFloor).toFixed(1)} ms`);
console.log(`targets: cold start tspod/podman <= 1.00x; req/s tspod/podman >= 2.00x`);
if (process.argv.includes('--raw')) console.log(JSON.stringify(results));
if (failed) process.exit(1);
