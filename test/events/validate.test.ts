import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookflowError, type HookflowErrorCode } from '../../src/errors.js';
import {
  checkEventData,
  checkedEventData,
  DEFAULT_MAX_EVENT_BYTES,
  formatBytes,
  isValidEventType,
  lineColumn,
  parseEventData,
  validateEventType,
  validateStack,
} from '../../src/events/validate.js';

function rejection(run: () => unknown): HookflowError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof HookflowError, `expected a HookflowError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

function expectError(run: () => unknown, code: HookflowErrorCode, message: RegExp, details: Record<string, unknown> = {}): HookflowError {
  const error = rejection(run);
  assert.equal(error.code, code);
  assert.match(error.message, message);
  for (const [key, value] of Object.entries(details)) assert.equal(error.details[key], value, `details.${key}`);
  return error;
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
}

describe('validateEventType', () => {
  const valid = ['custom', 'task.failed', 'agent.heartbeat_failed', 'a', 'a1.b2_c', 'deploy.staging_success', 'x.y.z', `a.${'b'.repeat(126)}`];
  for (const type of valid) it(`accepts ${type.length > 30 ? `${type.slice(0, 10)}…` : type}`, () => {
    assert.equal(validateEventType(type), type);
    assert.equal(isValidEventType(type), true);
  });

  // [input, message fragment, hint or null]
  const invalid: ReadonlyArray<[unknown, RegExp, string | null]> = [
    ['Task.Failed', /event type "Task\.Failed" is not valid: use lowercase dotted names like "task\.failed"/, 'did you mean "task.failed"?'],
    ['task.*', /wildcards like "task\.\*" belong in hook patterns/, null],
    ['*', /wildcards/, null],
    ['task..failed', /every segment between dots needs a name/, 'did you mean "task.failed"?'],
    ['task.failed.', /every segment between dots needs a name/, 'did you mean "task.failed"?'],
    ['.task', /every segment between dots needs a name/, 'did you mean "task"?'],
    [' task.failed', /remove the surrounding spaces/, 'did you mean "task.failed"?'],
    ['task-faild', /lowercase letters, digits and _/, 'did you mean "task.failed"?'],
    ['My-Event', /use lowercase/, 'did you mean "my_event"?'],
    ['1task', /must start with a letter/, null],
    ['task._x', /must start with a letter/, null],
    ['tâche', /lowercase letters, digits and _/, null],
    ['', /event type is empty/, null],
    [`a.${'b'.repeat(127)}`, /129 characters long: at most 128/, null],
    [42, /must be a string, not a number/, 'use a dotted name like "task.failed"'],
    [null, /must be a string, not null/, 'use a dotted name like "task.failed"'],
    [undefined, /must be a string, not undefined/, 'use a dotted name like "task.failed"'],
    [['task.failed'], /must be a string, not an array/, 'use a dotted name like "task.failed"'],
  ];
  for (const [input, message, hint] of invalid) {
    it(`rejects ${JSON.stringify(input) ?? String(input)}`, () => {
      const error = expectError(() => validateEventType(input), 'HF_ERR_INVALID_EVENT_TYPE', message, { where: 'type' });
      assert.equal(error.details.hint ?? null, hint);
      assert.equal(isValidEventType(input), false);
    });
  }

  it('names the place it was given', () => {
    expectError(() => validateEventType('X', 'events[3].type'), 'HF_ERR_INVALID_EVENT_TYPE', /not valid/, { where: 'events[3].type' });
  });
});

describe('validateStack', () => {
  const valid: ReadonlyArray<[unknown, string | null]> = [
    [null, null],
    [undefined, null],
    ['production', 'production'],
    ['My_Stack-1.2', 'My_Stack-1.2'],
    ['x'.repeat(128), 'x'.repeat(128)],
  ];
  for (const [input, expected] of valid) it(`accepts ${JSON.stringify(input) ?? 'undefined'}`, () => assert.equal(validateStack(input), expected));

  const invalid: ReadonlyArray<[unknown, RegExp]> = [
    ['', /stack is empty/],
    ['x'.repeat(129), /129 characters long: at most 128/],
    ['prod stack', /not valid: use letters, digits, "_", "\." and "-"/],
    [' prod', /not valid/],
    ['prod/eu', /not valid/],
    [7, /must be a string, not a number/],
    [{}, /must be a string, not an object/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)?.slice(0, 20)}`, () => void expectError(() => validateStack(input), 'HF_ERR_INVALID_ARGUMENT', message, { where: 'stack' }));
  }
});

describe('parseEventData', () => {
  const options = { maxBytes: DEFAULT_MAX_EVENT_BYTES };

  it('parses an object', () => {
    assert.deepEqual(parseEventData('{"task": {"exit_code": 1, "tags": ["a"]}, "ok": true, "n": null}', options), {
      task: { exit_code: 1, tags: ['a'] },
      ok: true,
      n: null,
    });
    assert.deepEqual(parseEventData(' \n{}\n ', options), {});
  });

  // [text, line, column, message fragment]
  const malformed: ReadonlyArray<[string, number, number, RegExp]> = [
    ['', 1, 1, /the text is empty/],
    ['   ', 1, 4, /unexpected end of input/],
    ['{"a":}', 1, 6, /unexpected "}": expected a value/],
    ['{"a":1,}', 1, 8, /trailing comma before "}"/],
    ['{"a":[1,2,]}', 1, 11, /trailing comma before "]"/],
    ['{a:1}', 1, 2, /expected a property name in double quotes, found "a"/],
    ["{'a':1}", 1, 2, /expected a property name in double quotes/],
    ['{"a" 1}', 1, 6, /expected ":" after the property name/],
    ['{"a":1', 1, 7, /unexpected end of input: "}" is missing/],
    ['{"a":[1', 1, 8, /unexpected end of input: "]" is missing/],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected "," or "}" after a property value/],
    ['{"a":[1 2]}', 1, 9, /expected "," or "]" after an array element/],
    ['{"a":"x\ny"}', 1, 8, /control character/],
    ['{"a":"abc', 1, 6, /unterminated string/],
    ['{"a":"\\q"}', 1, 7, /bad escape/],
    ['{"a":"\\u12"}', 1, 7, /bad unicode escape/],
    ['{"a":01}', 1, 6, /leading zeros/],
    ['{"a":1.}', 1, 7, /expected digits after "\."/],
    ['{"a":1e}', 1, 7, /exponent/],
    ['{"a":-}', 1, 6, /expected digits after "-"/],
    ['{"a":tru}', 1, 6, /unexpected word "tru": expected a value \(did you mean true\?\)/],
    ['{"a":None}', 1, 6, /unexpected word "None"/],
    ['{"a":1}}', 1, 8, /unexpected "}" after the end of the JSON value/],
    ['{"a":1} x', 1, 9, /after the end of the JSON value/],
    ['{"é":"ü",\n"b":?}', 2, 5, /unexpected "\?"/],
  ];
  for (const [text, line, column, message] of malformed) {
    it(`locates the error in ${JSON.stringify(text)} at ${line}:${column}`, () => {
      const error = expectError(() => parseEventData(text, options), 'HF_ERR_INVALID_JSON', message, { line, column, where: `data:${line}:${column}` });
      assert.match(error.message, new RegExp(`^data is not valid JSON at line ${line}, column ${column}: `));
    });
  }

  it('uses the name it is given', () => {
    expectError(() => parseEventData('{', { ...options, where: 'payload.json' }), 'HF_ERR_INVALID_JSON', /^payload\.json is not valid JSON/, { where: 'payload.json:1:2' });
  });

  const notObjects: ReadonlyArray<[string, RegExp]> = [
    ['[1,2]', /data must be a JSON object, not an array/],
    ['"text"', /not a string/],
    ['42', /not a number/],
    ['true', /not a boolean/],
    ['null', /not null/],
  ];
  for (const [text, message] of notObjects) {
    it(`rejects ${text}: data must be an object`, () => void expectError(() => parseEventData(text, options), 'HF_ERR_INVALID_JSON', message));
  }

  it('measures the size in UTF-8 bytes, not characters', () => {
    const text = `{"a":"${'é'.repeat(10)}"}`; // 18 characters, 28 bytes
    assert.deepEqual(parseEventData(text, { maxBytes: 28 }), { a: 'é'.repeat(10) });
    const error = expectError(() => parseEventData(text, { maxBytes: 27 }), 'HF_ERR_PAYLOAD_TOO_LARGE', /data is 28 bytes: the limit is 27 bytes/, { bytes: 28, limit: 27 });
    assert.ok(error.details.hint);
  });

  it('rejects large payloads before parsing them', () => {
    const text = `{"a":"${'x'.repeat(DEFAULT_MAX_EVENT_BYTES)}"`; // also malformed: size wins
    expectError(() => parseEventData(text, options), 'HF_ERR_PAYLOAD_TOO_LARGE', /1 MiB \(1,048,583 bytes\): the limit is 1 MiB \(1,048,576 bytes\)/);
  });

  it('accepts 64 levels of nesting and rejects 65', () => {
    assert.ok(parseEventData(JSON.stringify(nested(64)), options));
    expectError(() => parseEventData(JSON.stringify(nested(65)), options), 'HF_ERR_INVALID_JSON', /nested deeper than 64 levels/);
    expectError(() => parseEventData(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`, options), 'HF_ERR_INVALID_JSON', /nested deeper than 64 levels \(at data\.a(\[0\])+\)/);
  });

  it('survives absurd nesting in malformed text', () => {
    expectError(() => parseEventData(`{"a":${'['.repeat(200_000)}`, options), 'HF_ERR_INVALID_JSON', /unexpected end of input: "\]" is missing/);
  });

  it('keeps a "__proto__" key as plain data', () => {
    const data = parseEventData('{"__proto__": {"polluted": true}}', options);
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(data), ['__proto__']);
  });
});

describe('checkEventData', () => {
  const options = { maxBytes: 1000 };

  it('returns valid data as it is', () => {
    const data = { task: { exit_code: 1, tags: ['a', null, 2.5, false] }, nested: { deeper: {} } };
    assert.equal(checkEventData(data, options), data);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    assert.equal(checkEventData(bare, options), bare);
  });

  it('drops undefined properties, as JSON does, in a copy', () => {
    const data = { a: 1, b: undefined, c: { d: undefined } };
    const checked = checkEventData(data, options);
    assert.deepEqual(checked, { a: 1, c: {} });
    assert.notEqual(checked, data);
    assert.ok('b' in data, 'the input is left alone');
  });

  it('checkedEventData gives the JSON text it measured, which is the data\'s own (what the store writes)', () => {
    const cases: ReadonlyArray<[Record<string, unknown>, string]> = [
      [{ a: 1, s: 'é' }, '{"a":1,"s":"é"}'],
      [{ a: 1, b: undefined, c: { d: undefined } }, '{"a":1,"c":{}}'],
      [{}, '{}'],
    ];
    for (const [value, text] of cases) {
      const checked = checkedEventData(value, options);
      assert.equal(checked.text, text);
      assert.equal(JSON.stringify(checked.data), text);
      assert.deepEqual(checked.data, checkEventData(value, options));
    }
  });

  class Point {
    x = 1;
  }
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  // [value, where, message fragment]
  const invalid: ReadonlyArray<[unknown, string, RegExp]> = [
    [{ a: [1, undefined] }, 'data.a[1]', /data\.a\[1\] is undefined/],
    [{ a: sparse }, 'data.a[1]', /is undefined/],
    [{ a: Number.NaN }, 'data.a', /data\.a is NaN/],
    [{ a: { b: Number.POSITIVE_INFINITY } }, 'data.a.b', /is Infinity/],
    [{ a: -Infinity }, 'data.a', /is -Infinity/],
    [{ f: () => 1 }, 'data.f', /is a function/],
    [{ big: 1n }, 'data.big', /is a bigint/],
    [{ s: Symbol('x') }, 'data.s', /is a symbol/],
    [{ when: new Date(0) }, 'data.when', /is a Date/],
    [{ p: new Point() }, 'data.p', /is a Point/],
    [{ m: new Map() }, 'data.m', /is a Map/],
    [{ 'odd key': { 'x-y': [0, () => 0] } }, 'data["odd key"]["x-y"][1]', /is a function/],
  ];
  for (const [value, where, message] of invalid) {
    it(`rejects ${where}`, () => void expectError(() => checkEventData(value, options), 'HF_ERR_INVALID_JSON', message, { where }));
  }

  it('rejects cycles, with the path back', () => {
    const data: Record<string, unknown> = { a: { list: [] as unknown[] } };
    ((data.a as Record<string, unknown>).list as unknown[]).push(data);
    expectError(() => checkEventData(data, options), 'HF_ERR_INVALID_JSON', /data\.a\.list\[0\] refers back to itself/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    assert.ok(checkEventData({ a: shared, b: shared }, options));
  });

  it('rejects non-objects', () => {
    for (const value of [null, [], 'x', 1, undefined, () => ({})]) expectError(() => checkEventData(value, options), 'HF_ERR_INVALID_JSON', /data must be a JSON object/);
  });

  it('accepts 64 levels and rejects 65', () => {
    assert.ok(checkEventData(nested(64), { maxBytes: DEFAULT_MAX_EVENT_BYTES }));
    expectError(() => checkEventData(nested(65), { maxBytes: DEFAULT_MAX_EVENT_BYTES }), 'HF_ERR_INVALID_JSON', /nested deeper than 64/);
  });

  it('measures the serialised size in UTF-8 bytes', () => {
    assert.ok(checkEventData({ a: '€€€' }, { maxBytes: 17 })); // {"a":"€€€"} is 8 + 9 bytes
    expectError(() => checkEventData({ a: '€€€' }, { maxBytes: 16 }), 'HF_ERR_PAYLOAD_TOO_LARGE', /data is 17 bytes: the limit is 16 bytes/);
  });

  it('turns a throwing getter into a coded error', () => {
    const data = {
      get boom(): never {
        throw new Error('nope');
      },
    };
    expectError(() => checkEventData(data, options), 'HF_ERR_INVALID_JSON', /data could not be read: nope/);
  });

  it('uses the name it is given', () => {
    expectError(() => checkEventData({ a: Number.NaN }, { ...options, where: 'event.data' }), 'HF_ERR_INVALID_JSON', /event\.data\.a is NaN/);
  });
});

describe('helpers', () => {
  const sizes: ReadonlyArray<[number, string]> = [
    [0, '0 bytes'],
    [1023, '1,023 bytes'],
    [1024, '1 KiB (1,024 bytes)'],
    [1536, '1.5 KiB (1,536 bytes)'],
    [1024 * 1024, '1 MiB (1,048,576 bytes)'],
    [5 * 1024 * 1024 + 1, '5 MiB (5,242,881 bytes)'],
  ];
  for (const [bytes, text] of sizes) it(`formatBytes(${bytes}) = ${text}`, () => assert.equal(formatBytes(bytes), text));

  const positions: ReadonlyArray<[string, number, number, number]> = [
    ['abc', 0, 1, 1],
    ['abc', 3, 1, 4],
    ['a\nbc', 2, 2, 1],
    ['a\nbc', 3, 2, 2],
    ['a\n\n', 3, 3, 1],
  ];
  for (const [text, offset, line, column] of positions) {
    it(`lineColumn(${JSON.stringify(text)}, ${offset}) = ${line}:${column}`, () => assert.deepEqual(lineColumn(text, offset), { line, column }));
  }
});

describe('checkEventData on hostile values', () => {
  it('turns a revoked proxy into a coded error', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.throws(() => checkEventData(proxy, { maxBytes: 100 }), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_JSON');
    assert.throws(() => checkEventData({ inner: proxy }, { maxBytes: 100 }), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_JSON');
  });
});
