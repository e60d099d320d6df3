#!/usr/bin/env node
// Pull benchmark: builds a multi-layer image (random data, gzip layers, >= 200 MB)
// straight into a private Debian `docker-registry` on 127.0.0.1, then times
// `tspod pull` (and `podman pull` when podman is installed) into fresh private
// stores, and prints MB/s of compressed bytes transferred and stored.
//   node scripts/bench-pull.mjs [--layers 8] [--layer-mib 30] [--runs 3]
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSPOD = path.join(root, 'dist', 'tspod.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const LAYERS = opt('layers', 8);
const LAYER_MIB = opt('layer-mib', 30);
const RUNS = opt('runs', 3);

const sha256 = (b) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function request(port, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: { 'Content-Length': body ? body.length : 0, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function uploadBlob(port, repo, data) {
  const digest = sha256(data);
  const start = await request(port, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const loc = new URL(start.headers.location, `http://127.0.0.1:${port}`);
  loc.searchParams.set('digest', digest);
  const put = await request(port, 'PUT', `${loc.pathname}${loc.search}`, data, { 'Content-Type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${put.body}`);
  return { digest, size: data.length };
}

/** A tar with one file of random bytes (ustar header written by hand). */
function layerTar(name, size) {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = (512 - (size % 512)) % 512;
  return Buffer.concat([header, crypto.randomBytes(size), Buffer.alloc(pad), Buffer.alloc(1024)]);
}

function podmanAvailable() {
  return spawnSync('podman', ['--version'], { encoding: 'utf8' }).status === 0;
}

function timeCommand(cmd, argv, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return secs;
}

function cleanupDir(dir) {
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!fs.existsSync(TSPOD)) throw new Error('dist/tspod.js is missing: run npm run build');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-bench-pull-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(work, 'registry.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${work}/registry\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const registry = spawn('/usr/bin/docker-registry', ['serve', path.join(work, 'registry.yml')], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await request(port, 'GET', '/v2/')).status === 200) break;
      } catch {
        if (i > 100) throw new Error('the registry did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Build and push the image.
    const repo = 'bench/big';
    const layers = [];
    const diffIds = [];
    let total = 0;
    const t0 = Date.now();
    for (let i = 0; i < LAYERS; i++) {
      const tarBytes = layerTar(`data/layer-${i}.bin`, LAYER_MIB << 20);
      diffIds.push(sha256(tarBytes));
      const gz = zlib.gzipSync(tarBytes, { level: 1 });
      const d = await uploadBlob(port, repo, gz);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...d });
      total += gz.length;
    }
    const config = Buffer.from(
      JSON.stringify({
        created: new Date().toISOString(),
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map(() => ({ created_by: 'bench layer' })),
      }),
    );
    const cd = await uploadBlob(port, repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cd },
        layers,
      }),
    );
    const put = await request(port, 'PUT', `/v2/${repo}/manifests/latest`, manifest, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
    if (put.status !== 201) throw new Error(`manifest: ${put.status} ${put.body}`);
    const mb = total / 1e6;
    const ref = `127.0.0.1:${port}/${repo}:latest`;
    console.log(`image ${ref}: ${LAYERS} gzip layers, ${mb.toFixed(1)} MB compressed (built in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const results = {};
    const tspodTimes = [];
    for (let r = 0; r < RUNS; r++) {
      const dir = fs.mkdtempSync(path.join(work, 'tspod-'));
      try {
        tspodTimes.push(timeCommand(process.execPath, [TSPOD, '--root', `${dir}/root`, '--runroot', `${dir}/run`, 'pull', '--tls-verify=false', '-q', ref], env));
      } finally {
        cleanupDir(dir);
      }
    }
    results.tspod = tspodTimes;
    if (podmanAvailable()) {
      const conf = path.join(work, 'containers.conf');
      fs.writeFileSync(conf, '[engine]\nruntime = "runc"\n');
      const podmanTimes = [];
      for (let r = 0; r < RUNS; r++) {
        const dir = fs.mkdtempSync(path.join(work, 'podman-'));
        try {
          podmanTimes.push(
            timeCommand('podman', ['--root', `${dir}/root`, '--runroot', `${dir}/run`, 'pull', '--tls-verify=false', '-q', ref], { ...env, CONTAINERS_CONF: conf }),
          );
        } finally {
          cleanupDir(dir);
        }
      }
      results.podman = podmanTimes;
    } else console.log('podman is not installed: no comparison');
    for (const [name, times] of Object.entries(results)) {
      const best = Math.min(...times);
      const med = median(times);
      console.log(
        `${name.padEnd(7)} pull: median ${med.toFixed(2)} s = ${(mb / med).toFixed(0)} MB/s, best ${best.toFixed(2)} s = ${(mb / best).toFixed(0)} MB/s  (runs: ${times.map((t) => t.toFixed(2)).join(', ')})`,
      );
    }
  } finally {
    registry.kill('SIGTERM');
    await new Promise((r) => registry.once('exit', r));
    cleanupDir(work);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
