#!/usr/bin/env node
// Compares a conformance run (Podman v4.3.1's own tests run against tspod by
// ../shared/conformance) with the project's expected-pass lists, so that CI
// fails when tspod stops passing a test it passed before.
//
//   conformance-compare.mjs system RESULTS_DIR EXPECTED.tsv [--update]
//   conformance-compare.mjs api    RESULTS_DIR EXPECTED.tsv [--update]
//
// system: EXPECTED.tsv lists file, test number, name of every system test that
//   must pass (`ok`, not a skip). A test is matched by file and number, and its
//   name must still be the same.
// api: the checks of test-apiv2 print ids and random names, so they are held
//   by count: EXPECTED.tsv lists file and the least number of `ok` checks.
// --update rewrites EXPECTED.tsv from the run (after a reviewed improvement).
// Exit status: 0 when nothing expected was lost, 1 otherwise, 2 on bad input.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [kind, resultsDir, expectedFile, ...rest] = process.argv.slice(2);
const update = rest.includes('--update');
if (!['system', 'api'].includes(kind) || !resultsDir || !expectedFile) {
  console.error('usage: conformance-compare.mjs system|api RESULTS_DIR EXPECTED.tsv [--update]');
  process.exit(2);
}
if (!existsSync(resultsDir)) {
  console.error(`conformance-compare: no results in ${resultsDir}`);
  process.exit(2);
}

const TAP_LINE = /^(ok|not ok) (\d+) (.*)$/;
/** How much of a lost test's output the report shows (CI keeps nothing else of it). */
const DIAG_HEAD = 4;
const DIAG_TAIL = 40;

/** Each TAP file's results: file -> [{ num, name, pass }] (a skip is not a pass). */
function readTap(dir) {
  const out = new Map();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tap')).sort()) {
    const rows = [];
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const m = TAP_LINE.exec(line);
      if (!m) {
        // a failure's diagnostics (bats prints them as `# ...` lines after `not ok`)
        const last = rows[rows.length - 1];
        if (last && !last.pass && line.startsWith('#') && last.diag.length < 5000) last.diag.push(line);
        continue;
      }
      const skip = /\s# skip\b/i.test(m[3]);
      const name = m[3].replace(/\s# skip\b.*$/i, '').trim();
      rows.push({ num: Number(m[2]), name, pass: m[1] === 'ok' && !skip, diag: [] });
    }
    out.set(f.replace(/\.tap$/, ''), rows);
  }
  return out;
}

function readExpected() {
  if (!existsSync(expectedFile)) return [];
  return readFileSync(expectedFile, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'));
}

const results = readTap(resultsDir);
const header = kind === 'system' ? '# file\ttest\tname' : '# file\tleast ok checks';

if (kind === 'system') {
  const passing = new Set();
  const rows = [];
  for (const [file, tests] of results)
    for (const t of tests)
      if (t.pass) {
        passing.add(`${file}\t${t.num}\t${t.name}`);
        rows.push(`${file}\t${t.num}\t${t.name}`);
      }
  const expected = readExpected().map((r) => r.join('\t'));
  const lost = expected.filter((e) => !passing.has(e));
  for (const l of lost) {
    const [file, num] = l.split('\t');
    const t = results.get(file)?.find((r) => r.num === Number(num));
    if (!t?.diag.length) continue;
    const d = t.diag.length > DIAG_HEAD + DIAG_TAIL ? [...t.diag.slice(0, DIAG_HEAD), '# [...]', ...t.diag.slice(-DIAG_TAIL)] : t.diag;
    console.log(`--- ${file} ${num}: where it failed, and the end of what it printed\n${d.join('\n')}`);
  }
  const known = new Set(expected);
  const gained = rows.filter((r) => !known.has(r));
  report(expected.length, lost, gained, rows);
} else {
  const counts = new Map([...results].map(([file, checks]) => [file, checks.filter((c) => c.pass).length]));
  const expected = readExpected();
  const lost = [];
  const gained = [];
  for (const [file, least] of expected) {
    const got = counts.get(file) ?? 0;
    if (got < Number(least)) lost.push(`${file}\t${got} ok checks, expected at least ${least}`);
    else if (got > Number(least)) gained.push(`${file}\t${got} ok checks (list says ${least})`);
  }
  const rows = [...counts].map(([file, n]) => `${file}\t${n}`);
  report(expected.reduce((s, [, n]) => s + Number(n), 0), lost, gained, rows);
}

function report(expectedCount, lost, gained, rows) {
  if (update) {
    writeFileSync(expectedFile, [header, ...rows].join('\n') + '\n');
    console.log(`conformance ${kind}: ${expectedFile} rewritten (${rows.length} rows)`);
    process.exit(0);
  }
  for (const l of lost) console.log(`LOST   ${l}`);
  for (const g of gained) console.log(`NEW    ${g}`);
  const what = kind === 'system' ? 'expected system tests' : 'expected API checks';
  console.log(`conformance ${kind}: ${lost.length === 0 ? 'kept' : 'LOST some of'} the ${expectedCount} ${what}; ${lost.length} lost, ${gained.length} new beyond the list`);
  process.exit(lost.length === 0 ? 0 : 1);
}
