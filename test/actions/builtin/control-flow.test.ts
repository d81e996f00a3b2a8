import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateAction, applyAggregate, type AggregateOperation } from '../../../src/actions/builtin/aggregate.js';
import { chooseBranch, conditionalAction } from '../../../src/actions/builtin/conditional.js';
import { delayAction } from '../../../src/actions/builtin/delay.js';
import { failAction } from '../../../src/actions/builtin/fail.js';
import { logAction } from '../../../src/actions/builtin/log.js';
import { setOutputAction } from '../../../src/actions/builtin/set-output.js';
import { applyTransform, transformAction, type TransformOperation } from '../../../src/actions/builtin/transform.js';
import type { JsonObject, JsonValue } from '../../../src/events/model.js';
import { run } from './support.js';

describe('log', () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, '[info] hello'],
    ['debug', '[debug] hello'],
    ['info', '[info] hello'],
    ['warning', '[warn] hello'],
    ['error', '[error] hello'],
  ];
  for (const [level, line] of cases) {
    it(`logs at ${level ?? 'the default level'}`, async () => {
      const outcome = await run(logAction, level === undefined ? { message: 'hello' } : { message: 'hello', level });
      assert.equal(outcome.status, 'completed');
      assert.deepEqual(outcome.log, [line]);
      assert.deepEqual(outcome.outputs, { logged: true, message: 'hello', level: level ?? 'info' });
      assert.deepEqual(outcome.warnings, []);
    });
  }

  it('refuses a level it does not know, and a missing message', async () => {
    const outcome = await run(logAction, { level: 'verbose' });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /message is required[\s\S]*level must be one of "debug", "info", "warning", "error"/);
  });
});

describe('fail', () => {
  it('always fails with its message, and outputs the error code', async () => {
    const outcome = await run(failAction, { message: 'Intentional failure' });
    assert.deepEqual([outcome.status, outcome.success, outcome.error], ['failed', false, 'Intentional failure']);
    assert.deepEqual(outcome.outputs, { error_code: 'INTENTIONAL_FAILURE', message: 'Intentional failure' });
  });

  it('takes a code, and has a default message', async () => {
    const outcome = await run(failAction, { error_code: 'VALIDATION_ERROR' });
    assert.equal(outcome.error, 'Intentional failure');
    assert.equal(outcome.outputs.error_code, 'VALIDATION_ERROR');
  });
});

describe('set_output', () => {
  it('turns each key of outputs into an output', async () => {
    const outcome = await run(setOutputAction, { outputs: { value: 'A', count: 3, nested: { ok: true }, none: null } });
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.outputs, { value: 'A', count: 3, nested: { ok: true }, none: null });
  });

  it('defaults to no outputs and refuses a non-object', async () => {
    assert.deepEqual((await run(setOutputAction, {})).outputs, {});
    const outcome = await run(setOutputAction, { outputs: ['a'] });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /outputs must be an object of output names to values, not array/);
  });
});

describe('conditional', () => {
  const branches = (...conditions: JsonValue[]) => conditions.map((condition, index) => ({ id: `b${index}`, label: `Branch ${index}`, condition, target_step: `step_${index}` }));
  const cases: Array<[string, JsonObject, JsonObject]> = [
    ['the first true branch wins', { branches: branches('False', 'True', 'true') }, { matched_branch: 'b1', matched_label: 'Branch 1', target_step: 'step_1', matched_index: 1, result: 'Branch 1', branch: 'b1' }],
    ['false-like conditions are skipped', { branches: branches(false, '', 'false', 'None', 'none', '0', '0.0', '[]', '{}', 'yes') }, { matched_branch: 'b9', target_step: 'step_9', matched_index: 9 }],
    ['no branch matches', { branches: branches('False', '0') }, { matched_branch: null, matched_label: 'none', target_step: null, result: null, branch: 'none' }],
    ['a branch without id is named by its label', { branches: [{ label: 'Only', condition: true, target_step: 'x' }] }, { matched_branch: 'Only', matched_label: 'Only', target_step: 'x' }],
    ['a branch without id or label is named by its place', { branches: [{ condition: 'True' }] }, { matched_branch: 'branch_0', matched_label: 'branch_0', target_step: null }],
    ['two-way: true by default', {}, { result: { branch: 'true' }, branch: 'true', target_step: null }],
    ['two-way: a rendered "False" picks false_result', { condition: 'False', true_result: 'go', false_result: 'stop' }, { result: 'stop', branch: 'false', matched_branch: 'false' }],
    ['two-way: an empty list is false', { condition: [], true_result: 'go', false_result: { why: 'empty' } }, { result: { why: 'empty' }, branch: 'false' }],
    ['two-way: text is true', { condition: 'anything', true_result: 'go' }, { result: 'go', branch: 'true' }],
  ];
  for (const [what, params, expected] of cases) {
    it(what, async () => {
      const outcome = await run(conditionalAction, params);
      assert.equal(outcome.status, 'completed', outcome.error ?? '');
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(outcome.outputs[key], value, key);
      assert.deepEqual(outcome.warnings, []);
    });
  }

  it('refuses a condition that reads like an unrendered expression', async () => {
    const outcome = await run(conditionalAction, { branches: [{ label: 'big', condition: 'params.priority > 5' }] });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /branches\.0\.condition reads like an expression without \{\{ \}\}[\s\S]*"\{\{ params\.priority > 5 \}\}"/);
  });

  it('picks the same branch as the pure chooser', () => {
    assert.equal(chooseBranch({ branches: branches(0, 1) }).target_step, 'step_1');
    assert.equal(chooseBranch({ branches: branches(null, [], {}) }).target_step, null);
  });
});

describe('transform', () => {
  const cases: Array<[JsonValue, TransformOperation, JsonValue]> = [
    ['Hello World', 'passthrough', 'Hello World'],
    ['Hello World', 'uppercase', 'HELLO WORLD'],
    ['Hello World', 'lowercase', 'hello world'],
    [{ name: 'hello', n: 1 }, 'uppercase', { name: 'HELLO', n: 1 }],
    [['a'], 'uppercase', ['a']],
    [{ a: 1, b: 2, c: 3 }, 'keys', ['a', 'b', 'c']],
    [{ a: 1, b: 2 }, 'values', [1, 2]],
    ['x', 'keys', []],
    ['héllo', 'count', 5],
    [[1, 2, 3], 'count', 3],
    [{ a: 1 }, 'count', 1],
    [42, 'count', 0],
    [[[1, 2], 3, [4, [5]]], 'flatten', [1, 2, 3, 4, [5]]],
    [[1, 2, 1, { a: 1 }, { a: 1 }, [1], [1], '1'], 'unique', [1, 2, { a: 1 }, [1], '1']],
    [[3, 1, 2, 10], 'sort', [1, 2, 3, 10]],
    [['b', 'a', 'C'], 'sort', ['C', 'a', 'b']],
    [[[2], [10], [1, 5]], 'sort', [[1, 5], [2], [10]]],
    [[2, 'a', 1], 'sort', [1, 2, 'a']],
    [[1, 2, 3], 'reverse', [3, 2, 1]],
    ['abc', 'reverse', 'cba'],
    [5, 'sort', 5],
  ];
  for (const [input, operation, expected] of cases) {
    it(`${operation} of ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(applyTransform(input, operation), expected);
    });
  }

  it('runs through the executor with its input and output kinds (compat: sample_dag uppercase)', async () => {
    const outcome = await run(transformAction, { input: '{{ params.message }}', operation: 'uppercase' }, { render: (params) => ({ ...params, input: 'Hello World' }) });
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.outputs, { result: 'HELLO WORLD', operation: 'uppercase', input_type: 'string', output_type: 'string' });
    assert.deepEqual(outcome.warnings, []);
  });

  it('refuses an unknown operation', async () => {
    const outcome = await run(transformAction, { input: 'x', operation: 'shout' });
    assert.match(outcome.error ?? '', /operation must be one of/);
  });
});

describe('aggregate', () => {
  const cases: Array<[JsonValue[], AggregateOperation, JsonValue, string?]> = [
    [['A', 'B', 'C'], 'list', ['A', 'B', 'C']],
    [[1, 2, 3.5], 'sum', 6.5],
    [[], 'sum', 0],
    [['A', 'B', 'C'], 'join', 'A-B-C', '-'],
    [['a', 1, true, null, ['x']], 'join', "a, 1, True, None, ['x']"],
    [[{ a: 1 }, 'skip', { b: 2, a: 3 }], 'merge', { a: 3, b: 2 }],
    [[1, 2], 'first', 1],
    [[1, 2], 'last', 2],
    [[], 'first', null],
    [[3, -1, 2], 'min', -1],
    [[3, -1, 2], 'max', 3],
    [[], 'max', null],
    [[1, 2, 3, 4], 'average', 2.5],
    [[], 'average', null],
    [[1, 2, 3], 'count', 3],
    [[[1, 2], 3, [[4]]], 'flatten', [1, 2, 3, [4]]],
  ];
  for (const [inputs, operation, expected, separator] of cases) {
    it(`${operation} of ${JSON.stringify(inputs)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(applyAggregate(inputs, operation, separator ?? ', '), expected);
    });
  }

  it('says which input is not a number for sum, min, max and average', () => {
    for (const operation of ['sum', 'min', 'max', 'average'] as const) {
      assert.throws(() => applyAggregate([1, '2'], operation, ', '), new RegExp(`${operation} needs numbers: inputs\\[1\\] is "2" \\(string\\)`));
    }
  });

  it('joins the outputs of parallel steps (compat: parallel_dag → "A-B-C")', async () => {
    const outcome = await run(aggregateAction, { inputs: ['A', 'B', 'C'], operation: 'join', separator: '-' });
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.outputs, { result: 'A-B-C', count: 3, operation: 'join' });
  });

  it('treats a single value as a list of one, and fails a sum of text with outputs set', async () => {
    assert.deepEqual((await run(aggregateAction, { inputs: 'solo', operation: 'list' })).outputs.result, ['solo']);
    const outcome = await run(aggregateAction, { inputs: [1, 'x'], operation: 'sum' });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /aggregate failed: sum needs numbers/);
    assert.deepEqual(outcome.outputs, { result: null, count: 2, operation: 'sum' });
  });
});

describe('delay', () => {
  it('waits the given seconds (either name)', async () => {
    const cases: Array<[JsonObject, string]> = [
      [{ duration_seconds: 0.05 }, ''],
      [{ seconds: 0.05, reason: 'settle' }, 'settle'],
    ];
    for (const [params, reason] of cases) {
      const started = performance.now();
      const outcome = await run(delayAction, params);
      assert.equal(outcome.status, 'completed');
      assert.ok(performance.now() - started >= 45);
      assert.deepEqual(outcome.outputs, { delayed: true, duration_seconds: 0.05, reason });
    }
  });

  it('ends at once when cancelled', async () => {
    const cancel = new AbortController();
    const started = performance.now();
    setTimeout(() => cancel.abort(new Error('stop')), 30);
    const outcome = await run(delayAction, { seconds: 30 }, { signal: cancel.signal });
    assert.equal(outcome.status, 'cancelled');
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses both names at once, and more than an hour', async () => {
    assert.match((await run(delayAction, { seconds: 1, duration_seconds: 1 })).error ?? '', /seconds and duration_seconds say the same thing/);
    assert.match((await run(delayAction, { seconds: 3601 })).error ?? '', /seconds must be <= 3600/);
  });
});

describe('the compat DAGs’ steps (shared/compat/budpipeline)', () => {
  it('sample_dag: log, transform, set_output give the expected outputs', async () => {
    const log = await run(logAction, { message: 'Starting workflow with message: Hello World', level: 'info' });
    assert.equal(log.status, 'completed');
    const transform = await run(transformAction, { input: 'Hello World', operation: 'uppercase' });
    const result = await run(setOutputAction, { outputs: { result: transform.outputs.result, transformed: 'True' } });
    assert.deepEqual(result.outputs, { result: 'HELLO WORLD', transformed: 'True' });
    const skipped = await run(setOutputAction, { outputs: { result: 'Hello World', transformed: 'False' } });
    assert.deepEqual(skipped.outputs, { result: 'Hello World', transformed: 'False' });
  });

  it('failure_dag: fail gives "Intentional failure", the following log still completes', async () => {
    const failed = await run(failAction, { message: 'Intentional failure' });
    assert.deepEqual([failed.status, failed.error], ['failed', 'Intentional failure']);
    const after = await run(logAction, { message: 'still running' });
    assert.equal(after.status, 'completed');
  });
});
