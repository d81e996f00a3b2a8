import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateAction } from '../../src/actions/builtin/aggregate.js';
import { logAction } from '../../src/actions/builtin/log.js';
import { notificationAction } from '../../src/actions/builtin/notification.js';
import { defineAction, type ActionDefinition, type ParamDefinition } from '../../src/actions/model.js';
import { paramsSchema, validateParams } from '../../src/actions/params.js';
import type { JsonObject } from '../../src/events/model.js';
import { iconPaths } from '../../ui/src/lib/action-icons.js';
import {
  buildParams,
  byCategory,
  canonicalJson,
  checkValue,
  coerce,
  formModel,
  initialInputs,
  inputFor,
  isShown,
  jsonErrorPosition,
  matchesAction,
  parseJsonText,
  safeColor,
  serverProblems,
  type FieldInput,
  type FormInputs,
  type FormModel,
} from '../../ui/src/lib/action-form.js';

/**
 * The Actions page's form model, read from the schemas the server really writes (paramsSchema of
 * real metas), and checked against the server's own validation so the client refuses what the
 * server would, no more.
 */

function definitionWith(params: ParamDefinition[]): ActionDefinition {
  return defineAction({
    meta: { type: 'sample', version: '1.0.0', name: 'Sample', description: 'a test action', category: 'Tests', executionMode: 'sync', idempotent: true, params, outputs: [] },
    execute: () => ({ success: true }),
  });
}

/** Every kind of param, with the validation rules and a group and showWhen. */
const SAMPLE = definitionWith([
  { name: 'title', label: 'Title', type: 'string', required: true, validation: { minLength: 2, maxLength: 5, pattern: '^[a-z]+$', patternMessage: 'must be lowercase letters' } },
  { name: 'body', type: 'template', placeholder: 'Hello {{ params.name }}' },
  { name: 'count', label: 'Count', type: 'number', validation: { min: 1, max: 10 } },
  { name: 'ratio', label: 'Ratio', type: 'range', default: 50, validation: { min: 0, max: 100 } },
  { name: 'enabled', label: 'Enabled', type: 'boolean', default: true },
  { name: 'mode', label: 'Mode', type: 'select', default: 'fast', options: [{ label: 'Fast', value: 'fast' }, { label: 'Safe', value: 'safe' }, { label: 'Three', value: 3 }] },
  { name: 'tags', label: 'Tags', type: 'multiselect', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] },
  { name: 'extra', label: 'Extra', type: 'json', group: 'Advanced' },
  { name: 'branches', label: 'Branches', type: 'branches', group: 'Advanced' },
  { name: 'model', label: 'Model', type: 'model_ref', group: 'Advanced' },
  { name: 'safety', label: 'Safety notes', type: 'string', required: true, showWhen: { param: 'mode', equals: 'safe' } },
  { name: 'speed', label: 'Speed', type: 'number', showWhen: { param: 'mode', notEquals: 'safe' } },
]);
const SAMPLE_MODEL = formModel(paramsSchema(SAMPLE.meta));
const field = (model: FormModel, name: string) => {
  const found = model.fields.find((candidate) => candidate.name === name);
  assert.ok(found, `no field ${name}`);
  return found;
};

describe('formModel: the form read from an action params schema', () => {
  const cases: Array<[string, Partial<ReturnType<typeof field>>]> = [
    ['title', { kind: 'string', label: 'Title', required: true, minLength: 2, maxLength: 5, pattern: '^[a-z]+$', patternMessage: 'must be lowercase letters', group: null, showWhen: null }],
    ['body', { kind: 'template', label: 'body', required: false, placeholder: 'Hello {{ params.name }}' }],
    ['count', { kind: 'number', minimum: 1, maximum: 10, hasDefault: false }],
    ['ratio', { kind: 'range', hasDefault: true, default: 50, minimum: 0, maximum: 100 }],
    ['enabled', { kind: 'boolean', default: true }],
    ['tags', { kind: 'multiselect', required: false }],
    ['extra', { kind: 'json', group: 'Advanced' }],
    ['branches', { kind: 'branches', group: 'Advanced' }],
    ['model', { kind: 'ref', paramType: 'model_ref', group: 'Advanced' }],
    ['safety', { kind: 'string', required: true, showWhen: { param: 'mode', test: 'equals', value: 'safe' } }],
    ['speed', { kind: 'number', required: false, showWhen: { param: 'mode', test: 'notEquals', value: 'safe' } }],
  ];
  for (const [name, expected] of cases) {
    it(name, () => {
      const actual = field(SAMPLE_MODEL, name);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(actual[key as keyof typeof actual], value, `${name}.${key}`);
    });
  }

  it('keeps the options with their labels and JSON keys (a number stays a number)', () => {
    assert.deepEqual(
      field(SAMPLE_MODEL, 'mode').options.map((option) => [option.label, option.value, option.key]),
      [
        ['Fast', 'fast', '"fast"'],
        ['Safe', 'safe', '"safe"'],
        ['Three', 3, '3'],
      ],
    );
  });

  it('groups: the ungrouped fields first, then each group in order', () => {
    assert.deepEqual(
      SAMPLE_MODEL.groups.map((group) => [group.name, group.fields.map((item) => item.name)]),
      [
        [null, ['title', 'body', 'count', 'ratio', 'enabled', 'mode', 'tags', 'safety', 'speed']],
        ['Advanced', ['extra', 'branches', 'model']],
      ],
    );
  });

  it('reads a real built-in: log (message required, level a select defaulting to info)', () => {
    const model = formModel(paramsSchema(logAction.meta));
    assert.deepEqual(
      model.fields.map((item) => [item.name, item.kind, item.required, item.hasDefault ? item.default : undefined]),
      [
        ['message', 'template', true, undefined],
        ['level', 'select', false, 'info'],
      ],
    );
  });

  it('tolerates junk instead of throwing', () => {
    for (const junk of [null, 42, 'x', [], { properties: 7 }, { properties: { a: null, b: { 'x-hookflow': 'no' } }, required: 'a', allOf: [null, { then: 1 }] }]) {
      const model = formModel(junk);
      assert.ok(Array.isArray(model.fields));
    }
    assert.deepEqual(
      formModel({ properties: { a: null, b: { type: 'boolean' }, c: { enum: ['x', 'y'] } } }).fields.map((item) => [item.name, item.kind]),
      [
        ['a', 'json'],
        ['b', 'boolean'],
        ['c', 'select'],
      ],
    );
  });
});

describe('initialInputs and inputFor: defaults and examples into the inputs', () => {
  it('a fresh form holds the defaults', () => {
    const inputs = initialInputs(SAMPLE_MODEL);
    assert.deepEqual(
      { title: inputs.title, ratio: inputs.ratio, enabled: inputs.enabled, mode: inputs.mode, tags: inputs.tags, extra: inputs.extra },
      { title: '', ratio: '50', enabled: true, mode: '"fast"', tags: [], extra: '' },
    );
  });

  const cases: Array<[string, string, unknown, FieldInput]> = [
    ['json pretty-printed', 'extra', { a: [1, 2] }, '{\n  "a": [\n    1,\n    2\n  ]\n}'],
    ['json null stays visible', 'extra', null, 'null'],
    ['a number as text', 'count', 7, '7'],
    ['a template in a number field', 'count', '{{ params.n }}', '{{ params.n }}'],
    ['a select value to its key', 'mode', 3, '3'],
    ['a select value not offered: unchosen', 'mode', 'other', ''],
    ['multiselect values to keys, unknown dropped', 'tags', ['b', 'z'], ['"b"']],
    ['boolean from "true"', 'enabled', 'true', true],
    ['boolean false', 'enabled', false, false],
  ];
  for (const [name, param, value, expected] of cases) it(name, () => assert.deepEqual(inputFor(field(SAMPLE_MODEL, param), value), expected));

  it('an example fills its params and leaves the defaults elsewhere', () => {
    const model = formModel(paramsSchema(aggregateAction.meta));
    const join = aggregateAction.meta.examples?.find((example) => example.params.operation === 'join');
    assert.ok(join);
    const inputs = initialInputs(model, join.params);
    assert.equal(inputs.operation, '"join"');
    assert.equal(inputs.separator, '-');
    assert.match(String(inputs.inputs), /steps\.a\.outputs\.value/);
  });
});

describe('coerce: an input into a param value', () => {
  const cases: Array<[string, string, FieldInput | undefined, ReturnType<typeof coerce>]> = [
    ['empty text is not sent', 'title', '', { state: 'unset' }],
    ['blank text is not sent', 'title', '   ', { state: 'unset' }],
    ['text as typed', 'title', ' ab ', { state: 'value', value: ' ab ' }],
    ['a number', 'count', ' 4.5 ', { state: 'value', value: 4.5 }],
    ['not a number', 'count', '4x', { state: 'invalid', message: 'must be a number' }],
    ['a template in a number field stays text', 'count', '{{ params.n }}', { state: 'value', value: '{{ params.n }}' }],
    ['range text to a number', 'ratio', '30', { state: 'value', value: 30 }],
    ['checkbox on', 'enabled', true, { state: 'value', value: true }],
    ['checkbox off is false, not absent', 'enabled', false, { state: 'value', value: false }],
    ['a select key to its value', 'mode', '3', { state: 'value', value: 3 }],
    ['no choice', 'mode', '', { state: 'unset' }],
    ['a key that is no option', 'mode', '"gone"', { state: 'invalid', message: 'is not one of the choices' }],
    ['multiselect in option order', 'tags', ['"b"', '"a"'], { state: 'value', value: ['a', 'b'] }],
    ['multiselect with none: not sent', 'tags', [], { state: 'unset' }],
    ['json any value', 'extra', '[1, "x", null]', { state: 'value', value: [1, 'x', null] }],
    ['json a bare string', 'extra', '"x"', { state: 'value', value: 'x' }],
    ['a ref is text', 'model', 'gpt-4', { state: 'value', value: 'gpt-4' }],
  ];
  for (const [name, param, input, expected] of cases) it(name, () => assert.deepEqual(coerce(field(SAMPLE_MODEL, param), input), expected));

  it('broken JSON is refused with its line and column', () => {
    const result = coerce(field(SAMPLE_MODEL, 'extra'), '{\n  "a": 1,\n}');
    assert.equal(result.state, 'invalid');
    assert.match(result.state === 'invalid' ? result.message : '', /^is not valid JSON: .* at line 3, column 1$/);
  });
});

describe('parseJsonText: JSON typed into a textarea', () => {
  const cases: Array<[string, string, { ok: true; value: unknown } | { ok: false; line: number | null; message?: RegExp }]> = [
    ['an object', '{"a": 1}', { ok: true, value: { a: 1 } }],
    ['a list', '[1, 2]', { ok: true, value: [1, 2] }],
    ['a number', '42', { ok: true, value: 42 }],
    ['a trailing comma on line 2 (JSON.parse gives no position for it)', '[1,\n 2,]', { ok: false, line: 2 }],
    ['unquoted key on line 1', '{a: 1}', { ok: false, line: 1 }],
    ['a long text: the quoted excerpt is left out of the message', '{"x": [1, 2, ], "y": 3}', { ok: false, line: 1, message: /^Unexpected token '\]' at line 1, column 14$/ }],
    ['text after the value', '{"k": "v"}x', { ok: false, line: 1, message: /^Unexpected non-whitespace character after JSON at line 1, column 11$/ }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const result = parseJsonText(text);
      assert.equal(result.ok, expected.ok);
      if (result.ok && expected.ok) assert.deepEqual(result.value, expected.value);
      if (!result.ok && !expected.ok) {
        assert.equal(result.line, expected.line);
        assert.match(result.message, new RegExp(`at line ${expected.line}, column \\d+$`));
        if (expected.message) assert.match(result.message, expected.message);
      }
    });
  }
});

describe('jsonErrorPosition: where JSON.parse stopped, also when its message does not say', () => {
  const cases: Array<[string, number | null]> = [
    ['{"a": [1, {"b": null}], "c": "\\u00e9\\n", "d": -1.5e+3}', null],
    ['  42  ', null],
    ['[1,]', 3],
    ['[1,\n 2,]', 7],
    ['{"a": 1,}', 8],
    ['{a: 1}', 1],
    ['[1 2]', 3],
    ['{"a" 1}', 5],
    ['tru', 3],
    ['nul', 3],
    ['01', 1],
    ['1.', 2],
    ['-', 1],
    ['"\\x"', 2],
    ['"\\u12g4"', 5],
    ['"a\nb"', 2],
    ['"open', 5],
    ['[1] [2]', 4],
    ['', 0],
  ];
  for (const [text, expected] of cases) it(JSON.stringify(text), () => assert.equal(jsonErrorPosition(text), expected));

  it('agrees with JSON.parse on what is valid, and with its position when it gives one', () => {
    const samples = ['{"a":1,}', '{"a":1 "b":2}', '[1,2', '{"a":tru}', '{"x": [1, 2, ], "y": 3}', '["a\tb"]', '{"k": 1e}', '{"k": "v"}x', '[[[]]]', '{"a":{"b":{}}}'];
    for (const text of samples) {
      let position: number | null = null;
      let valid = true;
      try {
        JSON.parse(text);
      } catch (error) {
        valid = false;
        const found = /position (\d+)/.exec(String(error));
        if (found) position = Number(found[1]);
      }
      const mine = jsonErrorPosition(text);
      assert.equal(mine === null, valid, text);
      if (position !== null) assert.equal(mine, position, text);
    }
  });
});

describe('isShown: showWhen', () => {
  const base = initialInputs(SAMPLE_MODEL);
  const cases: Array<[string, FormInputs, Record<string, boolean>]> = [
    ['mode at its default (fast): safety hidden, speed shown', {}, { safety: false, speed: true, title: true }],
    ['mode safe: safety shown, speed hidden', { mode: '"safe"' }, { safety: true, speed: false }],
    ['mode 3 (a number value)', { mode: '3' }, { safety: false, speed: true }],
    ['mode unchosen falls back to its default', { mode: '' }, { safety: false, speed: true }],
  ];
  for (const [name, change, expected] of cases) {
    it(name, () => {
      const inputs = { ...base, ...change };
      for (const [param, shown] of Object.entries(expected)) assert.equal(isShown(SAMPLE_MODEL, param, inputs), shown, param);
    });
  }

  it('a param that depends on a hidden one has no value to compare: equals fails, notEquals holds', () => {
    const model = formModel(
      paramsSchema(
        definitionWith([
          { name: 'kind', type: 'select', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] },
          { name: 'sub', type: 'select', default: 'x', options: [{ label: 'X', value: 'x' }], showWhen: { param: 'kind', equals: 'b' } },
          { name: 'needs_x', type: 'string', showWhen: { param: 'sub', equals: 'x' } },
          { name: 'not_x', type: 'string', showWhen: { param: 'sub', notEquals: 'x' } },
        ]).meta,
      ),
    );
    const hiddenSub = initialInputs(model, { kind: 'a' });
    assert.deepEqual(['sub', 'needs_x', 'not_x'].map((name) => isShown(model, name, hiddenSub)), [false, false, true]);
    const shownSub = initialInputs(model, { kind: 'b' });
    assert.deepEqual(['sub', 'needs_x', 'not_x'].map((name) => isShown(model, name, shownSub)), [true, true, false]);
  });

  it('a showWhen cycle ends instead of recursing forever', () => {
    const model = formModel({
      properties: {
        a: { type: 'string', 'x-hookflow': { type: 'string', showWhen: { param: 'b', equals: 'x' } } },
        b: { type: 'string', 'x-hookflow': { type: 'string', showWhen: { param: 'a', equals: 'x' } } },
      },
    });
    assert.equal(isShown(model, 'a', { a: 'x', b: 'x' }), false);
  });

  it('notification: the webhook URL is hidden for e-mail, the SMTP group shown', () => {
    const model = formModel(paramsSchema(notificationAction.meta));
    const email = initialInputs(model, { channel: 'email' });
    const slack = initialInputs(model, { channel: 'slack' });
    assert.deepEqual([isShown(model, 'url', email), isShown(model, 'smtp_host', email), isShown(model, 'headers', email)], [false, true, false]);
    assert.deepEqual([isShown(model, 'url', slack), isShown(model, 'smtp_host', slack), isShown(model, 'headers', slack)], [true, false, false]);
    assert.equal(isShown(model, 'headers', initialInputs(model, { channel: 'webhook' })), true);
  });
});

describe('checkValue: the client-side checks', () => {
  const cases: Array<[string, string, FieldInput, string | null]> = [
    ['required and empty', 'title', '', 'is required'],
    ['too short', 'title', 'a', 'must be at least 2 characters long'],
    ['too long', 'title', 'abcdef', 'must be at most 5 characters long'],
    ['pattern with its message', 'title', 'AB', 'must be lowercase letters'],
    ['fine', 'title', 'abc', null],
    ['a template skips the checks', 'title', '{{ x }}', null],
    ['below the minimum', 'count', '0', 'must be at least 1'],
    ['above the maximum', 'count', '11', 'must be at most 10'],
    ['at the bounds', 'count', '10', null],
    ['not required, empty', 'count', '', null],
    ['not a number', 'count', 'ten', 'must be a number'],
    ['branches must be a list', 'branches', '{"condition": true}', 'must be a list of branches ([{"condition": …, "target_step": …}])'],
    ['each branch needs a condition', 'branches', '[{"condition": true}, {"target_step": "x"}]', 'branch 2 needs a condition'],
    ['good branches', 'branches', '[{"condition": "{{ x }}", "target_step": "a"}]', null],
  ];
  for (const [name, param, input, expected] of cases) {
    it(name, () => {
      const item = field(SAMPLE_MODEL, param);
      assert.equal(checkValue(item, coerce(item, input)), expected);
    });
  }

  it('a pattern the browser cannot compile is left to the server', () => {
    const model = formModel({ properties: { p: { type: 'string', pattern: '(?<', 'x-hookflow': { type: 'string' } } } });
    assert.equal(checkValue(model.fields[0], { state: 'value', value: 'x' }), null);
  });
});

describe('buildParams agrees with the server: what the client lets through, validateParams accepts', () => {
  const cases: Array<[string, ActionDefinition, Record<string, unknown>, string[]]> = [
    ['log: nothing filled in', logAction, {}, ['message']],
    ['log: a message', logAction, { message: 'hello' }, []],
    ['log: a level chosen', logAction, { message: 'hello', level: 'error' }, []],
    ['sample: required title missing, safety hidden', SAMPLE, {}, ['title']],
    ['sample: safe mode needs safety notes', SAMPLE, { title: 'abc', mode: 'safe' }, ['safety']],
    ['sample: safe mode with notes, speed not sent', SAMPLE, { title: 'abc', mode: 'safe', safety: 'careful', speed: 5 }, []],
    ['sample: every rule broken at once', SAMPLE, { title: 'ABCDEFG', count: 40, branches: [{}] }, ['title', 'count', 'branches']],
    ['notification: slack needs the URL', notificationAction, { channel: 'slack', message: 'hi' }, ['url']],
    ['notification: a URL that is not http', notificationAction, { channel: 'slack', message: 'hi', url: 'ftp://x' }, ['url']],
    ['notification: e-mail needs no URL', notificationAction, { channel: 'email', message: 'hi', url: 'kept out', recipients: ['ops@example.com'] }, []],
    ['notification: the channel is required', notificationAction, { message: 'hi', url: 'https://x' }, ['channel']],
    ['aggregate: join shows the separator', aggregateAction, { operation: 'join', separator: '-', inputs: ['a'] }, []],
  ];
  for (const [name, definition, values, refused] of cases) {
    it(name, () => {
      const model = formModel(paramsSchema(definition.meta));
      const inputs = initialInputs(model, values);
      const { params, errors } = buildParams(model, inputs);
      assert.deepEqual(Object.keys(errors).sort(), [...refused].sort(), JSON.stringify(errors));
      for (const item of model.fields) if (!isShown(model, item.name, inputs)) assert.ok(!(item.name in params), `hidden ${item.name} is not sent`);
      // Everything the shown fields hold, refused or not: the server refuses the same fields.
      const everything: JsonObject = {};
      for (const item of model.fields) {
        const coerced = coerce(item, inputs[item.name]);
        if (isShown(model, item.name, inputs) && coerced.state === 'value') everything[item.name] = coerced.value as JsonObject[string];
      }
      const server = validateParams(definition, everything);
      const serverFields = [...new Set(server.problems.map((problem) => problem.field.split('.')[0]))].sort();
      assert.deepEqual(serverFields, [...refused].sort(), JSON.stringify(server.problems));
      if (refused.length === 0) assert.deepEqual(params, everything);
    });
  }
});

describe('serverProblems: the per-field refusals in a run error', () => {
  const model = formModel(paramsSchema(SAMPLE.meta));
  it('reads each line, the last with its where and hint, and matches the fields', () => {
    const error = 'invalid params for sample params:\n  - title is required (required)\n  - branches.0 must have required property \'condition\' (required)\n  - colour is not a param of sample: did you mean count? (unknown) (at sample params): see `hookflow actions describe sample`';
    assert.deepEqual(serverProblems(error, model), [
      { field: 'title', path: 'title', rule: 'required', message: 'title is required' },
      { field: 'branches', path: 'branches.0', rule: 'required', message: "branches.0 must have required property 'condition'" },
      { field: null, path: 'colour', rule: 'unknown', message: 'colour is not a param of sample: did you mean count?' },
    ]);
  });
  for (const error of [null, '', 'boom', 'fail: exit code 1\n  - not a list (x)']) {
    it(`nothing in ${JSON.stringify(error)}`, () => assert.deepEqual(serverProblems(error, model), []));
  }
  it('reads what the server really writes', () => {
    const outcome = validateParams(logAction, {});
    assert.equal(outcome.problems.length, 1);
    const text = `invalid params for log params:\n${outcome.problems.map((problem) => `  - ${problem.message} (${problem.rule})`).join('\n')} (at log params): see \`hookflow actions describe log\``;
    assert.deepEqual(serverProblems(text, formModel(paramsSchema(logAction.meta))), [{ field: 'message', path: 'message', rule: 'required', message: 'message is required' }]);
  });
});

describe('the catalogue list', () => {
  const actions = [
    { type: 'b', name: 'Bravo', category: 'Flow', description: 'second' },
    { type: 'a', name: 'Alpha', category: 'Flow', description: 'first one' },
    { type: 'z', name: 'Zulu', category: 'Plugins', description: 'from a plugin' },
    { type: 'h', name: 'HTTP', category: 'Integration', description: 'calls a URL' },
  ];
  it('byCategory: the server order, categories it did not list after, names sorted, empty ones left out', () => {
    assert.deepEqual(
      byCategory(actions, ['Integration', 'Empty', 'Flow']).map((group) => [group.category, group.actions.map((action) => action.type)]),
      [
        ['Integration', ['h']],
        ['Flow', ['a', 'b']],
        ['Plugins', ['z']],
      ],
    );
  });
  const filters: Array<[string, string[]]> = [
    ['', ['b', 'a', 'z', 'h']],
    ['flow', ['b', 'a']],
    ['FIRST', ['a']],
    ['plugin zulu', ['z']],
    ['url http', ['h']],
    ['nothing', []],
  ];
  for (const [query, expected] of filters) it(`matchesAction ${JSON.stringify(query)}`, () => assert.deepEqual(actions.filter((action) => matchesAction(action, query)).map((action) => action.type), expected));

  const colours: Array<[unknown, string | null]> = [
    ['#64748b', '#64748b'],
    ['#FFF', '#FFF'],
    ['#11223344', '#11223344'],
    ['red', null],
    ['#12345', null],
    ['#fff;background:url(x)', null],
    [null, null],
    [42, null],
  ];
  for (const [value, expected] of colours) it(`safeColor ${JSON.stringify(value)}`, () => assert.equal(safeColor(value), expected));

  it('every built-in icon name has a drawing', async () => {
    const { BUILTIN_ACTIONS } = await import('../../src/actions/builtin/index.js');
    const missing = BUILTIN_ACTIONS.filter((definition) => definition.meta.icon && !iconPaths(definition.meta.icon)).map((definition) => `${definition.meta.type}: ${definition.meta.icon}`);
    assert.deepEqual(missing, []);
    assert.equal(iconPaths('no-such-icon'), null);
    assert.ok(iconPaths('ph-bell-simple'), 'prefixes and variants are read');
  });

  it('canonicalJson: key order does not matter', () => {
    assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
    assert.notEqual(canonicalJson('1'), canonicalJson(1));
  });
});
