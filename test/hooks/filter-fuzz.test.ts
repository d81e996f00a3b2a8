import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HookflowError } from '../../src/errors.js';
import type { EventRecord, JsonObject } from '../../src/events/model.js';
import { compileFilter, FILTER_TRANSFORMS, type CompiledFilter } from '../../src/hooks/filter.js';

const RUNS = 2000;

function event(data: JsonObject, type = 'task.failed'): EventRecord {
  return {
    id: 'e1',
    type,
    stack: 'production',
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

const events = [
  event({}),
  event({ task: { task_name: 'deploy', agent_name: 'web-1', exit_code: 1, error: 'boom' }, agent: { tags: ['production'] }, n: 3, list: [1, 'a', null, { x: 1 }] }),
  event({ constructor: 'x', __proto__: 1 } as unknown as JsonObject, 'custom'),
];

/** compileFilter may only return a filter or throw HF_ERR_INVALID_FILTER; a filter only answers true or false. */
function compileChecked(source: string): CompiledFilter | HookflowError {
  let filter: CompiledFilter;
  try {
    filter = compileFilter(source);
  } catch (error) {
    if (!(error instanceof HookflowError)) throw new Error(`threw ${String(error)} for ${JSON.stringify(source)}`, { cause: error });
    assert.equal(error.code, 'HF_ERR_INVALID_FILTER');
    if (error.details.column !== undefined) {
      const column = Number(error.details.column);
      assert.ok(column >= 1 && column <= source.length + 1, `column ${column} of ${JSON.stringify(source)}`);
    }
    return error;
  }
  assert.equal(filter.source, source);
  for (const record of events) assert.equal(typeof filter.matches(record), 'boolean');
  return filter;
}

const VALID = [
  'data.task.exit_code != 0',
  'type == "task.failed" && data.task.agent_name == "web-1"',
  '"production" in data.agent.tags',
  'data.list|length > 2 || !data.n',
  'data.n >= 3 ? data.n * 2 == 6 : false',
  'data.list[.x == 1]|length == 1',
  "data.task.agent_name|startsWith('web') && stack == 'production'",
  '(data.n + 1) % 2 == 0',
  '{a: [1, 2]}.a[1] == 2',
  'data.missing|default(-1) < 0',
];

/** Edits with the characters that matter to jexl. */
const mutation = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate'),
  at: fc.nat(),
  text: fc.constantFrom('(', ')', '[', ']', '{', '}', '.', '|', '"', "'", '=', '!', '&', '?', ':', ',', '-', ' ', '1', 'a', 'in', 'constructor', '__proto__', '\\', '\n', '$', 'é'),
});

describe('fuzz: compileFilter', () => {
  it('compiles or throws a coded error for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (source) => void compileChecked(source)), { numRuns: RUNS });
  });

  it('compiles or throws a coded error for strings made of jexl tokens', () => {
    const token = fc.constantFrom('data', '.', 'task', 'exit_code', '(', ')', '[', ']', '{', '}', '|', 'length', 'lower', '"x"', "'y'", '1', '-', '==', '!=', '>', '&&', '||', '!', 'in', '?', ':', ',', ' ', 'constructor', 'foo', '*', '/', '%', '^', '//');
    fc.assert(fc.property(fc.array(token, { maxLength: 14 }), (tokens) => void compileChecked(tokens.join(''))), { numRuns: RUNS });
  });

  it('compiles or throws a coded error for mutated valid filters', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 3 }), (source, edits) => {
        let text = source;
        for (const { kind, at, text: piece } of edits) {
          const index = at % (text.length + 1);
          if (kind === 'delete') text = text.slice(0, index) + text.slice(index + 1);
          else if (kind === 'insert') text = text.slice(0, index) + piece + text.slice(index);
          else if (kind === 'replace') text = text.slice(0, index) + piece + text.slice(index + 1);
          else text = text.slice(0, index);
        }
        compileChecked(text);
      }),
      { numRuns: RUNS },
    );
  });

  it('compiles every generated well-formed filter, and its source round-trips', () => {
    const field = fc.constantFrom('data.n', 'data.task.exit_code', 'data.task.agent_name', 'data.list', 'data.missing.deep', 'type', 'stack', 'attempts');
    const literal = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.stringMatching(/^[a-z0-9 _-]{0,8}$/).map((text) => JSON.stringify(text)), fc.constantFrom('true', 'false', 'null'));
    const transform = fc.constantFrom(...FILTER_TRANSFORMS.filter((name) => !['startsWith', 'endsWith', 'contains', 'default'].includes(name)));
    const { expression } = fc.letrec<{ expression: string; operand: string }>((tie) => ({
      operand: fc.oneof(
        { depthSize: 'small' },
        field,
        literal,
        fc.tuple(field, transform).map(([path, name]) => `${path}|${name}`),
        fc.tuple(field, literal).map(([path, value]) => `${path}|default(${value})`),
      ),
      expression: fc.oneof(
        { depthSize: 'small', maxDepth: 4 },
        fc.tuple(tie('operand'), fc.constantFrom('==', '!=', '<', '<=', '>', '>=', 'in'), tie('operand')).map(([left, op, right]) => `${left} ${op} ${right}`),
        fc.tuple(tie('expression'), fc.constantFrom('&&', '||'), tie('expression')).map(([left, op, right]) => `(${left}) ${op} (${right})`),
        tie('expression').map((inner) => `!(${inner})`),
        fc.tuple(tie('expression'), tie('expression'), tie('expression')).map(([test, yes, no]) => `(${test}) ? (${yes}) : (${no})`),
      ),
    }));
    fc.assert(
      fc.property(expression, (source) => {
        const result = compileChecked(source);
        assert.ok(!(result instanceof HookflowError), `${source}: ${result instanceof HookflowError ? result.describe() : ''}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('matches any event data without throwing', () => {
    const filters = VALID.map((source) => compileFilter(source));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('task', 'agent', 'list', 'n', 'missing', 'constructor', '__proto__', 'x'), fc.jsonValue({ maxDepth: 3 })), (data) => {
        for (const filter of filters) assert.equal(typeof filter.matches(event(data as JsonObject)), 'boolean');
      }),
      { numRuns: 500 },
    );
  });
});
