// Scale to zero without systemd: `run/create --listen ADDR [--idle-timeout S]`.
// A real echo server (it accepts on LISTEN_FDS fd 3) and socat clients: the
// listener holds the socket, the first connection starts the container on that
// very socket, an idle container is stopped and the socket re-armed, and no
// connection is ever refused or lost across those cycles.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv, sleep, until } from '../helpers/tspod-env';

const env = new TspodEnv('listen');
const sockDir = fs.mkdtempSync(path.join('/tmp', 'tspod-listen-'));
before(() => env.importTestImages());
after(() => {
  env.cleanup();
  fs.rmSync(sockDir, { recursive: true, force: true });
});

let nextPort = 30000 + (process.pid % 20000);
const port = () => nextPort++;

function socat(address: string, input: string): { out: string; err: string; code: number } {
  const r = spawnSync('socat', ['-t', '5', '-T', '10', '-', address], { input, encoding: 'utf8', timeout: 30_000 });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

const status = (name: string) => env.ok(['inspect', '--format', '{{.State.Status}}', name]).trim();
const activations = (name: string) => Number(env.ok(['inspect', '--format', '{{.State.Activations}}', name]).trim());
const psStatus = (name: string) => env.ok(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']).trim();

function listenerPid(name: string): number {
  const id = env.ok(['inspect', '--format', '{{.Id}}', name]).trim();
  const db = JSON.parse(fs.readFileSync(path.join(env.root, 'db.json'), 'utf8')) as { containers: Record<string, { state: { listenerPid?: number } }> };
  return db.containers[id].state.listenerPid ?? 0;
}

/** inode of the TCP socket listening on port p (LISTEN state), from /proc/net/tcp */
function listeningInode(p: number): string | undefined {
  const hex = p.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6'])
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') return cols[9];
    }
  return undefined;
}

function holds(pid: number, inode: string): number[] {
  const fds: number[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`))
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) fds.push(Number(fd));
    } catch {
      /* closed meanwhile */
    }
  return fds;
}

function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) out[e.slice(0, e.indexOf('='))] = e.slice(e.indexOf('=') + 1);
  return out;
}

/** A zombie (not reaped yet by whoever inherited it) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('--listen', () => {
  test('bad addresses and flag combinations: exit 125, a clear error, nothing created', () => {
    for (const addr of ['0', '65536', 'abc', '1.2.3:80', '127.0.0.1:', '[::1]:x', '[zz]:80', 'relative/path', `/${'x'.repeat(120)}`, '127.0.0.1:80:1']) {
      const r = env.run(['create', '--name', 'bad', '--listen', addr, 'localhost/echo']);
      assert.equal(r.code, 125, `${addr}: ${r.stderr}`);
      assert.match(r.stderr, /invalid --listen address/, addr);
    }
    const cases: [string[], RegExp][] = [
      [['create', '--idle-timeout', '5', 'localhost/echo'], /--idle-timeout needs --listen/],
      [['create', '--listen', '8080', '--idle-timeout', '-1', 'localhost/echo'], /invalid --idle-timeout/],
      [['create', '--listen', '8080', '--listen', '8080', 'localhost/echo'], /given twice/],
      [['run', '--listen', '8080', 'localhost/echo'], /--listen needs --detach/],
      [['run', '-d', '--rm', '--listen', '8080', 'localhost/echo'], /--rm and --listen/],
    ];
    for (const [args, msg] of cases) {
      const r = env.run(args);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    assert.equal(env.ok(['ps', '-aq']).trim(), '', 'no container was created');
  });

  test('run -d returns at once; the first connection starts the container on the very socket', () => {
    const p = port();
    const t0 = Date.now();
    env.ok(['run', '-d', '--name', 'first', '--network=none', '--listen', `127.0.0.1:${p}`, 'localhost/echo']);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(status('first'), 'listening');
    assert.match(psStatus('first'), /^Listening/);
    assert.equal(activations('first'), 0);
    const lpid = listenerPid('first');
    const inode = listeningInode(p);
    assert.ok(inode, 'the port listens');
    assert.deepEqual(holds(lpid, inode), [3], 'the listener holds the socket as fd 3');
    const rss = /RssAnon:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${lpid}/status`, 'utf8'));
    assert.ok(rss && Number(rss[1]) <= 8 * 1024, `listener RssAnon ${rss?.[1]} kB`);

    assert.equal(socat(`tcp4:127.0.0.1:${p}`, 'hello\n').out, 'hello\n');
    assert.equal(status('first'), 'running');
    assert.equal(activations('first'), 1);
    const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'first']).trim());
    assert.deepEqual(holds(pid, inode), [3], 'the container accepts on the same socket (no proxy)');
    const cenv = environOf(pid);
    assert.equal(cenv.LISTEN_FDS, '1');
    assert.equal(cenv.LISTEN_PID, '1');
    assert.equal(cenv.LISTEN_FDNAMES, undefined);
    env.ok(['rm', '-f', '-t', '0', 'first']);
    assert.equal(listeningInode(p), undefined);
  });

  test('idle stop and re-arm: a connection every 200 ms across idle cycles, none refused or lost', async () => {
    const p = port();
    env.ok(['run', '-d', '--name', 'idle', '--network=none', '--listen', `127.0.0.1:${p}`, '--idle-timeout', '1', 'localhost/echo']);
    assert.equal(socat(`tcp4:127.0.0.1:${p}`, 'one\n').out, 'one\n');
    await until(() => status('idle') === 'listening', 15_000, 100);
    assert.match(psStatus('idle'), /^Listening/);
    assert.equal(activations('idle'), 1);

    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 40_000;
    let n = 0;
    while (Date.now() < deadline && (activations('idle') < 4 || n < 20)) {
      const msg = `ping ${n++}\n`;
      const r = socat(`tcp4:127.0.0.1:${p}`, msg);
      if (r.out === msg) ok++;
      else failures.push(`${msg.trim()}: code ${r.code} out ${JSON.stringify(r.out)} ${r.err.trim()}`);
      await sleep(200);
    }
    assert.deepEqual(failures, [], 'no refused or failed round trip');
    assert.ok(activations('idle') >= 4, `at least 3 idle stops and restarts (activations ${activations('idle')}, ${ok} round trips)`);
    env.ok(['rm', '-f', '-t', '0', 'idle']);
  });

  test('a container that exits on its own re-arms the listener', async () => {
    const p = port();
    env.ok(['run', '-d', '--name', 'exits', '--network=none', '--listen', `127.0.0.1:${p}`, 'localhost/echo']);
    assert.equal(socat(`tcp4:127.0.0.1:${p}`, 'a\n').out, 'a\n');
    env.ok(['kill', 'exits']);
    await until(() => status('exits') === 'listening', 15_000, 100);
    assert.equal(socat(`tcp4:127.0.0.1:${p}`, 'b\n').out, 'b\n');
    assert.equal(activations('exits'), 2);
    env.ok(['rm', '-f', '-t', '0', 'exits']);
  });

  test('create + start, a unix socket and a second address in --listen order; stop closes, start re-arms, rm -f cleans up', () => {
    const p = port();
    const sock = path.join(sockDir, 'echo.sock');
    env.ok(['create', '--name', 'two', '--network=none', '--listen', sock, '--listen', `[::1]:${p}`, 'localhost/echo']);
    assert.equal(status('two'), 'created');
    assert.ok(!fs.existsSync(sock));
    env.ok(['start', 'two']);
    assert.equal(status('two'), 'listening');
    assert.ok(fs.lstatSync(sock).isSocket());
    // the echo server serves fd 3 (the first --listen); the second is fd 4, held too
    assert.equal(socat(`unix-connect:${sock}`, 'unix\n').out, 'unix\n');
    const pid = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'two']).trim());
    assert.equal(environOf(pid).LISTEN_FDS, '2');
    const inode6 = listeningInode(p);
    assert.ok(inode6);
    assert.deepEqual(holds(pid, inode6), [4]);
    const lpid = listenerPid('two');

    env.ok(['stop', 'two']);
    assert.ok(!alive(lpid), 'the listener is gone');
    assert.equal(listeningInode(p), undefined, 'the TCP port refuses');
    assert.ok(!fs.existsSync(sock), 'the unix socket is removed');
    assert.notEqual(socat(`tcp6:[::1]:${p}`, 'x\n').code, 0);
    assert.match(psStatus('two'), /^Exited/);

    env.ok(['start', 'two']);
    assert.equal(status('two'), 'listening');
    assert.equal(socat(`unix-connect:${sock}`, 'again\n').out, 'again\n');
    const pid2 = Number(env.ok(['inspect', '--format', '{{.State.Pid}}', 'two']).trim());
    const lpid2 = listenerPid('two');
    const id = env.ok(['inspect', '--format', '{{.Id}}', 'two']).trim();
    env.ok(['rm', '-f', '-t', '0', 'two']);
    assert.ok(!alive(lpid2) && !alive(pid2), 'no listener, no container process');
    assert.ok(!fs.existsSync(sock));
    assert.equal(listeningInode(p), undefined);
    assert.ok(!fs.readFileSync('/proc/mounts', 'utf8').includes(id), 'no mount left');
  });
  test('generate systemd: a unit without .socket whose main process is the listener', () => {
    const p = port();
    env.ok(['create', '--name', 'unit', '--network=none', '--listen', `127.0.0.1:${p}`, '--idle-timeout', '30', 'localhost/echo']);
    const id = env.ok(['inspect', '--format', '{{.Id}}', 'unit']).trim();
    const unit = env.ok(['generate', 'systemd', '--name', 'unit']);
    const pidFile = path.join(env.runroot, 'containers', id, 'listener.pid');
    assert.match(unit, new RegExp(`^PIDFile=${pidFile}$`, 'm'));
    assert.match(unit, /^Type=forking$/m);
    assert.match(unit, /^ExecStart=[^\n]*(\\\n[^\n]*)* start unit$/m);
    const r = env.run(['generate', 'systemd', '--new', '--name', 'unit']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /--listen/);
    env.ok(['start', 'unit']); // what ExecStart runs
    const lpid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.equal(lpid, listenerPid('unit'));
    assert.ok(alive(lpid));
    assert.equal(socat(`tcp4:127.0.0.1:${p}`, 'unit\n').out, 'unit\n');
    env.ok(['rm', '-f', '-t', '0', 'unit']);
    assert.ok(!alive(lpid));
  });
});
