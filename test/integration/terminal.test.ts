// Interactive terminals driven through a real pty (node-pty): `run -it`,
// `create -t` + `start -ai`, `exec -it`, `attach`, detach keys, resize,
// Ctrl-C / Ctrl-D, and the user's terminal restored afterwards.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TspodEnv, until } from '../helpers/tspod-env';
import { PtySession } from '../helpers/pty-session';

const env = new TspodEnv('terminal');
const PROMPT = /\/ # /;

/** tspod under a pty of 100x30. */
function tspodPty(args: string[]): PtySession {
  const [node, ...rest] = env.argv(args);
  return new PtySession(node, rest);
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** tspod run inside `sh` under a pty, with the terminal settings printed before and after. */
function tspodInShell(args: string[]): PtySession {
  const cmd = env.argv(args).map(shQuote).join(' ');
  return new PtySession('/bin/sh', ['-c', `echo "before:$(stty -g)"; ${cmd}; echo "rc=$?"; echo "after:$(stty -g)"`]);
}

function status(name: string): string {
  return env.ok(['inspect', '--format', '{{.State.Status}}', name]).trim();
}

describe('interactive terminals', () => {
  before(() => env.importTestImages());
  after(() => env.cleanup());

  test('run -it: a real terminal, its size, resize, TERM, Ctrl-C, Ctrl-D, terminal restored', async (t) => {
    const s = tspodInShell(['run', '-it', '--name', 'it1', 'localhost/busybox', 'sh']);
    t.after(() => s.kill());
    const before = (await s.waitFor(/before:(\S+)/))[1];
    await s.waitFor(PROMPT);
    s.write('tty; stty size; echo "term=$TERM"\r');
    await s.waitFor(/\/dev\/pts\/\d+\r\n30 100\r\nterm=xterm\r\n/);
    s.resize(120, 40);
    await new Promise((r) => setTimeout(r, 300));
    s.write('stty size\r');
    await s.waitFor(/\r\n40 120\r\n/);
    // Ctrl-C interrupts the container's foreground job, not tspod
    s.write('sleep 30\r');
    await new Promise((r) => setTimeout(r, 500));
    s.write('\x03');
    await s.waitFor(PROMPT);
    s.write('echo still-here\r');
    await s.waitFor('still-here\r\n');
    await s.waitFor(PROMPT);
    // The output is the container's own: no doubled carriage returns
    assert.doesNotMatch(s.output, /\r\r\n/);
    s.write('\x04'); // Ctrl-D: the shell exits 0
    await s.waitFor(/rc=0/);
    const afterMode = (await s.waitFor(/after:(\S+)/))[1];
    assert.equal(afterMode, before, 'the terminal settings are restored');
    assert.equal((await s.exit()).exitCode, 0);
    assert.equal(status('it1'), 'exited');
  });

  test('detach with ctrl-p,ctrl-q, attach again, exit code through attach', async (t) => {
    const s = tspodPty(['run', '-it', '--name', 'det1', 'localhost/busybox', 'sh']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('echo first\r');
    await s.waitFor('first\r\n');
    const before = s.output.length;
    s.write('\x10\x11');
    assert.equal((await s.exit()).exitCode, 0);
    assert.doesNotMatch(s.output.slice(before), /error|\x10|\x11/i, 'detaching prints nothing odd');
    assert.equal(status('det1'), 'running');

    const a = tspodPty(['attach', 'det1']);
    t.after(() => a.kill());
    await new Promise((r) => setTimeout(r, 500));
    a.write('echo "again $((6*7))"\r');
    await a.waitFor('again 42\r\n');
    a.write('stty size\r');
    await a.waitFor(/\r\n30 100\r\n/);
    a.write('exit 3\r');
    assert.equal((await a.exit()).exitCode, 3);
    await until(() => status('det1') === 'exited');
  });

  test('custom --detach-keys, and attach --no-stdin only watches', async (t) => {
    const s = tspodPty(['run', '-it', '--detach-keys', 'ctrl-x,x', '--name', 'det2', 'localhost/busybox', 'sh']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('\x10\x11echo pq-passed\r'); // the default keys mean nothing here
    await s.waitFor('pq-passed\r\n');
    s.write('\x18x');
    assert.equal((await s.exit()).exitCode, 0);
    assert.equal(status('det2'), 'running');

    const watcher = tspodPty(['attach', '--no-stdin', 'det2']);
    t.after(() => watcher.kill());
    const typist = tspodPty(['attach', 'det2']);
    t.after(() => typist.kill());
    await new Promise((r) => setTimeout(r, 700));
    watcher.write('echo ignored\r'); // not sent anywhere
    typist.write('echo "seen-by $((1+1))"\r');
    await watcher.waitFor('seen-by 2');
    typist.write('exit 5\r');
    assert.equal((await typist.exit()).exitCode, 5);
    assert.equal((await watcher.exit()).exitCode, 5);
    // (the watcher's own terminal echoes what was typed there: it is not in raw mode)
    assert.doesNotMatch(watcher.output + typist.output, /\nignored/, 'the watcher sent nothing to the container');
  });

  test('bad detach keys are an engine error (125)', () => {
    const r = env.run(['run', '-it', '--rm', '--detach-keys', 'ctrl-', 'localhost/busybox', 'true']);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /invalid detach keys/);
  });

  test('create -t -i, then start -ai', async (t) => {
    env.ok(['create', '-t', '-i', '--name', 'cs1', 'localhost/busybox', 'sh']);
    const s = tspodPty(['start', '-ai', 'cs1']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('[ -t 0 ] && [ -t 1 ] && echo both-ttys\r');
    await s.waitFor('both-ttys\r\n');
    s.write('exit 4\r');
    assert.equal((await s.exit()).exitCode, 4);
  });

  test('exec -it: its own terminal, size, resize, exit code; Ctrl-D', async (t) => {
    env.ok(['run', '-d', '--name', 'ex1', 'localhost/busybox', 'sleep', '1000']);
    const s = tspodInShell(['exec', '-it', 'ex1', 'sh']);
    t.after(() => s.kill());
    const before = (await s.waitFor(/before:(\S+)/))[1];
    await s.waitFor(PROMPT);
    s.write('tty; stty size; echo "term=$TERM"\r');
    await s.waitFor(/\/dev\/pts\/\d+\r\n30 100\r\nterm=xterm\r\n/);
    s.resize(90, 25);
    await new Promise((r) => setTimeout(r, 300));
    s.write('stty size\r');
    await s.waitFor(/\r\n25 90\r\n/);
    s.write('sleep 30\r');
    await new Promise((r) => setTimeout(r, 500));
    s.write('\x03');
    await s.waitFor(PROMPT);
    s.write('echo back\r');
    await s.waitFor('back\r\n');
    await s.waitFor(PROMPT);
    s.write('\x04');
    await s.waitFor(/rc=0/);
    assert.equal((await s.waitFor(/after:(\S+)/))[1], before, 'the terminal settings are restored');
    await s.exit();

    const e = tspodPty(['exec', '-it', 'ex1', 'sh', '-c', 'read x; exit $x']);
    t.after(() => e.kill());
    await new Promise((r) => setTimeout(r, 500));
    e.write('9\r');
    assert.equal((await e.exit()).exitCode, 9);
    assert.equal(status('ex1'), 'running', 'the container outlives its exec sessions');
  });

  test('exec -it: detaching leaves the process running and its output off the terminal', async (t) => {
    env.ok(['run', '-d', '--name', 'ex2', 'localhost/busybox', 'sleep', '1000']);
    const s = tspodInShell(['exec', '-it', 'ex2', 'sh']);
    t.after(() => s.kill());
    await s.waitFor(PROMPT);
    s.write('(sleep 1; echo LATE-$((40+2)); exec sleep 1000) &\r');
    await s.waitFor(PROMPT);
    s.write('\x10\x11');
    await s.waitFor(/rc=0/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(s.output, /LATE-42/);
    assert.equal((await s.exit()).exitCode, 0);
    const top = env.ok(['top', 'ex2']);
    assert.match(top, /sleep 1000\n[^]*sleep 1000/, 'the detached session runs on');
  });

  test('-i without -t streams stdin through, for run and attach', () => {
    assert.equal(env.ok(['run', '-i', '--rm', 'localhost/busybox', 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' }), 'line one\nline two\ndone\n');
    env.ok(['run', '-d', '-i', '--name', 'cat1', 'localhost/busybox', 'sh', '-c', 'read x; echo "got $x"; exit 6']);
    const r = env.run(['attach', 'cat1'], { input: 'hello\n' });
    assert.equal(r.stdout, 'got hello\n');
    assert.equal(r.code, 6);
  });

  test('attach to a container that is not running is an error', () => {
    env.ok(['create', '--name', 'idle1', 'localhost/busybox', 'true']);
    const r = env.run(['attach', 'idle1']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /you can only attach to running containers/);
  });
});
