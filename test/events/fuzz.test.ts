import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HookflowError, type HookflowErrorCode } from '../../src/errors.js';
import { isCatalogued } from '../../src/events/catalogue.js';
import { matchesPattern, isValidPattern } from '../../src/events/patterns.js';
import { suggestEventType } from '../../src/events/suggest.js';
import { checkEventData, EVENT_TYPE_PATTERN, parseEventData, validateEventType, validateStack } from '../../src/events/validate.js';

const RUNS = 2000;
const options = { maxBytes: 64 * 1024 };

/** Runs `run`; it may return anything or throw a HookflowError with one of `codes`, nothing else. */
function onlyCodedErrors<T>(run: () => T, codes: readonly HookflowErrorCode[]): T | HookflowError {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof HookflowError)) throw new Error(`threw ${String(error)} instead of a HookflowError`, { cause: error });
    assert.ok(codes.includes(error.code), `unexpected code ${error.code}`);
    return error;
  }
}

/** Character-level edits that break JSON in the ways people do. */
const jsonMutation = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate', 'duplicate'),
  at: fc.nat(),
  char: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', "'", '\\', '\n', '\t', ' ', '0', '-', '.', 'e', 't', 'n', 'x', '\u0000', 'é', '\uD800'),
});

function mutate(text: string, edits: ReadonlyArray<{ kind: string; at: number; char: string }>): string {
  let result = text;
  for (const { kind, at, char } of edits) {
    const index = result.length === 0 ? 0 : at % (result.length + 1);
    if (kind === 'delete') result = result.slice(0, index) + result.slice(index + 1);
    else if (kind === 'insert') result = result.slice(0, index) + char + result.slice(index);
    else if (kind === 'replace') result = result.slice(0, index) + char + result.slice(index + 1);
    else if (kind === 'truncate') result = result.slice(0, index);
    else result = result.slice(0, index) + result.slice(index, index + 3) + result.slice(index);
  }
  return result;
}

const dataObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });

function assertLocated(text: string, error: HookflowError): void {
  if (error.code !== 'HF_ERR_INVALID_JSON' || error.details.line === undefined) return;
  const line = Number(error.details.line);
  const column = Number(error.details.column);
  const lines = text.split('\n');
  assert.ok(line >= 1 && line <= lines.length, `line ${line} of ${lines.length}`);
  assert.ok(column >= 1 && column <= lines[line - 1].length + 1, `column ${column} on a line of ${lines[line - 1].length}`);
  // The position comes from hookflow's scanner, never from falling back on the engine's message.
  assert.doesNotMatch(error.message, /in JSON at position|is not valid JSON$|"[^"]*" is not valid JSON/);
}

describe('fuzz: parseEventData', () => {
  it('returns an object or throws a coded error for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const result = onlyCodedErrors(() => parseEventData(text, options), ['HF_ERR_INVALID_JSON', 'HF_ERR_PAYLOAD_TOO_LARGE']);
        if (result instanceof HookflowError) assertLocated(text, result);
        else assert.equal(typeof result, 'object');
      }),
      { numRuns: RUNS },
    );
  });

  it('locates every error in mutated valid JSON, and agrees with JSON.parse', () => {
    fc.assert(
      fc.property(dataObject, fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (data, edits, pretty) => {
        const text = mutate(JSON.stringify(data, null, pretty ? 2 : undefined), edits);
        let engine: unknown;
        let engineFailed = false;
        try {
          engine = JSON.parse(text);
        } catch {
          engineFailed = true;
        }
        const result = onlyCodedErrors(() => parseEventData(text, options), ['HF_ERR_INVALID_JSON', 'HF_ERR_PAYLOAD_TOO_LARGE']);
        if (result instanceof HookflowError) {
          assertLocated(text, result);
          if (result.details.line !== undefined) assert.ok(engineFailed, 'a syntax error only when JSON.parse fails too');
        } else {
          assert.ok(!engineFailed);
          assert.deepEqual(result, engine);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips valid data objects', () => {
    fc.assert(
      fc.property(dataObject, fc.boolean(), (data, pretty) => {
        const text = JSON.stringify(data, null, pretty ? 2 : undefined);
        assert.deepEqual(parseEventData(text, options), JSON.parse(text));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: checkEventData', () => {
  it('returns JSON data or throws a coded error for any value', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true }), (value) => {
        const result = onlyCodedErrors(() => checkEventData(value, options), ['HF_ERR_INVALID_JSON', 'HF_ERR_PAYLOAD_TOO_LARGE']);
        if (!(result instanceof HookflowError)) {
          // Whatever it accepts is plain JSON, unchanged by a trip through text.
          assert.deepEqual(JSON.parse(JSON.stringify(result)), JSON.parse(JSON.stringify(value)));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every data object unchanged', () => {
    fc.assert(
      fc.property(dataObject, (data) => {
        assert.equal(checkEventData(data, options), data);
      }),
      { numRuns: RUNS },
    );
  });
});

const segment = fc.stringMatching(/^[a-z][a-z0-9_]{0,9}$/);
const validType = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('.'));

describe('fuzz: event types and stacks', () => {
  it('validateEventType returns its input or throws HF_ERR_INVALID_EVENT_TYPE, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 200 })), (text) => {
        const result = onlyCodedErrors(() => validateEventType(text), ['HF_ERR_INVALID_EVENT_TYPE']);
        const valid = text.length <= 128 && EVENT_TYPE_PATTERN.test(text);
        if (result instanceof HookflowError) {
          assert.ok(!valid, `rejected a valid type ${JSON.stringify(text)}`);
          if (result.details.hint) assert.match(String(result.details.hint), /^did you mean "[a-z][a-z0-9_.]*"\?$/);
        } else {
          assert.ok(valid);
          assert.equal(result, text);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every well-formed type, which is also a pattern matching itself', () => {
    fc.assert(
      fc.property(validType, (type) => {
        assert.equal(validateEventType(type), type);
        assert.ok(isValidPattern(type));
        assert.ok(matchesPattern(type, type));
        assert.ok(matchesPattern('*', type));
        if (type.includes('.')) assert.ok(matchesPattern(`${type.split('.')[0]}.*`, type));
      }),
      { numRuns: RUNS },
    );
  });

  it('validateType rejects anything that is not a string', () => {
    fc.assert(
      fc.property(fc.anything().filter((value) => typeof value !== 'string'), (value) => {
        const result = onlyCodedErrors(() => validateEventType(value), ['HF_ERR_INVALID_EVENT_TYPE']);
        assert.ok(result instanceof HookflowError);
      }),
      { numRuns: 500 },
    );
  });

  it('suggestEventType gives a catalogued type or null for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), validType), (text) => {
        const suggestion = suggestEventType(text);
        assert.ok(suggestion === null || isCatalogued(suggestion));
      }),
      { numRuns: RUNS },
    );
  });

  it('validateStack returns the stack, null, or throws HF_ERR_INVALID_ARGUMENT, for any value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ maxLength: 140 }), fc.stringMatching(/^[A-Za-z0-9_.-]{1,128}$/)), (value) => {
        const result = onlyCodedErrors(() => validateStack(value), ['HF_ERR_INVALID_ARGUMENT']);
        if (!(result instanceof HookflowError)) assert.equal(result, value ?? null);
      }),
      { numRuns: RUNS },
    );
  });
});
