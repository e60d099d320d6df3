// Debian's docker-compose 1.29 against `tspod system service` on a private
// unix socket: a project of two services on the default network (the client
// reaches the web server by service name), a published port reached from
// 127.0.0.1, a named volume whose data survives `down` and `up`, ps, logs,
// exec -T, restart, and `down -v` removing the volume. Nothing is pulled: the
// images are imported into the service's store first.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { REPO, TspodEnv, cleanEnv, until } from '../helpers/tspod-env';

const env = new TspodEnv('compose');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);
const project = 'tsp';
const projectDir = path.join(REPO, 'test', 'fixtures', 'compose');
const haveCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
let port = 0;

function compose(args: string[], timeout = 120_000) {
  const r = spawnSync('docker-compose', ['-p', project, '--ansi', 'never', ...args], {
    cwd: projectDir,
    env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}`, COMPOSE_HTTP_TIMEOUT: '120', WEB_PORT: String(port) },
    encoding: 'utf8',
    timeout,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function composeOk(args: string[]): string {
  const r = compose(args);
  if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function fetchLocal(p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // a new connection each time: a kept-alive one would still lead to the previous container
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function served(expected: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetchLocal('/index.html');
      if (r.status === 200 && r.body === expected) return;
      last = `${r.status} ${r.body}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // What the network looked like, for whoever debugs this.
  const diag = [
    env.run(['ps', '-a', '--format', '{{.Names}} {{.Status}} {{.Ports}}']).stdout,
    env.run(['inspect', '--format', '{{.State.Pid}} {{.RestartCount}} {{json .NetworkSettings.Networks}}', `${project}_web_1`]).stdout,
    spawnSync('ip', ['neigh'], { encoding: 'utf8' }).stdout,
    spawnSync('sh', ['-c', `iptables-save 2>/dev/null | grep -e ':${port}' -e 'dport ${port}'`], { encoding: 'utf8' }).stdout,
  ].join('\n');
  throw new Error(`http://127.0.0.1:${port}/index.html did not serve ${JSON.stringify(expected)}: last ${last}\n${diag}`);
}

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

before(async () => {
  env.importTestImages();
  port = await freePort();
  await svc.start();
});

after(async () => {
  if (haveCompose) compose(['down', '-v', '-t', '1'], 60_000);
  await svc.stop();
  env.run(['network', 'prune', '-f'], { timeout: 30_000 }); // whatever a failed `down` left
  env.cleanup();
});

describe('docker-compose 1.29 against tspod', { skip: haveCompose ? false : 'docker-compose is not installed' }, () => {
  test('up -d creates the network, the volume and both containers', () => {
    composeOk(['up', '-d']);
    const ps = composeOk(['ps']);
    assert.match(ps, new RegExp(`${project}_web_1\\s.*Up`), ps);
    assert.match(ps, new RegExp(`${project}_client_1\\s.*Up`), ps);
    assert.equal(env.run(['volume', 'exists', `${project}_site`]).code, 0);
    const labels = env.ok(['volume', 'inspect', '--format', '{{index .Labels "com.docker.compose.project"}}', `${project}_site`]);
    assert.equal(labels, `${project}\n`);
  });

  test('exec -T writes into the named volume; the published port serves it on 127.0.0.1', async () => {
    composeOk(['exec', '-T', 'web', 'sh', '-c', 'echo tspod-compose > /www/index.html']);
    await served('tspod-compose\n');
  });

  test('the client reaches the web service by its service name', () => {
    const out = composeOk(['exec', '-T', 'client', 'wget', '-q', '-O', '-', 'http://web:8080/index.html']);
    assert.equal(out, 'tspod-compose\n');
  });

  test('logs shows what the services printed', async () => {
    await until(() => compose(['logs', '--no-color', 'client']).stdout.includes('client fetched tspod-compose'), 20_000, 500);
    const logs = composeOk(['logs', '--no-color', 'client']);
    assert.match(logs, /client_1\s+\| client started/);
  });

  test('restart restarts the service and it serves again', async () => {
    const before = env.ok(['inspect', '--format', '{{.State.StartedAt}}', `${project}_web_1`]);
    composeOk(['restart', '-t', '1', 'web']);
    const after = env.ok(['inspect', '--format', '{{.State.StartedAt}} {{.State.Status}}', `${project}_web_1`]);
    assert.notEqual(after.split(' ')[0], before.trim());
    assert.match(after, /running/);
    await served('tspod-compose\n');
  });

  test('the restart policy and the volume mount show in inspect', () => {
    const out = env.ok(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}} {{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}}{{end}}', `${project}_web_1`]);
    assert.equal(out, `unless-stopped volume:${project}_site:/www\n`);
  });

  test('mem_limit, cpus, pids_limit and security_opt reach the client container', () => {
    const out = env.ok(['inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.SecurityOpt}}', `${project}_client_1`]);
    assert.equal(out, `${64 << 20} 500000000 100 [no-new-privileges]\n`);
    const cg = composeOk(['exec', '-T', 'client', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; grep NoNewPrivs: /proc/self/status']);
    assert.equal(cg, `${64 << 20}\n50000\n100\nNoNewPrivs:\t1\n`);
  });

  test('down keeps the named volume; up again serves the same data', async () => {
    composeOk(['down', '-t', '1']);
    assert.equal(env.ok(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '-q']), '');
    assert.equal(env.run(['volume', 'exists', `${project}_site`]).code, 0);
    composeOk(['up', '-d']);
    await served('tspod-compose\n');
  });

  test('down -v removes the containers, the network and the volume', () => {
    composeOk(['down', '-v', '-t', '1']);
    assert.equal(env.ok(['ps', '-a', '-q']), '');
    assert.equal(env.run(['volume', 'exists', `${project}_site`]).code, 1);
  });
});
