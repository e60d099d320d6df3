// `tspod tree`: under systemd-socket-activate the echo server in the container
// holds the very socket systemd-socket-activate opened (same inode, marked
// activated), the monitor holds none, and the attached CLI shows up; the same
// data over the libpod API (curl) and through `tspod --remote`.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, TSPOD_JS, cleanEnv, until } from '../helpers/tspod-env';
import { ApiService } from '../helpers/api-service';

interface TreeSocket { Fd: number; Proto: string; Local: string; Remote: string; State: string; Inode: number; Activated: boolean }
interface TreeProcess { Pid: number; PPid: number; Command: string; Role: string; Sockets: TreeSocket[] }
interface ContainerTree { Id: string; Name: string; Processes: TreeProcess[] }

const env = new TspodEnv('tree');
const sock = path.join(env.dir, 'api.sock');
const service = new ApiService(env, sock);
const children: ChildProcess[] = [];
const clients: net.Socket[] = [];
before(async () => {
  env.importTestImages();
  await service.start();
});
after(async () => {
  for (const c of clients) c.destroy();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await service.stop();
  env.cleanup();
});

const PORT = 30000 + (process.pid % 20000);

/** The inode of the listening tcp socket on 127.0.0.1:port in the host's table: the one systemd-socket-activate opened. */
function listeningInode(port: number): number {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === hex && cols[3] === '0A') return Number(cols[9]);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

function curl(p: string): { status: number; body: string } {
  const r = spawnSync('curl', ['-s', '--unix-socket', sock, '-o', '-', '-w', '\n%{http_code}', `http://d/v5.0.0/libpod${p}`], { encoding: 'utf8', timeout: 30_000 });
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

const byRole = (t: ContainerTree, role: string) => t.Processes.filter((p) => p.Role === role);

describe('tspod tree', () => {
  let ssa: ChildProcess;
  let inode = 0;
  let client: net.Socket;

  before(async () => {
    ssa = spawn(
      'systemd-socket-activate',
      ['-l', `127.0.0.1:${PORT}`, '-E', `PATH=${process.env.PATH}`, process.execPath, TSPOD_JS, '--root', env.root, '--runroot', env.runroot, 'run', '--rm', '--name', 'tr-act', '--network=none', 'localhost/echo'],
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(ssa);
    let err = '';
    ssa.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await until(() => err.includes('Listening on'), 10_000);
    inode = listeningInode(PORT);
    // a connection that stays open while we look: the first one starts the container
    client = net.connect({ host: '127.0.0.1', port: PORT });
    clients.push(client);
    let echoed = '';
    client.on('data', (d: Buffer) => (echoed += d.toString()));
    client.write('ping\n');
    await until(() => echoed === 'ping\n', 30_000);
  });

  after(async () => {
    if (ssa.exitCode !== null) return;
    const exited = new Promise((r) => ssa.once('exit', r));
    ssa.kill('SIGTERM');
    await exited;
  });

  test('json: the echo server holds the activated socket itself, the monitor none, the CLI is there', () => {
    const trees = JSON.parse(env.ok(['tree', '--format', 'json', 'tr-act'])) as ContainerTree[];
    assert.equal(trees.length, 1);
    const t = trees[0];
    assert.equal(t.Name, 'tr-act');
    const [cli] = byRole(t, 'cli');
    const [monitor] = byRole(t, 'monitor');
    const ctr = byRole(t, 'container');
    // systemd-socket-activate execs the CLI in place: same pid
    assert.equal(cli?.Pid, ssa.pid, JSON.stringify(t));
    assert.ok(monitor, 'the monitor is listed');
    assert.deepEqual(monitor.Sockets.filter((s) => s.Activated), [], 'the monitor holds no activated socket');
    assert.equal(ctr.length, 1);
    assert.equal(ctr[0].Command, '/usr/local/bin/echo-server');
    assert.equal(ctr[0].PPid, monitor.Pid, 'the monitor reaps the container');
    const fd3 = ctr[0].Sockets.find((s) => s.Fd === 3);
    assert.deepEqual(fd3, { Fd: 3, Proto: 'tcp', Local: `127.0.0.1:${PORT}`, Remote: '', State: 'LISTEN', Inode: inode, Activated: true });
    // the open connection: accepted by the container on that socket, no proxy in between
    const conn = ctr[0].Sockets.find((s) => s.State === 'ESTABLISHED');
    assert.deepEqual(conn && { ...conn, Fd: 0, Inode: 0 }, { Fd: 0, Proto: 'tcp', Local: `127.0.0.1:${PORT}`, Remote: `127.0.0.1:${client.localPort}`, State: 'ESTABLISHED', Inode: 0, Activated: false });
    // no other process holds a socket on that port
    for (const p of [cli, monitor]) assert.equal(p.Sockets.filter((s) => s.Local === `127.0.0.1:${PORT}`).length, 0, `${p.Role} holds no socket on the port`);
  });

  test('text: one block with the roles and the socket lines', () => {
    const text = env.ok(['tree', 'tr-act']);
    const id = env.ok(['inspect', '--format', '{{.Id}}', 'tr-act']).trim();
    assert.match(text, new RegExp(`^${id.slice(0, 12)} tr-act\n`));
    assert.match(text, new RegExp(`^  cli ${ssa.pid} `, 'm'));
    assert.match(text, /^ +└─ monitor \d+ /m);
    assert.match(text, new RegExp(`└─ \\d+ /usr/local/bin/echo-server\n +fd 3: tcp 127\\.0\\.0\\.1:${PORT} LISTEN activated\n`));
    assert.match(text, new RegExp(`fd \\d+: tcp 127\\.0\\.0\\.1:${PORT} -> 127\\.0\\.0\\.1:${client.localPort} ESTABLISHED\n`));
  });

  test('no arguments: every running container; a detached one has no CLI', () => {
    env.ok(['run', '-d', '--name', 'tr-det', '--network=none', 'localhost/busybox', 'sleep', '120']);
    try {
      const trees = JSON.parse(env.ok(['tree', '--format', 'json'])) as ContainerTree[];
      assert.deepEqual(trees.map((t) => t.Name).sort(), ['tr-act', 'tr-det']);
      const det = trees.find((t) => t.Name === 'tr-det') as ContainerTree;
      assert.deepEqual(det.Processes.map((p) => p.Role), ['monitor', 'container']);
      assert.equal(det.Processes[1].Command, 'sleep 120');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'tr-det']);
    }
  });

  test('a container that does not run: no processes', () => {
    env.ok(['create', '--name', 'tr-created', 'localhost/busybox', 'true']);
    try {
      const [t] = JSON.parse(env.ok(['tree', '--format', 'json', 'tr-created'])) as ContainerTree[];
      assert.equal(t.Name, 'tr-created');
      assert.deepEqual(t.Processes, []);
      assert.match(env.ok(['tree', 'tr-created']), /^  \(no processes: the container is not running\)$/m);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'tr-created']);
    }
  });

  test('a --listen container scaled to zero: its listener holds the sockets, marked activated; then the server does', async () => {
    const port = PORT + 7;
    env.ok(['run', '-d', '--name', 'tr-listen', '--network=none', '--listen', `127.0.0.1:${port}`, 'localhost/echo']);
    try {
      const [before] = JSON.parse(env.ok(['tree', '--format', 'json', 'tr-listen'])) as ContainerTree[];
      assert.equal(byRole(before, 'container').length, 0);
      const [listener] = byRole(before, 'monitor');
      const held = listener.Sockets.find((s) => s.Fd === 3);
      assert.ok(held, JSON.stringify(before));
      assert.deepEqual([held.Local, held.State, held.Activated, held.Inode], [`127.0.0.1:${port}`, 'LISTEN', true, listeningInode(port)]);
      // the first connection starts the container, which gets that very socket
      const c = net.connect(port, '127.0.0.1');
      clients.push(c);
      await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
      const served = await until(() => {
        const [t] = JSON.parse(env.ok(['tree', '--format', 'json', 'tr-listen'])) as ContainerTree[];
        return byRole(t, 'container').some((p) => p.Sockets.some((s) => s.Inode === held.Inode && s.Activated)) ? t : undefined;
      }, 20_000);
      assert.ok(served);
      c.destroy();
    } finally {
      env.run(['rm', '-f', '-t', '0', 'tr-listen']);
    }
  });

  test('an unknown container: 125 with its name, and 404 over the API', () => {
    const r = env.run(['tree', 'no-such-ctr']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no container with name or ID "no-such-ctr" found/);
    const remote = env.run(['--remote', '--url', `unix://${sock}`, 'tree', 'no-such-ctr']);
    assert.equal(remote.code, 125);
    assert.match(remote.stderr, /no-such-ctr/);
    assert.equal(curl('/containers/no-such-ctr/tree').status, 404);
  });

  test('GET /libpod/containers/{id}/tree and tspod --remote tree give the same data', () => {
    const api = curl('/containers/tr-act/tree');
    assert.equal(api.status, 200, api.body);
    const viaApi = JSON.parse(api.body) as ContainerTree;
    const [local] = JSON.parse(env.ok(['tree', '--format', 'json', 'tr-act'])) as ContainerTree[];
    const [remote] = JSON.parse(env.ok(['--remote', '--url', `unix://${sock}`, 'tree', '--format', 'json', 'tr-act'])) as ContainerTree[];
    for (const t of [viaApi, remote]) {
      assert.equal(t.Id, local.Id);
      assert.deepEqual(t.Processes.map((p) => [p.Role, p.Pid]), local.Processes.map((p) => [p.Role, p.Pid]));
      const fd3 = byRole(t, 'container')[0].Sockets.find((s) => s.Fd === 3);
      assert.equal(fd3?.Inode, inode);
      assert.equal(fd3?.Activated, true);
    }
    assert.match(env.ok(['--remote', '--url', `unix://${sock}`, 'tree', 'tr-act']), /fd 3: tcp .* LISTEN activated/);
  });

  test('a bad --format is refused', () => {
    assert.equal(env.run(['tree', '--format', 'yaml']).code, 125);
  });
});
