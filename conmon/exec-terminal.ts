// An exec session with a terminal. The runtime's exec gives the pty master
// only when it runs detached (`runc exec -d --console-socket`), and then the
// process is no longer its child: this helper, a subreaper, runs it, keeps the
// master, copies it to and from its stdio (fd 0 in, fd 1 out), takes resize
// lines on fd 3, reaps the process and exits with its exit code. Started with
// the bundle as cwd; the caller reads the runtime's log when it fails.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawn } from 'node:child_process';
import { native } from '../lib/native';
import { listenConsoleSocket } from '../lib/terminal/console-socket';
import { ptyStream } from '../lib/terminal/pty-stream';
import { parseControl } from '../lib/container/attach-protocol';
import { EXEC_CTL_FD, type ExecTerminalConfig } from '../lib/container/exec-terminal-config';

const cfg = JSON.parse(process.argv[3]) as ExecTerminalConfig;
const addon = native();
addon.setSubreaper();
const tag = `exec-${process.pid}`;
// The user's terminal may go away after a detach: the session is not bound to it.
process.on('SIGHUP', () => undefined);
const pidFile = `${tag}.pid`;

async function main(): Promise<void> {
  const cs = await listenConsoleSocket(`${tag}.sock`);
  const [file, ...args] = [...cfg.runtimeArgs, '--detach', '--tty', '--console-socket', cs.path, '--pid-file', pidFile, ...cfg.tail];
  const runtime = spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const runtimeCode = await new Promise<number>((resolve) => {
    runtime.on('error', () => resolve(125));
    runtime.on('exit', (c) => resolve(c ?? 125));
  });
  if (runtimeCode !== 0) {
    cs.close();
    process.exit(runtimeCode);
  }
  const masterFd = await cs.master;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  fs.rmSync(pidFile, { force: true });
  if (cfg.rows && cfg.cols) addon.setWinsize(masterFd, cfg.rows, cfg.cols);
  const master = ptyStream(masterFd);
  master.on('error', () => undefined); // EIO: the process and its children closed the terminal

  // Our stdio is a pipe to the caller, or the user's terminal itself (the CLI's stdout).
  const out = process.stdout;
  out.on('error', () => undefined); // the caller went away (detached): the process runs on
  master.pipe(out, { end: false });
  process.stdin.on('error', () => undefined);
  process.stdin.on('data', (d: Buffer) => master.write(d));
  (process.stdin as unknown as { unref?: () => void }).unref?.();
  watchControl(
    (rows, cols) => {
      try {
        addon.setWinsize(masterFd, rows, cols);
      } catch {
        /* closed */
      }
    },
    // The caller closed the control pipe: it detached. The process runs on, its output is dropped.
    () => {
      master.unpipe(out);
      master.resume();
    },
  );

  let code: number | undefined;
  const reap = () => {
    if (code !== undefined) return;
    let r;
    try {
      r = addon.waitpid(pid, true);
    } catch {
      r = { pid, code: 255 };
    }
    if (!r) return;
    code = r.code ?? 128 + (r.signal ?? 0);
    clearInterval(keepAlive);
    // What the process wrote last is still in the pty: drain it, then go.
    const exit = () => process.exit(code);
    if (master.destroyed) exit();
    master.once('close', exit);
    setTimeout(exit, 300);
  };
  process.on('SIGCHLD', reap);
  const keepAlive = setInterval(reap, 500);
  reap();
}

function watchControl(onResize: (rows: number, cols: number) => void, onCallerGone: () => void): void {
  if (!addon.fdIsOpen(EXEC_CTL_FD)) return;
  const ctl = new net.Socket({ fd: EXEC_CTL_FD, readable: true, writable: false });
  let carry = '';
  ctl.on('data', (d: Buffer) => {
    const lines = (carry + d.toString()).split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) {
      const r = parseControl(l);
      if (r) onResize(r.rows, r.cols);
    }
  });
  ctl.on('error', () => undefined);
  ctl.on('end', onCallerGone);
  ctl.unref();
}

main().catch((err: Error) => {
  process.stderr.write(`tspod-conmon: exec terminal: ${err.message}\n`);
  process.exit(125);
});
