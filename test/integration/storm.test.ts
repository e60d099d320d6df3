// Start/stop/rm storms (issue 12, item 8): concurrent `start`, `stop -t 0`,
// `restart -t 0` and `rm -f` on the same containers, some on a bridge network
// with a published port (veths, iptables rules), some with --network=none.
// The same through the API service, where the racing requests share one process.
// Every command either succeeds or fails the way Podman does (no such
// container, container state improper) with Podman's exit code; whenever the
// storm has settled, only running containers hold a mount, a monitor, runc
// state, a veth; and after `rm -a -f` nothing of this store is left on the host.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import { spawnSync } from 'node:child_process';
import { TspodEnv, until } from '../helpers/tspod-env';
import { ApiService } from '../helpers/api-service';

const env = new TspodEnv('storm');
const NET = 'tnet-storm';
const SUBNET_PREFIX = '10.251.91.';
const SUBNET = `${SUBNET_PREFIX}0/24`;
const HOST_PORT = 28791;
/** A command line no other test uses, so the container processes can be found in /proc. */
const SLEEP = ['sleep', '7919'];
const CONTAINERS = [
  { name: 'storm-br0', args: ['--network', NET, '-p', `127.0.0.1:${HOST_PORT}:80`] },
  { name: 'storm-br1', args: ['--network', NET] },
  { name: 'storm-none0', args: ['--network=none'] },
  { name: 'storm-none1', args: ['--network=none'] },
];
const ROUNDS = Number(process.env.TSPOD_STORM_ROUNDS ?? 4); // more for a local soak
const OPS = ['start', 'start', 'stop', 'restart', 'rm'] as const;
type Op = (typeof OPS)[number];
const argsFor: Record<Op, (name: string) => string[]> = {
  start: (n) => ['start', n],
  stop: (n) => ['stop', '-t', '0', n],
  restart: (n) => ['restart', '-t', '0', n],
  rm: (n) => ['rm', '-f', '-t', '0', n],
};

interface Outcome {
  args: string[];
  code: number;
  stderr: string;
  ms: number;
}

function runAsync(args: string[]): Promise<Outcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = env.spawn(args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ args, code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stderr, ms: Date.now() - t0 });
    });
  });
}

/** Podman's answers when another command got there first: the message and the exit code per command. */
function expectedFailure(o: Outcome): boolean {
  const rm = o.args[0] === 'rm';
  const lines = o.stderr.trim().split('\n').filter((l) => l && !l.startsWith('WARN'));
  if (lines.length === 0) return false;
  return lines.every((l) => {
    if (/^Error: no container with (name or ID|ID) "?[\w-]+"? found: no such container$/.test(l)) return o.code === (rm ? 1 : 125);
    if (/^Error: .*container state improper$/.test(l)) return o.code === (rm ? 2 : 125);
    return false;
  });
}

// ---- what this store leaves on the host

interface Seen {
  ids: Set<string>;
  veths: Set<string>;
  ips: Set<string>;
  pids: Set<number>;
}
const seen: Seen = { ids: new Set(), veths: new Set(), ips: new Set(), pids: new Set() };

interface DbState {
  containers: Record<string, { id: string; state: { status: string; pid: number; conmonPid: number; endpoints?: Record<string, { hostVeth: string; ip: string }> } }>;
}

function readDb(): DbState {
  try {
    return JSON.parse(fs.readFileSync(path.join(env.root, 'db.json'), 'utf8')) as DbState;
  } catch {
    return { containers: {} };
  }
}

/** Remembers every id, veth, address and pid the store ever recorded (polled during the storm). */
function remember(): void {
  for (const c of Object.values(readDb().containers)) {
    seen.ids.add(c.id);
    for (const pid of [c.state.pid, c.state.conmonPid]) if (pid > 0) seen.pids.add(pid);
    for (const ep of Object.values(c.state.endpoints ?? {})) {
      seen.veths.add(ep.hostVeth);
      seen.ips.add(ep.ip);
    }
  }
}

const cmdline = (pid: number | string) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};
const procPids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
const isZombie = (pid: string) => {
  try {
    return /^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

/** Mount points under this env's directories. */
const mountsOfEnv = () =>
  fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(env.dir));
/** Monitors of this store: their argument (a JSON config) names our run root. */
const monitorsOfEnv = () => procPids().filter((p) => !isZombie(p) && cmdline(p).includes('tspod-conmon') && cmdline(p).includes(env.runroot));
/** The containers' own processes. */
const sleepersOfEnv = () => procPids().filter((p) => !isZombie(p) && cmdline(p) === `${SLEEP.join('\0')}\0`);
const runcStateDirs = () => {
  try {
    return fs.readdirSync(path.join(env.runroot, 'runtime')).filter((d) => /^[0-9a-f]{64}$/.test(d));
  } catch {
    return [];
  }
};
const hostLinks = () => spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
const linkNames = () => new Set([...hostLinks().matchAll(/^\d+: ([^:@]+)[@:]/gm)].map((m) => m[1]));
const iptablesRules = () => ['', '-t nat'].flatMap((t) => spawnSync('iptables-save', t ? t.split(' ') : [], { encoding: 'utf8' }).stdout.split('\n'));

/**
 * What a settled store must not have: anything of a container that is not
 * running (with `allGone`, anything at all). Returns the debris found.
 */
function debris(allGone: boolean): string[] {
  remember();
  const db = readDb();
  const running = Object.values(db.containers).filter((c) => c.state.status === 'running');
  const runningIds = new Set(allGone ? [] : running.map((c) => c.id));
  const runningVeths = new Set(allGone ? [] : running.flatMap((c) => Object.values(c.state.endpoints ?? {}).map((e) => e.hostVeth)));
  const runningPids = new Set(allGone ? [] : running.flatMap((c) => [c.state.pid, c.state.conmonPid]));
  const found: string[] = [];
  for (const m of mountsOfEnv()) {
    const id = /\/containers\/([0-9a-f]{64})\/merged$/.exec(m)?.[1];
    if (!id || !runningIds.has(id)) found.push(`mount ${m}`);
  }
  for (const pid of monitorsOfEnv()) if (!runningPids.has(Number(pid))) found.push(`monitor ${pid}`);
  for (const pid of sleepersOfEnv()) if (!runningPids.has(Number(pid))) found.push(`container process ${pid}`);
  for (const id of runcStateDirs()) if (!runningIds.has(id)) found.push(`runc state ${id}`);
  const links = linkNames();
  for (const v of seen.veths) if (links.has(v) && !runningVeths.has(v)) found.push(`veth ${v}`);
  if (allGone) {
    if (bridge && links.has(bridge)) found.push(`bridge ${bridge}`);
    for (const pid of seen.pids) if (cmdline(pid).includes(env.runroot) || cmdline(pid) === `${SLEEP.join('\0')}\0`) found.push(`process ${pid}`);
    const rules = iptablesRules();
    for (const r of rules) {
      if (r.includes(SUBNET_PREFIX) || r.includes(`:${HOST_PORT}`) || r.includes(` ${HOST_PORT} `)) found.push(`iptables ${r}`);
      for (const id of seen.ids) if (r.includes(id.slice(0, 16))) found.push(`iptables ${r}`);
    }
    for (const c of Object.values(db.containers)) found.push(`record ${c.id} ${c.state.status}`);
  }
  return found;
}

/** Waits (bounded) for the store to settle; returns what is still left behind, as one message. */
async function settled(allGone: boolean, what: string): Promise<string[]> {
  let last: string[] = [];
  try {
    await until(() => (last = debris(allGone)).length === 0, 20_000, 200);
    return [];
  } catch {
    return [`${what}: left behind\n  ${last.join('\n  ')}`];
  }
}

let bridge = '';
before(() => {
  env.importTestImages();
  env.ok(['network', 'create', '--subnet', SUBNET, NET]);
  bridge = env.ok(['network', 'inspect', '--format', '{{.NetworkInterface}}', NET]).trim();
});

after(() => {
  env.run(['rm', '-af', '-t', '0']);
  env.run(['network', 'rm', '-f', NET]);
  env.cleanup();
});

describe('start/stop/rm storms', () => {
  test(`${ROUNDS} rounds of concurrent start, stop, restart and rm -f leave nothing behind`, async () => {
    const unexpected: Outcome[] = [];
    const leftovers: string[] = [];
    const counts = { ok: 0, expected: 0 };
    const kinds = new Map<string, number>();
    const t0 = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const names = new Set(env.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean));
      for (const c of CONTAINERS) if (!names.has(c.name)) env.ok(['create', '--name', c.name, ...c.args, 'localhost/busybox', ...SLEEP]);
      if (round % 2 === 1) env.ok(['start', CONTAINERS[0].name, CONTAINERS[2].name]); // some storms begin on running containers
      remember();
      const poll = setInterval(remember, 50);
      const storm: Promise<Outcome>[] = [];
      CONTAINERS.forEach((c, i) => {
        // Each container gets every operation, in an order (and with delays) that differ per container and round.
        const order = OPS.map((op, j) => ({ op, key: (j * 7 + i * 3 + round * 5) % OPS.length, j }));
        order.sort((a, b) => a.key - b.key || a.j - b.j);
        order.forEach(({ op }, k) => {
          const delay = ((k * 3 + i + round) % 4) * 60;
          storm.push(new Promise((r) => setTimeout(r, delay)).then(() => runAsync(argsFor[op](c.name))));
        });
      });
      const outcomes = await Promise.all(storm);
      clearInterval(poll);
      for (const o of outcomes) {
        if (o.code === 0) counts.ok++;
        else if (expectedFailure(o)) {
          counts.expected++;
          const kind = `${o.args[0]} -> ${o.code}: ${o.stderr.trim().replace(/[0-9a-f]{64}|storm-\w+/g, 'X')}`;
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
        else unexpected.push(o);
      }
      leftovers.push(...(await settled(false, `after round ${round + 1}`)));
    }
    const stormMs = Date.now() - t0;
    env.ok(['rm', '-a', '-f', '-t', '0']);
    leftovers.push(...(await settled(true, 'after rm -a -f')));
    const detail = unexpected.map((o) => `tspod ${o.args.join(' ')} -> ${o.code} (${o.ms} ms): ${o.stderr.trim()}`).join('\n');
    assert.deepEqual(
      { unexpected: unexpected.length, leftovers },
      { unexpected: 0, leftovers: [] },
      `unexpected failures (${counts.ok} ok, ${counts.expected} expected failures):\n${detail}\n${leftovers.join('\n')}`,
    );
    assert.ok(counts.ok > ROUNDS * CONTAINERS.length, `most commands succeed (${counts.ok} ok)`);
    console.log(`# storm: ${ROUNDS} rounds in ${stormMs} ms, ${counts.ok} ok, ${counts.expected} expected failures`);
    for (const [k, n] of kinds) console.log(`#   ${n} x ${k}`);
  });

  test('the same storm through the Docker API in one service process: 404/409/304 only, nothing left behind', async () => {
    const sock = path.join(env.dir, 'api.sock');
    const svc = new ApiService(env, sock);
    await svc.start();
    const request = (method: string, p: string) =>
      new Promise<{ method: string; p: string; status: number; body: string }>((resolve) => {
        const req = http.request({ socketPath: sock, method, path: `/v1.41${p}`, timeout: 60_000 }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ method, p, status: res.statusCode ?? 0, body }));
        });
        req.on('error', (e) => resolve({ method, p, status: 0, body: e.message }));
        req.end();
      });
    const ops = [
      (n: string) => request('POST', `/containers/${n}/start`),
      (n: string) => request('POST', `/containers/${n}/start`),
      (n: string) => request('POST', `/containers/${n}/stop?t=0`),
      (n: string) => request('POST', `/containers/${n}/restart?t=0`),
      (n: string) => request('DELETE', `/containers/${n}?force=true`),
    ];
    const unexpected: string[] = [];
    const leftovers: string[] = [];
    try {
      for (let round = 0; round < 2; round++) {
        const names = new Set(env.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean));
        for (const c of CONTAINERS) if (!names.has(c.name)) env.ok(['create', '--name', c.name, ...c.args, 'localhost/busybox', ...SLEEP]);
        const poll = setInterval(remember, 50);
        const storm = CONTAINERS.flatMap((c, i) =>
          ops.map((op, j) => new Promise((r) => setTimeout(r, ((i + j * 3 + round) % 4) * 60)).then(() => op(c.name))),
        );
        const results = await Promise.all(storm);
        clearInterval(poll);
        for (const r of results) if (![200, 201, 204, 304, 404, 409].includes(r.status)) unexpected.push(`${r.method} ${r.p} -> ${r.status} ${r.body.trim()}`);
        leftovers.push(...(await settled(false, `after API round ${round + 1}`)));
      }
    } finally {
      await svc.stop();
    }
    env.ok(['rm', '-a', '-f', '-t', '0']);
    leftovers.push(...(await settled(true, 'after the API storm and rm -a -f')));
    assert.deepEqual({ unexpected, leftovers }, { unexpected: [], leftovers: [] });
  });
});
