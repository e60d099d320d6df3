// tspod-runtime: one command line around crun/runc. It turns the activated
// sockets it inherited (LISTEN_PID = its own pid) into --preserve-fds for the
// runtime, strips the activation variables, and execs the runtime in its place.
import { detectRuntime } from './detect';
import { createArgs, runtimeArgv, runtimeEnv } from './oci-runtime';
import { listenFdsFor } from '../lib/activation/listen-fds';
import { native } from '../lib/native';

const USAGE = 'usage: tspod-runtime [--runtime NAME|PATH] --root DIR create|start|state|kill|delete|exec ARGS...';

function main(argv: string[]): void {
  let runtimeName: string | undefined;
  let stateRoot: string | undefined;
  let runroot = '/run/tspod';
  // Our own flags come first; everything after them is the runtime's command line.
  while (['--runtime', '--root', '--runroot'].includes(argv[0])) {
    const flag = argv.shift() as string;
    const value = argv.shift();
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === '--runtime') runtimeName = value;
    else if (flag === '--root') stateRoot = value;
    else runroot = value as string;
  }
  if (!stateRoot || argv.length === 0) fail(USAGE);
  const runtime = detectRuntime(runroot, runtimeName);
  const args = [...argv];
  const listen = listenFdsFor(process.env, process.pid);
  const sub = args.findIndex((a) => a === 'create' || a === 'run');
  if (listen && sub >= 0 && !args.includes('--preserve-fds')) args.splice(sub + 1, 0, '--preserve-fds', String(listen.count));
  // Node marks the fds it was started with close-on-exec; the runtime must get stdio and the passed fds.
  const pi = args.indexOf('--preserve-fds');
  const passed = pi >= 0 ? Number(args[pi + 1]) : 0;
  for (let fd = 0; fd < 3 + passed; fd++) if (native().fdIsOpen(fd)) native().setCloexec(fd, false);
  const full = runtimeArgv({ runtime, stateRoot: stateRoot as string }, args);
  const env = Object.entries(runtimeEnv()).map(([k, v]) => `${k}=${v}`);
  native().execve(full[0], full, env);
}

function fail(msg: string): never {
  process.stderr.write(`tspod-runtime: ${msg}\n`);
  process.exit(125);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  fail((err as Error).message);
}

export { createArgs };
