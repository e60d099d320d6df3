// text/tabwriter as Go does it, and as Podman configures it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TabWriter, ALIGN_RIGHT, DEBUG, DISCARD_EMPTY_COLUMNS, TAB_INDENT, formatTable, alignTabs, newPodmanTabWriter } from '../lib/format/table';

const tw = (text: string, minwidth: number, tabwidth: number, padding: number, padchar: string, flags = 0) =>
  new TabWriter(minwidth, tabwidth, padding, padchar, flags).write(text).flush();

test("containers/common TestNewWriterDefault: Podman's 12/2/2/' '", () => {
  assert.equal(alignTabs('a46001bfea3a4172b46c173101208244\tRandom\tuuid'), 'a46001bfea3a4172b46c173101208244  Random      uuid');
});

test('containers/common TestNewWriter: NewWriter(4, 8, 1, \':\', 0)', () => {
  assert.equal(tw('Hello\tWorld', 4, 8, 1, ':'), 'Hello:World');
  assert.equal(tw('Be\tGood', 4, 8, 1, ':'), 'Be::Good');
});

test("Go's ExampleWriter_Init: tab padding and right alignment", () => {
  const text = 'a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n';
  assert.equal(tw(text, 0, 8, 0, '\t'), 'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n');
  assert.equal(tw(text, 5, 0, 1, ' ', ALIGN_RIGHT), '    a     b       c         d.\n  123 12345 1234567 123456789.\n\n');
});

test("Go's Example_elastic: cells in the same position can belong to different columns", () => {
  const text = 'a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n';
  assert.equal(tw(text, 0, 0, 1, '.', ALIGN_RIGHT | DEBUG), '....a|..b|c\n...aa|.bb|cc\n..aaa|\n.aaaa|.dddd|eeee\n');
});

test("Go's Example_trailingTab: the text after the last tab is not in a column", () => {
  const text = 'a\tb\taligned\t\naa\tbb\taligned\t\naaa\tbbb\tunaligned\naaaa\tbbbb\taligned\t\n';
  assert.equal(
    tw(text, 0, 0, 3, '-', ALIGN_RIGHT | DEBUG),
    '------a|------b|---aligned|\n-----aa|-----bb|---aligned|\n----aaa|----bbb|unaligned\n---aaaa|---bbbb|---aligned|\n',
  );
});

test('a line without tabs ends every column block', () => {
  const text = 'a\tb\nheading\nlonger cell\tx\n';
  assert.equal(alignTabs(text), 'a           b\nheading\nlonger cell  x\n');
});

test('widths count code points, not UTF-16 units or bytes', () => {
  assert.equal(alignTabs('héllo wörld 😀\tx\nabc\ty\n'), 'héllo wörld 😀  x\nabc            y\n');
});

test('a partial last line is flushed without a newline; output comes out in pieces', () => {
  const w = newPodmanTabWriter();
  w.write('ID\tNAME\n1\tfi');
  w.write('rst\n22\tsecond');
  assert.equal(w.flush(), 'ID          NAME\n1           first\n22          second');
  assert.equal(w.flush(), '');
});

test('empty cells are padded; DISCARD_EMPTY_COLUMNS and TAB_INDENT', () => {
  assert.equal(alignTabs('a\t\tc\n'), 'a' + ' '.repeat(11) + ' '.repeat(12) + 'c\n');
  // only cells ended by a soft \v can be discarded
  assert.equal(tw('a\v\vc\n', 0, 8, 1, ' ', DISCARD_EMPTY_COLUMNS), 'a c\n');
  assert.equal(tw('a\t\tc\n', 0, 8, 1, ' ', DISCARD_EMPTY_COLUMNS), 'a  c\n');
  assert.equal(tw('\tindented\n\t\tmore\n', 0, 4, 1, ' ', TAB_INDENT), '\tindented\n\t\tmore\n');
});

test('formatTable: narrow columns get the 12-character minimum, wide ones their width plus 2', () => {
  assert.equal(
    formatTable([
      ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
      ['docker.io/library/alpine', 'latest', '49176f190c7e', '2 weeks ago', '7.34 MB'],
      ['localhost/mine', '1.0', '0a1b2c3d4e5f', 'About an hour ago', '1.02 kB'],
    ]),
    'REPOSITORY                TAG         IMAGE ID      CREATED            SIZE\n' +
      'docker.io/library/alpine  latest      49176f190c7e  2 weeks ago        7.34 MB\n' +
      'localhost/mine            1.0         0a1b2c3d4e5f  About an hour ago  1.02 kB\n',
  );
  assert.equal(formatTable([]), '');
  assert.equal(formatTable([['only']]), 'only\n');
});
