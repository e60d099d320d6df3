// Debian's real `docker-registry` on a free 127.0.0.1 port, for one test file:
// started in its own directory (optionally with htpasswd auth), stopped by pid.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { sleep } from './tspod-env';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const haveRegistry = fs.existsSync(REGISTRY_BIN);

export interface Registry {
  host: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function status(host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`http://${host}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** Starts docker-registry in dir on a free loopback port (with htpasswd auth when given a user). */
export async function startRegistry(dir: string, auth?: { user: string; password: string }): Promise<Registry> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  let authConf = '';
  if (auth) {
    const r = spawnSync('htpasswd', ['-Bbn', auth.user, auth.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, 'htpasswd'), r.stdout);
    authConf = `auth:\n  htpasswd:\n    realm: tspod-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authConf}`,
  );
  const proc = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const s = await status(host);
    if (s === 200 || s === 401) break;
    if (i > 200 || proc.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
    await sleep(50);
  }
  return {
    host,
    proc,
    async stop() {
      if (proc.exitCode !== null || proc.pid === undefined) return;
      const exited = new Promise((r) => proc.once('exit', r));
      process.kill(proc.pid, 'SIGTERM');
      await exited;
    },
  };
}

