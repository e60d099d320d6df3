#!/usr/bin/env node
// How responsive the API service stays while it does lifecycle work: one client
// churns containers (create, start, DELETE ?force=1 through the libpod API, one
// after another) while another sends `GET /_ping` every 10 ms on a keep-alive
// connection; the ping latencies (p50, p99, max) show how long the service's
// event loop is held by synchronous work (runtime calls, file removal). The same
// with no churn gives the baseline. tspod and, when installed, Podman (runc,
// cgroupfs, private stores) side by side; the load average is printed.
// --clients N runs N churning clients at once (each its own connection), with
// inspect between start and rm, as the libpod API issue's mixed load asks.
// The pings come from processes of their own (not from behind the churning
// clients' event loop), and the service runs in a session of its own, as under
// systemd. Two ping clients at once: one at the default priority (what any
// client on the loaded machine sees, its own wait for a CPU included) and, when
// chrt can make it so, one real-time (SCHED_FIFO 1): its latencies are the
// service's part alone, for both engines alike. For tspod, the service's main thread's time on a CPU and its time
// waiting for one (runnable, from /proc/PID/task/PID/schedstat) during the churn
// tell event-loop work from the kernel's scheduling on a loaded machine.
// Usage: node scripts/bench-api-latency.mjs [--seconds S] [--clients N]   (NO_PODMAN=1: tspod alone)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const IMAGE = 'localhost/busybox';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function request(agent, sock, method, p) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path: p, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode >= 400 ? reject(new Error(`${method} ${p}: ${res.statusCode} ${body}`)) : resolve(body)));
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${p}: timeout`)));
    req.end(method === 'POST' && p.endsWith('/create') ? JSON.stringify({ image: IMAGE, command: ['sleep', '1000'], netns: { nsmode: 'none' } }) : undefined);
  });
}

async function pingLatencies(sock, stopAt) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const lat = [];
  while (Date.now() < stopAt) {
    const t0 = nowMs();
    await request(agent, sock, 'GET', '/_ping');
    lat.push(nowMs() - t0);
    await sleep(10);
  }
  agent.destroy();
  return lat;
}

if (process.argv[2] === '--pinger') {
  // the ping client's own process: pings SOCK until MS milliseconds have passed, prints the latencies
  const [sock, ms] = process.argv.slice(3);
  process.stdout.write(JSON.stringify(await pingLatencies(sock, Date.now() + Number(ms))));
  process.exit(0);
}

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--seconds');
const seconds = i >= 0 && Number(process.argv[i + 1]) > 0 ? Number(process.argv[i + 1]) : 10;
const ci = process.argv.indexOf('--clients');
const clients = ci >= 0 && Number(process.argv[ci + 1]) > 0 ? Math.floor(Number(process.argv[ci + 1])) : 1;
const rootfs = path.join(repo, 'test/fixtures/out/busybox-rootfs.tar');
const tspodBin = path.join(repo, 'dist/tspod');
for (const f of [rootfs, tspodBin]) {
  if (!fs.existsSync(f)) {
    console.error(`bench: ${f} is missing (npm run build; bash scripts/build-test-images.sh test/fixtures/out)`);
    process.exit(1);
  }
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-latency-'));
const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root' };
const targets = [{ name: 'tspod', admin: [tspodBin, '--root', `${dir}/t/root`, '--runroot', `${dir}/t/run`] }];
if (!process.env.NO_PODMAN && spawnSync('podman', ['--version']).status === 0) {
  const conf = path.join(dir, 'containers.conf');
  fs.writeFileSync(conf, '[engine]\nruntime="runc"\nevents_logger="file"\ncgroup_manager="cgroupfs"\n[containers]\ndefault_ulimits=["nofile=1024:1024","nproc=1024:1024"]\n');
  env.CONTAINERS_CONF = conf;
  fs.mkdirSync(`${dir}/p/tmp`, { recursive: true });
  targets.push({ name: 'podman', admin: ['podman', '--root', `${dir}/p/root`, '--runroot', `${dir}/p/run`, '--tmpdir', `${dir}/p/tmp`, '--storage-driver', 'overlay'] });
}

async function churn(sock, stopAt) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let cycles = 0;
  while (Date.now() < stopAt) {
    const { Id } = JSON.parse(await request(agent, sock, 'POST', '/v4.0.0/libpod/containers/create'));
    await request(agent, sock, 'POST', `/v4.0.0/libpod/containers/${Id}/start`);
    await request(agent, sock, 'GET', `/v4.0.0/libpod/containers/${Id}/json`);
    await request(agent, sock, 'DELETE', `/v4.0.0/libpod/containers/${Id}?force=true&timeout=0`);
    cycles++;
  }
  agent.destroy();
  return cycles;
}

/** Whether chrt can start a real-time process here (root, no RT-less cgroup). */
const realtimeOk = spawnSync('chrt', ['-f', '1', 'true']).status === 0;

/** The ping loop in a process of its own: its latencies are not held up by this process's churning clients. */
function pingerProcess(sock, ms, realtime = false) {
  return new Promise((resolve, reject) => {
    const argv = [process.execPath, fileURLToPath(import.meta.url), '--pinger', sock, String(ms)];
    if (realtime) argv.unshift('chrt', '-f', '1');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the ping process exited ${code}`))));
  });
}

/** A thread's time on a CPU and runnable waiting for one, from the kernel's schedstat (ns). */
function mainThreadSched(pid) {
  const [ran, waited] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { ranMs: ran / 1e6, waitedMs: waited / 1e6 };
}

const line = (label, xs) => `${label}: p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length} pings)`;

const services = [];
try {
  console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const t of targets) {
    const imp = spawnSync(t.admin[0], [...t.admin.slice(1), 'import', rootfs, IMAGE], { env, encoding: 'utf8' });
    if (imp.status !== 0) throw new Error(`${t.name} import: ${imp.stderr}`);
    const sock = path.join(dir, `${t.name}.sock`);
    // a session of its own, as a systemd unit has (and out of this process's autogroup)
    const svc = spawn(t.admin[0], [...t.admin.slice(1), 'system', 'service', '--time', '0', `unix://${sock}`], { env, stdio: 'ignore', detached: true });
    services.push(svc);
    for (let n = 0; n < 400 && !fs.existsSync(sock); n++) await sleep(25);
    const idle = await pingLatencies(sock, Date.now() + seconds * 500);
    const stopAt = Date.now() + seconds * 1000;
    const before = t.name === 'tspod' ? mainThreadSched(svc.pid) : undefined;
    const [busy, busyRt, ...counts] = await Promise.all([
      pingerProcess(sock, seconds * 1000),
      realtimeOk ? pingerProcess(sock, seconds * 1000, true) : Promise.resolve(undefined),
      ...Array.from({ length: clients }, () => churn(sock, stopAt)),
    ]);
    const cycles = counts.reduce((a, b) => a + b, 0);
    console.log(`${t.name}:`);
    console.log(`  ${line('idle service', idle)}`);
    console.log(`  ${line(`during churn by ${clients} client${clients === 1 ? '' : 's'}`, busy)}; ${cycles} create+start+inspect+rm cycles in ${seconds} s`);
    if (busyRt) console.log(`  ${line('  the same from a real-time ping client', busyRt)}`);
    if (before) {
      const after = mainThreadSched(svc.pid);
      console.log(`  the service's main thread during the churn: ${(after.ranMs - before.ranMs).toFixed(0)} ms on a CPU, ${(after.waitedMs - before.waitedMs).toFixed(0)} ms runnable waiting for one`);
    }
  }
  console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  for (const svc of services) {
    svc.kill('SIGTERM');
    await new Promise((r) => (svc.exitCode !== null ? r() : svc.on('exit', r)));
  }
  for (const t of targets) spawnSync(t.admin[0], [...t.admin.slice(1), 'rm', '-af', '-t', '0'], { env, stdio: 'ignore' });
  for (const t of targets) if (t.name === 'podman') spawnSync(t.admin[0], [...t.admin.slice(1), 'system', 'reset', '-f'], { env, stdio: 'ignore' });
  spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
  fs.rmSync(dir, { recursive: true, force: true });
}
