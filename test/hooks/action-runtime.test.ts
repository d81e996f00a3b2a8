import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WaitRouter, WaitService } from '../../src/actions/waits.js';
import { Engine } from '../../src/engine.js';
import { isHookflowError } from '../../src/errors.js';
import type { EventRecord } from '../../src/events/model.js';

/** An event-driven plugin in HOOKFLOW_HOME/actions: parks on params.id until a COMPLETED result comes. */
const DEPLOY_PLUGIN = `
export default {
  meta: {
    type: 'deploy_test', version: '1.0.0', name: 'Deploy (test)', description: 'parks until a result event',
    category: 'Test', executionMode: 'event_driven', idempotent: false,
    params: [{ name: 'id', type: 'string', required: true }],
    outputs: [{ name: 'status', type: 'string' }],
  },
  execute(ctx) {
    return { success: true, awaitingEvent: true, externalWorkflowId: ctx.params.id, timeoutSeconds: 60, outputs: { status: 'deploying' } };
  },
  onEvent(ctx) {
    if (ctx.eventData.status === 'COMPLETED') return { action: 'complete', outputs: { status: 'deployed' } };
    return { action: 'ignore' };
  },
};
`;

async function rejectsInvalidHook(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHookflowError(error), String(error));
    assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
    assert.match(error.message, message);
    return true;
  });
}

describe('the action hook runtime, through the engine and its dispatcher', () => {
  const home = mkdtempSync(join(tmpdir(), 'hookflow-action-hooks-'));
  let engine: Engine;
  const task = { task_name: 'deploy_app', exit_code: 1, agent_name: 'web-01' };

  before(async () => {
    mkdirSync(join(home, 'actions'));
    writeFileSync(join(home, 'actions', 'deploy.mjs'), DEPLOY_PLUGIN);
    engine = await Engine.open({
      home,
      storeUrl: `sqlite:${join(home, 'hookflow.db')}`,
      pollMs: 50,
      env: { HOOKFLOW_SECRET_KEY: 'k', HOOKFLOW_TEMPLATE_ENV: 'REGION', REGION: 'eu-1', OTHER: 'hidden' },
      projectRoot: home,
    });
    await engine.secrets.set('API_TOKEN', 'tok-123');
  });

  after(async () => {
    await engine.close(2_000);
    rmSync(home, { recursive: true, force: true });
  });

  it('renders params over event, allowed env and secrets; the execution records the log and the outputs', async () => {
    const saved = await engine.hooks.addAction({
      name: 'summarise',
      events: ['task.failed'],
      action: 'set_output',
      params: {
        outputs: {
          task: '{{ event.data.task.task_name }}',
          code: '{{ event.data.task.exit_code }}',
          region: '{{ env.REGION }}',
          other: '{{ env.OTHER }}',
          token: '{{ secret.API_TOKEN }}',
          type: '{{ event.type }}',
        },
      },
    });
    assert.equal(saved.hook.runtime, 'action');
    assert.equal(saved.hook.action, 'set_output');
    assert.equal(saved.hook.source, null);
    const done = await engine.events.dispatchAndWait({ type: 'task.failed', data: { task } });
    const [execution] = done.executions;
    assert.equal(execution.success, true, execution.error ?? '');
    assert.match(execution.output, /action set_output: completed in \d+ ms; outputs: /);
    const outputs = JSON.parse(/outputs: (\{.*\})$/m.exec(execution.output)?.[1] ?? '{}');
    assert.deepEqual(outputs, { task: 'deploy_app', code: 1, region: 'eu-1', other: '', token: 'tok-123', type: 'task.failed' });
    await engine.hooks.remove('summarise');
  });

  it('a YAML hook file may name an action with params', async () => {
    const file = join(home, 'log-failures.yaml');
    writeFileSync(file, 'name: log-failures\nevents: [task.failed]\naction: log\nparams:\n  message: "{{ event.data.task.task_name }} failed on {{ event.data.task.agent_name }}"\n  level: warning\n');
    const saved = await engine.hooks.addFromFile(file);
    assert.equal(saved.hook.runtime, 'action');
    assert.equal(saved.hook.action, 'log');
    assert.deepEqual(saved.hook.params, { message: '{{ event.data.task.task_name }} failed on {{ event.data.task.agent_name }}', level: 'warning' });
    assert.equal(saved.hook.commands, null);
    const done = await engine.events.dispatchAndWait({ type: 'task.failed', data: { task } });
    assert.equal(done.executions[0].success, true, done.executions[0].error ?? '');
    assert.match(done.executions[0].output, /deploy_app failed on web-01/);
    await engine.hooks.remove('log-failures');
  });

  it('a failing action fails the execution with its error; one past the hook timeout is a timeout', async () => {
    await engine.hooks.addAction({ name: 'always-fails', events: ['task.failed'], action: 'fail', params: { message: 'refused: {{ event.data.task.task_name }}' } });
    await engine.hooks.addAction({ name: 'too-slow', events: ['task.failed'], action: 'delay', params: { seconds: 5 }, timeout_ms: 100 });
    const done = await engine.events.dispatchAndWait({ type: 'task.failed', data: { task } });
    assert.equal(done.status, 'failed');
    const byName = Object.fromEntries(done.executions.map((execution) => [execution.hook_name, execution]));
    assert.equal(byName['always-fails'].success, false);
    assert.match(byName['always-fails'].error ?? '', /refused: deploy_app/);
    assert.equal(byName['too-slow'].success, false);
    assert.match(byName['too-slow'].error ?? '', /HF_ERR_ACTION_TIMEOUT: delay exceeded its timeout of 0.1 s/);
    await engine.hooks.remove('always-fails');
    await engine.hooks.remove('too-slow');
  });

  it('events an action publishes name the hook\'s event as parent and keep its stack', async () => {
    await engine.hooks.addAction({ name: 'forward', events: ['deploy.failed'], action: 'dispatch_event', params: { type: 'custom.forwarded', data: { from: '{{ event.id }}' } } });
    const done = await engine.events.dispatchAndWait({ type: 'deploy.failed', stack: 'production', data: {} });
    assert.equal(done.executions[0].success, true, done.executions[0].error ?? '');
    const [forwarded] = await engine.events.list({ type: 'custom.forwarded' });
    assert.equal(forwarded.parent_id, done.id);
    assert.equal(forwarded.stack, 'production');
    assert.equal(forwarded.source, 'action');
    assert.deepEqual(forwarded.data, { from: done.id });
    await engine.hooks.remove('forward');
  });

  it('an unknown action or bad params are rejected when the hook is added, with every problem', async () => {
    await rejectsInvalidHook(engine.hooks.addAction({ name: 'typo', events: ['task.failed'], action: 'notifcation', params: {} }), /no action of type "notifcation".*did you mean notification/s);
    await rejectsInvalidHook(engine.hooks.addAction({ name: 'no-message', events: ['task.failed'], action: 'log', params: { level: 'loud' } }), /message[\s\S]*level/);
    await rejectsInvalidHook(engine.hooks.addAction({ name: 'bad type', events: ['task.failed'], action: 'not-a-type' }), /action type "not-a-type" is not valid/);
    assert.deepEqual((await engine.hooks.list()).map((hook) => hook.name), [], 'nothing was saved');
  });

  it('an event-driven action parks a wait owned by the hook execution; its answer completes it (the trigger does not)', async () => {
    await engine.hooks.addAction({ name: 'deploy-on-request', events: ['deploy.requested'], action: 'deploy_test', params: { id: '{{ event.data.request_id }}' } });
    // The trigger carries the workflow id too (and a COMPLETED status): it must not answer its own wait.
    const done = await engine.events.dispatchAndWait({ type: 'deploy.requested', data: { request_id: 'req-1', workflow_id: 'req-1', status: 'COMPLETED' } });
    const [execution] = done.executions;
    assert.equal(execution.success, true, execution.error ?? '');
    assert.match(execution.output, /parked as wait \S+: waiting for an event with workflow id req-1 until /);
    assert.match(execution.output, /action deploy_test: running/);
    const waits = new WaitService(engine.store);
    const [wait] = await waits.list({ owner_kind: 'hook' });
    assert.equal(wait.owner_id, `deploy-on-request:${done.id}`);
    assert.equal(wait.correlation_id, 'req-1');
    assert.equal(wait.metadata.hook, 'deploy-on-request');

    const published: EventRecord[] = [];
    const router = new WaitRouter({
      store: engine.store,
      actions: async () => (await engine.loadActions()).registry,
      publish: async (event) => {
        const result = await engine.events.dispatch(event);
        published.push(result.event);
        return result;
      },
    });
    await router.tick();
    assert.equal((await waits.get(wait.id)).status, 'waiting', 'the trigger was not taken for the answer');
    await engine.events.dispatch({ type: 'deploy.result', data: { payload: { workflow_id: 'req-1' }, status: 'COMPLETED' } });
    await router.tick();
    const ended = await waits.get(wait.id);
    assert.equal(ended.status, 'completed');
    assert.deepEqual(ended.outputs, { status: 'deployed' });
    assert.deepEqual(published.map((event) => event.type), ['step.completed']);
    assert.equal(published[0].data.owner_id, `deploy-on-request:${done.id}`);
  });

  it('hook test runs the action but parks nothing', async () => {
    const before = (await new WaitService(engine.store).list()).length;
    const tested = await engine.hooks.test('deploy-on-request', { data: { request_id: 'req-dry' } });
    assert.equal(tested.result.success, true, tested.result.error ?? '');
    assert.match(tested.result.output, /would wait for an event with workflow id req-dry \(dry run: not parked\)/);
    assert.equal((await new WaitService(engine.store).list()).length, before);
  });
});
