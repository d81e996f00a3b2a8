import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../src/events/model.js';
import { HookflowError } from '../../src/errors.js';
import {
  clearTemplateCache,
  evaluateCondition,
  hasTemplate,
  isTruthy,
  pickEnv,
  renderParams,
  renderValue,
  stepsView,
  templateCacheSize,
  type TemplateContext,
} from '../../src/actions/templates.js';

const context: TemplateContext = {
  params: {
    count: 5,
    price: 2.5,
    message: 'Hello World',
    flag: false,
    on: true,
    nothing: null,
    empty: '',
    list: [],
    tags: ['b', 'A', 'a', 'c'],
    obj: { a: [1, 'x', true, null] },
    users: [
      { name: 'Ann', age: 30, admin: true },
      { name: 'bob', age: 25, admin: false },
      { name: 'ann', age: 41, admin: true },
    ],
    text_false: 'False',
    numeric: '3.7',
    shout: 'TRUE',
    spaced: ' Hi There ',
    big: '12345678901234567890',
    'with space': 'spaced key',
  },
  steps: stepsView({ transform: { result: 'HELLO WORLD', n: 0 } }),
  event: { type: 'task.failed', data: { task: { task_name: 'build', exit_code: 2 } } },
  env: { HOME: '/home/hf' },
  secret: { TOKEN: 's3cr3t' },
};

/** Renders or returns the thrown HookflowError (anything else thrown fails the test). */
function attempt(render: () => JsonValue): JsonValue | HookflowError {
  try {
    return render();
  } catch (error) {
    if (error instanceof HookflowError) return error;
    throw error;
  }
}

function expectTemplateError(error: unknown, pattern: RegExp, where?: string): HookflowError {
  assert.ok(error instanceof HookflowError, `expected a HookflowError, got ${JSON.stringify(error)}`);
  assert.equal(error.code, 'HF_ERR_TEMPLATE');
  assert.match(error.message, pattern);
  if (where !== undefined) assert.equal(error.details.where, where);
  return error;
}

describe('renderValue: typing rules (REFERENCE.md)', () => {
  const table: Array<[string, string, JsonValue]> = [
    // no template syntax: unchanged
    ['plain text', 'no template here', 'no template here'],
    ['JSON-looking text is not a template', '{"a": {"b": 1}}', '{"a": {"b": 1}}'],
    ['a lone brace', 'a { b } c', 'a { b } c'],
    // one bare path keeps the value's type
    ['bare path: number', '{{ params.count }}', 5],
    ['bare path: float', '{{ params.price }}', 2.5],
    ['bare path: false', '{{ params.flag }}', false],
    ['bare path: null', '{{ params.nothing }}', null],
    ['bare path: object', '{{ params.obj }}', { a: [1, 'x', true, null] }],
    ['bare path: list', '{{ params.tags }}', ['b', 'A', 'a', 'c']],
    ['bare path: index', '{{ params.tags[1] }}', 'A'],
    ['bare path: negative index', '{{ params.tags[-1] }}', 'c'],
    ['bare path: subscript', '{{ params["with space"] }}', 'spaced key'],
    ['bare path: step output', '{{ steps.transform.outputs.result }}', 'HELLO WORLD'],
    ['bare path: event', '{{ event.data.task.exit_code }}', 2],
    ['bare path: env', '{{ env.HOME }}', '/home/hf'],
    ['bare path: secret', '{{ secret.TOKEN }}', 's3cr3t'],
    ['bare path: whitespace around counts as none', '  {{ params.count }}\n', 5],
    ['bare path: comment around counts as none', '{# n #}{{ params.count }}', 5],
    ['bare path: whitespace control', '{{- params.count -}}', 5],
    ['bare path: undefined renders ""', '{{ params.missing }}', ''],
    ['bare path: undefined deep renders ""', '{{ steps.skipped.outputs.result }}', ''],
    // a path with filters is re-typed from its text
    ['filter: int', '{{ params.numeric | int }}', 3],
    ['filter: float', '{{ params.numeric | float }}', 3.7],
    ['filter: string is re-typed too', '{{ params.count | string }}', 5],
    ['filter: text saying TRUE → true', '{{ params.shout | lower }}', true],
    ['filter: Python False → false', '{{ params.flag | string }}', false],
    ['filter: None → null', '{{ params.missing | default(none) }}', null],
    ['filter: list literal', '{{ params.tags | sort }}', ['A', 'a', 'b', 'c']],
    ['filter: JSON literal', '{{ params.obj | tojson }}', { a: [1, 'x', true, null] }],
    ['filter: Python dict literal', '{{ params.obj | dictsort }}', [['a', [1, 'x', true, null]]]],
    ['filter: text stays text', '{{ params.message | upper }}', 'HELLO WORLD'],
    ['filter: default of a defined value', '{{ params.count | default(1) }}', 5],
    ['filter: default of an undefined value', '{{ params.missing | default("x") }}', 'x'],
    ['filter: joined text', '{{ params.tags | join(",") }}', 'b,A,a,c'],
    ['filter: too large an int stays text', '{{ params.big | string }}', '12345678901234567890'],
    ['filter: undefined → ""', '{{ params.missing | upper }}', ''],
    // an expression without a filter gives the rendered string
    ['expression: arithmetic', '{{ params.count + 1 }}', '6'],
    ['expression: is defined (true)', '{{ params.count is defined }}', 'True'],
    ['expression: is defined (false)', '{{ params.missing is defined }}', 'False'],
    ['expression: comparison', '{{ params.count > 3 }}', 'True'],
    ['expression: literal number', '{{ 5 }}', '5'],
    ['expression: literal true', '{{ true }}', 'True'],
    ['expression: literal None', '{{ none }}', 'None'],
    ['expression: Python True name', '{{ True }}', 'True'],
    ['expression: inline if', '{{ "big" if params.count > 3 else "small" }}', 'big'],
    ['expression: method call', '{{ params.message.upper() }}', 'HELLO WORLD'],
    ['expression: arithmetic on undefined → ""', '{{ params.missing + 1 }}', ''],
    // text around a template gives a string
    ['text: around a number', 'n={{ params.count }}', 'n=5'],
    ['text: two templates', '{{ params.count }}{{ params.count }}', '55'],
    ['text: a boolean prints as Python', 'on={{ params.on }}', 'on=True'],
    ['text: null prints None', 'x={{ params.nothing }}', 'x=None'],
    ['text: undefined prints nothing', 'x={{ params.missing }}.', 'x=.'],
    ['text: an object prints as Python', 'obj={{ params.obj }}', "obj={'a': [1, 'x', True, None]}"],
    ['text: if block', '{% if params.count > 3 %}many{% else %}few{% endif %}', 'many'],
    ['text: empty list is false in if', '{% if params.list %}some{% else %}none{% endif %}', 'none'],
    ['text: for loop', '{% for t in params.tags %}{{ loop.index }}{{ t }}{% endfor %}', '1b2A3a4c'],
    ['text: items()', '{% for k, v in {"a": 1, "b": 2}.items() %}{{ k }}={{ v }};{% endfor %}', 'a=1;b=2;'],
    ['text: hook message', '{{ event.data.task.task_name }} failed', 'build failed'],
  ];
  for (const [name, source, expected] of table) {
    it(`${name}: ${source}`, () => {
      assert.deepEqual(renderValue(source, context), expected);
    });
  }

  it('renders strings inside objects and arrays, leaving other values alone', () => {
    const input: JsonValue = { a: '{{ params.count }}', b: ['x{{ params.count }}', 7, true, null, { c: '{{ params.flag }}' }], d: 1.5 };
    assert.deepEqual(renderValue(input, context), { a: 5, b: ['x5', 7, true, null, { c: false }], d: 1.5 });
  });

  it('returns copies: a resolved object does not alias the params', () => {
    const resolved = renderValue('{{ params.obj }}', context) as JsonObject;
    (resolved.a as JsonValue[]).push('added');
    assert.deepEqual((context.params as JsonObject).obj, { a: [1, 'x', true, null] });
  });

  it('keeps a __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__": "{{ params.count }}"}') as JsonObject;
    const resolved = renderValue(input, context) as JsonObject;
    assert.equal(Object.getPrototypeOf(resolved), Object.prototype);
    assert.deepEqual(Object.entries(resolved), [['__proto__', 5]]);
  });

  it('hasTemplate finds template syntax anywhere in a value', () => {
    assert.equal(hasTemplate({ a: [1, 'x'] }), false);
    assert.equal(hasTemplate({ a: [1, 'x {{ y }}'] }), true);
    assert.equal(hasTemplate('{% if x %}{% endif %}'), true);
  });
});

describe('filters and tests Jinja users rely on', () => {
  const table: Array<[string, JsonValue]> = [
    ['{{ params.missing | d("dflt") }}', 'dflt'],
    ['{{ params.empty | default("dflt", true) }}', 'dflt'],
    ['{{ params.empty | default("dflt", boolean=true) }}', 'dflt'],
    ['{{ params.nothing | default("dflt") }}', null],
    ['{{ params.spaced | trim }}', 'Hi There'],
    ['{{ params.spaced | replace("Hi", "Bye") }}', ' Bye There '],
    ['{{ "aaa" | replace("a", "b", 2) }}', 'bba'],
    ['{{ "abc" | int }}', 0],
    ['{{ "abc" | int(7) }}', 7],
    ['{{ "ff" | int(base=16) }}', 255],
    ['{{ true | int }}', 1],
    ['{{ "x" | float }}', 0],
    ['{{ 2.567 | round(2) }}', 2.57],
    ['{{ 2.5 | round(method="floor") }}', 2],
    ['{{ -3 | abs }}', 3],
    ['{{ params.tags | length }}', 4],
    ['{{ params.message | length }}', 11],
    ['{{ params.missing | length }}', 0],
    ['{{ params.tags | first }}', 'b'],
    ['{{ params.tags | last }}', 'c'],
    ['{{ params.missing | first }}', ''],
    ['{{ "ab" | list }}', ['a', 'b']],
    ['{{ params.tags | sort(reverse=true) }}', ['c', 'b', 'A', 'a']],
    ['{{ params.tags | unique | list }}', ['b', 'A', 'c']],
    ['{{ params.tags | unique(case_sensitive=true) | list }}', ['b', 'A', 'a', 'c']],
    ['{{ params.users | map(attribute="name") | join(", ") }}', 'Ann, bob, ann'],
    ['{{ params.users | map(attribute="name") | map("upper") | list }}', ['ANN', 'BOB', 'ANN']],
    ['{{ params.users | selectattr("admin") | map(attribute="name") | list }}', ['Ann', 'ann']],
    ['{{ params.users | selectattr("age", "gt", 28) | map(attribute="age") | list }}', [30, 41]],
    ['{{ params.users | rejectattr("admin") | map(attribute="name") | first }}', 'bob'],
    ['{{ params.users | sum(attribute="age") }}', 96],
    ['{{ params.users | max(attribute="age") | tojson }}', { admin: true, age: 41, name: 'ann' }],
    ['{{ params.tags | min }}', 'A'],
    ['{{ {"b": 1, "a": [true, none]} | tojson }}', { a: [true, null], b: 1 }],
    ['x={{ {"b": 1, "a": "<"} | tojson }}', 'x={"a": "<", "b": 1}'],
    ['{{ [true, none] | join("|") }}', 'True|None'],
    ['{{ params.count | string }}!', '5!'],
    ['{{ params.message | lower }}', 'hello world'],
    ['{{ params.message | upper }}', 'HELLO WORLD'],
    ['{{ "hello world" | title }}', 'Hello World'],
    ['{{ "hELLO" | capitalize }}', 'Hello'],
    ['{{ params.obj | items | list }}', [['a', [1, 'x', true, null]]]],
    ['{{ {"k": "v"} | attr("k") }}', 'v'],
    ['{{ "a,b,,c".split(",") }}', "['a', 'b', '', 'c']"],
    ['{{ "  a  b ".split() | length }}', 2],
    ['{{ "abc".startswith("ab") }}', 'True'],
    ['{{ {"a": 1}.get("z", 9) }}', '9'],
    ['{{ params.nothing is none }}', 'True'],
    ['{{ params.missing is none }}', 'False'],
    ['{{ params.nothing is None }}', 'True'],
    ['{{ params.flag is false }}', 'True'],
    ['{{ params.missing is undefined }}', 'True'],
    ['{{ params.missing is not defined }}', 'True'],
    ['{{ params.count is number }}', 'True'],
    ['{{ params.count is integer }}', 'True'],
    ['{{ params.message is string }}', 'True'],
    ['{{ [1, 2] == [1, 2] }}', 'True'],
    ['{{ "1" == 1 }}', 'False'],
    ['{{ 1 < 2 < 3 }}', 'True'],
    ['{{ 3 > 2 > 2 }}', 'False'],
    ['{{ "k" in {"k": 1} }}', 'True'],
    ['{{ "toString" in {} }}', 'False'],
    ['{{ "a" not in "abc" }}', 'False'],
    ['{{ params.list or "empty" }}', 'empty'],
    ['{{ params.count and "yes" }}', 'yes'],
    ['{{ not params.list }}', 'True'],
    ['{{ "a" ~ true ~ none }}', 'aTrueNone'],
    ['{{ "ab" * 2 }}', 'abab'],
    ['{{ [1] + [2] }}', '[1, 2]'],
    ['{{ 7 // 2 }}', '3'],
    ['{{ -7 % 3 }}', '2'],
    ['{{ 2 ** 10 }}', '1024'],
  ];
  for (const [source, expected] of table) {
    it(source, () => {
      assert.deepEqual(renderValue(source, context), expected);
    });
  }

  it('errors of Python operations carry their position', () => {
    expectTemplateError(attempt(() => renderValue('{{ "a" + 1 }}', context)), /render error at 1:4: unsupported operand types for \+: 'str' and 'int'/);
    expectTemplateError(attempt(() => renderValue('x\n {{ 1 // 0 }}', context)), /at 2:\d+: division by zero/);
  });
});

describe('undefined and strict mode', () => {
  it('strict: an undefined bare path is an error naming the param, the variable and its position', () => {
    const error = expectTemplateError(attempt(() => renderValue('{{ params.missing }}', context, { strict: true, where: 'params.url' })), /"params\.missing" is undefined at 1:4/, 'params.url');
    assert.equal(error.details.line, 1);
    assert.equal(error.details.column, 4);
    assert.match(error.describe(), /\(at params\.url\)/);
  });

  const strictErrors: Array<[string, RegExp]> = [
    ['x = {{ params.a.b }}', /"params\.a\.b" is undefined at 1:8/],
    ['{{ params.missing + 1 }}', /"params\.missing" is undefined at 1:4/],
    ['{{ params.missing | upper }}', /"params\.missing" is undefined/],
    ['{% if steps.nope.outputs.x %}y{% endif %}', /"steps\.nope\.outputs\.x" is undefined at 1:7/],
    ['{% for x in params.nope %}{% endfor %}', /"params\.nope" is undefined/],
    ['{{ params.tags[params.nope] }}', /"params\.nope" is undefined/],
    ['line\n{{ [1, params.nope] }}', /"params\.nope" is undefined at 2:8/],
    ['{{ secret.NOPE }}', /"secret\.NOPE" is undefined/],
  ];
  for (const [source, pattern] of strictErrors) {
    it(`strict raises: ${source}`, () => {
      expectTemplateError(attempt(() => renderValue(source, context, { strict: true, where: 'params.p' })), pattern, 'params.p');
    });
  }

  const strictFine: Array<[string, JsonValue]> = [
    ['{{ params.missing | default("d") }}', 'd'],
    ['{{ params.missing | d(params.count) }}', 5],
    ['{{ params.missing is defined }}', 'False'],
    ['{{ params.nothing }}', null],
    ['{% set x = 3 %}{{ x }}', '3'],
    ['{% for t in params.tags %}{{ loop.index }}{% endfor %}', '1234'],
    ['{{ params.count if params.missing is defined else 0 }}', '0'],
    ['{{ params.missing is defined and params.missing > 1 }}', 'False'],
  ];
  for (const [source, expected] of strictFine) {
    it(`strict allows: ${source}`, () => {
      assert.deepEqual(renderValue(source, context, { strict: true }), expected);
    });
  }

  it('lenient: the same templates give "" or their text', () => {
    assert.equal(renderValue('x = {{ params.a.b }}', context), 'x = ');
    assert.equal(renderValue('{{ params.missing + 1 }}', context), '');
    assert.equal(renderValue('{% if steps.nope.outputs.x %}y{% endif %}', context), '');
  });
});

describe('template errors name the parameter and the position', () => {
  const table: Array<[string, RegExp, number | undefined, number | undefined]> = [
    ['abc {{ params.x', /unclosed "\{\{" at 1:5/, 1, 5],
    ['line one\n  {{ params.x', /unclosed "\{\{" at 2:3/, 2, 3],
    ['{% if params.x', /unclosed "\{%" at 1:1/, 1, 1],
    ['ok {# note', /unclosed "\{#" at 1:4/, 1, 4],
    ['{{ "}} }}', /unclosed "\{\{" at 1:1/, 1, 1],
    ['{% raw %}{{ x', /unclosed "\{% raw %\}" at 1:1/, 1, 1],
    ['{{ params. }}', /syntax error at 1:12: expected name as lookup value/, 1, 12],
    ['{{ }}', /syntax error at 1:4/, 1, 4],
    ['{{ x | nope }}', /unknown filter "nope" at 1:8/, 1, 8],
    ['{{ x is nope }}', /unknown test "nope" at 1:9/, 1, 9],
    ['{% if x %}open', /syntax error at 1:15: .*end of file/, 1, 15],
    ['{% endif %}', /syntax error at 1:4: unknown block tag: endif/, 1, 4],
  ];
  for (const [source, pattern, line, column] of table) {
    it(JSON.stringify(source), () => {
      const error = expectTemplateError(attempt(() => renderValue(source, context, { where: 'params.url' })), pattern, 'params.url');
      assert.equal(error.details.line, line);
      assert.equal(error.details.column, column);
    });
  }

  it('quoted closers and raw blocks are not mistaken for template ends', () => {
    assert.equal(renderValue('{{ "}}" }}', context), '}}');
    assert.equal(renderValue('{% raw %}{{ x {% endraw %}!', context), '{{ x !');
  });

  it('renderParams names each param path, nested ones included', () => {
    const ok = renderParams({ url: 'http://h/{{ params.count }}', n: '{{ params.count }}', nested: { list: ['{{ params.flag }}'] } }, context);
    assert.deepEqual(ok, { url: 'http://h/5', n: 5, nested: { list: [false] } });
    const cases: Array<[JsonObject, string]> = [
      [{ url: '{{ params.x' }, 'params.url'],
      [{ headers: { auth: 'Bearer {{ x | nope }}' } }, 'params.headers.auth'],
      [{ list: ['fine', '{% if %}'] }, 'params.list[1]'],
      [{ 'a key': '{{ x' }, 'params["a key"]'],
    ];
    for (const [params, where] of cases) {
      expectTemplateError(attempt(() => renderParams(params, context)), /template: /, where);
    }
    expectTemplateError(attempt(() => renderParams({ u: '{{ params.missing }}' }, context, { strict: true })), /"params\.missing" is undefined/, 'params.u');
  });

  it('the same bad template fails again with the new place (errors are cached, places are not)', () => {
    expectTemplateError(attempt(() => renderValue('{{ x', context, { where: 'params.a' })), /unclosed/, 'params.a');
    expectTemplateError(attempt(() => renderValue('{{ x', context, { where: 'params.b' })), /unclosed/, 'params.b');
  });
});

describe('isTruthy', () => {
  const table: Array<[unknown, boolean]> = [
    [true, true],
    [false, false],
    [null, false],
    [undefined, false],
    [0, false],
    [0.0, false],
    [Number.NaN, false],
    [1, true],
    [-2.5, true],
    ['', false],
    ['   ', false],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['none', false],
    ['None', false],
    ['0', false],
    ['0.0', false],
    [' 0 ', false],
    ['[]', false],
    ['{}', false],
    ['()', false],
    ['set()', false],
    ['True', true],
    ['true', true],
    ['1', true],
    ['0.5', true],
    ['no', true],
    ['off', true],
    ['null', true],
    ['text', true],
    ['[0]', true],
    [[], false],
    [[0], true],
    [{}, false],
    [{ a: 1 }, true],
  ];
  for (const [value, expected] of table) {
    it(`${JSON.stringify(value) ?? String(value)} → ${expected}`, () => {
      assert.equal(isTruthy(value), expected);
    });
  }
});

describe('evaluateCondition', () => {
  const table: Array<[string | boolean | null | undefined, boolean]> = [
    [undefined, true],
    [null, true],
    ['', true],
    ['   ', true],
    [true, true],
    [false, false],
    ['true', true],
    ['False', false],
    ['yes', true],
    ['no', false],
    ['1', true],
    ['0', false],
    ['none', false],
    ['None', false],
    ['{{ params.on }}', true],
    ['{{ params.flag }}', false],
    ['{{ params.count }}', true],
    ['{{ params.list }}', false],
    ['{{ params.obj }}', true],
    ['{{ params.nothing }}', false],
    ['{{ params.empty }}', false],
    ['{{ params.text_false }}', false],
    ['{{ steps.transform.outputs.n }}', false],
    ['{{ params.count > 3 }}', true],
    ['{{ params.count == 5 and params.on }}', true],
    ['{{ params.tags | length > 3 }}', true],
    ['{{ params.list | length }}', false],
    ['{{ "b" in params.tags }}', true],
    ['{{ params.message | lower == "hello world" }}', true],
    ['{{ params.on == true }}', true],
    ['{{ params.nothing == none }}', true],
    ['{{ steps.transform.outputs.result is defined }}', true],
    // an undefined variable makes the condition false, never an error
    ['{{ params.missing }}', false],
    ['{{ steps.skipped.outputs.result }}', false],
    ['{{ params.missing.deeper.still }}', false],
    ['{{ params.missing > 3 }}', false],
    ['{{ params.missing + 1 }}', false],
    ['{{ params.missing == "x" }}', false],
    ['{{ not params.missing }}', true],
    // without braces a condition is an expression
    ['params.count > 3', true],
    ['params.flag', false],
    ['params.missing', false],
    ['steps.transform.outputs.result == "HELLO WORLD"', true],
    // text around a template: the rendered text's truth
    ['{{ params.count }} items', true],
    ['{% if params.flag %}yes{% endif %}', false],
  ];
  for (const [condition, expected] of table) {
    it(`${JSON.stringify(condition) ?? 'undefined'} → ${expected}`, () => {
      assert.equal(evaluateCondition(condition, context), expected);
    });
  }

  it('a syntax error is an error naming the condition and its place', () => {
    const error = expectTemplateError(attempt(() => evaluateCondition('{{ params.count + }}', context) as unknown as JsonValue), /condition "\{\{ params\.count \+ \}\}": syntax error at 1:19/, 'condition');
    assert.equal(error.details.line, 1);
    const named = attempt(() => evaluateCondition('params.count >', context, { where: 'steps.transform.condition' }) as unknown as JsonValue);
    expectTemplateError(named, /condition "params\.count >": syntax error at 1:\d+/, 'steps.transform.condition');
    expectTemplateError(attempt(() => evaluateCondition('{{ x | nope }}', context) as unknown as JsonValue), /unknown filter "nope"/);
    expectTemplateError(attempt(() => evaluateCondition('{{ params.count', context) as unknown as JsonValue), /unclosed "\{\{" at 1:1/);
  });
});

describe('compat: BudPipeline sample_dag.json templates (expected.md)', () => {
  // Copied from /work/shared/compat/budpipeline/sample_dag.json.
  const sample = {
    parameters: { message: 'Hello World', run_transform: true } as JsonObject,
    transformCondition: '{{ params.run_transform }}',
    transformInput: '{{ params.message }}',
    setResult: {
      result: '{{ steps.transform.outputs.result | default(params.message) }}',
      transformed: '{{ steps.transform.outputs.result is defined }}',
    } as JsonObject,
    outputs: { final_result: '{{ steps.set_result.outputs.result }}', was_transformed: '{{ steps.set_result.outputs.transformed }}' } as JsonObject,
  };

  /** The sample DAG's data flow: the transform step upper-cases when its condition holds. */
  function run(runParams: JsonObject): JsonObject {
    const params = { ...sample.parameters, ...runParams };
    const outputsByStep: Record<string, JsonObject> = {};
    if (evaluateCondition(sample.transformCondition, { params })) {
      const input = renderValue(sample.transformInput, { params });
      outputsByStep.transform = { result: String(input).toUpperCase() };
    }
    outputsByStep.set_result = renderParams(sample.setResult, { params, steps: stepsView(outputsByStep) });
    return renderParams(sample.outputs, { params, steps: stepsView(outputsByStep) }, { where: 'outputs' });
  }

  it('{} → HELLO WORLD, "True"', () => {
    assert.deepEqual(run({}), { final_result: 'HELLO WORLD', was_transformed: 'True' });
  });

  it('{run_transform: false} → transform skipped, Hello World, "False"', () => {
    assert.equal(evaluateCondition(sample.transformCondition, { params: { run_transform: false } }), false);
    assert.deepEqual(run({ run_transform: false }), { final_result: 'Hello World', was_transformed: 'False' });
  });

  it('the set_result templates on their own, with and without transform outputs', () => {
    const withOutputs = { params: sample.parameters, steps: stepsView({ transform: { result: 'HELLO WORLD' } }) };
    const without = { params: sample.parameters, steps: stepsView({}) };
    assert.deepEqual(renderParams(sample.setResult, withOutputs), { result: 'HELLO WORLD', transformed: 'True' });
    assert.deepEqual(renderParams(sample.setResult, without), { result: 'Hello World', transformed: 'False' });
  });
});

describe('context: secrets, env, sandbox', () => {
  it('a secret lookup is asked only for the names a template uses, once per context', () => {
    const asked: string[] = [];
    const ctx: TemplateContext = {
      secret: (name) => {
        asked.push(name);
        return name === 'SLACK_URL' ? 'https://hooks.example/x' : undefined;
      },
    };
    assert.deepEqual(renderParams({ url: '{{ secret.SLACK_URL }}', again: 'u={{ secret.SLACK_URL }}' }, ctx), { url: 'https://hooks.example/x', again: 'u=https://hooks.example/x' });
    assert.deepEqual(asked, ['SLACK_URL']);
    assert.equal(renderValue('{{ secret.OTHER }}', ctx), '');
    assert.deepEqual(asked, ['SLACK_URL', 'OTHER']);
  });

  it('the secret object reveals no names or values when printed or listed', () => {
    const asked: string[] = [];
    const ctx: TemplateContext = { secret: (name) => (asked.push(name), 'value') };
    assert.deepEqual(renderValue('{{ secret }}', ctx), {});
    assert.equal(renderValue('s={{ secret }}', ctx), 's={}');
    assert.deepEqual(renderValue('{{ secret | tojson }}', ctx), {});
    assert.equal(renderValue('{{ secret | length }}', ctx), 0);
    assert.equal(renderValue('{% for k in secret %}{{ k }}{% endfor %}.', ctx), '.');
    assert.deepEqual(asked, []);
    const prepared: TemplateContext = { secret: { A: 'a-value', B: 'b-value' } };
    assert.equal(renderValue('{{ secret.A }}', prepared), 'a-value');
    assert.deepEqual(renderValue('{{ secret }}', prepared), {});
  });

  it('pickEnv keeps only the allowed variables', () => {
    const env = pickEnv(['HOME', 'ABSENT'], { HOME: '/h', PATH: '/bin', AWS_SECRET: 'x' });
    assert.deepEqual(env, { HOME: '/h' });
    assert.equal(renderValue('{{ env.HOME }}|{{ env.PATH }}|{{ env.AWS_SECRET }}', { env }), '/h||');
  });

  const escapes = [
    '{{ "".constructor.constructor("return process")() }}',
    '{{ params.constructor.constructor("return process")() }}',
    '{{ range.constructor("return process")() }}',
    '{{ params["constr" ~ "uctor"]["constr" ~ "uctor"]("return process")() }}',
    '{{ params.__proto__ }}',
    '{{ constructor.constructor("return process")() }}',
  ];
  for (const source of escapes) {
    it(`no way out of the data: ${source}`, () => {
      const result = attempt(() => renderValue(source, context));
      if (result instanceof HookflowError) assert.equal(result.code, 'HF_ERR_TEMPLATE');
      else assert.ok(result === '' || (typeof result === 'object' && result !== null && Object.keys(result).length === 0), `got ${JSON.stringify(result)}`);
    });
  }
});

describe('compiled-template cache', () => {
  it('compiles a template once and reuses it', () => {
    clearTemplateCache();
    for (let i = 0; i < 5; i++) renderValue('n={{ params.count }}', context);
    assert.equal(templateCacheSize(), 1);
    renderValue('plain text is never cached', context);
    assert.equal(templateCacheSize(), 1);
  });

  it('stays bounded', () => {
    clearTemplateCache();
    for (let i = 0; i < 2100; i++) renderValue(`{{ params.p${i} }}`, context);
    assert.ok(templateCacheSize() <= 2000, `size ${templateCacheSize()}`);
    assert.equal(renderValue('{{ params.count }}', context), 5);
  });
});

describe('fuzz: random templates only give a value or a HookflowError', () => {
  const fragments = ['{{', '}}', '{%', '%}', '{#', '#}', ' ', 'params.count', 'params.missing', 'steps.transform.outputs.result', 'x', '|', 'int', 'default(', ')', '(', '"', "'", 'if', 'else', 'endif', 'for', 'in', 'endfor', 'set', '=', '+', '-', '*', '/', '%', '~', '.', '[', ']', ',', '\n', 'none', 'True', 'is', 'defined', 'not', 'and', 'or', 'length', 'join', 'tojson', '0', '1', 'raw', 'endraw', 'secret.X', 'env.HOME', '{', '}'];
  const templates = fc.oneof(fc.array(fc.constantFrom(...fragments), { maxLength: 14 }).map((parts) => parts.join('')), fc.string({ maxLength: 40 }));

  function checked(run: () => unknown): void {
    try {
      const value = run();
      assert.doesNotThrow(() => JSON.stringify(value));
    } catch (error) {
      if (!(error instanceof HookflowError) || error.code !== 'HF_ERR_TEMPLATE') throw error;
    }
  }

  it('renderValue (lenient and strict)', () => {
    fc.assert(
      fc.property(templates, fc.boolean(), (source, strict) => {
        checked(() => renderValue(source, context, { strict, where: 'params.p' }));
      }),
      { numRuns: 400 },
    );
  });

  it('evaluateCondition', () => {
    fc.assert(
      fc.property(templates, (source) => {
        checked(() => {
          const result = evaluateCondition(source, context);
          assert.equal(typeof result, 'boolean');
          return result;
        });
      }),
      { numRuns: 400 },
    );
  });
});
