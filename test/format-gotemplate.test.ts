// Go text/template behaviour as Podman 4.3 runs it. Expected strings are
// what Go's text/template (with containers/common's DefaultFuncs) prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTemplate,
  executeTemplate,
  goMap,
  goStruct,
  goJSON,
  goSprintf,
  goSprint,
  TemplateError,
  isTableFormat,
  isJSONFormat,
  normalizeFormat,
  enforceRange,
  camelCaseSplit,
  makeHeaders,
  renderReport,
  renderInspect,
} from '../lib/format/gotemplate';
import { GoTime } from '../lib/format/units';

const run = (src: string, data: unknown, opts = {}) => executeTemplate(src, data, opts);
const fails = (src: string, data: unknown, message: string | RegExp) =>
  assert.throws(() => run(src, data), (e: unknown) => {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });

const ctr = {
  Id: 'e2d08df51412b270aa',
  Name: 'festive_ritchie',
  Names: ['festive_ritchie', 'alias'],
  State: { Status: 'running', Running: true, Pid: 4242, ExitCode: 0, Health: null },
  Config: {
    Hostname: 'e2d08df51412',
    Env: ['PATH=/bin', 'A=<b>&c'],
    Cmd: ['sleep', '1000'],
    Labels: { zeta: 'z', alpha: 'a' },
  },
  RestartCount: 0,
  Cpu: 1.5,
};

test('field access, nesting, map keys and missing map keys', () => {
  assert.equal(run('{{.Name}}', ctr), 'festive_ritchie');
  assert.equal(run('{{.State.Pid}}', ctr), '4242');
  assert.equal(run('{{.Config.Labels.alpha}}', ctr), 'a');
  assert.equal(run('{{.Config.Labels.nope}}', ctr), '<no value>');
  assert.equal(run('{{.nope}}', goMap({ a: 1 })), '<no value>');
  assert.equal(run('{{.a.b}}', new Map([['a', new Map([['b', 'deep']])]])), 'deep');
  // a field of a missing value is no value, not an error
  assert.equal(run('{{.Config.Labels.nope.deeper}}', ctr), '<no value>');
  // nil data: everything is no value
  assert.equal(run('{{.Anything}}', null), '<no value>');
});

test("Go's default printing of values", () => {
  assert.equal(run('{{.Names}}', ctr), '[festive_ritchie alias]');
  assert.equal(run('{{.Config.Labels}}', ctr), 'map[alpha:a zeta:z]');
  assert.equal(run('{{.State.Running}} {{.RestartCount}} {{.Cpu}}', ctr), 'true 0 1.5');
  assert.equal(run('{{.State.Health}}', ctr), '<nil>');
  assert.equal(run('{{.}}', { A: 'x', B: [1, 2], C: goMap({ k: ['v'] }) }), '{x [1 2] map[k:[v]]}');
  assert.equal(run('{{.}}', []), '[]');
  assert.equal(run('{{.}}', goMap({})), 'map[]');
  assert.equal(run('{{.}}', ['', 'a']), '[ a]');
  // float64 %v: shortest form, exponent from 1e+21 down to ... as fmt does
  assert.equal(run('{{.A}} {{.B}} {{.C}} {{.D}}', { A: 1234567.5, B: 0.000012, C: 0.1, D: -2.5 }), '1.2345675e+06 1.2e-05 0.1 -2.5');
  assert.equal(run('{{1.5}} {{0x1F}} {{-3}} {{1_000}} {{\'a\'}}', {}), '1.5 31 -3 1000 97');
  // Podman turns \n typed in the format into a newline everywhere, raw strings included
  assert.equal(run('{{"literal"}}{{`raw\\n`}}', {}), 'literal' + 'raw\n');
  assert.equal(compileTemplate('{{`raw\\n`}}', { raw: true }).execute({}), 'raw\\n');
});

test('time values print like time.Time and have its methods', () => {
  const t = GoTime.from('2023-01-02T15:04:05.123456789Z');
  assert.equal(run('{{.Created}}', { Created: t }), '2023-01-02 15:04:05.123456789 +0000 UTC');
  assert.equal(run('{{.Created.Unix}}', { Created: t }), '1672671845');
  assert.equal(run('{{.Created.Format "2006-01-02T15:04:05Z07:00"}}', { Created: t }), '2023-01-02T15:04:05Z');
  assert.equal(run('{{json .Created}}', { Created: t }), '"2023-01-02T15:04:05.123456789Z"');
  assert.equal(run('{{.C.UTC}}', { C: new Date(Date.UTC(2020, 4, 6, 7, 8, 9)) }), '2020-05-06 07:08:09 +0000 UTC');
});

test('json function: compact, Go escaping, sorted map keys, struct order', () => {
  assert.equal(
    run('{{json .Config}}', ctr),
    '{"Hostname":"e2d08df51412","Env":["PATH=/bin","A=<b>&c"],"Cmd":["sleep","1000"],"Labels":{"alpha":"a","zeta":"z"}}',
  );
  assert.equal(run('{{json .Names}}', ctr), '["festive_ritchie","alias"]');
  assert.equal(run('{{.Names | json}}', ctr), '["festive_ritchie","alias"]');
  assert.equal(run('{{json .State}}', ctr), '{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"Health":null}');
  assert.equal(run('{{json .Missing}}', goMap({})), 'null');
  assert.equal(run('{{json .}}', { A: 'tab\there "q" \\ \u0001 \u2028' }), '{"A":"tab\\there \\"q\\" \\\\ \\u0001 \\u2028"}');
  // Podman's json function turns Go's HTML escaping off; it can be turned on
  assert.equal(run('{{json .}}', '<&>'), '"<&>"');
  assert.equal(run('{{json .}}', '<&>', { jsonEscapeHTML: true }), '"\\u003c\\u0026\\u003e"');
  // nested map of the Go kind (map[string]interface{}): keys sorted at every level
  assert.equal(run('{{json .}}', goMap({ b: goMap({ y: 1, x: [true, null] }), a: 'A' })), '{"a":"A","b":{"x":[true,null],"y":1}}');
  assert.equal(run('{{json .}}', { Empty: {}, List: [], Num: 1e21, Small: 1e-7 }), '{"Empty":{},"List":[],"Num":1e+21,"Small":1e-7}');
  // NaN can't be encoded: Podman's json function prints nothing
  assert.equal(run('{{json .}}', NaN), '');
});

test('goJSON with indentation matches json.MarshalIndent', () => {
  assert.equal(goJSON({ a: [1, 2], b: {}, c: [] }, { indent: '  ' }), '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {},\n  "c": []\n}');
  assert.equal(goJSON('<>&', { escapeHTML: true }), '"\\u003c\\u003e\\u0026"');
});

test('range: dot, index and element variables, maps in key order, else, break, continue', () => {
  assert.equal(run('{{range .Names}}[{{.}}]{{end}}', ctr), '[festive_ritchie][alias]');
  assert.equal(run('{{range $i, $e := .Names}}{{$i}}={{$e}} {{end}}', ctr), '0=festive_ritchie 1=alias ');
  assert.equal(run('{{range $e := .Names}}{{$e}};{{end}}', ctr), 'festive_ritchie;alias;');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}', ctr), 'alpha:a zeta:z ');
  assert.equal(run('{{range .}}x{{else}}empty{{end}}', []), 'empty');
  assert.equal(run('{{range .L}}x{{else}}nil{{end}}', { L: null }), 'nil');
  assert.equal(run('{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4]), '12');
  assert.equal(run('{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}', [1, 2, 3]), '13');
  assert.equal(run('{{range $i, $e := .}}{{if $i}},{{end}}{{$e}}{{end}}', ['a', 'b', 'c']), 'a,b,c');
  // $ is always the data
  assert.equal(run('{{range .Names}}{{$.Name}}/{{.}} {{end}}', ctr), 'festive_ritchie/festive_ritchie festive_ritchie/alias ');
  fails('{{range .Name}}{{end}}', ctr, 'template: tspod:1:8: executing "tspod" at <.Name>: range can\'t iterate over festive_ritchie');
});

test('if / else if / else with Go truthiness, and with', () => {
  const t = '{{if .V}}T{{else}}F{{end}}';
  for (const v of ['', 0, false, null, [], goMap({})]) assert.equal(run(t, { V: v }), 'F', JSON.stringify(v));
  for (const v of ['x', 1, -1, true, [0], goMap({ k: '' }), {}]) assert.equal(run(t, { V: v }), 'T', JSON.stringify(v));
  assert.equal(run(t, goMap({})), 'F'); // missing key
  assert.equal(run('{{if .A}}a{{else if .B}}b{{else if .C}}c{{else}}none{{end}}', { A: 0, B: '', C: 'y' }), 'c');
  assert.equal(run('{{if .A}}a{{else if .B}}b{{else}}none{{end}}', { A: 0, B: '' }), 'none');
  assert.equal(run('{{with .State}}{{.Pid}}{{end}}', ctr), '4242');
  assert.equal(run('{{with .RestartCount}}n{{else}}zero{{end}}', ctr), 'zero');
  assert.equal(run('{{with $x := .Name}}{{$x}}{{end}}', ctr), 'festive_ritchie');
});

test('variables: declare, assign, scope', () => {
  assert.equal(run('{{$x := .Name}}{{$x}} {{$x = "other"}}{{$x}}', ctr), 'festive_ritchie other');
  assert.equal(run('{{$n := 0}}{{range .}}{{$n = .}}{{end}}{{$n}}', [1, 2, 3]), '3');
  fails('{{if true}}{{$x := 1}}{{end}}{{$x}}', {}, 'template: tspod:1: undefined variable "$x"');
});

test('index, len, slice', () => {
  assert.equal(run('{{index .Config.Labels "zeta"}}', ctr), 'z');
  assert.equal(run('[{{index .Config.Labels "nope"}}]', ctr), '[]');
  assert.equal(run('{{index .Names 1}}', ctr), 'alias');
  assert.equal(run('{{index . 1 0}}', [['a'], ['b', 'c']]), 'b');
  assert.equal(run('{{len .Names}} {{len .Config.Labels}} {{len "héllo"}}', ctr), '2 2 6');
  assert.equal(run('{{slice "abcdef" 1 3}} {{slice .Names 1}}', ctr), 'bc [alias]');
  // (checked against podman 4.3.1: index == len fails inside reflect)
  fails('{{index .Names 2}}', ctr, 'template: tspod:1:2: executing "tspod" at <index .Names 2>: error calling index: reflect: slice index out of range');
  fails('{{index .Names 3}}', ctr, 'template: tspod:1:2: executing "tspod" at <index .Names 3>: error calling index: index out of range: 3');
  fails('{{index "abc" 3}}', ctr, 'template: tspod:1:2: executing "tspod" at <index "abc" 3>: error calling index: reflect: string index out of range');
  fails('{{len .RestartCount}}', ctr, 'template: tspod:1:2: executing "tspod" at <len .RestartCount>: error calling len: len of type int');
});

test('printf and print follow fmt', () => {
  assert.equal(run('{{printf "%s %d %v" .Name .State.Pid .Names}}', ctr), 'festive_ritchie 4242 [festive_ritchie alias]');
  assert.equal(goSprintf('%5.1f|%-3d|%03d|%x|%X|%o|%q|%t|%%', 3.14159, 7, 7, 255, 'hi', 8, 'a"b', true), '  3.1|7  |007|ff|6869|10|"a\\"b"|true|%');
  assert.equal(goSprintf('%e %g %.3g %G', 1234.5678, 0.00001234, 1.125, 1e-10), '1.234568e+03 1.234e-05 1.12 1E-10');
  assert.equal(goSprintf('%8.3s|%-6s|%6s', 'abcdef', 'ab', 'ab'), '     abc|ab    |    ab');
  assert.equal(goSprintf('%+d % d %c %U', 5, 5, 65, 0x1f600), '+5  5 A U+1F600');
  assert.equal(goSprintf('%v %+v', { A: 1, B: 'x' }, { A: 1, B: 'x' }), '{1 x} {A:1 B:x}');
  assert.equal(goSprintf('%s %q %d', ['a', 'b'], ['a', 'b'], [1, 2]), '[a b] ["a" "b"] [1 2]');
  assert.equal(goSprintf('%T %T %T %T', 'x', 1, 1.5, ['a']), 'string int float64 []string');
  // fmt's error forms
  assert.equal(goSprintf('%d'), '%!d(MISSING)');
  assert.equal(goSprintf('%d', 'x'), '%!d(string=x)');
  assert.equal(goSprintf('%s', 1, 2), '%!s(int=1)%!(EXTRA int=2)');
  assert.equal(goSprintf('%d', 1.5), '%!d(float64=1.5)');
  assert.equal(goSprintf('%s', null), '%!s(<nil>)');
  assert.equal(goSprintf('%z', 1), '%!z(int=1)');
  assert.equal(goSprintf('%'), '%!(NOVERB)');
  assert.equal(goSprint('a', 1, 2, 'b', 3), 'a1 2b3');
  assert.equal(run('{{print 1 2 "a"}}|{{println "x" 3}}', {}), '1 2a|x 3\n');
  assert.equal(run('{{.Name | printf "%s!"}}', ctr), 'festive_ritchie!');
  assert.equal(run('{{printf "%.2f%%" .Cpu}}', ctr), '1.50%');
});

test("Podman's DefaultFuncs: join lower upper title truncate pad split", () => {
  assert.equal(run('{{join .Names ","}}', ctr), 'festive_ritchie,alias');
  assert.equal(run('{{join .Config.Cmd " "}}', ctr), 'sleep 1000');
  assert.equal(run('{{lower "ABC Def"}} {{upper .Name}}', ctr), 'abc def FESTIVE_RITCHIE');
  assert.equal(run('{{title "hello wORLD-foo bar_baz"}}', {}), 'Hello WORLD-Foo Bar_baz');
  assert.equal(run('{{truncate .Id 12}} {{truncate "ab" 5}}', ctr), 'e2d08df51412 ab');
  assert.equal(run('[{{pad "x" 2 1}}][{{pad "" 2 1}}]', {}), '[  x ][]');
  assert.equal(run('{{split "a,b,c" ","}} {{index (split "a:b" ":") 1}}', {}), '[a b c] b');
  assert.equal(run('{{.Name | upper | lower}}', ctr), 'festive_ritchie');
  fails('{{join .Name ","}}', ctr, 'template: tspod:1:7: executing "tspod" at <.Name>: wrong type for value; expected []string; got string');
});

test('comparison and logic functions', () => {
  assert.equal(run('{{eq .State.Status "running"}} {{eq 1 2 3 1}} {{ne "a" "b"}}', ctr), 'true true true');
  assert.equal(run('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', {}), 'true true true false');
  assert.equal(run('{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}} {{not 0}} {{not "a"}}', {}), '0 2 x  true false');
  assert.equal(run('{{if and .State.Running (eq .State.Pid 4242)}}ok{{end}}', ctr), 'ok');
  assert.equal(run('{{eq .Config.Labels.nope "x"}}', ctr), 'false');
  fails('{{eq .Name 1}}', ctr, 'template: tspod:1:2: executing "tspod" at <eq .Name 1>: error calling eq: incompatible types for comparison');
  fails('{{"a" | eq 1}}', ctr, 'template: tspod:1:8: executing "tspod" at <eq 1>: error calling eq: incompatible types for comparison');
  fails('{{lt true false}}', {}, 'template: tspod:1:2: executing "tspod" at <lt true false>: error calling lt: invalid type for comparison');
  fails('{{eq .Names .Names}}', ctr, /error calling eq: non-comparable type \[festive_ritchie alias\]: \[\]string$/);
});

test('html, js, urlquery, call', () => {
  assert.equal(run(`{{html "<a href='x'>&"}}`, {}), '&lt;a href=&#39;x&#39;&gt;&amp;');
  assert.equal(run('{{js "<x>\'"}}', {}), "\\u003Cx\\u003E\\'");
  assert.equal(run('{{urlquery "a b/c&d"}}', {}), 'a+b%2Fc%26d');
  const funcs = { mul: () => (a: number, b: number) => a * b };
  assert.equal(compileTemplate('{{call mul 2 3}}', { funcs }).execute({}), '6');
});

test('trim markers, comments, literals, parenthesized pipelines', () => {
  assert.equal(run('a  {{- .Name -}}  \n b', ctr), 'afestive_ritchieb');
  assert.equal(run('a {{- /* comment */ -}} b', {}), 'ab');
  assert.equal(run('{{/* just a comment */}}x', {}), 'x');
  assert.equal(run('{{ (index .Names 0) | upper }}', ctr), 'FESTIVE_RITCHIE');
  assert.equal(run('{{ (.State).Pid }}', ctr), '4242');
  assert.equal(run('{{-3}}', {}), '-3'); // "{{-3" is a number, not a trim marker
});

test('define, template, block', () => {
  assert.equal(run('{{define "T"}}<{{.}}>{{end}}{{template "T" .Name}}{{template "T" "x"}}', ctr), '<festive_ritchie><x>');
  assert.equal(run('{{block "B" .Name}}[{{.}}]{{end}}', ctr), '[festive_ritchie]');
});

test('methods: functions on the data are called, with arguments', () => {
  const row = {
    ID: () => 'e2d08df51412',
    Label(name: string) {
      return ({ a: 'A' } as Record<string, string>)[name] ?? '';
    },
  };
  assert.equal(run('{{.ID}} {{.Label "a"}}', row), 'e2d08df51412 A');
  class Reporter {
    constructor(private readonly names: string[]) {}
    Names(): string {
      return this.names[0];
    }
  }
  assert.equal(run('{{.Names}}', new Reporter(['n1', 'n2'])), 'n1');
  fails('{{.ID}}', { ID: () => { throw new Error('boom'); } }, 'template: tspod:1:2: executing "tspod" at <.ID>: error calling ID: boom');
});

test('escape sequences typed literally become tab and newline', () => {
  assert.equal(run('{{.Name}}\\t{{.State.Pid}}\\n', ctr), 'festive_ritchie\t4242\n');
  assert.equal(compileTemplate('a\\tb', { raw: true }).execute({}), 'a\\tb');
});

test('errors read like Go and are TemplateErrors', () => {
  fails('{{.Foo}}', ctr, 'template: tspod:1:2: executing "tspod" at <.Foo>: can\'t evaluate field Foo in type struct');
  fails('{{.Foo}}', goStruct({}, 'define.InspectContainerData'), 'template: tspod:1:2: executing "tspod" at <.Foo>: can\'t evaluate field Foo in type define.InspectContainerData');
  fails('{{.State.Nope}}', ctr, /^template: tspod:1:8: executing "tspod" at <\.State\.Nope>: can't evaluate field Nope in type /);
  fails('{{.Name.Foo}}', ctr, 'template: tspod:1:7: executing "tspod" at <.Name.Foo>: can\'t evaluate field Foo in type string');
  fails('{{.State.Health.Status}}', ctr, /nil pointer evaluating .*\.Status$/);
  fails('x\n{{.Foo}}', ctr, /^template: tspod:2:2: /);
  fails('{{.Name', ctr, 'template: tspod:1: unclosed action');
  fails('{{nosuch .}}', ctr, 'template: tspod:1: function "nosuch" not defined');
  fails('{{if .Name}}', ctr, 'template: tspod:1: unexpected EOF');
  fails('{{end}}', ctr, 'template: tspod:1: unexpected {{end}}');
  fails('{{break}}', ctr, 'template: tspod:1: {{break}} outside {{range}}');
  fails('{{.Name | 3}}', ctr, 'template: tspod:1: non executable command in pipeline stage 2');
  fails('{{$nope}}', ctr, 'template: tspod:1: undefined variable "$nope"');
  fails('{{template "x"}}', ctr, /template "x" not defined$/);
  fails('{{"unterminated}}', ctr, 'template: tspod:1: unterminated quoted string');
  fails('{{join .Names}}', ctr, 'template: tspod:1:2: executing "tspod" at <join>: wrong number of args for join: want 2 got 1');
  // the command name shows as the template name
  assert.throws(() => compileTemplate('{{.Foo}}', 'ps').execute({}), /^TemplateError: template: ps:1:2: executing "ps" at <\.Foo>/);
  // the context is the whole node (Go 1.19 does not shorten it)
  fails('{{.Abcdefghijklmnopqrstuvwxyz}}', {}, /at <\.Abcdefghijklmnopqrstuvwxyz>: /);
  // literal arguments are checked against the parameter type (messages as podman 4.3.1 prints them)
  fails('{{upper nil}}', {}, 'template: tspod:1:8: executing "tspod" at <nil>: cannot assign nil to string');
  fails('{{truncate "a" "b"}}', {}, 'template: tspod:1:15: executing "tspod" at <"b">: expected integer; found "b"');
  fails('{{join "a" ","}}', {}, 'template: tspod:1:7: executing "tspod" at <"a">: can\'t handle "a" for arg of type []string');
  fails('{{join .Names 1}}', ctr, 'template: tspod:1:14: executing "tspod" at <1>: expected string; found 1');
  fails('{{range "ab"}}{{end}}', {}, 'template: tspod:1:8: executing "tspod" at <"ab">: range can\'t iterate over ab');
});

test('output produced before an error is kept on the error, as Podman prints it', () => {
  try {
    run('x\n{{.Nope}}', ctr);
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.partial, 'x\n');
  }
  try {
    renderReport('table {{.ID}}\t{{.Nope}}', [{ ID: 'abc' }], { headers: { ID: 'container id' } });
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.partial, 'CONTAINER ID  NOPE\nabc');
  }
});

test('user functions and the compile cache', () => {
  assert.strictEqual(compileTemplate('{{.A}}'), compileTemplate('{{.A}}'));
  const t = compileTemplate('{{double .N}}', { funcs: { double: (n: number) => n * 2 } });
  assert.equal(t.execute({ N: 21 }), '42');
});

test('report helpers: table prefix, JSON detection, NormalizeFormat, EnforceRange', () => {
  assert.equal(isTableFormat('table {{.ID}}'), true);
  assert.equal(isTableFormat('{{.ID}}'), false);
  assert.equal(isTableFormat('table'), false);
  for (const f of ['json', ' json ', '{{json .}}', '{{ json . }}', '{{json}}']) assert.equal(isJSONFormat(f), true, f);
  for (const f of ['{{json .Config}}', 'table', '{{.ID}}']) assert.equal(isJSONFormat(f), false, f);
  // containers/common TestNormalizeFormat
  assert.equal(normalizeFormat('{{.ID}}\t{{.ID}}'), '{{.ID}}\t{{.ID}}\n');
  assert.equal(normalizeFormat('{{.ID}}\\t{{.ID}}'), '{{.ID}}\t{{.ID}}\n');
  assert.equal(normalizeFormat('{{.ID}} {{.ID}}'), '{{.ID}} {{.ID}}\n');
  assert.equal(normalizeFormat('table {{.ID}}\\t{{.ID}}'), '{{.ID}}\t{{.ID}}\n');
  assert.equal(normalizeFormat('table {{.ID}} {{.ID}}'), '{{.ID}}\t{{.ID}}\n');
  assert.equal(normalizeFormat('{{.ID}}\n'), '{{.ID}}\n');
  // a format that no longer parses once \n is a newline is kept as typed (podman 4.3.1)
  assert.equal(normalizeFormat('{{"a\\n"}}{{.ID}}'), '{{"a\\n"}}{{.ID}}');
  assert.equal(renderReport('{{printf "%s\\n" .ID}}', [{ ID: 'a' }, { ID: 'b' }]), 'a\nb\n');
  // containers/common TestTemplate_EnforceRange
  const r = '{{range .}}foobar was here{{end -}}';
  assert.equal(enforceRange(r), r);
  assert.equal(enforceRange('foobar was here'), r);
  assert.equal(enforceRange('{{range .}}foobar was here{{end}}'), '{{range .}}foobar was here{{end}}');
});

test('report headers: camel case split and overrides', () => {
  assert.deepEqual(camelCaseSplit(''), []);
  assert.deepEqual(camelCaseSplit('lowercase'), ['lowercase']);
  assert.deepEqual(camelCaseSplit('MyClass'), ['My', 'Class']);
  assert.deepEqual(camelCaseSplit('MyC'), ['My', 'C']);
  assert.deepEqual(camelCaseSplit('HTML'), ['HTML']);
  assert.deepEqual(camelCaseSplit('PDFLoader'), ['PDF', 'Loader']);
  assert.deepEqual(camelCaseSplit('SimpleXMLParser'), ['Simple', 'XML', 'Parser']);
  assert.deepEqual(camelCaseSplit('vimRPCPlugin'), ['vim', 'RPC', 'Plugin']);
  assert.deepEqual(camelCaseSplit('GL11Version'), ['GL', '11', 'Version']);
  assert.deepEqual(camelCaseSplit('99Bottles'), ['99', 'Bottles']);
  assert.deepEqual(camelCaseSplit('BFG9000'), ['BFG', '9000']);
  assert.deepEqual(camelCaseSplit('BöseÜberraschung'), ['Böse', 'Überraschung']);
  assert.deepEqual(camelCaseSplit('Two  spaces'), ['Two', '  ', 'spaces']);
  // containers/common TestHeadersSimple / TestHeadersOverride
  assert.deepEqual(makeHeaders(['FieldA', 'Fieldb', 'fieldC', 'fieldd']), { FieldA: 'FIELD A', Fieldb: 'FIELDB', fieldC: 'FIELD C', fieldd: 'FIELDD' });
  assert.deepEqual(makeHeaders(['FieldA', 'Fieldb'], { Fieldb: 'field b' }), { FieldA: 'FIELD A', Fieldb: 'FIELD B' });
});

test('renderReport: table format gets headers and aligned columns', () => {
  const rows = [
    { ID: 'e2d08df51412', Image: 'docker.io/library/alpine:latest', Names: 'festive_ritchie', CreatedHuman: '5 seconds ago' },
    { ID: '0a1b2c3d4e5f', Image: 'localhost/x:1', Names: 'x', CreatedHuman: 'About a minute ago' },
  ];
  const headers = { ID: 'container id', CreatedHuman: 'created' };
  assert.equal(
    renderReport('table {{.ID}}\\t{{.Image}}\\t{{.CreatedHuman}}\\t{{.Names}}', rows, { headers }),
    'CONTAINER ID  IMAGE                            CREATED             NAMES\n' +
      'e2d08df51412  docker.io/library/alpine:latest  5 seconds ago       festive_ritchie\n' +
      '0a1b2c3d4e5f  localhost/x:1                    About a minute ago  x\n',
  );
  // spaces in a table format separate columns too; --noheading drops the header
  assert.equal(
    renderReport('table {{.ID}} {{.Names}}', rows, { headers, noHeading: true }),
    'e2d08df51412  festive_ritchie\n0a1b2c3d4e5f  x\n',
  );
  // fields without an override get a camel-case header
  assert.equal(renderReport('table {{.CreatedAt}}', [{ CreatedAt: 'now' }]), 'CREATED AT\nnow\n');
  // no rows: just the header
  assert.equal(renderReport('table {{.ID}}\\t{{.Names}}', [], { headers }), 'CONTAINER ID  NAMES\n');
});

test('renderReport: a plain user format is printed per row, unaligned, without headers', () => {
  const rows = [
    { ID: 'e2d08df51412', Names: 'festive_ritchie' },
    { ID: '0a1b2c3d4e5f', Names: 'x' },
  ];
  assert.equal(renderReport('{{.ID}}\\t{{.Names}}', rows), 'e2d08df51412\tfestive_ritchie\n0a1b2c3d4e5f\tx\n');
  assert.equal(renderReport('{{.ID}} {{.Names}}', rows), 'e2d08df51412 festive_ritchie\n0a1b2c3d4e5f x\n');
  assert.equal(renderReport('{{range .}}{{.ID}},{{end}}', rows), 'e2d08df51412,0a1b2c3d4e5f,\n');
  assert.equal(renderReport('{{.ID}}', []), '');
});

test("renderReport: Podman's own default format (origin podman) is aligned with headers", () => {
  const rows = [
    {
      ID: 'e2d08df51412',
      Image: 'docker.io/library/alpine:latest',
      Command: 'sleep 1000',
      CreatedHuman: '5 seconds ago',
      Status: 'Up 5 seconds ago',
      Ports: '',
      Names: 'festive_ritchie',
    },
  ];
  const headers = { ID: 'container id', CreatedHuman: 'created' };
  const row = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\n';
  assert.equal(
    renderReport(row, rows, { headers, origin: 'podman' }),
    'CONTAINER ID  IMAGE                            COMMAND     CREATED        STATUS            PORTS       NAMES\n' +
      'e2d08df51412  docker.io/library/alpine:latest  sleep 1000  5 seconds ago  Up 5 seconds ago              festive_ritchie\n',
  );
  assert.equal(
    renderReport(row, [], { headers, origin: 'podman' }),
    'CONTAINER ID  IMAGE       COMMAND     CREATED     STATUS      PORTS       NAMES\n',
  );
});

test('renderReport: the header row and the rows go through the same template (containers/common TestTemplate_Newlines)', () => {
  const input = [
    { Field1: 'One', Field2: 1, Field3: 'First' },
    { Field1: 'Two', Field2: 2, Field3: 'Second' },
    { Field1: 'Three', Field2: 3, Field3: 'Third' },
  ];
  assert.equal(
    renderReport('table {{.Field1}}\\t{{.Field2}}\\t{{.Field3}}', input, { headers: { Field1: 'Eins', Field2: 'Zwei', Field3: 'Drei' } }),
    'EINS        ZWEI        DREI\nOne         1           First\nTwo         2           Second\nThree       3           Third\n',
  );
});

test('renderReport errors are TemplateErrors named after the command', () => {
  assert.throws(() => renderReport('{{.Foo}}', [{ ID: 'x' }], { name: 'ps', typeName: 'containers.psReporter' }), {
    name: 'TemplateError',
    message: 'template: ps:1:13: executing "ps" at <.Foo>: can\'t evaluate field Foo in type containers.psReporter',
  });
});

test('renderInspect: NormalizeFormat + EnforceRange, one line per item (podman 4.3.1 volume inspect)', () => {
  const items = [
    { Id: 'aaaaaaaaaaaaaaaa', Name: 'one', State: { Pid: 1 } },
    { Id: 'b', Name: 'two', State: { Pid: 22 } },
  ];
  assert.equal(renderInspect('{{.Name}} {{.State.Pid}}', items), 'one 1\ntwo 22\n');
  assert.equal(renderInspect('{{.Id}}\\t{{.Name}}', items), 'aaaaaaaaaaaaaaaa\tone\nb\ttwo\n');
  assert.equal(renderInspect('table {{.Id}} {{.Name}}', items), 'aaaaaaaaaaaaaaaa  one\nb                 two\n');
  assert.equal(renderInspect('{{json .State}}', items), '{"Pid":1}\n{"Pid":22}\n');
  assert.throws(() => renderInspect('{{.Nope}}', items, { typeName: 'interface {}' }), {
    message: 'template: inspect:1:13: executing "inspect" at <.Nope>: can\'t evaluate field Nope in type interface {}',
  });
  const created = GoTime.from('2026-11-27T03:28:04.293472446Z');
  assert.throws(() => renderInspect('{{.Created.Format}}', [{ Created: created }]), {
    message: 'template: inspect:1:21: executing "inspect" at <.Created.Format>: wrong number of args for Format: want 1 got 0',
  });
});

test("Podman's default ps and images tables", async () => {
  const { PODMAN_PS_HEADERS, PODMAN_PS_ROW, PODMAN_PS_NS_ROW, PODMAN_PS_FIELDS, PODMAN_IMAGES_HEADERS, PODMAN_IMAGES_ROW, PODMAN_IMAGES_FIELDS } = await import(
    '../lib/format/gotemplate'
  );
  // header lines as podman 4.3.1 prints them with no containers / images
  assert.equal(
    renderReport(PODMAN_PS_NS_ROW, [], { headers: PODMAN_PS_HEADERS, fields: PODMAN_PS_FIELDS, origin: 'podman' }),
    'CONTAINER ID  NAMES       PID         CGROUPNS    IPC         MNT         NET         PIDNS       USERNS      UTS\n',
  );
  assert.equal(
    renderReport(PODMAN_IMAGES_ROW, [], { headers: PODMAN_IMAGES_HEADERS, fields: PODMAN_IMAGES_FIELDS, origin: 'podman' }),
    'REPOSITORY  TAG         IMAGE ID    CREATED     SIZE\n',
  );
  // with the row type's fields, unknown names print <no value> in the header (podman images --format 'table ...')
  assert.equal(
    renderReport('table {{.ID}} {{.Repository}} {{.CreatedSince}} {{.ReadOnly}} {{.History}} {{.Digest}}', [], {
      headers: PODMAN_IMAGES_HEADERS,
      fields: PODMAN_IMAGES_FIELDS,
    }),
    'IMAGE ID    REPOSITORY  <no value>  R/O         HISTORY     DIGEST\n',
  );
  assert.equal(
    renderReport('table {{.ID}} {{.Names}} {{.CreatedAt}} {{.Labels}} {{.RunningFor}} {{.Ports}} {{.ExitCode}}', [], {
      headers: PODMAN_PS_HEADERS,
      fields: PODMAN_PS_FIELDS,
    }),
    'CONTAINER ID  NAMES       CREATED AT  LABELS      RUNNING FOR  PORTS       EXIT CODE\n',
  );
  assert.equal(
    renderReport(PODMAN_PS_ROW, [], { headers: PODMAN_PS_HEADERS, origin: 'podman' }),
    'CONTAINER ID  IMAGE       COMMAND     CREATED     STATUS      PORTS       NAMES\n',
  );
  const images = [
    { Repository: 'docker.io/library/alpine', Tag: 'latest', ID: '49176f190c7e', Created: '2 weeks ago', Size: '7.34 MB' },
    { Repository: '', Tag: '', ID: '0a1b2c3d4e5f', Created: 'About an hour ago', Size: '1.02 kB' },
  ];
  assert.equal(
    renderReport(PODMAN_IMAGES_ROW, images, { headers: PODMAN_IMAGES_HEADERS, origin: 'podman' }),
    'REPOSITORY                TAG         IMAGE ID      CREATED            SIZE\n' +
      'docker.io/library/alpine  latest      49176f190c7e  2 weeks ago        7.34 MB\n' +
      '<none>                    <none>      0a1b2c3d4e5f  About an hour ago  1.02 kB\n',
  );
});
