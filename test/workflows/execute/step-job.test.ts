import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registerBuiltinActions } from '../../../src/actions/builtin/index.js';
import type { ActionOutcome } from '../../../src/actions/model.js';
import { defineAction } from '../../../src/actions/model.js';
import { ActionRegistry } from '../../../src/actions/registry.js';
import type { JsonObject } from '../../../src/events/model.js';
import { recordingServices } from '../../../src/testing.js';
import { runActionJob, untakenBranchTargets, type ActionJobContext } from '../../../src/workflows/execute/step-job.js';
import type { JobModel } from '../../../src/workflows/model.js';
import { makeJob, makeStep } from './helpers.js';

let dir = '';
let counter = 0;
const registry = new ActionRegistry();
registerBuiltinActions(registry);
// An event-driven action: it parks on the id it is given and completes when settled.
registry.register(
  defineAction({
    meta: {
      type: 'await_answer',
      version: '1.0.0',
      name: 'Await answer',
      description: 'Waits for an event carrying the id',
      category: 'Testing',
      executionMode: 'event_driven',
      idempotent: true,
      params: [{ name: 'id', type: 'string', required: true }],
      outputs: [],
    },
    execute: (ctx) => ({ success: true, awaitingEvent: true, externalWorkflowId: String(ctx.params.id), outputs: { parked: true }, timeoutSeconds: 60 }),
    onEvent: () => ({ action: 'complete' }),
  }),
  'test',
);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookflow-step-job-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function context(fields: Partial<ActionJobContext> = {}): ActionJobContext {
  return {
    registry,
    services: recordingServices(),
    workflowParams: {},
    stepOutputs: {},
    stepStatuses: {},
    signal: new AbortController().signal,
    timeoutSeconds: null,
    logPath: join(dir, 'jobs', `${++counter}-step.log`),
    attempt: 1,
    executionId: `wf:${counter}:1:1`,
    ...fields,
  };
}

function step(id: string, action: string, params: JsonObject, fields: Partial<JobModel> & { condition?: string | boolean | null } = {}): JobModel {
  const { condition = null, ...rest } = fields;
  return makeJob({ name: id, action, params, step: makeStep(id, { condition }), ...rest });
}

describe('runActionJob: conditions', () => {
  const table: Array<[string, string | boolean | null, JsonObject, Record<string, JsonObject>, 'completed' | 'skipped']> = [
    ['no condition runs', null, {}, {}, 'completed'],
    ['a true param runs', '{{ params.go }}', { go: true }, {}, 'completed'],
    ['a false param skips', '{{ params.go }}', { go: false }, {}, 'skipped'],
    ['an undefined variable skips', '{{ params.missing }}', {}, {}, 'skipped'],
    ['an expression over upstream outputs', '{{ steps.check.outputs.count > 2 }}', {}, { check: { count: 3 } }, 'completed'],
    ['the outputs of an absent step are undefined', 'steps.check.outputs.ok', {}, {}, 'skipped'],
    ['a literal false skips', false, {}, {}, 'skipped'],
  ];
  for (const [name, condition, params, stepOutputs, expected] of table) {
    it(name, async () => {
      const result = await runActionJob(step('s', 'log', { message: 'ran' }, { condition }), context({ workflowParams: params, stepOutputs }));
      assert.equal(result.outcome, expected);
      assert.equal(result.outputs === null, expected === 'skipped');
      if (expected === 'skipped') assert.match(result.log_tail, /condition .* is false/);
    });
  }

  it('a skipped upstream step is absent even if outputs are given for it', async () => {
    const result = await runActionJob(step('s', 'log', { message: 'ran' }, { condition: '{{ steps.up is defined }}' }), context({ stepOutputs: { up: { x: 1 } }, stepStatuses: { up: 'skipped' } }));
    assert.equal(result.outcome, 'skipped');
  });

  it('a condition that does not parse fails the step, naming it', async () => {
    const result = await runActionJob(step('s', 'log', { message: 'ran' }, { condition: '{{ params.x > }}' }), context());
    assert.equal(result.outcome, 'failed');
    assert.match(result.error ?? '', /steps\.s\.condition/);
  });

  it('a Torc action job has no condition and sees no workflow params', async () => {
    const job = makeJob({ name: 'torc-job', action: 'set_output', params: { outputs: { p: '{{ params.x }}', up: '{{ steps.prep.outputs.n }}' } } });
    const result = await runActionJob(job, context({ workflowParams: { x: 'hidden' }, stepOutputs: { prep: { n: 4 } } }));
    assert.deepEqual([result.outcome, result.outputs], ['completed', { p: '', up: 4 }]);
  });
});

describe('runActionJob: params, outputs, failures', () => {
  it('renders params from upstream outputs, keeping types', async () => {
    const job = step('collect', 'set_output', {
      outputs: { count: '{{ steps.a.outputs.count }}', items: '{{ steps.a.outputs.items }}', text: 'n={{ steps.a.outputs.count }}', next: '{{ steps.a.outputs.count + 1 }}', name: '{{ params.name }}' },
    });
    const result = await runActionJob(job, context({ workflowParams: { name: 'run-1' }, stepOutputs: { a: { count: 5, items: [1, { k: 'v' }] } } }));
    assert.equal(result.outcome, 'completed');
    assert.deepEqual(result.outputs, { count: 5, items: [1, { k: 'v' }], text: 'n=5', next: '6', name: 'run-1' });
  });

  it('writes the action’s log lines to the log file and keeps them in the tail', async () => {
    const ctx = context({ workflowParams: { who: 'ada' } });
    const result = await runActionJob(step('hello', 'log', { message: 'hello {{ params.who }}', level: 'warning' }), ctx);
    assert.equal(result.outcome, 'completed');
    const text = readFileSync(ctx.logPath, 'utf8');
    assert.match(text, /step hello: log, attempt 1\n/);
    assert.match(text, /hello ada/);
    assert.match(text, /\[hookflow\] completed\n$/);
    assert.ok(result.log_tail.endsWith('[hookflow] completed\n') && result.log_tail.includes('hello ada'));
  });

  it('a fail action fails with its message and keeps its outputs', async () => {
    const result = await runActionJob(step('f', 'fail', { message: 'broke: {{ params.why }}', error_code: 'E1' }), context({ workflowParams: { why: 'disk full' } }));
    assert.deepEqual([result.outcome, result.error, result.outputs], ['failed', 'broke: disk full', { error_code: 'E1', message: 'broke: disk full' }]);
  });

  it('bad params fail without running the action', async () => {
    const result = await runActionJob(step('t', 'transform', { input: 'x', operation: 'explode' }), context());
    assert.equal(result.outcome, 'failed');
    assert.match(result.error ?? '', /operation/);
  });

  it('an unknown action fails, suggesting the nearest', async () => {
    const result = await runActionJob(step('t', 'trasform', {}), context());
    assert.equal(result.outcome, 'failed');
    assert.match(result.error ?? '', /no action of type "trasform".*did you mean transform/);
  });

  it('times out under its timeout', async () => {
    const result = await runActionJob(step('wait', 'delay', { seconds: 5 }), context({ timeoutSeconds: 0.1 }));
    assert.deepEqual([result.outcome, result.outputs], ['timeout', null]);
    assert.match(result.error ?? '', /exceeded its timeout of 0\.1 s/);
  });

  it('is canceled by the signal', async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('workflow canceled')), 50);
    const result = await runActionJob(step('wait', 'delay', { seconds: 5 }), context({ signal: cancel.signal }));
    assert.equal(result.outcome, 'canceled');
    assert.match(result.error ?? '', /workflow canceled/);
  });
});

describe('runActionJob: conditional branches', () => {
  const branches = [
    { label: 'high', condition: '{{ params.priority > 5 }}', target_step: 'urgent' },
    { label: 'normal', condition: '{{ params.priority > 0 }}', target_step: 'standard' },
    { label: 'audit', condition: 'false', target_step: 'audit' },
    { label: 'also urgent', condition: '{{ params.priority > 8 }}', target_step: 'urgent' },
  ];
  const table: Array<[string, number, string | null, string[]]> = [
    ['the first true branch wins, the others are skipped', 7, 'urgent', ['standard', 'audit']],
    ['a later branch', 3, 'standard', ['urgent', 'audit']],
    ['no branch matches: every target is skipped', 0, null, ['urgent', 'standard', 'audit']],
  ];
  for (const [name, priority, taken, skipped] of table) {
    it(name, async () => {
      const result = await runActionJob(step('route', 'conditional', { branches }), context({ workflowParams: { priority } }));
      assert.equal(result.outcome, 'completed');
      assert.equal(result.outputs?.target_step, taken);
      assert.deepEqual(result.skip_steps, skipped);
    });
  }

  it('the two-way form skips nothing', async () => {
    const result = await runActionJob(step('route', 'conditional', { condition: '{{ params.ok }}', true_result: 'go', false_result: 'stop' }), context({ workflowParams: { ok: false } }));
    assert.deepEqual([result.outputs?.result, result.skip_steps], ['stop', []]);
  });

  it('untakenBranchTargets ignores branches without a target', () => {
    assert.deepEqual(untakenBranchTargets({ branches: [{ condition: true }, { condition: true, target_step: ' ' }, { target_step: 'x' }] }, { target_step: null }), ['x']);
  });
});

describe('runActionJob: event-driven actions', () => {
  it('hands the awaiting outcome to settle, with rendered params, and ends as settled', async () => {
    const seen: Array<{ outcome: ActionOutcome; params: JsonObject }> = [];
    const settle = async (outcome: ActionOutcome, params: JsonObject): Promise<ActionOutcome> => {
      seen.push({ outcome, params });
      return { ...outcome, status: 'completed', success: true, awaitingEvent: false, outputs: { ...outcome.outputs, answer: 42 } };
    };
    const result = await runActionJob(step('ask', 'await_answer', { id: 'corr-{{ params.n }}' }), context({ workflowParams: { n: 7 }, settle }));
    assert.deepEqual([result.outcome, result.outputs, result.error], ['completed', { parked: true, answer: 42 }, null]);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].params, { id: 'corr-7' });
    assert.equal(seen[0].outcome.externalWorkflowId, 'corr-7');
    assert.ok(seen[0].outcome.awaitingEvent);
    assert.match(result.log_tail, /waiting for an event with id corr-7 until /);
  });

  const endings: Array<[string, Partial<ActionOutcome>, string, RegExp | null]> = [
    ['a failed answer fails the step', { status: 'failed', success: false, error: 'rejected upstream' }, 'failed', /^rejected upstream$/],
    ['a wait past its deadline is a timeout (not completed)', { status: 'timeout', success: false, error: 'no event before the deadline' }, 'timeout', /no event/],
  ];
  for (const [name, fields, outcome, error] of endings) {
    it(name, async () => {
      const settle = async (parked: ActionOutcome): Promise<ActionOutcome> => ({ ...parked, awaitingEvent: false, ...fields });
      const result = await runActionJob(step('ask', 'await_answer', { id: 'x' }), context({ settle }));
      assert.equal(result.outcome, outcome);
      if (error) assert.match(result.error ?? '', error);
    });
  }

  it('a settle that throws fails the step; canceled when the signal was aborted', async () => {
    const thrown = await runActionJob(step('ask', 'await_answer', { id: 'x' }), context({ settle: () => Promise.reject(new Error('store gone')) }));
    assert.deepEqual([thrown.outcome, thrown.error], ['failed', 'waiting for its event failed: store gone']);
    const cancel = new AbortController();
    const settle = () => {
      cancel.abort();
      return Promise.reject(new Error('aborted'));
    };
    const canceled = await runActionJob(step('ask', 'await_answer', { id: 'x' }), context({ signal: cancel.signal, settle }));
    assert.equal(canceled.outcome, 'canceled');
  });

  it('without settle, an awaiting outcome fails clearly', async () => {
    const result = await runActionJob(step('ask', 'await_answer', { id: 'x' }), context());
    assert.equal(result.outcome, 'failed');
    assert.match(result.error ?? '', /waits for an event, but this worker cannot park it/);
  });
});
