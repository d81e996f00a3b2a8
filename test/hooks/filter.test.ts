import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import type { EventRecord, JsonObject } from '../../src/events/model.js';
import { compileFilter, FILTER_TRANSFORMS, MAX_FILTER_LENGTH } from '../../src/hooks/filter.js';

function event(data: JsonObject, fields: Partial<EventRecord> = {}): EventRecord {
  return {
    id: '0192f0c4-0000-7000-8000-000000000001',
    type: 'task.failed',
    stack: 'production',
    source: 'api',
    data,
    status: 'processing',
    attempts: 1,
    error: null,
    created_at: 0,
    processed_at: null,
    correlation_id: 'run-42',
    idempotency_key: null,
    parent_id: null,
    ...fields,
  };
}

const failedTask = event({
  task: { task_name: 'deploy_app', agent_name: 'web-1', status: 'failed', exit_code: 1, error: 'Connection refused', duration: '2m30s' },
  agent: { name: 'web-1', tags: ['production', 'web'], version: '1.0.0' },
  tags: [],
  count: 5,
  ratio: 0.5,
  nothing: null,
  flag: false,
  items: [
    { name: 'a', status: 'ok' },
    { name: 'b', status: 'failed' },
  ],
});

describe('compileFilter: what filters see', () => {
  // [expression, matches failedTask]
  const table: ReadonlyArray<[string, boolean]> = [
    ['data.task.exit_code != 0', true],
    ['data.task.exit_code == 1', true],
    ['data.task.exit_code == 0', false],
    ['type == "task.failed" && data.task.agent_name == "web-1"', true],
    ['type == "task.failed" && data.task.agent_name == "web-2"', false],
    ["type == 'task.failed'", true],
    ['"production" in data.agent.tags', true],
    ['"staging" in data.agent.tags', false],
    ['"refused" in data.task.error', true],
    ['"task" in data', true],
    ['"nope" in data', false],
    ['stack == "production"', true],
    ['source == "api"', true],
    ['id == "0192f0c4-0000-7000-8000-000000000001"', true],
    ['attempts == 1', true],
    ['attempts > 1', false],
    ['correlation_id == "run-42"', true],
    ['data.count >= 5 && data.count < 6', true],
    ['data.count > 4.5', true],
    ['data.ratio * 10 == 5', true],
    ['data.count % 2 == 1', true],
    ['data.task.task_name + "!" == "deploy_app!"', true],
    ['!data.flag', true],
    ['data.flag || data.count', true],
    ['data.count > 3 ? true : false', true],
    ['data.items[1].status == "failed"', true],
    ['data.items[.status == "failed"].name == "b"', true],
    ['data.items[.status == "failed"]|length == 1', true],
    ['data.agent.tags[0] == "production"', true],
    // transforms
    ['data.tags|length > 0', false],
    ['data.agent.tags|length == 2', true],
    ['data.task.agent_name|length == 5', true],
    ['data.task|keys|length == 6', true],
    ['"failed" in data.task|values', true],
    ['data.task.agent_name|upper == "WEB-1"', true],
    ['"WEB-1"|lower == data.task.agent_name', true],
    ['"  x "|trim == "x"', true],
    ['data.task.agent_name|startsWith("web")', true],
    ['data.task.agent_name|endsWith("-1")', true],
    ['data.agent.tags|contains("web")', true],
    ['data.task.error|contains("refused")', true],
    ['"5"|number == data.count', true],
    ['data.count|string == "5"', true],
    ['data.missing|default("x") == "x"', true],
    ['data.task.exit_code|default(9) == 1', true],
    // no coercion
    ['data.task.exit_code == "1"', false],
    ['data.count > "4"', false],
    ['data.task.exit_code == true', false],
    // missing fields: no error, comparisons are false, only null equals missing
    ['data.nope.deeper.still == 1', false],
    ['data.nope != 0', false],
    ['data.nope > 0', false],
    ['data.nope < 0', false],
    ['data.nope == null', true],
    ['data.nope != null', false],
    ['data.nothing == null', true],
    ['data.nothing != 0', true],
    ['data.nothing >= 0', false],
    ['"x" in data.nope', false],
    ['!data.nope', true],
    // a non-boolean result counts by truthiness
    ['data.count', true],
    ['data.flag', false],
    ['data.nope', false],
    ['data.task.task_name', true],
    // errors while evaluating mean "no match"
    ['data + 1', false],
    ['data.task > data.agent', false],
  ];
  for (const [expression, expected] of table) {
    it(`${expression} → ${expected}`, () => assert.equal(compileFilter(expression).matches(failedTask), expected));
  }

  it('sees the event it is given, not the one it was compiled with', () => {
    const filter = compileFilter('data.task.exit_code != 0');
    assert.equal(filter.matches(event({ task: { exit_code: 0 } })), false);
    assert.equal(filter.matches(event({ task: { exit_code: 2 } })), true);
    assert.equal(filter.matches(event({})), false);
    assert.equal(compileFilter('stack == null').matches(event({}, { stack: null })), true);
  });

  it('does not change the event', () => {
    const data: JsonObject = { task: { exit_code: 1 }, list: [1, 2] };
    const before = JSON.stringify(data);
    compileFilter('data.list[.] && data.task.exit_code == 1').matches(event(data));
    assert.equal(JSON.stringify(data), before);
  });
});

describe('compileFilter: rejections', () => {
  // [expression, message fragment, column]
  const table: ReadonlyArray<[string, RegExp, number | null]> = [
    ['data.x ==', /ends too early/, 10],
    ['data.x == )', /unexpected "\)"/, 11],
    ['  data.x   ==  ==', /unexpected "=="/, 16],
    ['(data.x == 1', /"\(" is never closed/, 1],
    ['(((', /"\(" is never closed/, 3],
    ['[1, 2', /"\[" is never closed/, 1],
    ['{a: 1', /"\{" is never closed/, 1],
    ['data.x == 1)', /unexpected "\)"/, 12],
    ['(data.x]', /unexpected "\]"/, 8],
    ['data.x = 1', /unexpected "="/, 8],
    ['data.x & 1', /unexpected "&"/, 8],
    ['a @ b', /unexpected "@"/, 3],
    ['data.x == "abc', /unterminated string/, 11],
    ['a.1', /unexpected "1"/, 3],
    ['a..b', /unexpected "\."/, 3],
    ['data.x 1', /unexpected "1"/, 8],
    ['foo(1)', /"foo\(…\)" is a function call: filters cannot call functions/, 4],
    ['a.b.c.d(1)', /"d\(…\)" is a function call/, 8],
    ['x["a"]("b")', /filters cannot call values/, 7],
    ['data.x|bar', /unknown transform "\|bar"/, 8],
    ['data.x|lenght > 1', /unknown transform "\|lenght"/, 8],
    ['data.x|constructor', /"constructor" cannot be used in a filter/, 8],
    ['data.constructor', /"constructor" cannot be used in a filter/, 6],
    ['', /filter is empty/, null],
    ['   ', /filter is empty/, null],
    ['x'.repeat(MAX_FILTER_LENGTH + 1), new RegExp(`${MAX_FILTER_LENGTH + 1} characters long: at most ${MAX_FILTER_LENGTH}`), null],
  ];
  for (const [expression, message, column] of table) {
    it(`rejects ${JSON.stringify(expression.length > 40 ? `${expression.slice(0, 10)}…` : expression)}`, () => {
      let error: unknown;
      try {
        compileFilter(expression);
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof HookflowError, `expected a HookflowError, got ${String(error)}`);
      assert.equal(error.code, 'HF_ERR_INVALID_FILTER');
      assert.match(error.message, message);
      if (column !== null) {
        assert.equal(error.details.column, column);
        assert.equal(error.details.where, `filter:1:${column}`);
        assert.match(error.message, new RegExp(`at column ${column}:`));
      }
    });
  }

  it('suggests the transform meant and lists the others', () => {
    try {
      compileFilter('data.x|lenght > 1');
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof HookflowError);
      assert.match(String(error.details.hint), /did you mean \|length\?/);
      for (const name of FILTER_TRANSFORMS) assert.ok(String(error.details.hint).includes(name));
    }
  });

  it('says how to compare when = is used', () => {
    try {
      compileFilter('data.x = 1');
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof HookflowError);
      assert.equal(error.details.hint, 'compare with ==');
    }
  });

  it('rejects a non-string', () => {
    assert.throws(() => compileFilter(42 as unknown as string), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_FILTER');
  });
});

describe('compileFilter: memoisation', () => {
  it('returns the same compiled filter for the same source', () => {
    const first = compileFilter('data.memo == 1');
    assert.equal(compileFilter('data.memo == 1'), first);
    assert.notEqual(compileFilter('data.memo == 2'), first);
    assert.equal(first.source, 'data.memo == 1');
    assert.ok(Object.isFrozen(first));
  });

  it('still compiles correctly after the cache has been cleared by many sources', () => {
    for (let index = 0; index < 1100; index++) compileFilter(`data.n == ${index}`);
    assert.equal(compileFilter('data.n == 7').matches(event({ n: 7 })), true);
    assert.equal(compileFilter('data.n == 7').matches(event({ n: 8 })), false);
  });
});
