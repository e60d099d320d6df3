// `docker run -it` and `docker exec -it` (the real docker CLI, under a pty)
// against `tspod system service`: raw TTY streams, resize endpoints, detach.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ApiService } from '../helpers/api-service';
import { TspodEnv, cleanEnv, until } from '../helpers/tspod-env';
import { PtySession } from '../helpers/pty-session';

const env = new TspodEnv('terminal-api');
const sock = path.join(env.dir, 'docker.sock');
const svc = new ApiService(env, sock);
const PROMPT = /\/ # /;
const dockerEnv = () => ({ ...cleanEnv(), TERM: 'xterm', DOCKER_HOST: `unix://${sock}` });

function dockerPty(args: string[]): PtySession {
  return new PtySession('docker', args, { env: dockerEnv() });
}

function dockerOk(args: string[]): string {
  const r = spawnSync('docker', args, { env: dockerEnv(), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('docker -it through the API', () => {
  before(async () => {
    env.importTestImages();
    await svc.start();
  });
  after(async () => {
    await svc.stop();
    env.cleanup();
  });

  test('docker run -it: terminal, size, resize, exit code, --rm', async (t) => {
    const s = dockerPty(['run', '-it', '--rm', '--name', 'drun', 'localhost/busybox', 'sh']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('tty; stty size; echo "term=$TERM"\r');
    await s.waitFor(/\/dev\/pts\/\d+\r\n30 100\r\nterm=xterm\r\n/);
    s.resize(111, 33);
    await settle();
    s.write('stty size\r');
    await s.waitFor(/\r\n33 111\r\n/);
    s.write('exit 7\r');
    assert.equal((await s.exit()).exitCode, 7);
    await until(() => dockerOk(['ps', '-aq', '--filter', 'name=drun']) === '', 10_000);
  });

  test('docker run -it, detach with ctrl-p,ctrl-q, docker attach again', async (t) => {
    const s = dockerPty(['run', '-it', '--name', 'ddet', 'localhost/busybox', 'sh']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('\x10\x11');
    assert.equal((await s.exit()).exitCode, 0);
    assert.equal(dockerOk(['inspect', '--format', '{{.State.Status}}', 'ddet']).trim(), 'running');
    const a = dockerPty(['attach', 'ddet']);
    t.after(() => a.kill());
    await settle();
    a.write('echo "back $((2+3))"\r');
    await a.waitFor('back 5\r\n');
    a.write('exit 2\r');
    assert.equal((await a.exit()).exitCode, 2);
  });

  test('docker exec -it: its own terminal, resize, exit code', async (t) => {
    dockerOk(['run', '-d', '--name', 'dex', 'localhost/busybox', 'sleep', '1000']);
    const s = dockerPty(['exec', '-it', 'dex', 'sh']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('tty; stty size\r');
    await s.waitFor(/\/dev\/pts\/\d+\r\n30 100\r\n/);
    s.resize(70, 20);
    await settle();
    s.write('stty size\r');
    await s.waitFor(/\r\n20 70\r\n/);
    s.write('exit 6\r');
    assert.equal((await s.exit()).exitCode, 6);
    assert.equal(dockerOk(['inspect', '--format', '{{.State.Status}}', 'dex']).trim(), 'running');
  });
});
