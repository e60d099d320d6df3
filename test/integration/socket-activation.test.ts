// Socket activation all the way into the container, with the real
// systemd-socket-activate and socat: every socket kind, several sockets, names,
// and proof that no process on the way proxies: the socket the container's
// process holds is the very one systemd-socket-activate created.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, TSPOD_JS, cleanEnv, sleep, until } from '../helpers/tspod-env';

const env = new TspodEnv('activation');
const children: ChildProcess[] = [];
before(() => env.importTestImages());
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  env.cleanup();
});

let nextPort = 20000 + (process.pid % 20000);
const port = () => nextPort++;

/** Starts `systemd-socket-activate ARGS tspod run ...` and waits until it listens. */
async function activate(listenArgs: string[], tspodArgs: string[]): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(
    'systemd-socket-activate',
    [...listenArgs, '-E', `PATH=${process.env.PATH}`, process.execPath, TSPOD_JS, '--root', env.root, '--runroot', env.runroot, ...tspodArgs],
    { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let err = '';
  let outText = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (outText += d.toString()));
  const listens = listenArgs.filter((a) => a === '-l').length;
  await until(() => (err.match(/Listening on/g) ?? []).length >= listens, 10_000);
  return { child, stderr: () => err + outText };
}

function socat(address: string, input: string, extra: string[] = []): string {
  const r = spawnSync('socat', ['-t', '5', '-T', '10', ...extra, '-', address], { input, encoding: 'utf8', timeout: 30_000 });
  return r.stdout;
}

/** inodes of sockets bound to a local address, from /proc/net/* */
function socketInode(kind: 'tcp' | 'tcp6' | 'udp' | 'udp6', p: number): string {
  const hex = p.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync(`/proc/net/${kind}`, 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1]?.endsWith(`:${hex}`) && (kind.startsWith('udp') || cols[3] === '0A')) return cols[9];
  }
  throw new Error(`no ${kind} socket on port ${p}`);
}

function unixInode(file: string): string {
  for (const line of fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[7] === file) return cols[6];
  }
  throw new Error(`no unix socket at ${file}`);
}

/** Every pid holding socket:[inode]. */
function holders(inode: string): number[] {
  const pids: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`))
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) {
          pids.push(Number(pid));
          break;
        }
    } catch {
      /* gone or not ours */
    }
  }
  return pids;
}

function containerPid(name: string): number {
  return Number(env.ok(['inspect', '--format', '{{.State.Pid}}', name]).trim());
}

function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)) {
    const i = e.indexOf('=');
    out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

async function stopActivated(child: ChildProcess, name: string): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM'); // reaches the echo server through --sig-proxy; it exits 0
  const code = await exited;
  assert.equal(env.run(['container', 'exists', name]).code, 1, 'the --rm container is gone');
  return code;
}

const KINDS = [
  { kind: 'tcp4', listen: (p: number) => ['-l', `127.0.0.1:${p}`], addr: (p: number) => `tcp4:127.0.0.1:${p}`, proc: 'tcp' as const },
  { kind: 'tcp6', listen: (p: number) => ['-l', `[::1]:${p}`], addr: (p: number) => `tcp6:[::1]:${p}`, proc: 'tcp6' as const },
  { kind: 'udp4', listen: (p: number) => ['--datagram', '-l', `127.0.0.1:${p}`], addr: (p: number) => `udp4:127.0.0.1:${p}`, proc: 'udp' as const },
  { kind: 'udp6', listen: (p: number) => ['--datagram', '-l', `[::1]:${p}`], addr: (p: number) => `udp6:[::1]:${p}`, proc: 'udp6' as const },
];

describe('activated sockets reach the container unproxied', () => {
  for (const k of KINDS) {
    test(`${k.kind} with --network=none`, async () => {
      const p = port();
      const name = `act-${k.kind}`;
      const { child, stderr } = await activate(k.listen(p), ['run', '--rm', '--name', name, '--network=none', 'localhost/echo']);
      const created = socketInode(k.proc, p);
      assert.equal(socat(k.addr(p), 'hello\n'), 'hello\n', stderr());
      const pid = containerPid(name);
      assert.equal(fs.readlinkSync(`/proc/${pid}/fd/3`), `socket:[${created}]`);
      assert.deepEqual(holders(created), [pid], 'only the container process holds the socket');
      const cenv = environOf(pid);
      assert.equal(cenv.LISTEN_FDS, '1');
      assert.equal(cenv.LISTEN_PID, '1');
      assert.equal(env.ok(['exec', name, 'ls', '/sys/class/net']).trim(), 'lo');
      assert.equal(await stopActivated(child, name), 0);
    });
  }

  test('unix stream and unix datagram sockets, with names', async () => {
    const dir = fs.mkdtempSync(path.join('/tmp', 'tspod-act-'));
    try {
      const stream = path.join(dir, 's.sock');
      const dgram = path.join(dir, 'd.sock');
      const a = await activate(['-l', stream, '--fdname=stream'], ['run', '--rm', '--name', 'act-unix', '--network=none', 'localhost/echo']);
      assert.equal(socat(`unix-connect:${stream}`, 'over unix\n'), 'over unix\n', a.stderr());
      const pid = containerPid('act-unix');
      assert.equal(fs.readlinkSync(`/proc/${pid}/fd/3`), `socket:[${unixInode(stream)}]`);
      assert.equal(environOf(pid).LISTEN_FDNAMES, 'stream');
      assert.equal(await stopActivated(a.child, 'act-unix'), 0);

      // A datagram reply goes to the sender's path, looked up in the container's mount
      // namespace: the client's directory is mounted at the same place.
      const b = await activate(
        ['--datagram', '-l', dgram, '--fdname=dg'],
        ['run', '--rm', '--name', 'act-unixdg', '--network=none', '-v', `${dir}:${dir}`, 'localhost/echo'],
      );
      const client = path.join(dir, 'client.sock');
      assert.equal(socat(`unix-sendto:${dgram},bind=${client}`, 'datagram\n'), 'datagram\n', b.stderr());
      const dpid = containerPid('act-unixdg');
      assert.equal(fs.readlinkSync(`/proc/${dpid}/fd/3`), `socket:[${unixInode(dgram)}]`);
      assert.equal(await stopActivated(b.child, 'act-unixdg'), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('several sockets at once keep their names', async () => {
    const p1 = port();
    const p2 = port();
    const { child, stderr } = await activate(
      ['-l', `127.0.0.1:${p1}`, '-l', `127.0.0.1:${p2}`, '--fdname=web:alt'],
      ['run', '--rm', '--name', 'act-two', '--network=none', 'localhost/echo'],
    );
    assert.equal(socat(`tcp4:127.0.0.1:${p1}`, 'one\n'), 'one\n', stderr());
    assert.equal(socat(`tcp4:127.0.0.1:${p2}`, 'two\n'), 'two\n');
    const pid = containerPid('act-two');
    const cenv = environOf(pid);
    assert.equal(cenv.LISTEN_FDS, '2');
    assert.equal(cenv.LISTEN_FDNAMES, 'web:alt');
    assert.equal(fs.readlinkSync(`/proc/${pid}/fd/4`), `socket:[${socketInode('tcp', p2)}]`);
    assert.equal(await stopActivated(child, 'act-two'), 0);
  });

  test('start of a created container gets the sockets given to start', async () => {
    const p = port();
    env.ok(['create', '--name', 'act-start', '--network=none', 'localhost/echo']);
    const { child, stderr } = await activate(['-l', `127.0.0.1:${p}`], ['start', '-a', 'act-start']);
    assert.equal(socat(`tcp4:127.0.0.1:${p}`, 'started\n'), 'started\n', stderr());
    const code = await new Promise<number | null>((r) => {
      child.on('exit', (c) => r(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
    assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', 'act-start']).trim(), 'exited');
    env.ok(['rm', 'act-start']);
  });
});

describe('activation variables that are not ours', () => {
  test('LISTEN_PID of another process: variables dropped, no fds passed', () => {
    const fd = fs.openSync('/etc/hostname', 'r');
    try {
      const [node, ...rest] = env.argv(['run', '--rm', 'busybox', 'sh', '-c', 'env | grep ^LISTEN_ || echo none; ls /proc/self/fd | tr "\\n" " "']);
      const r = spawnSync(node, rest, {
        env: cleanEnv({ LISTEN_FDS: '1', LISTEN_PID: '1', LISTEN_FDNAMES: 'x' }),
        stdio: ['ignore', 'pipe', 'pipe', fd],
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const [first, fds] = r.stdout.split('\n');
      assert.equal(first, 'none');
      assert.equal(fds.trim(), '0 1 2 3'); // 3 is ls's own directory fd
    } finally {
      fs.closeSync(fd);
    }
  });

  test('--preserve-fds N passes fds explicitly', () => {
    const dir = fs.mkdtempSync(path.join(env.dir, 'fds-'));
    fs.writeFileSync(path.join(dir, 'a'), 'first\n');
    fs.writeFileSync(path.join(dir, 'b'), 'second\n');
    const a = fs.openSync(path.join(dir, 'a'), 'r');
    const b = fs.openSync(path.join(dir, 'b'), 'r');
    try {
      const [node, ...rest] = env.argv(['run', '--rm', '--preserve-fds', '2', 'busybox', 'sh', '-c', 'cat <&3; cat <&4']);
      const r = spawnSync(node, rest, { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe', a, b], encoding: 'utf8' });
      assert.equal(r.stdout, 'first\nsecond\n', r.stderr);
      const missing = env.run(['run', '--rm', '--preserve-fds', '5', 'busybox', 'true']);
      assert.equal(missing.code, 125);
      assert.match(missing.stderr, /file descriptor \d+ is not available/);
    } finally {
      fs.closeSync(a);
      fs.closeSync(b);
    }
  });
});

describe('signals and exit codes of a foreground tspod', () => {
  const trap = 'trap "echo got TERM; exit 3" TERM; trap "echo got INT; exit 4" INT; trap "echo got HUP; exit 5" HUP; echo ready; while :; do sleep 0.1; done';
  for (const [sig, code] of [['SIGTERM', 3], ['SIGINT', 4], ['SIGHUP', 5]] as const) {
    test(`${sig} reaches the container and tspod exits with its code; --rm removes it`, async () => {
      const name = `sig-${sig.toLowerCase()}`;
      const child = env.spawn(['run', '--rm', '--name', name, 'busybox', 'sh', '-c', trap], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('ready'), 15_000);
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      child.kill(sig);
      assert.equal(await exited, code);
      assert.match(out, new RegExp(`got ${sig.slice(3)}`));
      assert.equal(env.run(['container', 'exists', name]).code, 1);
    });
  }

  test('--sig-proxy=false: SIGTERM ends tspod with 0 and the container keeps running', async () => {
    const child = env.spawn(['run', '--sig-proxy=false', '--name', 'noproxy', 'busybox', 'sh', '-c', 'echo ready; while :; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('ready'), 15_000);
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await sleep(200);
    assert.equal(env.ok(['inspect', '--format', '{{.State.Running}}', 'noproxy']).trim(), 'true');
    env.ok(['rm', '-f', '-t', '0', 'noproxy']);
  });

  test('--log-driver passthrough writes straight to tspod\'s stdout', () => {
    const r = env.run(['run', '--rm', '--log-driver', 'passthrough', 'busybox', 'sh', '-c', 'echo direct; echo err >&2; exit 6']);
    assert.equal(r.stdout, 'direct\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 6);
  });
});
