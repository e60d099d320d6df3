// Shell completion and man pages, both written from the command definitions:
// the bash script drives real completions (commands, subcommands, flags, and
// names read from the store the command line names), zsh and fish load theirs,
// and every command has a man page that groff renders without a warning.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO, TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('completion');
const MAN = path.join(REPO, 'dist', 'man', 'man1');
const scripts: Record<string, string> = {};

before(() => {
  env.importTestImages();
  env.ok(['create', '--name', 'completion-target', 'localhost/busybox', 'true']);
  for (const shell of ['bash', 'zsh', 'fish']) {
    scripts[shell] = path.join(env.dir, `tspod.${shell}`);
    env.ok(['completion', '-f', scripts[shell], shell]);
  }
});
after(() => env.cleanup());

/** What bash completes for the words (the last one being completed). */
function bashComplete(words: string[]): string[] {
  const script = `source ${scripts.bash}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _tspod; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: `${path.join(REPO, 'dist')}:${process.env.PATH}` } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('bash: commands, subcommands, flags, and names from the store given on the command line', () => {
  assert.equal(spawnSync('bash', ['-n', scripts.bash]).status, 0);
  assert.deepEqual(bashComplete(['tspod', 'heal']), ['healthcheck']);
  assert.deepEqual(bashComplete(['tspod', 'healthcheck', '']), ['run']);
  assert.deepEqual(bashComplete(['tspod', 'container', 'ins']), ['inspect']);
  assert.ok(bashComplete(['tspod', 'run', '--heal']).includes('--health-cmd'));
  assert.ok(bashComplete(['tspod', 'run', '--']).includes('--root'), 'global options too');
  const store = ['--root', env.root, '--runroot', env.runroot];
  assert.deepEqual(bashComplete(['tspod', ...store, 'start', 'completion-']), ['completion-target']);
  assert.deepEqual(bashComplete(['tspod', ...store, 'run', '--name', 'x', 'localhost/bus']), ['localhost/busybox:latest'], 'a flag value is not taken for the command');
  assert.deepEqual(bashComplete(['tspod', ...store, 'volume', 'rm', 'nonesuch']), []);
});

test('zsh loads it through bashcompinit; fish completes commands and flags with descriptions', () => {
  const zsh = spawnSync('zsh', ['-c', `source ${scripts.zsh}; print -r -- \${_comps[tspod]}`], { encoding: 'utf8' });
  assert.equal(zsh.status, 0, zsh.stderr);
  assert.equal(zsh.stdout.trim(), '_bash_complete -o default -F _tspod');
  const fish = (line: string) => spawnSync('fish', ['-c', `source ${scripts.fish}; complete -C '${line}'`], { encoding: 'utf8' }).stdout;
  assert.match(fish('tspod heal'), /^healthcheck\tManage health checks on containers$/m);
  assert.match(fish('tspod run --na'), /^--name\tAssign a name to the container$/m);
  assert.match(fish('tspod pod '), /^create\t/m);
  const bad = env.run(['completion', 'powershell']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /only bash, zsh and fish are supported/);
});

test('a man page for tspod and every command; groff renders them without warnings; units point at them', () => {
  const pages = new Set(fs.readdirSync(MAN));
  for (const p of ['tspod.1', 'tspod-run.1', 'tspod-generate-systemd.1', 'tspod-system-service.1', 'tspod-healthcheck-run.1', 'tspod-auto-update.1', 'tspod-container-ps.1'])
    assert.ok(pages.has(p), p);
  const top = fs.readFileSync(path.join(MAN, 'tspod.1'), 'utf8');
  for (const cmd of ['run', 'pod', 'kube', 'healthcheck', 'completion']) assert.match(top, new RegExp(`^\\.B tspod\\\\-${cmd}\\(1\\)$`, 'm'));
  assert.doesNotMatch(top, /__man/, 'hidden commands are not listed');
  for (const p of pages) {
    const r = spawnSync('groff', ['-ww', '-z', '-man', path.join(MAN, p)], { encoding: 'utf8' });
    assert.equal(r.stderr, '', `${p}: ${r.stderr}`);
  }
  const run = spawnSync('man', ['-l', path.join(MAN, 'tspod-run.1')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', PAGER: 'cat' } });
  assert.match(run.stdout, /--health-on-failure string/);
  const unit = env.ok(['generate', 'systemd', 'completion-target']);
  const doc = /^Documentation=man:(\S+)\(1\)$/m.exec(unit);
  assert.ok(doc && pages.has(`${doc[1]}.1`), `${doc?.[1]}`);
});
