import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionMetaProblems, checkActionDefinition } from '../../src/actions/meta.js';
import type { ActionMeta } from '../../src/actions/model.js';
import { paramsSchema, validateParams } from '../../src/actions/params.js';
import { ActionRegistry } from '../../src/actions/registry.js';
import { isHookflowError } from '../../src/errors.js';
import { greetAction, validMeta } from './fixtures.js';

describe('action meta validation', () => {
  it('accepts a valid meta', () => {
    assert.deepEqual(actionMetaProblems(validMeta()), []);
  });

  const cases: Array<[string, Partial<ActionMeta> | Record<string, unknown>, RegExp]> = [
    ['camelCase type', { type: 'myAction' }, /type "myAction" must be snake_case/],
    ['bad version', { version: 'v1' }, /semantic version/],
    ['no name', { name: '' }, /name is required/],
    ['no category', { category: ' ' }, /category is required/],
    ['no description', { description: undefined }, /description is required/],
    ['bad mode', { executionMode: 'async' }, /executionMode/],
    ['idempotent missing', { idempotent: undefined }, /idempotent/],
    ['bad colour', { color: 'red' }, /#rrggbb/],
    ['retry bounds', { retryPolicy: { maxAttempts: 0, initialIntervalSeconds: 5, backoffMultiplier: 0.5, maxIntervalSeconds: 1 } }, /maxAttempts[\s\S]*backoffMultiplier[\s\S]*maxIntervalSeconds/],
    ['duplicate params', { params: [{ name: 'a', type: 'string' }, { name: 'a', type: 'number' }] }, /"a" is used twice/],
    ['select without options', { params: [{ name: 'a', type: 'select' }] }, /needs options/],
    ['default not an option', { params: [{ name: 'a', type: 'select', default: 'x', options: [{ label: 'Y', value: 'y' }] }] }, /default "x" is not one of the options/],
    ['unknown param type', { params: [{ name: 'a', type: 'text' }] }, /type "text" is not one of/],
    ['ref type allowed', { params: [{ name: 'a', type: 'model_ref' }] }, /^$/],
    ['bad pattern', { params: [{ name: 'a', type: 'string', validation: { pattern: '(' } }] }, /does not compile/],
    ['min above max', { params: [{ name: 'a', type: 'number', validation: { min: 5, max: 1 } }] }, /min is above/],
    ['showWhen unknown param', { params: [{ name: 'a', type: 'string', showWhen: { param: 'b', equals: 1 } }] }, /names "b", which is not a param/],
    ['showWhen both', { params: [{ name: 'b', type: 'string' }, { name: 'a', type: 'string', showWhen: { param: 'b', equals: 1, notEquals: 2 } }] }, /exactly one of equals and notEquals/],
    ['duplicate outputs', { outputs: [{ name: 'x', type: 'string' }, { name: 'x', type: 'string' }] }, /"x" is used twice/],
    ['bad output type', { outputs: [{ name: 'x', type: 'str' }] }, /type "str"/],
  ];
  for (const [what, overrides, expected] of cases) {
    it(`reports ${what}`, () => {
      const problems = actionMetaProblems({ ...validMeta(), ...overrides });
      if (expected.source === '^$') assert.deepEqual(problems, []);
      else assert.match(problems.join('\n'), expected);
    });
  }

  it('lists every problem at once and requires onEvent for event-driven actions', () => {
    assert.throws(
      () => checkActionDefinition({ meta: { ...validMeta(), type: 'Bad', version: 'x', executionMode: 'event_driven' }, execute: () => ({ success: true }) }, 'plugin.js'),
      (error: unknown) => isHookflowError(error) && /snake_case/.test(error.message) && /semantic version/.test(error.message) && /needs onEvent/.test(error.message) && error.details.where === 'plugin.js',
    );
  });
});

describe('params', () => {
  const action = greetAction();

  it('compile to JSON Schema with UI hints and conditional requirements', () => {
    type Schema = { type: string; required: string[]; allOf: unknown[]; properties: Record<string, { enum?: unknown[]; maximum?: number; 'x-hookflow': { type: string } }> };
    const schema = paramsSchema(action.meta) as unknown as Schema;
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['who']);
    assert.deepEqual(schema.properties.tone.enum, ['warm', 'cold']);
    assert.equal(schema.properties.times.maximum, 5);
    assert.equal(schema.properties.who['x-hookflow'].type, 'string');
    assert.deepEqual(schema.allOf[0], { if: { properties: { tone: { const: 'cold' } }, required: ['tone'] }, then: { required: ['reason'] } });
  });

  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['valid with defaults', { who: 'ada' }, []],
    ['missing required', {}, ['who:required']],
    ['too short and too many', { who: 'a', times: 9 }, ['who:minLength', 'times:maximum']],
    ['wrong type', { who: 'ada', times: 'two' }, ['times:type']],
    ['not an option', { who: 'ada', tone: 'hot' }, ['tone:enum']],
    ['shown and required', { who: 'ada', tone: 'cold' }, ['reason:required']],
    ['pattern with its message', { who: 'ada', code: 'abc' }, ['code:pattern']],
    ['unknown param', { who: 'ada', tmes: 2 }, ['tmes:unknown']],
  ];
  for (const [what, params, expected] of cases) {
    it(`validate: ${what}`, () => {
      const { problems } = validateParams(action, params as never);
      assert.deepEqual(problems.map((problem) => `${problem.field}:${problem.rule}`).sort(), [...expected].sort());
    });
  }

  it('fill in defaults, explain rules in words, and defer templates', () => {
    const { params } = validateParams(action, { who: 'ada' });
    assert.deepEqual(params, { who: 'ada', times: 1, tone: 'warm' });
    const pattern = validateParams(action, { who: 'ada', code: 'abc' }).problems[0];
    assert.equal(pattern.message, 'code must be three capital letters');
    const unknown = validateParams(action, { who: 'ada', tmes: 2 }).problems[0];
    assert.match(unknown.message, /did you mean times\?/);
    assert.deepEqual(validateParams(action, { who: '{{ params.name }}', times: '{{ params.n }}' }, { templatesUnresolved: true }).problems, []);
    assert.equal(validateParams(action, { times: '{{ params.n }}' }, { templatesUnresolved: true }).problems[0].field, 'who');
  });
});

describe('the registry', () => {
  it('refuses a second action of one type, naming both sources, and suggests near types', () => {
    const registry = new ActionRegistry();
    registry.register(greetAction(), 'builtin');
    assert.throws(() => registry.register(greetAction(), '/home/actions/greet.ts'), /one from builtin, one from \/home\/actions\/greet\.ts/);
    assert.throws(() => registry.get('gret'), (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_UNKNOWN_ACTION' && error.details.hint === 'did you mean greet?');
    assert.deepEqual(registry.list('testing').map((entry) => entry.definition.meta.type), ['greet']);
  });
});
