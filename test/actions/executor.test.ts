import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { runAction } from '../../src/actions/executor.js';
import { greetAction, recordingServices, validMeta } from './fixtures.js';

describe('running an action', () => {
  it('validates, renders, executes and checks outputs, timing each stage', async () => {
    const outcome = await runAction({
      definition: greetAction(),
      params: { who: '{{ name }}', times: 2 },
      render: (params) => ({ ...params, who: 'ada' }),
      services: recordingServices(),
    });
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(outcome.outputs, { greeting: 'hello ada', count: 2 });
    assert.deepEqual(outcome.warnings, []);
    for (const stage of ['validate', 'render', 'execute', 'outputs'] as const) assert.ok(outcome.stages[stage] >= 0);
  });

  it('fails with every param problem, without running the action', async () => {
    let ran = false;
    const outcome = await runAction({
      definition: greetAction({ execute: () => ((ran = true), { success: true }) }),
      params: { who: 'a', times: 'x' },
      services: recordingServices(),
    });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /who must NOT have fewer than 2 characters[\s\S]*times must be number/);
    assert.equal(ran, false);
  });

  it('turns a thrown error into a failed outcome', async () => {
    const outcome = await runAction({ definition: greetAction({ execute: () => Promise.reject(new Error('boom')) }), params: { who: 'ada' }, services: recordingServices() });
    assert.deepEqual([outcome.status, outcome.error], ['failed', 'boom']);
  });

  it('aborts through ctx.signal on timeout and runs cleanup', async () => {
    let aborted = false;
    let cleaned = false;
    const outcome = await runAction({
      definition: greetAction({
        execute: (ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve({ success: true });
            });
          }),
        cleanup: () => {
          cleaned = true;
        },
      }),
      params: { who: 'ada' },
      timeoutSeconds: 0.05,
      services: recordingServices(),
    });
    assert.equal(outcome.status, 'timeout');
    assert.match(outcome.error ?? '', /exceeded its timeout of 0\.05 s/);
    assert.ok(aborted && cleaned);
  });

  it('is cancelled by the caller’s signal', async () => {
    const cancel = new AbortController();
    const running = runAction({ definition: greetAction({ execute: () => sleep(5_000).then(() => ({ success: true })) }), params: { who: 'ada' }, signal: cancel.signal, services: recordingServices() });
    setTimeout(() => cancel.abort(new Error('user pressed stop')), 20);
    const outcome = await running;
    assert.equal(outcome.status, 'cancelled');
    assert.match(outcome.error ?? '', /user pressed stop/);
  });

  it('reports output contract problems as warnings, or failures when strict', async () => {
    const sloppy = greetAction({ execute: () => ({ success: true, outputs: { greeting: 42 } }) });
    const loose = await runAction({ definition: sloppy, params: { who: 'ada' }, services: recordingServices() });
    assert.equal(loose.status, 'completed');
    assert.deepEqual(loose.warnings, ['output "greeting" should be string, not number', 'output "count" is declared but missing']);
    const strict = await runAction({ definition: sloppy, params: { who: 'ada' }, services: recordingServices(), strictOutputs: true });
    assert.equal(strict.status, 'failed');
    assert.match(strict.error ?? '', /broke its output contract/);
  });

  it('parks an awaiting result with its id and deadline, and refuses one without an id', async () => {
    const meta = validMeta({ executionMode: 'event_driven', outputs: [] });
    const waiting = await runAction({
      definition: { meta, execute: () => ({ success: true, awaitingEvent: true, externalWorkflowId: 'wf-1', timeoutSeconds: 60 }), onEvent: () => ({ action: 'ignore' }) },
      params: { who: 'ada' },
      services: recordingServices(),
    });
    assert.equal(waiting.status, 'running');
    assert.equal(waiting.externalWorkflowId, 'wf-1');
    assert.ok(waiting.deadline! > Date.now() + 59_000);
    const broken = await runAction({
      definition: { meta, execute: () => ({ success: true, awaitingEvent: true }), onEvent: () => ({ action: 'ignore' }) },
      params: { who: 'ada' },
      services: recordingServices(),
    });
    assert.equal(broken.status, 'failed');
  });

  it('gives actions publish, log and step outputs', async () => {
    const services = recordingServices();
    const outcome = await runAction({
      definition: greetAction({
        execute: async (ctx) => {
          ctx.log.info('about to publish', { who: ctx.params.who as string });
          await ctx.publish('demo.greeted', { who: ctx.params.who as string });
          return { success: true, outputs: { greeting: String(ctx.getStepOutput('prev', 'word')), count: 1 } };
        },
      }),
      params: { who: 'ada' },
      stepOutputs: { prev: { word: 'hi' } },
      services,
    });
    assert.equal(outcome.outputs.greeting, 'hi');
    assert.deepEqual(services.published, [{ type: 'demo.greeted', data: { who: 'ada' } }]);
    assert.deepEqual(outcome.log, ['[info] about to publish {"who":"ada"}']);
  });

  it('resolves reference params through their resolver, and fails clearly when one names nothing', async () => {
    const models: Record<string, { id: string; name: string }> = { 'm-1': { id: 'm-1', name: 'llama' } };
    const resolvers = new Map([['model_ref', (id: string) => models[id] ?? Promise.reject(new Error(`no model ${id}`))]]);
    const definition = greetAction({
      meta: validMeta({ params: [{ name: 'model', type: 'model_ref', required: true }], outputs: [] }),
      execute: (ctx) => ({ success: true, outputs: { got: ctx.params.model } }),
    });
    const found = await runAction({ definition, params: { model: 'm-1' }, resolvers, services: recordingServices() });
    assert.deepEqual(found.outputs, { got: { id: 'm-1', name: 'llama' } });
    const missing = await runAction({ definition, params: { model: 'm-9' }, resolvers, services: recordingServices() });
    assert.equal(missing.status, 'failed');
    assert.match(missing.error ?? '', /model \(model_ref\) "m-9" could not be resolved: no model m-9/);
    const unresolved = await runAction({ definition, params: { model: 'm-9' }, services: recordingServices() });
    assert.deepEqual(unresolved.outputs, { got: 'm-9' }, 'without a resolver the id is passed as is');
  });
});
