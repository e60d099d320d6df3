// Build's pure parts: Containerfile stages, variable expansion, ignore-file rules and COPY globs.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseContainerfile } from '../lib/build/containerfile';
import { expandVariables } from '../lib/build/expand';
import { IgnoreRules, patternRegExp } from '../lib/build/patterns';

test('Containerfile: global ARGs, stages with names, continuations, flags, exec form, escape directive', () => {
  const p = parseContainerfile(
    '# escape=`\nARG BASE=busybox\nFROM ${BASE} AS Build\nRUN echo a `\n  && echo b\nCOPY --from=build --chown=1:2 a b /d/\nCMD ["sh", "-c", "echo x"]\nFROM scratch\nENV A=1 B="two words"\n',
  );
  assert.equal(p.globalArgs.length, 1);
  assert.deepEqual(p.globalArgs[0].properties, [['BASE', 'busybox']]);
  assert.equal(p.stages.length, 2);
  assert.equal(p.stages[0].name, 'build');
  const [run, copy, cmd] = p.stages[0].steps;
  assert.equal(run.args.replace(/\s+/g, ' '), 'echo a && echo b');
  assert.deepEqual(copy.flags, [['from', 'build'], ['chown', '1:2']]);
  assert.equal(copy.args, 'a b /d/');
  assert.deepEqual(cmd.json, ['sh', '-c', 'echo x']);
  assert.deepEqual(p.stages[1].steps[0].properties, [['A', '1'], ['B', 'two words']]);
  assert.throws(() => parseContainerfile('RUN x\n'), /no FROM before RUN/);
  assert.throws(() => parseContainerfile('FROM a\nBOGUS x\n'), /unknown instruction/);
  assert.throws(() => parseContainerfile('# only a comment\n'), /no FROM/);
});

test('variables: $V, ${V}, defaults, alternatives, escapes, single quotes', () => {
  const vars = new Map([['A', '1'], ['E', '']]);
  assert.equal(expandVariables('$A ${A} ${B:-def} ${A:+alt} ${B:+alt} ${E:-empty} \\$A', vars), '1 1 def alt  empty $A');
  assert.equal(expandVariables("'$A' \"$A\"", vars), "'$A' \"1\"");
});

test('ignore rules: Docker patterns, ** and exceptions, directories cover their content', () => {
  const r = new IgnoreRules('# comment\n*.log\nbuild/\n**/tmp\nsecret*\n!secret-ok\ndocs\n!docs/keep.md\n');
  assert.ok(r.excluded('a.log'));
  assert.ok(!r.excluded('sub/a.log'), '*.log matches at the top only');
  assert.ok(r.excluded('build/x/y'));
  assert.ok(r.excluded('tmp') && r.excluded('a/b/tmp/c'));
  assert.ok(r.excluded('secret-key'));
  assert.ok(!r.excluded('secret-ok'), 'the later exception wins');
  assert.ok(r.excluded('docs/other.md'));
  assert.ok(!r.excluded('docs/keep.md'));
  assert.ok(!r.excluded('src/main.c'));
  assert.ok(r.hasExceptions);
});

test('COPY globs: * and ? stay within one component, classes work', () => {
  const re = patternRegExp('src/*.t?t', false);
  assert.ok(re.test('src/a.txt'));
  assert.ok(!re.test('src/sub/a.txt'));
  assert.ok(patternRegExp('file[0-9]', false).test('file7'));
  assert.ok(!patternRegExp('file[!0-9]', false).test('file7'));
});
