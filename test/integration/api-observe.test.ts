// cp (archive endpoints), top, stats and system df: through the real docker
// CLI against `tspod system service`, and through tspod's own commands.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv, cleanEnv, sleep } from '../helpers/tspod-env';

const env = new TspodEnv('api-observe');
const sock = path.join(env.dir, 'docker.sock');
const work = path.join(env.dir, 'work');
const svc = new ApiService(env, sock);

function docker(args: string[], timeout = 60_000) {
  const r = spawnSync('docker', args, { env: { ...cleanEnv(), DOCKER_HOST: `unix://${sock}` }, encoding: 'utf8', timeout });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function dockerOk(args: string[]): string {
  const r = docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function get(p: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: p, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}


before(async () => {
  env.importTestImages();
  fs.mkdirSync(work);
  await svc.start();
});
after(async () => {
  await svc.stop();
  env.cleanup();
});

describe('cp / archive', () => {
  test('docker cp both ways on a running container, HEAD stat header, missing path', async () => {
    env.ok(['run', '-d', '--name', 'cprun', 'localhost/busybox', 'sh', '-c', 'mkdir -p /data/sub && echo inside > /data/sub/f && ln -s /data/sub /data/link && sleep 1000']);
    await sleep(500);
    const hostFile = path.join(work, 'hello.txt');
    fs.writeFileSync(hostFile, 'hello from host\n');
    dockerOk(['cp', hostFile, 'cprun:/tmp/']);
    assert.equal(env.ok(['exec', 'cprun', 'cat', '/tmp/hello.txt']), 'hello from host\n');
    dockerOk(['cp', hostFile, 'cprun:/tmp/renamed.txt']);
    assert.equal(env.ok(['exec', 'cprun', 'cat', '/tmp/renamed.txt']), 'hello from host\n');
    // a directory out, into a new name and into an existing directory
    dockerOk(['cp', 'cprun:/data', path.join(work, 'dataout')]);
    assert.equal(fs.readFileSync(path.join(work, 'dataout', 'sub', 'f'), 'utf8'), 'inside\n');
    assert.equal(fs.readlinkSync(path.join(work, 'dataout', 'link')), '/data/sub');
    fs.mkdirSync(path.join(work, 'into'));
    dockerOk(['cp', 'cprun:/data/sub/f', path.join(work, 'into')]);
    assert.equal(fs.readFileSync(path.join(work, 'into', 'f'), 'utf8'), 'inside\n');
    // a directory in
    fs.mkdirSync(path.join(work, 'tree', 'a'), { recursive: true });
    fs.writeFileSync(path.join(work, 'tree', 'a', 'b'), 'bee');
    dockerOk(['cp', path.join(work, 'tree'), 'cprun:/opt']); // a new name: the directory becomes /opt
    assert.equal(env.ok(['exec', 'cprun', 'cat', '/opt/a/b']), 'bee');
    dockerOk(['cp', path.join(work, 'tree'), 'cprun:/opt']); // now an existing directory: into it
    assert.equal(env.ok(['exec', 'cprun', 'cat', '/opt/tree/a/b']), 'bee');
    // the stat header
    const r = await get('/v1.41/containers/cprun/archive?path=/data/sub/f');
    assert.equal(r.status, 200);
    const stat = JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
    assert.equal(stat.name, 'f');
    assert.equal(stat.size, 7);
    const link = await get('/v1.41/containers/cprun/archive?path=/data/link');
    const lstat = JSON.parse(Buffer.from(String(link.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
    assert.equal(lstat.linkTarget, '/data/sub');
    const dir = JSON.parse(Buffer.from(String((await get('/v1.41/containers/cprun/archive?path=/data')).headers['x-docker-container-path-stat']), 'base64').toString()) as { mode: number };
    assert.ok(dir.mode >= 2 ** 31, 'directory bit of Go FileMode');
    const missing = docker(['cp', 'cprun:/no/such', path.join(work, 'x')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Could not find the file \/no\/such in container cprun/);
    assert.equal((await get('/v1.41/containers/nosuchctr/archive?path=/')).status, 404);
  });

  test('symlinks resolve inside the rootfs, never outside', async () => {
    env.ok(['run', '-d', '--name', 'cpesc', 'localhost/busybox', 'sh', '-c', 'echo ctr > /marker && ln -s ../../../../../../../.. /tmp/up && ln -s / /tmp/root && sleep 1000']);
    await sleep(500);
    // reading through a link that climbs above / gives the container's file
    assert.equal(dockerOk(['cp', 'cpesc:/tmp/up/marker', '-']).includes('ctr\n'), true);
    assert.notEqual(docker(['cp', 'cpesc:/tmp/up/etc/shadow', path.join(work, 'shadow')]).code === 0 && fs.readFileSync(path.join(work, 'shadow'), 'utf8') === fs.readFileSync('/etc/shadow', 'utf8'), true);
    // writing through an absolute link lands in the container
    const f = path.join(work, 'esc.txt');
    fs.writeFileSync(f, 'esc');
    dockerOk(['cp', f, 'cpesc:/tmp/root/tmp/']);
    assert.equal(env.ok(['exec', 'cpesc', 'cat', '/tmp/esc.txt']), 'esc');
    assert.equal(fs.existsSync('/tmp/esc.txt') && fs.readFileSync('/tmp/esc.txt', 'utf8') === 'esc', false);
  });

  test('docker cp and tspod cp on a stopped container leave no mount behind', () => {
    env.ok(['run', '--name', 'cpstop', 'localhost/busybox', 'sh', '-c', 'echo stopped > /tmp/s']);
    const id = env.ok(['inspect', '--format', '{{.Id}}', 'cpstop']).trim();
    dockerOk(['cp', 'cpstop:/tmp/s', path.join(work, 's1')]);
    assert.equal(fs.readFileSync(path.join(work, 's1'), 'utf8'), 'stopped\n');
    env.ok(['cp', 'cpstop:/tmp/s', path.join(work, 's2')]);
    assert.equal(fs.readFileSync(path.join(work, 's2'), 'utf8'), 'stopped\n');
    fs.writeFileSync(path.join(work, 'in.txt'), 'put while stopped');
    env.ok(['cp', path.join(work, 'in.txt'), 'cpstop:/root/in.txt']);
    dockerOk(['cp', path.join(work, 'in.txt'), 'cpstop:/tmp/']);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(id), 'the stopped container rootfs is unmounted again');
    // the files are there on the next run
    env.ok(['start', 'cpstop']);
    env.ok(['wait', 'cpstop']);
    assert.equal(env.ok(['cp', 'cpstop:/root/in.txt', '-']).includes('put while stopped'), true);
    assert.equal(dockerOk(['cp', 'cpstop:/tmp/in.txt', '-']).includes('put while stopped'), true);
  });

  test('tspod cp: a directory into a running container and back, a tar on stdin, content-only copies', () => {
    env.ok(['run', '-d', '--name', 'tcp', 'localhost/busybox', 'sleep', '1000']);
    const tree = path.join(work, 'ttree');
    fs.mkdirSync(path.join(tree, 'd'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'd', 'f1'), 'one');
    env.ok(['cp', tree, 'tcp:/srv']); // new name
    assert.equal(env.ok(['exec', 'tcp', 'cat', '/srv/d/f1']), 'one');
    env.ok(['cp', `${tree}/.`, 'tcp:/tmp']); // content only
    assert.equal(env.ok(['exec', 'tcp', 'cat', '/tmp/d/f1']), 'one');
    env.ok(['cp', 'tcp:/srv/.', path.join(work, 'tback')]);
    assert.equal(fs.readFileSync(path.join(work, 'tback', 'd', 'f1'), 'utf8'), 'one');
    const tar = spawnSync('tar', ['-C', tree, '-c', 'd']).stdout;
    const [node, ...args] = env.argv(['cp', '-', 'tcp:/root']);
    const r = spawnSync(node, args, { input: tar, env: cleanEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(env.ok(['exec', 'tcp', 'cat', '/root/d/f1']), 'one');
    const bad = env.run(['cp', 'tcp:/no/such', path.join(work, 'nope')]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /"\/no\/such" could not be found on container tcp: no such file or directory/); // Podman's words
  });

  test('noOverwriteDirNonDir refuses to replace a directory with a file', () => {
    env.ok(['run', '-d', '--name', 'cpdir', 'localhost/busybox', 'sh', '-c', 'mkdir -p /t/x && sleep 1000']);
    const tree = path.join(work, 'nodir');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'x'), 'file');
    const r = docker(['cp', `${tree}/.`, 'cpdir:/t']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot overwrite directory/);
  });
});

describe('top', () => {
  test('docker top, the endpoint, and tspod top list the container processes', async () => {
    env.ok(['run', '-d', '--name', 'toptest', 'localhost/busybox', 'sh', '-c', 'sleep 1001 & sleep 1002']);
    await sleep(500);
    const out = dockerOk(['top', 'toptest']);
    assert.match(out.split('\n')[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
    assert.match(out, /sleep 1001/);
    assert.match(out, /sleep 1002/);
    const r = await get('/v1.41/containers/toptest/top');
    const body = JSON.parse(r.body.toString()) as { Titles: string[]; Processes: string[][] };
    assert.deepEqual(body.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.ok(body.Processes.length >= 2);
    const lp = JSON.parse((await get('/v4.0.0/libpod/containers/toptest/top')).body.toString()) as { Titles: string[]; Processes: string[][] };
    assert.equal(lp.Titles[0], 'USER');
    assert.ok(lp.Processes.some((p) => p[1] === '1'), 'pids inside the pid namespace');
    const cli = env.ok(['top', 'toptest']);
    assert.match(cli, /^USER\s+PID\s+PPID\s+%CPU\s+ELAPSED\s+TTY\s+TIME\s+COMMAND/);
    assert.match(cli, /sleep 1002/);
    env.ok(['stop', '-t', '0', 'toptest']);
    assert.notEqual(docker(['top', 'toptest']).code, 0);
  });
});

describe('stats', () => {
  test('memory of a 60 MiB tmpfs file and a CPU burner, docker and tspod', async () => {
    env.ok(['run', '-d', '--name', 'memhog', 'localhost/busybox', 'sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=60 && sleep 1000']);
    env.ok(['run', '-d', '--name', 'cpuhog', 'localhost/busybox', 'sh', '-c', 'while :; do :; done']);
    await sleep(1500);
    const r = await get('/v1.41/containers/memhog/stats?stream=false');
    assert.equal(r.status, 200);
    const s = JSON.parse(r.body.toString()) as {
      memory_stats: { usage: number; limit: number };
      pids_stats: { current: number };
      cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number };
      precpu_stats: { system_cpu_usage: number };
      blkio_stats: unknown;
      networks: unknown;
    };
    assert.ok(s.memory_stats.usage >= 55 * 2 ** 20 && s.memory_stats.usage < 200 * 2 ** 20, `usage ${s.memory_stats.usage}`);
    assert.ok(s.memory_stats.limit > s.memory_stats.usage);
    assert.ok(s.pids_stats.current >= 1);
    assert.ok(s.cpu_stats.system_cpu_usage > s.precpu_stats.system_cpu_usage);
    assert.ok(s.blkio_stats && s.networks);
    const d = dockerOk(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'memhog', 'cpuhog']);
    const lines = Object.fromEntries(d.trim().split('\n').map((l) => [l.split(' ')[0], l]));
    const mem = /^memhog [\d.]+% ([\d.]+)MiB/.exec(lines.memhog);
    assert.ok(mem && Number(mem[1]) >= 55 && Number(mem[1]) < 200, lines.memhog);
    // A busy loop: a clear share of a CPU (the bound is low: other tests may load the machine), never above one CPU.
    const cpu = /^cpuhog ([\d.]+)%/.exec(lines.cpuhog);
    assert.ok(cpu && Number(cpu[1]) > 3 && Number(cpu[1]) < 130, lines.cpuhog);
    assert.ok(Number(/^memhog ([\d.]+)%/.exec(lines.memhog)?.[1]) < Number(cpu[1]), `${lines.memhog} vs ${lines.cpuhog}`);
    // tspod stats: Podman's columns
    const t = env.ok(['stats', '--no-stream']);
    assert.match(t.split('\n')[0], /^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET IO\s+BLOCK IO\s+PIDS/);
    const f = env.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDS}}', 'cpuhog', 'memhog']);
    const tl = Object.fromEntries(f.trim().split('\n').map((l) => [l.split(' ')[0], l]));
    const tcpu = /^cpuhog ([\d.]+)%/.exec(tl.cpuhog);
    assert.ok(tcpu && Number(tcpu[1]) > 3 && Number(tcpu[1]) < 130, tl.cpuhog);
    const tmem = /^memhog [\d.]+% ([\d.]+)MB/.exec(tl.memhog);
    assert.ok(tmem && Number(tmem[1]) >= 57 && Number(tmem[1]) < 210, tl.memhog);
    // the libpod report
    const lp = JSON.parse((await get('/v4.0.0/libpod/containers/stats?containers=memhog&stream=false')).body.toString()) as { Stats: { MemUsage: number; PIDs: number }[] };
    assert.ok(lp.Stats[0].MemUsage >= 55 * 2 ** 20);
    env.ok(['rm', '-f', '-t', '0', 'memhog', 'cpuhog']);
  });

  test('a streamed docker stats sends one document per second', async () => {
    env.ok(['run', '-d', '--name', 'streamed', 'localhost/busybox', 'sleep', '1000']);
    const docs = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const req = http.request({ socketPath: sock, path: '/v1.41/containers/streamed/stats', method: 'GET' }, (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          got.push(...parts.filter(Boolean));
          if (got.length >= 2) {
            req.destroy();
            resolve(got);
          }
        });
      });
      req.on('error', (e) => (got.length >= 2 ? resolve(got) : reject(e)));
      req.end();
    });
    const second = JSON.parse(docs[1]) as { precpu_stats: { system_cpu_usage: number }; cpu_stats: { system_cpu_usage: number } };
    assert.ok(second.precpu_stats.system_cpu_usage > 0 && second.cpu_stats.system_cpu_usage > second.precpu_stats.system_cpu_usage);
  });
});

describe('system df', () => {
  test('docker system df, the libpod df, tspod system df', async () => {
    env.ok(['create', '--name', 'dfctr', 'localhost/busybox', 'true']);
    const out = dockerOk(['system', 'df']);
    assert.match(out, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
    assert.match(out, /Images\s+2\s+/);
    const v = dockerOk(['system', 'df', '-v']);
    assert.match(v, /localhost\/busybox/);
    assert.match(v, /dfctr/);
    const r = JSON.parse((await get('/v1.41/system/df')).body.toString()) as { Images: { Size: number }[]; Containers: { SizeRw: number }[]; LayersSize: number };
    assert.equal(r.Images.length, 2);
    assert.ok(r.Images.every((i) => i.Size > 0));
    assert.ok(r.LayersSize > 0);
    const lp = JSON.parse((await get('/v4.0.0/libpod/system/df')).body.toString()) as { Images: { Repository: string }[]; Containers: { Names: string }[] };
    assert.ok(lp.Images.some((i) => i.Repository === 'localhost/busybox'));
    assert.ok(lp.Containers.some((c) => c.Names === 'dfctr'));
    const t = env.ok(['system', 'df']);
    assert.match(t, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
    assert.match(t, /Images\s+2\s+/);
  });
});

