import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import type { EventRecord, JsonObject } from '../../src/events/model.js';
import { compileFilter } from '../../src/hooks/filter.js';

function event(data: JsonObject, type = 'task.failed'): EventRecord {
  return {
    id: 'e1',
    type,
    stack: null,
    source: 'api',
    data,
    status: 'processing',
    attempts: 1,
    error: null,
    created_at: 0,
    processed_at: null,
    correlation_id: null,
    idempotency_key: null,
    parent_id: null,
  };
}

const sample = event({ task: { exit_code: 1 }, tags: ['a'], text: 'hello' });
const globals = globalThis as Record<string, unknown>;

function compileOrError(expression: string): ReturnType<typeof compileFilter> | HookflowError {
  try {
    return compileFilter(expression);
  } catch (error) {
    assert.ok(error instanceof HookflowError, `${expression}: only coded errors, got ${String(error)}`);
    assert.equal(error.code, 'HF_ERR_INVALID_FILTER');
    return error;
  }
}

describe('filters give no way out', () => {
  afterEach(() => {
    delete globals.__hookflow_pwned;
  });

  // Escapes that must not even compile.
  const rejected = [
    'data.constructor',
    'data.constructor.constructor("return process")()',
    'data.constructor.constructor("globalThis.__hookflow_pwned = 1")()',
    'data.__proto__',
    'data.__proto__.polluted',
    'data.toString',
    'data.valueOf()',
    'data.hasOwnProperty("task")',
    'constructor',
    '__proto__',
    'type.constructor',
    'data.tags.constructor',
    'data[.constructor]',
    'data|constructor',
    'data|__proto__',
    'data|toString',
    'data|valueOf',
    'constructor("x")',
    'hasOwnProperty("x")',
    'data["constructor"]["constructor"]("globalThis.__hookflow_pwned = 1")()',
    'type["constructor"]["constructor"]("globalThis.__hookflow_pwned = 1")',
    'data.tags["constructor"]["constructor"]("return process")',
    'process.exit(1)',
    'require("child_process")',
    'import("node:fs")',
    'eval("1")',
    'Function("return 1")',
    'globalThis.__hookflow_pwned = 1',
    'data.x = 1',
    'this.constructor',
  ];
  for (const expression of rejected) {
    it(`does not compile ${expression}`, () => {
      assert.ok(compileOrError(expression) instanceof HookflowError);
      assert.equal(globals.__hookflow_pwned, undefined);
    });
  }

  it('reads inherited names of the data as nothing: data["constructor"], data["__proto__"]', () => {
    const table: ReadonlyArray<[string, boolean]> = [
      ['data["constructor"] != null', false],
      ['data["constructor"] == null', true],
      ['data["__proto__"] != null', false],
      ['data["__proto__"] == null', true],
      ['data["toString"] != null', false],
      ['data["hasOwnProperty"] != null', false],
      ['data.task["constructor"] != null', false],
      ['data["con" + "structor"] != null', false],
      ['data["__pro" + "to__"] != null', false],
      ['this != null', false],
      ['process != null', false],
      ['globalThis != null', false],
      ['require != null', false],
    ];
    for (const [expression, expected] of table) assert.equal(compileFilter(expression).matches(sample), expected, expression);
  });

  it('reads a field really named constructor or __proto__ as plain data', () => {
    const data = JSON.parse('{"constructor": "x", "__proto__": {"polluted": true}}') as JsonObject;
    assert.equal(compileFilter('data["constructor"] == "x"').matches(event(data)), true);
    assert.equal(compileFilter('data["__proto__"]["polluted"] == true').matches(event(data)), true);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  });

  it('can reach built-in functions through strings and arrays only as inert values', () => {
    // These compile (jexl can index a string), but a value can never be called and a filter
    // yields only a boolean: nothing runs and nothing leaks.
    for (const expression of ['type["constructor"]["constructor"] != null', 'data.tags["constructor"]["constructor"]', 'data.text["constructor"]|string']) {
      const filter = compileOrError(expression);
      assert.ok(!(filter instanceof HookflowError), expression);
      assert.equal(typeof filter.matches(sample), 'boolean');
    }
    assert.equal(compileFilter('data.text["constructor"]|string == null').matches(sample), true, 'the string transform does not stringify functions');
    assert.equal(compileFilter('data.text["constructor"]|keys == null').matches(sample), true);
    assert.equal(globals.__hookflow_pwned, undefined);
  });

  it('cannot pollute prototypes through object literals', () => {
    // jexl object keys are identifiers, and __proto__ is not one.
    assert.ok(compileOrError('{__proto__: {polluted: true}}.polluted') instanceof HookflowError);
    assert.ok(compileOrError('{"__proto__": {polluted: true}}.polluted') instanceof HookflowError);
    assert.equal(compileFilter('{polluted: true}.polluted').matches(sample), true, 'ordinary object literals work');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });

  it('never throws while matching, whatever the event', () => {
    const filters = ['data.a.b.c > 1', 'data + data', 'data.list[.x > 1]|length > 0', '"x" in data', 'data.a|keys|length', 'data.a - 1 == 0'];
    const odd = [
      event({}),
      event({ a: null }),
      event({ a: [] }),
      event({ a: { b: { c: 'x' } } }),
      event({ list: [1, null, { x: 2 }, [3]] }),
      { ...event({}), data: null as unknown as JsonObject },
      { ...event({}), data: 'text' as unknown as JsonObject },
    ];
    for (const expression of filters) {
      const filter = compileFilter(expression);
      for (const record of odd) assert.equal(typeof filter.matches(record), 'boolean', expression);
    }
  });
});
