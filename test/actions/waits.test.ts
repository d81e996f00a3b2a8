import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntilAction } from '../../src/actions/builtin/wait-until.js';
import { withWorkflowCorrelation } from '../../src/actions/correlation.js';
import { runAction } from '../../src/actions/executor.js';
import { defineAction, type ActionDefinition, type ActionOutcome, type EventContext, type EventResult } from '../../src/actions/model.js';
import { ActionRegistry } from '../../src/actions/registry.js';
import { settleOutcome, WaitRouter, WaitService } from '../../src/actions/waits.js';
import { newId } from '../../src/events/ids.js';
import type { EventRecord, JsonObject, NewEvent } from '../../src/events/model.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';

/**
 * The router against a real SQLite store (two Store objects on one file stand for two servers).
 * `deploy` answers like BudPipeline's deployment actions: COMPLETED / FAILED results complete the
 * step, a progress field updates it, anything else is ignored.
 */

const seen: Array<{ wait: string; event: string }> = [];

const deployAction = defineAction({
  meta: {
    type: 'deploy',
    version: '1.0.0',
    name: 'Deploy',
    description: 'starts a deployment elsewhere and waits for its result',
    category: 'Test',
    executionMode: 'event_driven',
    idempotent: false,
    params: [
      { name: 'id', type: 'string', required: true },
      { name: 'wait_seconds', type: 'number', default: 60 },
    ],
    outputs: [
      { name: 'status', type: 'string' },
      { name: 'endpoint', type: 'string' },
    ],
  },
  execute: (ctx) => ({
    success: true,
    awaitingEvent: true,
    externalWorkflowId: String(ctx.params.id),
    timeoutSeconds: Number(ctx.params.wait_seconds),
    outputs: { status: 'deploying' },
  }),
  onEvent(ctx: EventContext): EventResult {
    // Fields at the top of the data or in its payload (where the tests' answers put them).
    const data: JsonObject = { ...ctx.eventData, ...((ctx.eventData.payload as JsonObject | undefined) ?? {}) };
    seen.push({ wait: ctx.stepExecutionId, event: String(data.n ?? '') });
    const content = data.content as JsonObject | undefined;
    if (data.boom) throw new Error('the handler broke');
    if (content?.status === 'COMPLETED') return { action: 'complete', outputs: { status: 'deployed', endpoint: String(content.endpoint) } };
    if (content?.status === 'FAILED') return { action: 'complete', status: 'failed', outputs: { status: 'failed' }, error: String(content.message) };
    if (typeof data.progress === 'number') return { action: 'update_progress', progress: data.progress, etaMinutes: 3 };
    if (data.bad) return { action: 'update_progress' };
    return { action: 'ignore' };
  },
});

const answerAnyAction = defineAction({
  // A sync action may still answer awaitingEvent; without onEvent its first event is the answer.
  meta: { ...deployAction.meta, type: 'answer_any', name: 'Answer any', executionMode: 'sync' },
  execute: deployAction.execute,
});

function registry(): ActionRegistry {
  const actions = new ActionRegistry();
  for (const action of [deployAction, answerAnyAction, waitUntilAction] as ActionDefinition[]) actions.register(action, 'test');
  return actions;
}

describe('WaitRouter', () => {
  let dir: string;
  let path: string;
  let stores: Store[];
  let store: Store;
  let published: EventRecord[];

  const open = async () => {
    const opened = await SqliteStore.open(path, { writerThread: false });
    stores.push(opened);
    return opened;
  };

  /** EventService.dispatch without a dispatcher: the workflow id becomes the correlation id. */
  const publisher = (on: Store) => async (event: NewEvent) => {
    const now = Date.now();
    const [inserted] = await on.insertEvents([{ event: { ...withWorkflowCorrelation(event), id: newId(now), created_at: now }, claim: null, completed: true }]);
    published.push(inserted.event);
    return inserted;
  };

  const routerFor = (on: Store, extra: Partial<ConstructorParameters<typeof WaitRouter>[0]> = {}) =>
    new WaitRouter({ store: on, actions: async () => registry(), publish: publisher(on), ...extra });

  async function parked(on: Store, params: JsonObject, type = 'deploy', extra: { ignoreEvents?: string[] } = {}): Promise<{ outcome: ActionOutcome; waitId: string }> {
    const definition = registry().get(type);
    const outcome = await runAction({ definition, params, services: { publish: async () => 'x', invokeService: async () => null } });
    assert.equal(outcome.awaitingEvent, true, outcome.error ?? '');
    const wait = await new WaitService(on).park({ outcome, actionType: type, params, owner: { kind: 'cli', id: null }, ...extra });
    return { outcome, waitId: wait.id };
  }

  const answer = (workflowId: string, data: JsonObject = {}) => publisher(store)({ type: 'notification.received', data: { payload: { workflow_id: workflowId, ...data } } });
  const stepEvents = (type: string) => published.filter((event) => event.type === type);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-waits-'));
    path = join(dir, 'hookflow.db');
    stores = [];
    published = [];
    seen.length = 0;
    store = await open();
  });

  afterEach(async () => {
    for (const opened of stores) await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('complete: the answer finishes the step with merged outputs and publishes step.completed', async () => {
    const { waitId } = await parked(store, { id: 'wf-ok' });
    await answer('wf-ok', { content: { status: 'COMPLETED', endpoint: 'https://e' } });
    const pass = await routerFor(store).tick();
    assert.equal(pass.delivered, 1);
    const wait = await new WaitService(store).get(waitId);
    assert.equal(wait.status, 'completed');
    assert.deepEqual(wait.outputs, { status: 'deployed', endpoint: 'https://e' });
    const [step] = stepEvents('step.completed');
    assert.equal(step.data.wait_id, waitId);
    assert.equal(step.data.external_workflow_id, 'wf-ok');
    assert.equal(step.correlation_id, waitId, 'step events correlate with the wait, not the external id');
    assert.equal((await routerFor(store).tick()).delivered, 0, 'nothing left to deliver');
  });

  it('complete with status failed: the step fails with its error and step.failed is published', async () => {
    const { waitId } = await parked(store, { id: 'wf-bad' });
    await answer('wf-bad', { content: { status: 'FAILED', message: 'no capacity' } });
    await routerFor(store).tick();
    const wait = await new WaitService(store).get(waitId);
    assert.equal(wait.status, 'failed');
    assert.equal(wait.error, 'no capacity');
    assert.equal(stepEvents('step.failed').length, 1);
  });

  it('update_progress records progress and ETA and publishes step.progress; ignore and invalid answers keep waiting', async () => {
    const lines: string[] = [];
    const { waitId } = await parked(store, { id: 'wf-slow' });
    await answer('wf-slow', { n: 1 });
    await publisher(store)({ type: 'deploy.progress', data: { workflow_id: 'wf-slow', progress: 40, n: 2 } });
    await answer('wf-slow', { n: 3, bad: true });
    await routerFor(store, { onLog: (line) => lines.push(line) }).tick();
    const wait = await new WaitService(store).get(waitId);
    assert.equal(wait.status, 'waiting');
    assert.equal(wait.progress, 40);
    assert.equal(wait.eta_minutes, 3);
    const [progress] = stepEvents('step.progress');
    assert.equal(progress.data.progress, 40);
    assert.equal(progress.data.eta_minutes, 3);
    assert.deepEqual(seen.map((s) => s.event), ['1', '2', '3'], 'in the order they were published');
    assert.ok(lines.some((line) => /without progress or etaMinutes/.test(line)), lines.join('\n'));
    await routerFor(store).tick();
    assert.equal(seen.length, 3, 'each event once');
  });

  it('timeout: past the deadline the step is TIMEOUT and step.timeout is published; a late answer changes nothing', async () => {
    const { waitId } = await parked(store, { id: 'wf-never', wait_seconds: 0.05 });
    await sleep(80);
    const pass = await routerFor(store).tick();
    assert.equal(pass.timedOut, 1);
    const wait = await new WaitService(store).get(waitId);
    assert.equal(wait.status, 'timeout');
    assert.match(wait.error ?? '', /wf-never/);
    assert.equal(stepEvents('step.timeout').length, 1);
    await answer('wf-never', { content: { status: 'COMPLETED', endpoint: 'late' } });
    await routerFor(store).tick();
    assert.equal((await new WaitService(store).get(waitId)).status, 'timeout');
    assert.equal(seen.length, 0);
  });

  it('an answer that came before the step parked is delivered; an ignored event (the trigger) is not', async () => {
    const trigger = await answer('wf-fast', { n: 'trigger', content: { status: 'FAILED', message: 'not the answer' } });
    await answer('wf-fast', { n: 'answer', content: { status: 'COMPLETED', endpoint: 'early' } });
    const { waitId } = await parked(store, { id: 'wf-fast' }, 'deploy', { ignoreEvents: [trigger.event.id] });
    await routerFor(store).tick();
    const wait = await new WaitService(store).get(waitId);
    assert.equal(wait.status, 'completed');
    assert.equal(wait.outputs.endpoint, 'early');
    assert.deepEqual(seen.map((s) => s.event), ['answer']);
  });

  it('two routers on one store (two processes) handle each (wait, event) pair exactly once', async () => {
    const other = await open();
    const waits: string[] = [];
    for (let i = 0; i < 4; i++) waits.push((await parked(store, { id: `wf-${i}` })).waitId);
    for (let round = 0; round < 5; round++) for (let i = 0; i < 4; i++) await answer(`wf-${i}`, { n: `${i}-${round}` });
    const a = routerFor(store, { owner: 'a' });
    const b = routerFor(other, { owner: 'b' });
    const passes = await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    assert.equal(passes.reduce((sum, pass) => sum + pass.delivered, 0), 20);
    const keys = seen.map((s) => `${s.wait}/${s.event}`);
    assert.equal(keys.length, 20);
    assert.equal(new Set(keys).size, 20, 'no pair twice');
    assert.equal(new Set(seen.map((s) => s.wait)).size, 4);
  });

  it('waits survive a restart: parked by one process, answered and routed after it closed', async () => {
    const { waitId } = await parked(store, { id: 'wf-restart' });
    await store.close();
    const reopened = await open();
    store = reopened;
    await answer('wf-restart', { content: { status: 'COMPLETED', endpoint: 'after-restart' } });
    await routerFor(reopened).tick();
    assert.equal((await new WaitService(reopened).get(waitId)).outputs.endpoint, 'after-restart');
  });

  it('runs by itself once started: a parked step is woken and completed without a manual pass', async () => {
    const router = routerFor(store, { pollMs: 20, idleMs: 50 });
    const changes: string[] = [];
    router.onChange((change) => changes.push(`${change.kind}:${change.wait.status}`));
    await router.start();
    try {
      const { waitId } = await parked(store, { id: 'wf-live' });
      await answer('wf-live', { content: { status: 'COMPLETED', endpoint: 'live' } });
      const done = await new WaitService(store).waitFor(waitId, { signal: AbortSignal.timeout(3_000), pollMs: 20 });
      assert.equal(done.status, 'completed');
      // The router tells its listeners after the commit that waitFor may have seen first.
      for (let i = 0; i < 100 && changes.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(changes, ['finished:completed']);
    } finally {
      await router.stop();
    }
  });

  it('wait_until: the router publishes timer.fired at the wake time and the step completes', async () => {
    const now = Date.now();
    const timerId = 'timer:step:1';
    const wait = await new WaitService(store).park({
      outcome: { awaitingEvent: true, externalWorkflowId: timerId, deadline: now + 60_000, outputs: { waited: false, timer_id: timerId, scheduled_wake_time: new Date(now - 5).toISOString() } },
      actionType: 'wait_until',
      params: {},
      owner: { kind: 'cli', id: null },
    });
    assert.ok(wait.wake_at !== null && wait.wake_at <= now);
    const router = routerFor(store);
    const first = await router.tick();
    assert.equal(first.timers, 1);
    const [timer] = published.filter((event) => event.type === 'timer.fired');
    assert.equal(timer.data.workflow_id, timerId);
    assert.equal(timer.correlation_id, timerId);
    await router.tick();
    const done = await new WaitService(store).get(wait.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.outputs.waited, true);
  });

  it('an onEvent that throws, and an action no longer registered, fail the step with a message', async () => {
    const { waitId: broken } = await parked(store, { id: 'wf-boom' });
    await answer('wf-boom', { boom: true });
    const { waitId: orphan } = await parked(store, { id: 'wf-orphan' });
    await store.waits.finishWait(orphan, { status: 'completed', outputs: {}, error: null });
    const ghost = await new WaitService(store).park({
      outcome: { awaitingEvent: true, externalWorkflowId: 'wf-ghost', deadline: Date.now() + 60_000, outputs: {} },
      actionType: 'gone_plugin',
      params: {},
      owner: { kind: 'cli', id: null },
    });
    await answer('wf-ghost');
    await routerFor(store).tick();
    const failed = await new WaitService(store).get(broken);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /deploy\.onEvent failed .*the handler broke/);
    const lost = await new WaitService(store).get(ghost.id);
    assert.equal(lost.status, 'failed');
    assert.match(lost.error ?? '', /no action of type "gone_plugin"/);
  });

  it('an action without onEvent completes on its first event, with the event in its outputs', async () => {
    const { waitId } = await parked(store, { id: 'wf-any' }, 'answer_any');
    await answer('wf-any', { hello: 'world' });
    await routerFor(store).tick();
    const wait = await new WaitService(store).get(waitId);
    assert.equal(wait.status, 'completed');
    assert.equal(wait.outputs.event_type, 'notification.received');
    assert.deepEqual((wait.outputs.event_data as JsonObject).payload, { workflow_id: 'wf-any', hello: 'world' });
  });

  it('settleOutcome (actions run): waits for the answer, or returns TIMEOUT at the deadline', async () => {
    const definition = registry().get('deploy');
    const services = { publish: async () => 'x', invokeService: async () => null };
    const started = await runAction({ definition, params: { id: 'wf-cli' }, services });
    const answered = setTimeout(() => void answer('wf-cli', { content: { status: 'COMPLETED', endpoint: 'cli' } }), 50);
    const settled = await settleOutcome(started, { store, actions: async () => registry(), publish: publisher(store), actionType: 'deploy', params: { id: 'wf-cli' }, pollMs: 20 });
    clearTimeout(answered);
    assert.equal(settled.status, 'completed');
    assert.equal(settled.success, true);
    assert.equal(settled.outputs.endpoint, 'cli');
    assert.ok(settled.waitId);

    const slow = await runAction({ definition, params: { id: 'wf-cli-late', wait_seconds: 0.1 }, services });
    const timedOut = await settleOutcome(slow, { store, actions: async () => registry(), publish: publisher(store), actionType: 'deploy', params: {}, pollMs: 20 });
    assert.equal(timedOut.status, 'timeout');
    assert.equal(timedOut.success, false);
    assert.match(timedOut.error ?? '', /wf-cli-late/);

    const sync = { ...started, awaitingEvent: false, status: 'completed' as const };
    assert.equal((await settleOutcome(sync, { store, actions: async () => registry(), publish: publisher(store), actionType: 'deploy', params: {} })).waitId, null);
  });
});
