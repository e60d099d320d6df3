// `tspod --remote`: the same commands against a `tspod system service` (on a
// unix socket, on tcp, and through ssh to the unix socket) print what the local
// commands print and exit with the same codes.
import { after, before, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { TspodEnv, cleanEnv, sleep, until, type Result } from '../helpers/tspod-env';
import { ApiService, portAnswers } from '../helpers/api-service';
import { TestSshd } from '../helpers/sshd';

const env = new TspodEnv('remote');
const sock = path.join(env.dir, 'api.sock');
const unixService = new ApiService(env, sock);
let tcpService: ChildProcess | undefined;
let tcpUrl = '';

/** A free loopback port (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const local = (args: string[]): Result => env.run(args);
/** Over the unix socket with --remote --url. */
const viaUnix = (args: string[]): Result => env.run(['--remote', '--url', `unix://${sock}`, ...args]);
/** Over tcp with CONTAINER_HOST (which implies --remote). */
const viaTcp = (args: string[]): Result => env.run(args, { env: cleanEnv({ CONTAINER_HOST: tcpUrl }) });

// Over SSH: a private sshd on 127.0.0.1:41622 forwards to the unix socket, as `ssh://` connections do.
const SSH_PORT = 41622;
const sshd = new TestSshd(env.dir, SSH_PORT);
const sshDir = sshd.dir;
const sshEnv = (extra: NodeJS.ProcessEnv = {}) => sshd.env(extra);
const sshUrl = () => sshd.url(sock);
const viaSsh = (args: string[], opts: { input?: string } = {}): Result => env.run([...sshd.remoteArgs(sock), ...args], { ...opts, env: sshEnv() });

/**
 * Relative times ("12 seconds ago") may tick between two runs on a loaded machine, and a
 * table's columns widen with them: those are compared without their figures and padding.
 */
const steadyTimes = (t: string) =>
  / ago/.test(t) ? t.replace(/(\d+ seconds?|Less than a second) ago/g, 'N seconds ago').replace(/ {2,}/g, '  ') : t;

/** The four ways (local, and remote over unix, tcp and ssh) give the same stdout, stderr and exit code. */
function same(args: string[], check?: (r: Result) => void): Result {
  const l = local(args);
  for (const [how, r] of [
    ['unix', viaUnix(args)],
    ['tcp', viaTcp(args)],
    ['ssh', viaSsh(args)],
  ] as const) {
    assert.equal(steadyTimes(r.stdout), steadyTimes(l.stdout), `${how} stdout of ${args.join(' ')}`);
    assert.equal(r.stderr, l.stderr, `${how} stderr of ${args.join(' ')}`);
    assert.equal(r.code, l.code, `${how} exit code of ${args.join(' ')}`);
  }
  check?.(l);
  return l;
}

/**
 * For commands that change something: before each of the four ways, `reset`
 * puts the store back (locally); each way gives the same stdout, stderr and code.
 */
function sameAfter(reset: () => void, args: string[], check?: (r: Result) => void, opts: { input?: string } = {}): Result {
  reset();
  const l = env.run(args, opts);
  for (const [how, run] of [
    ['unix', () => env.run(['--remote', '--url', `unix://${sock}`, ...args], opts)],
    ['tcp', () => env.run(args, { ...opts, env: cleanEnv({ CONTAINER_HOST: tcpUrl }) })],
    ['ssh', () => viaSsh(args, opts)],
  ] as const) {
    reset();
    const r = run();
    // what reset made anew has new ids
    const ids = (t: string) => t.replace(/[0-9a-f]{64}|\b[0-9a-f]{25}\b|\b[0-9a-f]{12}\b/g, '<id>'); // full, secrets' and short ids
    assert.equal(ids(r.stdout), ids(l.stdout), `${how} stdout of ${args.join(' ')}`);
    assert.equal(ids(r.stderr), ids(l.stderr), `${how} stderr of ${args.join(' ')}`);
    assert.equal(r.code, l.code, `${how} exit code of ${args.join(' ')}`);
  }
  check?.(l);
  return l;
}

before(async () => {
  env.importTestImages();
  await unixService.start();
  const port = await freePort();
  tcpUrl = `tcp://127.0.0.1:${port}`;
  tcpService = env.spawn(['system', 'service', '-t', '0', tcpUrl], { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 200 && !(await portAnswers(port)); i++) await sleep(50);
  await sshd.start();
});

after(async () => {
  await sshd.stop();
  await unixService.stop();
  const svc = tcpService;
  if (svc?.pid && svc.exitCode === null) {
    const done = new Promise((r) => svc.once('exit', r));
    process.kill(svc.pid, 'SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (svc.exitCode === null && svc.signalCode === null) process.kill(svc.pid, 'SIGKILL');
  }
  env.cleanup();
});

describe('tspod --remote', () => {
  // each test starts from no containers, whatever the one before left
  beforeEach(() => {
    env.run(['rm', '-af', '-t', '0']);
  });

  test('run --rm: the exact output and the exit code, four ways', () => {
    const args = ['run', '--rm', 'localhost/busybox', 'sh', '-c', 'echo out-1; echo err-1 >&2; echo out-2; exit 3'];
    same(args, (r) => {
      assert.equal(r.stdout, 'out-1\nout-2\n');
      assert.equal(r.stderr, 'err-1\n');
      assert.equal(r.code, 3);
    });
    // run -i: stdin goes up, its EOF too
    const input = 'line a\nline b\n';
    const withStdin = ['run', '-i', '--rm', 'localhost/busybox', 'sh', '-c', 'cat; echo eof; exit 4'];
    for (const r of [env.run(withStdin, { input }), env.run(['--remote', '--url', `unix://${sock}`, ...withStdin], { input }), env.run(withStdin, { input, env: cleanEnv({ CONTAINER_HOST: tcpUrl }) }), viaSsh(withStdin, { input })]) {
      assert.equal(r.stdout, 'line a\nline b\neof\n');
      assert.equal(r.code, 4);
    }
    // --rm left nothing behind
    assert.equal(local(['ps', '-aq']).stdout, '');
  });

  test('errors: an unknown container or image gives the same message and exit code', () => {
    same(['inspect', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'Error: inspecting object: no such object: "nosuch"\n');
    });
    same(['inspect', '--type', 'container', 'nosuch'], (r) => assert.match(r.stderr, /no container with name or ID "nosuch" found: no such container/));
    same(['logs', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['start', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['stop', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['kill', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['wait', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['exec', 'nosuch', 'true'], (r) => assert.equal(r.code, 125));
    same(['rm', 'nosuch'], (r) => assert.equal(r.code, 1));
    same(['rmi', 'localhost/nosuch'], (r) => assert.equal(r.code, 1));
    same(['run', '--rm', '--pull', 'never', 'localhost/nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /localhost\/nosuch: image not known/);
    });
    same(['run', '--rm', 'localhost/busybox', '/no/such/command'], (r) => assert.equal(r.code, 127));
  });

  test('run -d, ps formats, logs, logs -f, inspect, exec, wait, stop, kill, rm', async () => {
    const id = viaUnix(['run', '-d', '--name', 'ticker', '--label', 'app=t', 'localhost/busybox', 'sh', '-c', 'echo line-1; echo line-e >&2; sleep 100']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    await until(() => local(['logs', 'ticker']).stdout.includes('line-1'));
    same(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Labels}}'], (r) =>
      assert.equal(r.stdout, `${id} ticker localhost/busybox:latest sh -c echo line-1; echo line-e >&2; sleep 100 running map[app:t]\n`),
    );
    same(['ps', '-q', '--no-trunc'], (r) => assert.equal(r.stdout, `${id}\n`));
    same(['ps', '-a', '--filter', 'label=app=t', '--format', '{{.Names}}'], (r) => assert.equal(r.stdout, 'ticker\n'));
    same(['ps', '-a', '--filter', 'name=nomatch', '--format', '{{.Names}}'], (r) => assert.equal(r.stdout, ''));
    // JSON: the same document (times as numbers, so identical within the same second)
    const lj = JSON.parse(local(['ps', '--format', 'json']).stdout) as Record<string, unknown>[];
    const rj = JSON.parse(viaUnix(['ps', '--format', 'json']).stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(rj[0]).sort(), Object.keys(lj[0]).sort());
    for (const k of ['Id', 'Names', 'Command', 'Image', 'ImageID', 'Labels', 'State', 'Pid', 'StartedAt', 'AutoRemove']) assert.deepEqual(rj[0][k], lj[0][k], k);
    same(['logs', 'ticker'], (r) => {
      assert.equal(r.stdout, 'line-1\n');
      assert.equal(r.stderr, 'line-e\n');
    });
    same(['logs', '--names', '--tail', '1', 'ticker']);
    same(['inspect', '--format', '{{.Id}} {{.Name}} {{.State.Status}} {{.State.Running}} {{.Config.Labels}} {{.HostConfig.AutoRemove}} {{.State.Pid}}', 'ticker'], (r) =>
      assert.match(r.stdout, new RegExp(`^${id} ticker running true map\\[app:t\\] false [1-9]\\d*\\n$`)),
    );
    const li = JSON.parse(local(['inspect', 'ticker']).stdout) as Record<string, unknown>[];
    const ri = JSON.parse(viaTcp(['inspect', 'ticker']).stdout) as Record<string, unknown>[];
    assert.deepEqual(ri, li);
    same(['exec', 'ticker', 'sh', '-c', 'echo in-exec; echo exec-err >&2; exit 5'], (r) => {
      assert.equal(r.stdout, 'in-exec\n');
      assert.equal(r.stderr, 'exec-err\n');
      assert.equal(r.code, 5);
    });
    same(['exec', '-w', '/tmp', 'ticker', 'sh', '-c', 'echo $(pwd)'], (r) => assert.equal(r.stdout, '/tmp\n'));
    // a missing command: 127 both ways (the remote client does not repeat the runtime's message as `Error:`)
    assert.equal(viaUnix(['exec', 'ticker', '/nonexistent']).code, local(['exec', 'ticker', '/nonexistent']).code);

    // logs -f over the API follows until the container exits
    viaTcp(['run', '-d', '--name', 'counter', 'localhost/busybox', 'sh', '-c', 'for i in 1 2 3; do echo n$i; sleep 0.3; done']);
    const follow = viaUnix(['logs', '-f', 'counter']);
    assert.equal(follow.stdout, 'n1\nn2\nn3\n');
    assert.equal(follow.code, 0);
    same(['wait', 'counter'], (r) => assert.equal(r.stdout, '0\n'));

    // kill, wait for it remotely
    const waiter = spawn(process.execPath, env.argv(['--url', tcpUrl, 'wait', 'ticker']).slice(1), { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let waited = '';
    waiter.stdout?.on('data', (d: Buffer) => (waited += d.toString()));
    const waitDone = new Promise<number | null>((r) => waiter.once('exit', r));
    await sleep(300);
    assert.equal(viaUnix(['kill', 'ticker']).stdout, 'ticker\n');
    assert.equal(await Promise.race([waitDone, sleep(15_000).then(() => -1)]), 0);
    assert.equal(waited, '137\n');
    same(['kill', 'ticker'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /can only kill running containers.*container state improper/);
    });
    same(['stop', 'ticker'], (r) => assert.equal(r.stdout, 'ticker\n'));
    same(['start', 'ticker'], (r) => assert.equal(r.stdout, 'ticker\n'));
    same(['rm', 'ticker'], (r) => assert.equal(r.code, 2));
    assert.equal(viaTcp(['stop', '-t', '0', 'ticker']).stdout, 'ticker\n');
    assert.match(local(['inspect', '--format', '{{.State.Status}}', 'ticker']).stdout, /^exited\n$/);
    assert.equal(viaUnix(['rm', 'ticker', 'counter']).stdout, 'ticker\ncounter\n');
    assert.equal(local(['ps', '-aq']).stdout, '');
  });

  test('wait --condition (any of several states), --interval, --latest: as locally', async () => {
    local(['create', '--name', 'wc', 'localhost/busybox', 'sleep', '100']);
    same(['wait', '--condition', 'created', 'wc'], (r) => assert.equal(r.stdout, '-1\n'));
    same(['wait', 'wc'], (r) => assert.equal(r.stdout, '0\n', 'never ran: at once, as Podman'));
    // a remote waiter for "running" answers once the container starts
    const waiter = spawn(process.execPath, env.argv(['--url', tcpUrl, 'wait', '--condition', 'running', '-i', '50ms', 'wc']).slice(1), { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let waited = '';
    waiter.stdout?.on('data', (d: Buffer) => (waited += d.toString()));
    const waitDone = new Promise<number | null>((r) => waiter.once('exit', r));
    try {
      await sleep(300);
      assert.equal(waited, '', 'still created: still waiting');
      local(['start', 'wc']);
      assert.equal(await Promise.race([waitDone, sleep(15_000).then(() => -1)]), 0);
      assert.equal(waited, '-1\n');
    } finally {
      if (waiter.exitCode === null) waiter.kill(); // only when it hung
    }
    same(['wait', '--condition', 'paused,running', '-i', '10', 'wc'], (r) => assert.equal(r.stdout, '-1\n'));
    local(['pause', 'wc']);
    same(['wait', '--condition', 'paused', '--condition', 'exited', 'wc'], (r) => assert.equal(r.stdout, '-1\n'));
    local(['unpause', 'wc']);
    same(['wait', '--condition', 'bogus', 'wc'], (r) => {
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'Error: unknown container state: bogus: invalid argument\n');
    });
    same(['wait', '-i', 'soon', 'wc'], (r) => assert.equal(r.stderr, 'Error: time: invalid duration "soon"\n'));
    same(['wait'], (r) => assert.equal(r.stderr, 'Error: "tspod wait" requires a name, id, or the "--latest" flag\n'));
    same(['wait', '--latest', 'wc'], (r) => assert.equal(r.code, 125));
    same(['wait', '--condition', 'running', 'nosuch'], (r) => assert.equal(r.code, 125));
    local(['stop', '-t', '0', 'wc']);
    same(['wait', '--latest', '--condition', 'exited'], (r) => assert.equal(r.stdout, '137\n'));
    local(['rm', 'wc']);
  });

  test('create, start, rename, start --attach, run --replace', () => {
    const id = viaUnix(['create', '--name', 'c1', '-e', 'A=b', 'localhost/busybox', 'sh', '-c', 'echo $A; exit 7']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    same(['ps', '-a', '--format', '{{.Names}} {{.Status}}'], (r) => assert.equal(r.stdout, 'c1 Created\n'));
    assert.equal(viaTcp(['rename', 'c1', 'c2']).code, 0);
    const attached = viaUnix(['start', '--attach', 'c2']);
    assert.equal(attached.stdout, 'b\n');
    assert.equal(attached.code, 7);
    same(['wait', 'c2'], (r) => assert.equal(r.stdout, '7\n'));
    same(['run', '--name', 'c2', 'localhost/busybox', 'true'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /the container name "c2" is already in use/);
    });
    const replaced = viaUnix(['run', '--replace', '--name', 'c2', 'localhost/busybox', 'echo', 'again']);
    assert.equal(replaced.stdout, 'again\n');
    assert.equal(local(['ps', '-aq', '--no-trunc']).stdout.includes(id), false);
    // the network options reach the service
    for (const mode of ['none', 'host']) {
      const [l, r] = [local(['create', '--network', mode, 'localhost/busybox']), viaTcp(['create', '--network', mode, 'localhost/busybox'])].map((x) => x.stdout.trim());
      const fmt = ['inspect', '--format', '{{.HostConfig.NetworkMode}}'];
      assert.equal(local([...fmt, r]).stdout, local([...fmt, l]).stdout, mode);
    }
    assert.equal(viaUnix(['rm', '-a']).code, 0);
    assert.equal(local(['ps', '-aq']).stdout, '');
  });

  test('images, tag, rmi, image inspect', () => {
    same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']);
    same(['images', '-q']);
    same(['images', '--format', 'json']);
    assert.equal(viaUnix(['tag', 'localhost/busybox', 'localhost/bb:remote']).code, 0);
    same(['images', '--format', '{{.Repository}}:{{.Tag}}', 'localhost/bb:remote'], (r) => assert.match(r.stdout, /localhost\/bb:remote/));
    same(['image', 'inspect', '--format', '{{.Id}} {{.RepoTags}}', 'localhost/bb:remote']);
    same(['image', 'exists', 'localhost/bb:remote'], (r) => assert.equal(r.code, 0));
    same(['image', 'exists', 'localhost/nosuch'], (r) => assert.equal(r.code, 1));
    same(['container', 'exists', 'nosuch'], (r) => assert.equal(r.code, 1));
    const rmi = viaTcp(['rmi', 'localhost/bb:remote']);
    assert.equal(rmi.stdout, 'Untagged: localhost/bb:remote\n');
    assert.equal(rmi.code, 0);
    // in use by a container: 2, the same message
    local(['create', '--name', 'user', 'localhost/echo']);
    same(['rmi', 'localhost/echo'], (r) => assert.equal(r.code, 2));
    local(['rm', 'user']);
  });

  test('a socket-activated service: started by the first remote command, gone once idle', async () => {
    const actSock = path.join(env.dir, 'act.sock');
    const act = spawn('systemd-socket-activate', ['-l', actSock, '-E', `PATH=${process.env.PATH}`, ...env.argv(['system', 'service', '-t', '1'])], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => act.once('exit', r));
    try {
      await until(() => fs.existsSync(actSock));
      const r = env.run(['--url', `unix://${actSock}`, 'run', '--rm', 'localhost/busybox', 'sh', '-c', 'echo activated; exit 2']);
      assert.equal(r.stdout, 'activated\n');
      assert.equal(r.code, 2);
      // systemd-socket-activate execs the service in place: its exit is the service's idle exit
      assert.equal(await Promise.race([exited, sleep(15_000).then(() => 'still running')]), 0);
    } finally {
      if (act.exitCode === null && act.signalCode === null) act.kill('SIGKILL');
    }
  });

  test('info, version, and what the remote client refuses', () => {
    const li = JSON.parse(local(['info', '--format', 'json']).stdout) as { store: { containerStore: unknown; imageStore: unknown } };
    const ri = JSON.parse(viaUnix(['info', '--format', 'json']).stdout) as typeof li & { host: { serviceIsRemote: boolean } };
    assert.deepEqual(ri.store.containerStore, li.store.containerStore);
    assert.deepEqual(ri.store.imageStore, li.store.imageStore);
    assert.equal(ri.host.serviceIsRemote, true);
    // As Podman: YAML without --format, Go field names in templates.
    assert.match(local(['info']).stdout, /^host:\n  arch: \S+\n[\s\S]*\nstore:\n[\s\S]*  graphRoot: \//);
    const images = (li.store.imageStore as { number: number }).number;
    assert.match(viaUnix(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Store.ImageStore.Number}}']).stdout, new RegExp(`^(runc|crun) ${images}\n$`));
    const v = viaTcp(['version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^Client: +tspod\nVersion: .*\n[\s\S]*\nServer: +tspod\nVersion: +\S+\nAPI Version: +\S+\n/);
    const vj = JSON.parse(viaUnix(['version', '--format', 'json']).stdout) as { Client: { Version: string }; Server: { Version: string } };
    assert.ok(vj.Client.Version && vj.Server.Version);
    // a command without remote support: a clear error, 125
    const mount = viaUnix(['volume', 'mount', 'x']);
    assert.equal(mount.code, 125);
    assert.match(mount.stderr, /^Error: tspod volume mount is not supported by the remote client/);
    // no service there
    const down = env.run(['--url', `unix://${env.dir}/nosuch.sock`, 'ps']);
    assert.equal(down.code, 125);
    assert.match(down.stderr, /^Error: unable to connect to tspod socket: dial unix .*nosuch\.sock: connect: no such file or directory\n$/);
    const bad = env.run(['--url', 'http://host/x', 'ps']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /not a supported schema/);
  });

  test('volumes: create, ls, inspect, exists, rm, prune', () => {
    const noVolumes = () => {
      local(['rm', '-af', '-t', '0']);
      for (const v of local(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean)) local(['volume', 'rm', '-f', v]);
    };
    const two = () => {
      noVolumes();
      local(['volume', 'create', '--label', 'k=v', 'vol1']);
      local(['volume', 'create', 'vol2']);
    };
    sameAfter(noVolumes, ['volume', 'create', '--label', 'a=b', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', 'vol1'], (r) => assert.equal(r.stdout, 'vol1\n'));
    sameAfter(two, ['volume', 'create', 'vol1'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /volume with name vol1 already exists/);
    });
    sameAfter(two, ['volume', 'create', '--ignore', 'vol1'], (r) => assert.equal(r.stdout, 'vol1\n'));
    sameAfter(noVolumes, ['volume', 'create', 'bad name!'], (r) => assert.equal(r.code, 125));
    sameAfter(noVolumes, ['volume', 'create', '--opt', 'bogus=1', 'v'], (r) => assert.match(r.stderr, /invalid mount option bogus/));
    two();
    same(['volume', 'ls'], (r) => assert.equal(r.stdout, 'DRIVER      VOLUME NAME\nlocal       vol1\nlocal       vol2\n'));
    same(['volume', 'ls', '-q', '--filter', 'label=k=v'], (r) => assert.equal(r.stdout, 'vol1\n'));
    same(['volume', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Mountpoint}}']);
    same(['volume', 'ls', '--format', 'json']);
    same(['volume', 'ls', '--filter', 'bogus=1'], (r) => assert.equal(r.code, 125));
    same(['volume', 'inspect', 'vol1', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'Error: inspecting object: no such volume nosuch\n');
    });
    same(['volume', 'inspect', '--all', '--format', '{{.Name}} {{.Labels}}'], (r) => assert.equal(r.stdout, 'vol1 map[k:v]\nvol2 map[]\n'));
    same(['volume', 'exists', 'vol1'], (r) => assert.equal(r.code, 0));
    same(['volume', 'exists', 'nosuch'], (r) => assert.equal(r.code, 1));
    // in use: 2 (refused) and --force removes the container first
    const inUse = () => {
      two();
      local(['create', '--name', 'user', '-v', 'vol1:/data', 'localhost/busybox', 'true']);
    };
    sameAfter(inUse, ['volume', 'rm', 'vol1'], (r) => {
      assert.equal(r.code, 2);
      assert.match(r.stderr, /volume vol1 is being used by the following container/);
    });
    sameAfter(inUse, ['volume', 'rm', '-f', 'vol1', 'nosuch'], (r) => assert.equal(r.stdout, 'vol1\n'));
    sameAfter(two, ['volume', 'rm', 'nosuch', 'vol2'], (r) => {
      assert.equal(r.code, 1);
      assert.equal(r.stdout, 'vol2\n');
    });
    sameAfter(two, ['volume', 'rm', '--all'], (r) => assert.equal(r.stdout, 'vol1\nvol2\n'));
    sameAfter(inUse, ['volume', 'prune', '-f'], (r) => assert.equal(r.stdout, 'vol2\n'));
    sameAfter(two, ['volume', 'prune', '-f', '--filter', 'label=k=v'], (r) => assert.equal(r.stdout, 'vol1\n'));
    // the question lists what would go; no answer keeps everything
    sameAfter(inUse, ['volume', 'prune'], (r) => assert.match(r.stdout, /will be removed:\nvol2\nAre you sure/), { input: 'n\n' });
    same(['volume', 'ls', '-q'], (r) => assert.equal(r.stdout, 'vol1\nvol2\n'));
    noVolumes();
  });

  test('networks: create, ls, inspect, exists, connect, disconnect, rm, prune', () => {
    const noNetworks = () => {
      local(['rm', '-af', '-t', '0']);
      for (const n of local(['network', 'ls', '-q']).stdout.split('\n').filter((x) => x && x !== 'podman')) local(['network', 'rm', '-f', n]);
    };
    const one = () => {
      noNetworks();
      local(['network', 'create', '--subnet', '10.246.31.0/24', '--label', 'k=v', 'rnet1']);
    };
    sameAfter(noNetworks, ['network', 'create', '--subnet', '10.246.30.0/24', '--gateway', '10.246.30.254', '--internal', '--label', 'a=b', 'rnet0'], (r) => assert.equal(r.stdout, 'rnet0\n'));
    sameAfter(one, ['network', 'create', 'rnet1'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /already/);
    });
    sameAfter(one, ['network', 'create', '--ignore', 'rnet1'], (r) => assert.equal(r.stdout, 'rnet1\n'));
    sameAfter(noNetworks, ['network', 'create', '--subnet', 'bogus', 'x'], (r) => assert.equal(r.code, 125));
    sameAfter(noNetworks, ['network', 'create', '--driver', 'macvlan', 'x'], (r) => assert.equal(r.code, 125));
    one();
    same(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Subnets}} {{.Labels}}'], (r) => assert.match(r.stdout, /^podman bridge .*\nrnet1 bridge \[\{10\.246\.31\.0\/24 10\.246\.31\.1\}\] map\[k:v\]\n$|^rnet1 /m));
    same(['network', 'ls', '-q', '--filter', 'label=k=v'], (r) => assert.equal(r.stdout, 'rnet1\n'));
    same(['network', 'ls', '--no-trunc']);
    same(['network', 'ls', '--format', 'json']);
    same(['network', 'ls', '--filter', 'bogus=1'], (r) => assert.equal(r.code, 125));
    same(['network', 'inspect', 'rnet1', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^Error: inspecting object: network nosuch: /);
    });
    same(['network', 'inspect', '--format', '{{.Name}} {{.NetworkInterface}}', 'rnet1']);
    same(['network', 'exists', 'rnet1'], (r) => assert.equal(r.code, 0));
    same(['network', 'exists', 'nosuch'], (r) => assert.equal(r.code, 1));
    // connect / disconnect a created container; the same errors for unknown ones
    const withCtr = () => {
      one();
      local(['create', '--name', 'nc', '--network', 'none', 'localhost/busybox', 'true']);
      local(['create', '--name', 'nb', 'localhost/busybox', 'true']);
    };
    sameAfter(withCtr, ['network', 'connect', 'rnet1', 'nosuch'], (r) => assert.equal(r.code, 125));
    sameAfter(withCtr, ['network', 'connect', 'nosuch', 'nb'], (r) => assert.equal(r.code, 125));
    sameAfter(withCtr, ['network', 'connect', '--alias', 'web', 'rnet1', 'nb'], (r) => assert.equal(r.code, 0));
    sameAfter(withCtr, ['network', 'disconnect', 'rnet1', 'nb'], (r) => assert.equal(r.code, 125));
    withCtr();
    local(['network', 'connect', 'rnet1', 'nb']);
    assert.equal(viaUnix(['network', 'disconnect', 'rnet1', 'nb']).code, 0);
    same(['inspect', '--format', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'nb'], (r) => assert.doesNotMatch(r.stdout, /rnet1/));
    // in use: 2; --force removes the container
    const inUse = () => {
      one();
      local(['create', '--name', 'nu', '--network', 'rnet1', 'localhost/busybox', 'true']);
    };
    sameAfter(inUse, ['network', 'rm', 'rnet1'], (r) => assert.equal(r.code, 2));
    // --force: a missing network is no error (Podman's 500-networking "network rm --force bogus")
    sameAfter(inUse, ['network', 'rm', '-f', 'rnet1', 'nosuch'], (r) => {
      assert.equal(r.stdout, 'rnet1\n');
      assert.equal(r.code, 0);
    });
    sameAfter(one, ['network', 'prune', '-f'], (r) => assert.equal(r.stdout, 'rnet1\n'));
    sameAfter(inUse, ['network', 'prune', '-f'], (r) => assert.equal(r.stdout, ''));
    sameAfter(one, ['network', 'prune', '-f', '--filter', 'label=nomatch'], (r) => assert.equal(r.stdout, ''));
    noNetworks();
  });

  test('cp both ways, between containers, a tar on stdin; top', () => {
    local(['run', '-d', '--name', 'cpc', '-w', '/tmp', 'localhost/busybox', 'sh', '-c', 'mkdir -p /srv/d/e; echo hi > /srv/d/f; echo deep > /srv/d/e/g; echo top > /srv/t; touch -d @1000000000 /srv/t /srv/d/f /srv/d/e/g /srv/d/e /srv/d; sleep 1000']);
    const ready = () => local(['exec', 'cpc', 'test', '-f', '/srv/t']).code === 0;
    for (let i = 0; i < 100 && !ready(); i++) env.run(['exec', 'cpc', 'sleep', '0.1']);
    const out = fs.mkdtempSync(path.join(env.dir, 'cp-'));
    // a tar on stdout: the same bytes
    same(['cp', 'cpc:/srv/t', '-'], (r) => assert.match(r.stdout, /^t\0/));
    same(['cp', 'cpc:../srv/d', '-'], (r) => assert.equal(r.code, 0));
    // errors: the same messages and codes
    same(['cp', 'cpc:/nosuch', out], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /"\/nosuch" could not be found on container cpc: no such file or directory/);
    });
    same(['cp', 'nosuch:/a', out], (r) => assert.equal(r.stderr, 'Error: container "nosuch" does not exist\n'));
    same(['cp', 'cpc:/srv/t', path.join(out, 'nodir') + '/'], (r) => assert.equal(r.code, 125));
    same(['cp', path.join(out, 'nosuch'), 'cpc:/tmp'], (r) => assert.match(r.stderr, /could not be found on the host/));
    same(['cp', 'cpc:/srv/d', 'cpc:/srv/t'], (r) => assert.match(r.stderr, /destination must be a directory when copying a directory/));
    // out of the container: the same tree
    const ways: [string, (a: string[]) => Result][] = [
      ['local', local],
      ['unix', viaUnix],
      ['tcp', viaTcp],
    ];
    for (const [how, run] of ways) {
      assert.equal(run(['cp', 'cpc:/srv/d', path.join(out, how)]).code, 0, how);
      assert.equal(fs.readFileSync(path.join(out, how, 'e', 'g'), 'utf8'), 'deep\n', how);
      assert.equal(run(['cp', 'cpc:/srv/d/.', path.join(out, how)]).code, 0, how);
      assert.deepEqual(fs.readdirSync(path.join(out, how)).sort(), ['e', 'f'], how);
    }
    // into the container: a file, a directory, a directory's content, from another container path, a tar on stdin
    fs.writeFileSync(path.join(out, 'up'), 'up\n');
    for (const [how, run] of ways) {
      assert.equal(run(['cp', path.join(out, 'up'), `cpc:/srv/up-${how}`]).code, 0, how);
      assert.equal(run(['cp', path.join(out, how), `cpc:/srv/dir-${how}`]).code, 0, how);
      assert.equal(run(['cp', 'cpc:/srv/d', `cpc:/srv/copy-${how}`]).code, 0, how);
      assert.equal(run(['cp', 'cpc:/srv/d/.', `cpc:/tmp`]).code, 0, how);
    }
    const tarIn = fs.mkdtempSync(path.join(env.dir, 'tar-'));
    fs.writeFileSync(path.join(tarIn, 'from-tar'), 'tarred\n');
    const tarball = require('node:child_process').execFileSync('tar', ['-C', tarIn, '-cf', '-', 'from-tar']) as Buffer;
    for (const args of [['cp', '-', 'cpc:/srv'], ['--url', `unix://${sock}`, 'cp', '-', 'cpc:/home']]) assert.equal(env.run(args, { input: tarball.toString('latin1') }).code, 0);
    const listing = local(['exec', 'cpc', 'sh', '-c', 'cd /srv && find up-* dir-* copy-* | sort; cat /srv/from-tar /home/from-tar; ls /tmp']).stdout;
    const expected = ['local', 'unix', 'tcp']
      .flatMap((h) => [`copy-${h}`, `copy-${h}/e`, `copy-${h}/e/g`, `copy-${h}/f`, `dir-${h}`, `dir-${h}/e`, `dir-${h}/e/g`, `dir-${h}/f`, `up-${h}`])
      .sort();
    assert.equal(listing, `${expected.join('\n')}\ntarred\ntarred\ne\nf\n`);
    // top: the same columns and processes (the times differ by when it asked)
    const cols = (r: Result) => r.stdout.split('\n').map((l) => l.split(/\s+/).filter((_, i) => ![3, 4, 6].includes(i)).join(' '));
    const lt = local(['top', 'cpc']);
    for (const r of [viaUnix(['top', 'cpc']), viaTcp(['top', 'cpc'])]) {
      assert.equal(r.code, 0);
      assert.deepEqual(cols(r), cols(lt));
    }
    assert.match(lt.stdout, /^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND\nroot +1 +0 .*sleep 1000\n$/);
    same(['top', 'nosuch'], (r) => assert.equal(r.code, 125));
    local(['stop', '-t', '0', 'cpc']);
    same(['top', 'cpc'], (r) => assert.equal(r.stderr, 'Error: top can only be used on running containers\n'));
    same(['cp', 'cpc:/srv/t', '-'], (r) => assert.equal(r.code, 0)); // a stopped container's files too
  });

  test('stats: the same containers and columns; streamed reports', async () => {
    local(['run', '-d', '--name', 'st1', 'localhost/busybox', 'sleep', '1000']);
    local(['run', '-d', '--name', 'st2', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'sleep 1000 & sleep 1000']);
    local(['create', '--name', 'st3', 'localhost/busybox', 'true']);
    // what does not vary from one sample to the next
    same(['stats', '--no-stream', '--format', '{{.ID}} {{.Name}} {{.PIDS}}'], (r) => assert.match(r.stdout, /^[0-9a-f]{12} st1 1\n[0-9a-f]{12} st2 2\n$/));
    same(['stats', '--no-stream', '--no-trunc', '--format', '{{.ContainerID}} {{.Name}}', 'st2', 'st1']);
    same(['stats', '--no-stream', '--format', '{{.Name}} {{.NetIO}}', 'st2'], (r) => assert.equal(r.stdout, 'st2 -- / --\n'));
    same(['stats', '--no-stream', '--all', '--format', '{{.Name}}'], (r) => assert.equal(r.stdout, 'st1\nst2\nst3\n'));
    same(['stats', '--no-stream', '--latest', '--format', '{{.Name}}'], (r) => assert.equal(r.stdout, 'st3\n'));
    same(['stats', '--no-stream', 'nosuch'], (r) => assert.match(r.stderr, /no container with name or ID "nosuch" found/));
    same(['stats', '--no-stream', 'st3'], (r) => assert.match(r.stderr, /is not running: container state improper/));
    const header = (r: Result) => r.stdout.split('\n')[0];
    assert.equal(header(viaUnix(['stats', '--no-stream'])), header(local(['stats', '--no-stream'])));
    const lj = JSON.parse(local(['stats', '--no-stream', '--format', 'json', 'st1']).stdout) as Record<string, unknown>[];
    const rj = JSON.parse(viaTcp(['stats', '--no-stream', '--format', 'json', 'st1']).stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(rj[0]).sort(), Object.keys(lj[0]).sort());
    // streamed: a report per interval, until interrupted
    const child = spawn(process.execPath, env.argv(['--url', `unix://${sock}`, 'stats', '-i', '1', '--format', '{{.Name}}', 'st1']).slice(1), { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
    try {
      await until(() => text === 'st1\nst1\n', 15_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('events: the journal, its formats and filters; streamed events', async () => {
    // only this test's events (the journal has the other tests' too)
    const start = new Date(Date.now() - 5).toISOString();
    local(['run', '--rm', '--name', 'ev1', '--label', 'x=y', 'localhost/busybox', 'true']);
    local(['volume', 'create', 'evvol']);
    local(['volume', 'rm', 'evvol']);
    await sleep(20);
    const end = new Date().toISOString();
    const window = ['--since', start, '--until', end];
    same(['events', ...window], (r) => assert.match(r.stdout, /container start [0-9a-f]{64} \(image=localhost\/busybox, name=ev1, x=y\)\n/));
    same(['events', ...window, '--format', 'json']);
    same(['events', ...window, '--format', '{{.Type}} {{.Status}} {{.Name}} {{.Attributes}} {{.Time}}']);
    same(['events', ...window, '--filter', 'type=volume', '--filter', 'event=remove'], (r) => assert.match(r.stdout, /^\S+ \S+ \S+ UTC volume remove evvol\n$/));
    same(['events', ...window, '--filter', 'container=ev1', '--filter', 'event=died', '--format', '{{.Name}} {{.ContainerExitCode}}'], (r) => assert.equal(r.stdout, 'ev1 0\n'));
    same(['events', ...window, '--filter', 'type=volume', '--format', '{{.Status}}'], (r) => assert.equal(r.stdout, 'create\nremove\n'));
    same(['events', '--stream=false', '--filter', 'type=volume', '--filter', 'volume=nosuchvolume']);
    same(['events', '--since', 'bogus', '--stream=false'], (r) => assert.equal(r.code, 125));
    // streamed: what happens after it started
    const child = spawn(process.execPath, env.argv(['--url', tcpUrl, 'events', '--since', '1s', '--filter', 'type=network', '--format', '{{.Status}} {{.Name}}']).slice(1), { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
    try {
      await sleep(1500);
      local(['network', 'create', '--subnet', '10.246.33.0/24', 'evnet']);
      local(['network', 'rm', 'evnet']);
      await until(() => text === 'create evnet\nremove evnet\n', 15_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('generate systemd: the same units, warnings, errors; --files on the client', () => {
    local(['create', '--name', 'gs', '--restart', 'always', '-e', 'A=b', 'localhost/busybox', 'sleep', '100']);
    same(['generate', 'systemd', '--no-header', 'gs'], (r) => {
      assert.match(r.stdout, /^# container-[0-9a-f]{64}\.service\n/);
      assert.match(r.stderr, /^WARN\[0000\] Container [0-9a-f]{64} has restart policy "always"/);
    });
    same(['generate', 'systemd', '--name', '--new', '--no-header', '--restart-sec', '5', '--stop-timeout', '3', '--start-timeout', '4', '--wants', 'a.service', '--after', 'b.service', '--requires', 'c.service', '-e', 'X=1', '--restart-policy', 'always', 'gs'], (r) =>
      assert.match(r.stdout, /ExecStart=[^]* run [^]*--name gs/),
    );
    same(['generate', 'systemd', '--template', '--name', '--no-header', '--container-prefix', 'ctr', '--separator', '_', '--format', 'json', 'gs'], (r) => assert.match(r.stdout, /^\{\n "ctr_gs": "# ctr_gs@\.service/));
    same(['generate', 'systemd', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /nosuch does not refer to a container or pod/);
    });
    same(['generate', 'systemd', '--restart-policy', 'bogus', 'gs'], (r) => assert.equal(r.code, 125));
    same(['generate', 'systemd', '--format', 'yaml', 'gs'], (r) => assert.equal(r.code, 125));
    // --files: written where the client runs
    const dir = fs.mkdtempSync(path.join(env.dir, 'units-'));
    const [node, ...rest] = env.argv(['--url', `unix://${sock}`, 'generate', 'systemd', '--files', '--name', '--no-header', 'gs']);
    const r = spawnSync(node, rest, { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${path.join(dir, 'container-gs.service')}\n`);
    assert.equal(fs.readFileSync(path.join(dir, 'container-gs.service'), 'utf8'), local(['generate', 'systemd', '--name', '--no-header', 'gs']).stdout);
  });

  test('system df, system prune, image prune: one implementation, the same reports', () => {
    const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'out', 'busybox-rootfs.tar');
    const clean = () => {
      local(['rm', '-af', '-t', '0']);
      for (const v of local(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean)) local(['volume', 'rm', '-f', v]);
      for (const n of local(['network', 'ls', '-q']).stdout.split('\n').filter((x) => x && x !== 'podman')) local(['network', 'rm', '-f', n]);
    };
    const litter = () => {
      clean();
      local(['create', '--name', 'stopped1', '-v', 'usedvol:/v', 'localhost/busybox', 'sh', '-c', 'true']);
      local(['run', '-d', '--name', 'running1', '--label', 'keep=1', 'localhost/busybox', 'sleep', '1000']);
      local(['volume', 'create', '--label', 'k=v', 'freevol']);
      local(['network', 'create', '--subnet', '10.246.34.0/24', 'freenet']);
      if (!local(['images', '-q', 'localhost/extra']).stdout.trim() && !local(['images', '-q', '--filter', 'dangling=true']).stdout.trim()) {
        local(['import', FIXTURE, 'localhost/extra']);
        local(['untag', 'localhost/extra']);
      }
    };
    litter();
    same(['system', 'df'], (r) => assert.match(r.stdout, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +\d+ +1 .*\nContainers +2 +1 .*\nLocal Volumes +2 +1 /));
    same(['system', 'df', '--format', 'json']);
    same(['system', 'df', '--format', '{{.Type}}: {{.Total}} {{.Active}} {{.RawSize}}']);
    same(['system', 'df', '-v'], (r) => assert.match(r.stdout, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n[^]*\nContainers space usage:\n\nCONTAINER ID [^]*\n[0-9a-f]{12} +[0-9a-f]{12} +sh -c true +1 [^]*\nLocal Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n/));
    same(['system', 'df', '-v', '--format', 'json'], (r) => assert.equal(r.code, 125));
    sameAfter(litter, ['system', 'prune', '-f'], (r) => {
      assert.match(r.stdout, /^Deleted Containers\n[0-9a-f]{64}\nDeleted Networks\nfreenet\nDeleted Images\n[0-9a-f]{64}\nTotal reclaimed space: /);
      assert.equal(r.code, 0);
    });
    sameAfter(litter, ['system', 'prune', '-f', '--volumes'], (r) => assert.match(r.stdout, /\nDeleted Volumes\n(freevol\nusedvol|usedvol\nfreevol)\n/));
    sameAfter(litter, ['system', 'prune', '-f', '--volumes', '--filter', 'label=k=v'], (r) => assert.match(r.stdout, /^Deleted Volumes\nfreevol\nTotal reclaimed space/));
    sameAfter(litter, ['system', 'prune'], (r) => assert.match(r.stdout, /Are you sure you want to continue\? \[y\/N\] $/), { input: 'n\n' });
    sameAfter(litter, ['image', 'prune', '-f'], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
    sameAfter(litter, ['image', 'prune', '-f', '--filter', 'label=nomatch'], (r) => assert.equal(r.stdout, ''));
    // what was kept
    same(['ps', '-a', '--format', '{{.Names}}'], (r) => assert.match(r.stdout, /running1/));
    same(['images', '--format', '{{.Repository}}'], (r) => assert.match(r.stdout, /localhost\/busybox/));
    clean();
  });

  test('secrets: create (file, stdin, env), ls, inspect, exists, rm', () => {
    const noSecrets = () => {
      local(['rm', '-af', '-t', '0']);
      local(['secret', 'rm', '--all']);
    };
    const data = path.join(env.dir, 'secret-data');
    fs.writeFileSync(data, 'top secret');
    const one = () => {
      noSecrets();
      local(['secret', 'create', '--label', 'a=b', 'sec1', data]);
    };
    // ids are random: each way's create prints one (64 hex would be normalized; these are 25)
    const idOf = (r: Result) => r.stdout.replace(/^[0-9a-f]{25}\n$/, '<id>\n');
    for (const [args, input] of [[['secret', 'create', '--label', 'a=b', 'sec1', data]], [['secret', 'create', 'sec1', '-'], 'from stdin'], [['secret', 'create', '--driver', 'file', 'sec1', data]]] as [string[], string?][]) {
      noSecrets();
      const l = env.run(args, { input });
      noSecrets();
      const r = viaUnix(args);
      noSecrets();
      const t = env.run(args, { input, env: cleanEnv({ CONTAINER_HOST: tcpUrl }) });
      for (const x of [t]) assert.deepEqual([idOf(x), x.stderr, x.code], [idOf(l), l.stderr, l.code], args.join(' '));
      if (!input) assert.deepEqual([idOf(r), r.stderr, r.code], [idOf(l), l.stderr, l.code], args.join(' '));
      assert.equal(idOf(l), '<id>\n');
    }
    // stdin reaches the service
    noSecrets();
    assert.equal(env.run(['--url', `unix://${sock}`, 'secret', 'create', 'piped', '-'], { input: 'piped data' }).code, 0);
    assert.equal(env.run(['--url', `unix://${sock}`, 'secret', 'create', '--env', 'fromenv', 'SECRET_VALUE'], { env: cleanEnv({ SECRET_VALUE: 'v' }) }).code, 0);
    same(['secret', 'ls', '--format', '{{.Name}} {{.Driver}}'], (r) => assert.equal(r.stdout.split('\n').sort().join(' '), ' fromenv file piped file'));
    sameAfter(one, ['secret', 'create', 'sec1', data], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /sec1/);
    });
    sameAfter(noSecrets, ['secret', 'create', 'bad/name', data], (r) => assert.equal(r.code, 125));
    sameAfter(noSecrets, ['secret', 'create', 'empty', '/dev/null'], (r) => assert.equal(r.code, 125));
    one();
    // (CREATED says how long ago: it may differ by a second)
    for (const r of [local(['secret', 'ls']), viaUnix(['secret', 'ls']), viaTcp(['secret', 'ls'])]) assert.match(r.stdout, /^ID +NAME +DRIVER +CREATED +UPDATED\n[0-9a-f]{25} +sec1 +file +\S/);
    same(['secret', 'ls', '--format', '{{.ID}} {{.Name}} {{.Driver}}']);
    same(['secret', 'ls', '--format', 'json']);
    same(['secret', 'ls', '--filter', 'name=sec', '-q']);
    same(['secret', 'ls', '--filter', 'bogus=1'], (r) => assert.equal(r.code, 125));
    same(['secret', 'inspect', 'sec1', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^Error: inspecting secret: nosuch: no such secret\n$/);
    });
    same(['secret', 'inspect', '--format', '{{.Spec.Name}} {{.Spec.Labels}}', 'sec1'], (r) => assert.equal(r.stdout, 'sec1 map[a:b]\n'));
    same(['secret', 'exists', 'sec1'], (r) => assert.equal(r.code, 0));
    same(['secret', 'exists', 'nosuch'], (r) => assert.equal(r.code, 1));
    sameAfter(one, ['secret', 'rm', 'sec1', 'nosuch'], (r) => {
      assert.match(r.stdout, /^[0-9a-f]{25}\n$/);
      assert.equal(r.code, 1);
    });
    sameAfter(one, ['secret', 'rm', '--all'], (r) => assert.match(r.stdout, /^[0-9a-f]{25}\n$/));
    noSecrets();
  });

  test('attach: output, stdin and its EOF, the exit code; errors', () => {
    const ways: [string, (a: string[], o?: { input?: string }) => Result][] = [
      ['local', (a, o) => env.run(a, o)],
      ['unix', (a, o) => env.run(['--url', `unix://${sock}`, ...a], o)],
      ['tcp', (a, o) => env.run(a, { ...o, env: cleanEnv({ CONTAINER_HOST: tcpUrl }) })],
    ];
    for (const [how, run] of ways) {
      local(['rm', '-f', '-t', '0', 'att']);
      local(['run', '-d', '--name', 'att', 'localhost/busybox', 'sh', '-c', 'sleep 1; echo a1; echo e1 >&2; exit 6']);
      const r = run(['attach', 'att']);
      assert.deepEqual([r.stdout, r.stderr, r.code], ['a1\n', 'e1\n', 6], how);
      local(['rm', '-f', '-t', '0', 'att']);
      local(['run', '-d', '-i', '--name', 'att', 'localhost/busybox', 'sh', '-c', 'cat; echo done; exit 2']);
      const i = run(['attach', 'att'], { input: 'hello\n' });
      assert.deepEqual([i.stdout, i.code], ['hello\ndone\n', 2], how);
    }
    same(['attach', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['attach', 'att'], (r) => assert.match(r.stderr, /you can only attach to running containers/));
  });

  test('port: a container\'s, the latest\'s, all running ones\'', () => {
    local(['run', '-d', '--name', 'pc', '-p', '127.0.0.1:41660:80', '-p', '127.0.0.1:41661:53/udp', 'localhost/busybox', 'sleep', '1000']);
    same(['port', 'pc'], (r) => assert.equal(r.stdout, '80/tcp -> 127.0.0.1:41660\n53/udp -> 127.0.0.1:41661\n'));
    same(['port', 'pc', '80'], (r) => assert.equal(r.stdout, '127.0.0.1:41660\n'));
    same(['port', 'pc', '53/udp']);
    same(['port', 'pc', '81'], (r) => assert.equal(r.code, 125));
    same(['port', 'pc', 'bogus'], (r) => assert.equal(r.code, 125));
    same(['port', 'nosuch'], (r) => assert.equal(r.code, 125));
    same(['port', '--latest'], (r) => assert.match(r.stdout, /^80\/tcp/));
    // a container that does not run publishes nothing: no output, as Podman's
    local(['create', '--name', 'pcc', '-p', '127.0.0.1:41663:80', 'localhost/busybox', 'true']);
    same(['port', 'pcc', '80'], (r) => assert.deepEqual([r.code, r.stdout], [0, '']));
    local(['rm', 'pcc']);
    local(['rm', '-f', '-t', '0', 'pc']);
    local(['run', '-d', '--name', 'pr', '-p', '127.0.0.1:41662:8080', 'localhost/busybox', 'sleep', '1000']);
    same(['port', '--all'], (r) => assert.match(r.stdout, /^[0-9a-f]{12}\t8080\/tcp -> 127\.0\.0\.1:41662\n$/));
    same(['port', '--all', '8080'], (r) => assert.match(r.stdout, /^[0-9a-f]{12}\t127\.0\.0\.1:41662\n$/));
  });

  test('diff: the container\'s changes, text and json', () => {
    local(['run', '-d', '--name', 'dc', 'localhost/busybox', 'sh', '-c', 'echo x > /newfile; mkdir -p /tmp/d; sleep 1000']);
    for (let i = 0; i < 100 && local(['exec', 'dc', 'test', '-f', '/newfile']).code !== 0; i++) env.run(['exec', 'dc', 'sleep', '0.1']);
    same(['diff', 'dc'], (r) => {
      assert.match(r.stdout, /^A \/newfile$/m);
      assert.match(r.stdout, /^A \/tmp\/d$/m);
    });
    same(['diff', '--format', 'json', 'dc'], (r) => assert.deepEqual(JSON.parse(r.stdout).added.includes('/newfile'), true));
    same(['diff', '--format', 'yaml', 'dc'], (r) => assert.equal(r.code, 125));
    same(['diff', 'nosuch'], (r) => assert.equal(r.code, 125));
  });

  test('pods: create, ps, inspect, exists, start, top, stop, restart, rm; kube generate, play, down', () => {
    const noPods = () => {
      env.run(['pod', 'rm', '-af', '-t', '0']);
    };
    const onePod = () => {
      noPods();
      env.ok(['pod', 'create', '--name', 'rp', '--label', 'team=a']);
      env.ok(['create', '--pod', 'rp', '--name', 'rp-member', 'localhost/busybox', 'sleep', '1000']);
    };
    try {
      sameAfter(noPods, ['pod', 'create', '--name', 'rp', '--label', 'team=a'], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
      sameAfter(onePod, ['pod', 'create', '--name', 'rp'], (r) => assert.equal(r.code, 125));
      onePod();
      same(['pod', 'ps', '--format', '{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}'], (r) => assert.equal(r.stdout, 'rp Created 2 map[team:a]\n'));
      same(['pod', 'ps', '-q', '--no-trunc']);
      same(['pod', 'inspect', '--format', '{{.Name}} {{.State}} {{.NumContainers}}', 'rp'], (r) => assert.equal(r.stdout, 'rp Created 2\n'));
      same(['pod', 'exists', 'rp'], (r) => assert.equal(r.code, 0));
      same(['pod', 'exists', 'nope'], (r) => assert.equal(r.code, 1));
      same(['pod', 'inspect', 'nope'], (r) => assert.equal(r.code, 125));
      same(['pod', 'stop', 'nope'], (r) => assert.equal(r.code, 125));
      sameAfter(onePod, ['pod', 'start', 'rp'], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
      same(['pod', 'ps', '--format', '{{.Name}} {{.Status}}'], (r) => assert.equal(r.stdout, 'rp Running\n'));
      same(['pod', 'top', 'rp', 'pid', 'args'], (r) => assert.match(r.stdout, /sleep 1000/));
      same(['pod', 'stop', '-t', '0', 'rp'], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
      same(['pod', 'ps', '--format', '{{.Name}} {{.Status}}'], (r) => assert.equal(r.stdout, 'rp Exited\n'));
      // the YAML's creationTimestamp is the time of generating it, as Podman's
      const generated = local(['kube', 'generate', 'rp']);
      assert.match(generated.stdout, /^kind: Pod$/m);
      const stamp = (t: string) => t.replace(/creationTimestamp: "[^"]+"/, 'creationTimestamp: <now>');
      for (const [how, r] of [['unix', viaUnix(['kube', 'generate', 'rp'])], ['tcp', viaTcp(['kube', 'generate', 'rp'])], ['ssh', viaSsh(['kube', 'generate', 'rp'])]] as const) {
        assert.equal(stamp(r.stdout), stamp(generated.stdout), `${how} stdout of kube generate`);
        assert.equal(r.stderr + r.code, generated.stderr + generated.code, `${how} stderr and code of kube generate`);
      }
      const yaml = path.join(env.dir, 'rp.yaml');
      fs.writeFileSync(yaml, local(['kube', 'generate', 'rp']).stdout.replace(/\brp\b/g, 'kp'));
      sameAfter(onePod, ['kube', 'play', yaml], (r) => assert.match(r.stdout, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/));
      same(['pod', 'ps', '--format', '{{.Name}} {{.Status}}', '--filter', 'name=kp'], (r) => assert.equal(r.stdout, 'kp Running\n'));
      same(['kube', 'play', path.join(env.dir, 'no-such.yaml')], (r) => assert.equal(r.code, 125));
      const played = () => {
        onePod();
        env.ok(['kube', 'play', yaml]);
      };
      sameAfter(played, ['kube', 'down', yaml], (r) => assert.match(r.stdout, /^Pods stopped:\n[0-9a-f]{64}\nPods removed:\n[0-9a-f]{64}\n/));
      sameAfter(onePod, ['pod', 'restart', 'rp'], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
      sameAfter(onePod, ['pod', 'rm', '-f', '-t', '0', 'rp'], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
      same(['pod', 'rm', 'nope'], (r) => assert.equal(r.code, 1));
    } finally {
      noPods();
    }
  });

  test('export: the same archive four ways, to a file and to stdout; errors', () => {
    local(['create', '--name', 'exp', 'localhost/busybox', 'sh', '-c', 'true']);
    const listing = (f: string) => spawnSync('tar', ['tvf', f], { encoding: 'utf8' }).stdout;
    const files = ['local', 'unix', 'tcp', 'ssh'].map((how) => path.join(env.dir, `export-${how}.tar`));
    const [l, u, t, s] = [local, viaUnix, viaTcp, viaSsh].map((run, i) => run(['export', '-o', files[i], 'exp']));
    for (const r of [l, u, t, s]) assert.equal(r.code + r.stdout + r.stderr, '0');
    assert.match(listing(files[0]), /bin\/busybox$/m);
    for (const f of files.slice(1)) assert.equal(listing(f), listing(files[0]), f);
    // to stdout (a pipe here)
    const piped = spawnSync('sh', ['-c', `${env.argv(['--url', `unix://${sock}`, 'export', 'exp']).map((a) => `'${a}'`).join(' ')} | tar t | grep -c .`], { env: cleanEnv(), encoding: 'utf8' });
    assert.equal(piped.stdout.trim(), listing(files[0]).trim().split('\n').length.toString());
    same(['export', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'Error: no container with name or ID "nosuch" found: no such container\n');
    });
    same(['export', '-o', path.join(env.dir, 'no-such-dir', 'x.tar'), 'exp'], (r) => assert.equal(r.code, 125));
  });

  test('build: the steps, the image, its errors; the context goes up from the client', () => {
    const ctx = path.join(env.dir, 'rbuild');
    fs.mkdirSync(ctx, { recursive: true });
    fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nRUN echo hi > /hi\nCOPY f /f\n');
    fs.writeFileSync(path.join(ctx, 'Failing'), 'FROM localhost/busybox\nRUN echo before; exit 3\n');
    fs.writeFileSync(path.join(ctx, 'f'), 'from the context\n');
    // no built image and no layer of an earlier build (so none comes from a cache)
    const unbuilt = () => {
      env.run(['rmi', '-f', 'localhost/rb']);
      env.run(['image', 'prune', '-f']);
    };
    try {
      sameAfter(unbuilt, ['build', '-t', 'localhost/rb', ctx], (r) => {
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^STEP 1\/3: FROM localhost\/busybox\nSTEP 2\/3: RUN echo hi > \/hi\n--> [0-9a-f]{12}\nSTEP 3\/3: COPY f \/f\nCOMMIT localhost\/rb\n--> [0-9a-f]{12}\nSuccessfully tagged localhost\/rb:latest\n[0-9a-f]{64}\n$/);
      });
      same(['run', '--rm', 'localhost/rb', 'cat', '/hi', '/f'], (r) => assert.equal(r.stdout, 'hi\nfrom the context\n'));
      sameAfter(unbuilt, ['build', '-q', '-t', 'localhost/rb', ctx], (r) => assert.match(r.stdout, /^[0-9a-f]{64}\n$/));
      sameAfter(unbuilt, ['build', '-f', path.join(ctx, 'Failing'), ctx], (r) => {
        assert.notEqual(r.code, 0);
        assert.match(r.stdout, /^before$/m); // what RUN prints goes to stdout
        assert.match(r.stderr, /^Error: building at STEP "RUN echo before; exit 3": /);
      });
      same(['build', path.join(env.dir, 'no-such-context')], (r) => assert.equal(r.code, 125));
    } finally {
      unbuilt();
    }
  });
});

describe('tspod --remote over SSH', () => {
  beforeEach(() => {
    env.run(['rm', '-af', '-t', '0']);
  });

  /** local and over ssh: the same stdout, stderr and exit code */
  function sameSsh(args: string[], check?: (r: Result) => void, opts: { input?: string } = {}): void {
    const l = env.run(args, opts);
    const r = viaSsh(args, opts);
    assert.equal(r.stdout, l.stdout, `ssh stdout of ${args.join(' ')}`);
    assert.equal(r.stderr, l.stderr, `ssh stderr of ${args.join(' ')}`);
    assert.equal(r.code, l.code, `ssh exit code of ${args.join(' ')}`);
    check?.(l);
  }

  test('commands over ssh -L to the service socket: output, exit codes, stdin, streams', () => {
    sameSsh(['run', '--rm', 'localhost/busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3'], (r) => assert.equal(r.code, 3));
    sameSsh(['run', '--rm', '-i', 'localhost/busybox', 'sh', '-c', 'cat; exit 4'], (r) => assert.equal(r.stdout, 'in\n'), { input: 'in\n' });
    local(['run', '-d', '--name', 'sshc', 'localhost/busybox', 'sh', '-c', 'echo logged; sleep 1000']);
    sameSsh(['ps', '--format', '{{.Names}} {{.State}}'], (r) => assert.equal(r.stdout, 'sshc running\n'));
    sameSsh(['exec', 'sshc', 'sh', '-c', 'echo in-exec; exit 5'], (r) => assert.equal(r.code, 5));
    sameSsh(['logs', 'sshc'], (r) => assert.equal(r.stdout, 'logged\n'));
    sameSsh(['cp', 'sshc:/etc/hostname', '-']);
    sameSsh(['volume', 'ls']);
    sameSsh(['inspect', 'nosuch'], (r) => assert.equal(r.code, 125));
    sameSsh(['rm', 'nosuch'], (r) => assert.equal(r.code, 1));
    assert.equal(viaSsh(['rm', '-f', '-t', '0', 'sshc']).stdout, 'sshc\n');
    // nothing left behind: no tunnel directory of ours
    assert.deepEqual(
      fs.readdirSync(require('node:os').tmpdir()).filter((n: string) => n.startsWith('tspod-ssh-')).filter((n: string) => fs.statSync(path.join(require('node:os').tmpdir(), n)).mtimeMs > Date.now() - 60_000),
      [],
    );
  });

  test('host keys are checked, keys are required; bad URLs are refused', () => {
    const unknown = env.run(['--url', sshUrl(), '--identity', path.join(sshDir, 'userkey'), 'ps'], { env: sshEnv({ TSPOD_SSH_KNOWN_HOSTS: '/dev/null' }) });
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /^Error: unable to connect to tspod socket: ssh root@127\.0\.0\.1:41622: Host key verification failed\.\n$/);
    const wrongKey = env.run(['--url', sshUrl(), '--identity', path.join(sshDir, 'otherkey'), 'ps'], { env: sshEnv() });
    assert.equal(wrongKey.code, 125);
    assert.match(wrongKey.stderr, /Permission denied \(publickey\)/);
    const noKey = env.run(['--url', sshUrl(), '--identity', path.join(sshDir, 'nosuchkey'), 'ps'], { env: sshEnv() });
    assert.match(noKey.stderr, /identity file .*nosuchkey: no such file or not readable/);
    for (const bad of ['ssh://-oProxyCommand=touch@127.0.0.1/x', 'ssh://root@-oProxyCommand=x/x', 'ssh://root@127.0.0.1:99999/x', 'ssh://root@127.0.0.1/a:b', 'ssh://user@127.0.0.1']) {
      const r = env.run(['--url', bad, 'ps'], { env: sshEnv() });
      assert.equal(r.code, 125, bad);
      assert.match(r.stderr, /invalid URL/, bad);
    }
    // the service's socket missing there: ssh's forward fails
    const gone = env.run(['--url', `ssh://root@127.0.0.1:${SSH_PORT}/nonexistent/tspod.sock`, '--identity', path.join(sshDir, 'userkey'), 'ps'], { env: sshEnv() });
    assert.equal(gone.code, 125);
  });

  test('system connection add, ls, default, rename, rm; --connection and CONTAINER_CONNECTION', () => {
    const conn = (args: string[], extra: NodeJS.ProcessEnv = {}) => env.run(args, { env: sshEnv(extra) });
    assert.equal(conn(['system', 'connection', 'ls']).stdout, 'Name        URI         Identity    Default\n');
    assert.equal(conn(['system', 'connection', 'add', 'c1', 'tcp://localhost:12345']).code, 0);
    const key = path.join(sshDir, 'userkey');
    const add = conn(['system', 'connection', 'add', '--identity', key, '--port', String(SSH_PORT), '--socket-path', sock, 'viassh', 'root@127.0.0.1']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, '');
    const uri = `ssh://root@127.0.0.1:${SSH_PORT}${sock}`;
    const ls = conn(['system', 'connection', 'ls']).stdout;
    assert.match(ls, /^Name +URI +Identity +Default\nc1 +tcp:\/\/localhost:12345 +true\n/);
    assert.ok(ls.includes(`viassh      ${uri}  ${key}  false\n`), ls);
    assert.equal(conn(['system', 'connection', 'ls', '-q']).stdout, 'c1\nviassh\n');
    assert.deepEqual(JSON.parse(conn(['system', 'connection', 'ls', '--format', 'json']).stdout), [
      { Name: 'c1', URI: 'tcp://localhost:12345', Identity: '', Default: true },
      { Name: 'viassh', URI: uri, Identity: key, Default: false },
    ]);
    // the stored file is private
    assert.equal(fs.statSync(path.join(sshDir, 'home', '.config', 'containers', 'tspod-connections.json')).mode & 0o777, 0o600);
    // --connection and CONTAINER_CONNECTION use it (its identity); the default one with --remote
    local(['create', '--name', 'named', 'localhost/busybox']);
    assert.equal(conn(['--connection', 'viassh', 'ps', '-a', '--format', '{{.Names}}']).stdout, 'named\n');
    assert.equal(conn(['ps', '-a', '--format', '{{.Names}}'], { CONTAINER_CONNECTION: 'viassh' }).stdout, 'named\n');
    assert.equal(conn(['system', 'connection', 'default', 'viassh']).code, 0);
    assert.equal(conn(['--remote', 'ps', '-a', '--format', '{{.Names}}']).stdout, 'named\n');
    assert.equal(conn(['system', 'connection', 'ls', '--format', '{{.Name}} {{.Default}}']).stdout, 'c1 false\nviassh true\n');
    // a connection that is not there, names that are not allowed, a rename onto another
    for (const args of [['--connection', 'nosuch', 'ps'], ['system', 'connection', 'default', 'nosuch'], ['system', 'connection', 'rm', 'nosuch'], ['system', 'connection', 'rename', 'c1', 'viassh'], ['system', 'connection', 'add', 'bad name', 'tcp://x:1'], ['system', 'connection', 'add', 'c2', 'ftp://x']]) {
      const r = conn(args);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, /^Error: /, args.join(' '));
    }
    assert.equal(conn(['system', 'connection', 'rename', 'viassh', 'ssh2']).code, 0);
    assert.equal(conn(['system', 'connection', 'ls', '--format', '{{.Name}} {{.Default}}']).stdout, 'c1 false\nssh2 true\n');
    // the default removed: none is the default then (as Podman)
    assert.equal(conn(['system', 'connection', 'rm', 'ssh2']).code, 0);
    assert.equal(conn(['system', 'connection', 'ls', '--format', '{{.Name}} {{.Default}}']).stdout, 'c1 false\n');
    assert.equal(conn(['system', 'connection', 'rm', '--all']).code, 0);
    assert.equal(conn(['system', 'connection', 'ls', '-q']).stdout, '');
  });
});
