// `tspod --remote`: the same commands against a `tspod system service` (on a
// unix socket and on tcp) print what the local commands print and exit with
// the same codes.
import { after, before, beforeEach, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { TspodEnv, cleanEnv, sleep, until, type Result } from '../helpers/tspod-env';
import { ApiService } from '../helpers/api-service';

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

function portAnswers(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

const local = (args: string[]): Result => env.run(args);
/** Over the unix socket with --remote --url. */
const viaUnix = (args: string[]): Result => env.run(['--remote', '--url', `unix://${sock}`, ...args]);
/** Over tcp with CONTAINER_HOST (which implies --remote). */
const viaTcp = (args: string[]): Result => env.run(args, { env: cleanEnv({ CONTAINER_HOST: tcpUrl }) });

/** The three ways give the same stdout, stderr and exit code. */
function same(args: string[], check?: (r: Result) => void): Result {
  const l = local(args);
  for (const [how, r] of [
    ['unix', viaUnix(args)],
    ['tcp', viaTcp(args)],
  ] as const) {
    assert.equal(r.stdout, l.stdout, `${how} stdout of ${args.join(' ')}`);
    assert.equal(r.stderr, l.stderr, `${how} stderr of ${args.join(' ')}`);
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
});

after(async () => {
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

  test('run --rm: the exact output and the exit code, three ways', () => {
    const args = ['run', '--rm', 'localhost/busybox', 'sh', '-c', 'echo out-1; echo err-1 >&2; echo out-2; exit 3'];
    same(args, (r) => {
      assert.equal(r.stdout, 'out-1\nout-2\n');
      assert.equal(r.stderr, 'err-1\n');
      assert.equal(r.code, 3);
    });
    // run -i: stdin goes up, its EOF too
    const input = 'line a\nline b\n';
    const withStdin = ['run', '-i', '--rm', 'localhost/busybox', 'sh', '-c', 'cat; echo eof; exit 4'];
    for (const r of [env.run(withStdin, { input }), env.run(['--remote', '--url', `unix://${sock}`, ...withStdin], { input }), env.run(withStdin, { input, env: cleanEnv({ CONTAINER_HOST: tcpUrl }) })]) {
      assert.equal(r.stdout, 'line a\nline b\neof\n');
      assert.equal(r.code, 4);
    }
    // --rm left nothing behind
    assert.equal(local(['ps', '-aq']).stdout, '');
  });

  test('errors: an unknown container or image gives the same message and exit code', () => {
    same(['inspect', 'nosuch'], (r) => {
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'Error: no such object: "nosuch"\n');
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
    const cp = viaUnix(['cp', 'x:/a', '/tmp/b']);
    assert.equal(cp.code, 125);
    assert.match(cp.stderr, /^Error: tspod cp is not supported by the remote client/);
    // no service there
    const down = env.run(['--url', `unix://${env.dir}/nosuch.sock`, 'ps']);
    assert.equal(down.code, 125);
    assert.match(down.stderr, /^Error: unable to connect to tspod socket: dial unix .*nosuch\.sock: connect: no such file or directory\n$/);
    const bad = env.run(['--url', 'ssh://host/x', 'ps']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /not a supported schema/);
  });
});
