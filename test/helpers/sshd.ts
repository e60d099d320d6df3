// A private OpenSSH server on a loopback port for one test file, so remote
// commands can go over `ssh://` URLs as they do between machines: fresh host and
// user keys, its own config (keys only, stream-local forwarding allowed), and a
// client environment with its own HOME (connections file) and known_hosts.
// Stopped by pid at the end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cleanEnv, sleep } from './tspod-env';
import { portAnswers } from './api-service';

export class TestSshd {
  readonly dir: string;
  private proc: ChildProcess | undefined;

  constructor(
    baseDir: string,
    readonly port: number,
  ) {
    this.dir = path.join(baseDir, 'ssh');
  }

  /** A key file of this server's: userkey (authorized), otherkey (not), hostkey. */
  key(name: 'userkey' | 'otherkey' | 'hostkey' = 'userkey'): string {
    return path.join(this.dir, name);
  }

  /** The ssh:// URL of a unix socket on this host, as root through this server. */
  url(sock: string): string {
    return `ssh://root@127.0.0.1:${this.port}${sock}`;
  }

  /** tspod's global options that reach the service on sock through this server. */
  remoteArgs(sock: string): string[] {
    return ['--url', this.url(sock), '--identity', this.key()];
  }

  /** The client's environment: its own HOME and known_hosts (which knows this server's host key). */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return cleanEnv({ HOME: path.join(this.dir, 'home'), TSPOD_SSH_KNOWN_HOSTS: path.join(this.dir, 'known_hosts'), ...extra });
  }

  /** Makes the keys and config, starts sshd and waits (bounded) until it accepts connections. */
  async start(): Promise<void> {
    fs.mkdirSync(path.join(this.dir, 'home'), { recursive: true, mode: 0o700 });
    for (const k of ['hostkey', 'userkey', 'otherkey'] as const) spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', this.key(k)], { stdio: 'ignore' });
    fs.copyFileSync(`${this.key()}.pub`, path.join(this.dir, 'authorized_keys'));
    const hostPub = fs.readFileSync(`${this.key('hostkey')}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(path.join(this.dir, 'known_hosts'), `[127.0.0.1]:${this.port} ${hostPub}\n`);
    const config = path.join(this.dir, 'sshd_config');
    fs.writeFileSync(
      config,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${this.key('hostkey')}`,
        `PidFile ${path.join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        'AllowStreamLocalForwarding yes',
        '',
      ].join('\n'),
    );
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
    const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let log = '';
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 200 && !(await portAnswers(this.port)) && proc.exitCode === null; i++) await sleep(50);
    await sleep(100);
    if (proc.exitCode !== null || !(await portAnswers(this.port))) throw new Error(`the test's sshd did not start: ${log}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    const d = this.proc;
    if (d?.pid && d.exitCode === null && d.signalCode === null) {
      const done = new Promise((r) => d.once('exit', r));
      process.kill(d.pid, 'SIGTERM');
      await Promise.race([done, sleep(5000)]);
      if (d.exitCode === null && d.signalCode === null) process.kill(d.pid, 'SIGKILL');
    }
  }
}
