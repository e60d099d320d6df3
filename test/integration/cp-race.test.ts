// Issue 12, item 2 (CVE-2018-15664 class): a running container swaps a
// directory for a symlink to a host directory as fast as it can while tspod
// copies out of and into that directory (`cp` both ways and the Docker
// `PUT /containers/{id}/archive`). The host directory holds unique canary
// files: none may ever appear in a copy, and the directory must stay exactly
// as it was. The symlink points at the canary directory rather than at `/`
// so that a tspod without the fix leaks a few known files, not the whole host.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('cp-race');
const sock = path.join(env.dir, 'api.sock');
const svc = new ApiService(env, sock);
const ROUNDS = 25;
const FILES = 20;
const secret = `HOST-CANARY-${crypto.randomBytes(12).toString('hex')}`;
/** the host directory the container's symlink points at: never read, never written */
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-race-canary-'));
const names = Array.from({ length: FILES }, (_, i) => `f${i}`);
/** what the writes copy in: the canary names (replaced if written through) and many new names (each one more window) */
const planted = (prefix: string) => [...names, ...Array.from({ length: 200 }, (_, i) => `${prefix}${i}`)];

/** name -> content of every file under dir (relative names). */
function treeFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const n of fs.readdirSync(d)) {
      const p = path.join(d, n);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) walk(p, `${rel}${n}/`);
      else out.set(`${rel}${n}`, st.isFile() ? fs.readFileSync(p, 'utf8') : `<${st.mode.toString(8)}>`);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Whether copies reached the racing container at all (most fail part-way, which
 * is right: the directory keeps vanishing); without this the test could pass vacuously.
 */
function plantedInContainer(marker: string): boolean {
  // retried: the directory keeps moving under grep
  const places = '/dir /lnk /dir.real /dir/* /lnk/* /dir.real/*';
  for (let i = 0; i < 10; i++) {
    const r = env.run(['exec', 'racer', 'sh', '-c', `grep -rl '${marker}' ${places} 2>/dev/null | head -1`]);
    if (r.stdout.trim() !== '') return true;
  }
  return false;
}

function assertHostDirUntouched(): void {
  const now = treeFiles(hostDir);
  assert.deepEqual([...now.keys()].sort(), [...names].sort(), 'a file was created in or removed from the host directory');
  for (const n of names) assert.equal(now.get(n), `${secret} ${n}\n`, `host file ${n} was written`);
}

/**
 * A static racer that swaps two names atomically (renameat2 RENAME_EXCHANGE) in
 * a bounded tight loop: /dir is always there, a directory or the symlink, and
 * flips millions of times a second. Undefined when no static C toolchain is at
 * hand; the busybox loop below races then.
 */
function buildExchangeRacer(): string | undefined {
  const src = path.join(env.dir, 'xchg.c');
  const out = path.join(env.dir, 'xchg');
  fs.writeFileSync(
    src,
    '#define _GNU_SOURCE\n#include <fcntl.h>\n#include <stdio.h>\n' +
      'int main(int c, char **v) { for (long i = 0; i < 300000000L; i++) renameat2(AT_FDCWD, v[1], AT_FDCWD, v[2], RENAME_EXCHANGE); return 0; }\n',
  );
  const r = spawnSync('gcc', ['-static', '-O2', '-o', out, src], { encoding: 'utf8' });
  return r.status === 0 ? out : undefined;
}

before(async () => {
  for (const n of names) fs.writeFileSync(path.join(hostDir, n), `${secret} ${n}\n`);
  env.importTestImages();
  const racer = buildExchangeRacer();
  // /dir holds files of the same names as hostDir's; it is swapped for a symlink to hostDir and back, bounded.
  const swap = racer
    ? 'while [ ! -x /xchg ]; do usleep 20000; done; exec /xchg /dir /lnk'
    : // a directory most of the time, a symlink to the host directory in between (a /dir that tspod
      // made while the name was free is dropped, so the swap goes on)
      'i=0; while [ $i -lt 2000000 ]; do mv -T /dir /dir.real; mv -T /lnk /dir; mv -T /dir /lnk; ' +
      '{ [ -d /dir ] && [ ! -L /dir ] && rm -rf /dir; }; mv -T /dir.real /dir; usleep 100; i=$((i+1)); done 2>/dev/null';
  // the container's files have the host files' sizes: a size mismatch must not hide a leak
  const fill = 'C'.repeat(secret.length);
  const script = ['mkdir -p /dir', `for n in ${names.join(' ')}; do echo ${fill} $n > /dir/$n; done`, `ln -s ${hostDir} /lnk`, 'touch /ready', swap].join('; ');
  env.ok(['run', '-d', '--network', 'none', '--name', 'racer', 'localhost/busybox', 'sh', '-c', script]);
  for (let i = 0; i < 100 && env.run(['exec', 'racer', 'test', '-e', '/ready']).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  if (racer) env.ok(['cp', racer, 'racer:/xchg']);
  await svc.start();
});

after(async () => {
  await svc.stop();
  env.cleanup();
  fs.rmSync(hostDir, { recursive: true, force: true });
});

test('cp ctr:/dir HOST under a symlink race never reads a host file', () => {
  let copied = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const out = path.join(env.dir, `out-${i}`);
    const r = env.run(['cp', 'racer:/dir', out]);
    if (r.code === 0) copied++;
    const top = fs.lstatSync(out, { throwIfNoEntry: false });
    if (!top) continue;
    // /dir caught as the symlink is copied as a symlink (as docker cp does): its target is not content
    if (top.isDirectory())
      for (const [name, content] of treeFiles(out)) assert.ok(!content.includes(secret), `round ${i}: host file read into ${name}`);
    fs.rmSync(out, { recursive: true, force: true });
  }
  assertHostDirUntouched();
  assert.ok(copied > 0, 'no copy succeeded at all: the race test tested nothing');
});

test('cp HOST ctr:/dir under a symlink race never writes a host file', () => {
  const src = path.join(env.dir, 'src');
  fs.mkdirSync(src);
  for (const n of planted('w')) fs.writeFileSync(path.join(src, n), 'planted by cp\n');
  for (let i = 0; i < ROUNDS; i++) {
    env.run(['cp', `${src}/.`, 'racer:/dir']);
    env.run(['cp', src, 'racer:/dir']);
    assertHostDirUntouched();
  }
  assert.ok(plantedInContainer('planted by cp'), 'no copy reached the container: the race test tested nothing');
});

test('PUT /containers/{id}/archive under a symlink race never writes a host file', async () => {
  const src = path.join(env.dir, 'putsrc');
  fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
  for (const n of planted('p')) {
    fs.writeFileSync(path.join(src, n), 'planted by the API\n');
    fs.writeFileSync(path.join(src, 'sub', n), 'planted by the API\n');
  }
  const tarred = spawnSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 16 << 20 });
  assert.equal(tarred.status, 0);
  for (let i = 0; i < ROUNDS; i++) {
    await new Promise<number>((resolve, reject) => {
      const req = http.request({ socketPath: sock, path: '/v1.41/containers/racer/archive?path=/dir', method: 'PUT', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      // the service may answer an error and close before it has read the whole body
      req.on('socket', (sk) => sk.on('error', () => undefined)); // the same EPIPE, late, on the socket
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(0) : reject(e)));
      req.end(tarred.stdout);
    });
    assertHostDirUntouched();
  }
  assert.ok(plantedInContainer('planted by the API'), 'no PUT reached the container: the race test tested nothing');
});

test('export of the racing container never reads a host file', () => {
  const tarFile = path.join(env.dir, 'export.tar');
  let exported = 0;
  for (let i = 0; i < 10; i++) {
    if (env.run(['export', '-o', tarFile, 'racer']).code !== 0) continue;
    exported++;
    const content = spawnSync('tar', ['-xOf', tarFile], { maxBuffer: 64 << 20 }).stdout.toString('latin1');
    assert.ok(!content.includes(secret), `round ${i}: a host file was exported`);
    fs.rmSync(tarFile, { force: true });
  }
  assert.ok(exported > 0, 'no export succeeded: the test tested nothing');
});
