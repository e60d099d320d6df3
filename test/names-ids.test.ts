// Generated names (moby's namesgenerator), name validation, and IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEFT, RIGHT, generateName, randomName, validateName, NAME_REGEX_ERROR } from '../lib/container/names';
import { generateId, shortId, isFullId, SHORT_ID_LENGTH } from '../lib/container/ids';

/** A rand() that returns the given values in turn, then repeats the last. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

test('the namesgenerator lists', () => {
  assert.equal(LEFT.length, 108);
  assert.equal(RIGHT.length, 236);
  assert.equal(new Set(LEFT).size, LEFT.length);
  assert.equal(new Set(RIGHT).size, RIGHT.length);
  for (const w of ['admiring', 'boring', 'festive', 'eloquent', 'zen', 'xenodochial']) assert.ok(LEFT.includes(w), w);
  for (const w of ['agnesi', 'ritchie', 'williamson', 'wozniak', 'zhukovsky', 'turing', 'hopper']) assert.ok(RIGHT.includes(w), w);
  for (const w of [...LEFT, ...RIGHT]) assert.match(w, /^[a-z]+$/);
});

test('generated names are adjective_surname and valid names', () => {
  for (let i = 0; i < 500; i++) {
    const n = generateName(() => false);
    assert.match(n, /^[a-z]+_[a-z]+$/);
    const [l, r] = n.split('_');
    assert.ok(LEFT.includes(l) && RIGHT.includes(r), n);
    assert.ok(validateName(n));
  }
});

test('boring_wozniak is never produced', () => {
  const boring = LEFT.indexOf('boring') / LEFT.length;
  const wozniak = RIGHT.indexOf('wozniak') / RIGHT.length;
  const festive = LEFT.indexOf('festive') / LEFT.length;
  const ritchie = RIGHT.indexOf('ritchie') / RIGHT.length;
  assert.equal(randomName(sequence(boring, wozniak, festive, ritchie)), 'festive_ritchie');
  assert.equal(randomName(sequence(boring, ritchie)), 'boring_ritchie');
});

test('generateName draws again while the name is taken', () => {
  const pos = (list: readonly string[], w: string) => list.indexOf(w) / list.length;
  const rand = sequence(pos(LEFT, 'festive'), pos(RIGHT, 'ritchie'), pos(LEFT, 'festive'), pos(RIGHT, 'ritchie'), pos(LEFT, 'eloquent'), pos(RIGHT, 'williamson'));
  const seen: string[] = [];
  const name = generateName((n) => {
    seen.push(n);
    return n === 'festive_ritchie';
  }, rand);
  assert.equal(name, 'eloquent_williamson');
  assert.deepEqual(seen, ['festive_ritchie', 'festive_ritchie', 'eloquent_williamson']);
  assert.throws(() => generateName(() => true, Math.random, 10), /unable to generate/);
});

test("validateName: Podman's ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, plus '@' for systemd instance names", () => {
  for (const n of ['a', 'A', '0', 'web', 'my-app_1.2', 'festive_ritchie', '0123456789abcdef', 'a..b', 'x-', 'postgres@5432.service'])
    assert.equal(validateName(n), true, n);
  for (const n of ['', '_a', '-a', '.a', '@a', 'a b', 'a/b', 'a:b', 'ü', 'a\n']) assert.equal(validateName(n), false, JSON.stringify(n));
  assert.equal(NAME_REGEX_ERROR, 'names must match [a-zA-Z0-9][a-zA-Z0-9_.@-]*');
});

test('generateId: 64 lowercase hex from 32 random bytes', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const id = generateId();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.ok(isFullId(id));
    assert.doesNotMatch(id.slice(0, 12), /^[0-9]{12}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 200);
});

test('generateId draws again when the first 12 characters are all digits', () => {
  const draws = [
    Buffer.from('0123456789010000000000000000000000000000000000000000000000000000', 'hex'),
    Buffer.from('01234567890a0000000000000000000000000000000000000000000000000000', 'hex'),
  ];
  let calls = 0;
  const id = generateId((n) => {
    assert.equal(n, 32);
    return draws[calls++];
  });
  assert.equal(calls, 2);
  assert.equal(id, '01234567890a0000000000000000000000000000000000000000000000000000');
});

test('shortId is the first 12 characters', () => {
  assert.equal(SHORT_ID_LENGTH, 12);
  assert.equal(shortId('e2d08df51412b270aa0000000000000000000000000000000000000000000000'), 'e2d08df51412');
  assert.equal(shortId('abc'), 'abc');
  assert.equal(isFullId('E2D0'), false);
});
