#!/usr/bin/env node
// First-connection latency from zero (connect() until "ping\n" comes back,
// container start included), median over N runs, for:
//   1. `systemd-socket-activate -l 127.0.0.1:PORT tspod run --rm --network=none localhost/echo`
//   2. `tspod run -d --listen 127.0.0.1:PORT --network=none localhost/echo` (fresh container)
//   3. the same container re-activated after an idle stop (--idle-timeout 1)
// plus the RssAnon of the listener that holds the socket meanwhile.
// Usage: node scripts/bench-listen.mjs [--runs N]   (as root; needs systemd-socket-activate)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--runs');
const runs = i >= 0 && Number(process.argv[i + 1]) > 0 ? Number(process.argv[i + 1]) : 5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-listen-'));
const base = [path.join(repo, 'dist/tspod.js'), '--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run')];
const tspod = (...args) => {
  const r = spawnSync(process.execPath, [...base, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tspod ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let port = 40000 + (process.pid % 10000);

/** ms from connect() to the echo of "ping\n" */
function ping(p) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = net.connect(p, '127.0.0.1', () => s.write('ping\n'));
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (got === 'ping\n') {
        s.destroy();
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error('timeout')), 30_000).unref();
  });
}

async function until(fn, ms = 20_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (fn()) return;
  throw new Error('timed out');
}

try {
  tspod('import', path.join(repo, 'test/fixtures/out/echo-rootfs.tar'), 'localhost/echo', '--change', 'ENTRYPOINT ["/usr/local/bin/echo-server"]');
  const sysd = [];
  const listen = [];
  const rearmed = [];
  let rss = 0;
  for (let n = 0; n < runs; n++) {
    // 1. systemd-socket-activate
    const p1 = port++;
    const act = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${p1}`, '-E', `PATH=${process.env.PATH}`, process.execPath, ...base, 'run', '--rm', '--network=none', 'localhost/echo'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    act.stderr.on('data', (d) => (err += d));
    await until(() => err.includes('Listening on'));
    sysd.push(await ping(p1));
    const gone = new Promise((r) => act.on('exit', r));
    act.kill('SIGTERM');
    await gone;
    // 2. and 3. --listen
    const p2 = port++;
    tspod('run', '-d', '--name', `bl${n}`, '--network=none', '--listen', `127.0.0.1:${p2}`, '--idle-timeout', '1', 'localhost/echo');
    const id = tspod('inspect', '--format', '{{.Id}}', `bl${n}`);
    const db = JSON.parse(fs.readFileSync(path.join(dir, 'root', 'db.json'), 'utf8'));
    const lpid = db.containers[id].state.listenerPid;
    rss = Math.max(rss, Number(/RssAnon:\s+(\d+)/.exec(fs.readFileSync(`/proc/${lpid}/status`, 'utf8'))[1]));
    listen.push(await ping(p2));
    await until(() => tspod('inspect', '--format', '{{.State.Status}}', `bl${n}`) === 'listening');
    rearmed.push(await ping(p2));
    tspod('rm', '-f', `bl${n}`);
  }
  const f = (xs) => `${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
  console.log(`first-connection latency from zero, median of ${runs}:`);
  console.log(`  systemd-socket-activate ... tspod run --rm  ${f(sysd)}`);
  console.log(`  tspod run -d --listen (fresh)               ${f(listen)}`);
  console.log(`  tspod --listen after an idle stop           ${f(rearmed)}`);
  console.log(`listener (tspod-conmon --listen) RssAnon: ${rss} kB`);
} finally {
  spawnSync(process.execPath, [...base, 'rm', '-af', '-t', '0']);
  fs.rmSync(dir, { recursive: true, force: true });
}
