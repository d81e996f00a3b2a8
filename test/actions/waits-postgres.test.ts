import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withWorkflowCorrelation } from '../../src/actions/correlation.js';
import { defineAction, type EventResult } from '../../src/actions/model.js';
import { ActionRegistry } from '../../src/actions/registry.js';
import { WaitRouter, WaitService } from '../../src/actions/waits.js';
import { newId } from '../../src/events/ids.js';
import type { NewEvent } from '../../src/events/model.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresProblem, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';

/** The router on PostgreSQL: two servers on one database deliver each (wait, event) pair once. */

const service = requireService('PostgreSQL', await postgresProblem());

const seen: string[] = [];
const countingAction = defineAction({
  meta: {
    type: 'count_answers',
    version: '1.0.0',
    name: 'Count answers',
    description: 'ignores its events, completing on the last',
    category: 'Test',
    executionMode: 'event_driven',
    idempotent: true,
    params: [],
    outputs: [],
  },
  execute: () => ({ success: true, awaitingEvent: true, externalWorkflowId: 'unused' }),
  onEvent(ctx): EventResult {
    seen.push(`${ctx.stepExecutionId}/${String(ctx.eventData.n)}`);
    return ctx.eventData.last ? { action: 'complete', outputs: { n: ctx.eventData.n ?? null } } : { action: 'ignore' };
  },
});

describe('WaitRouter on PostgreSQL', service, () => {
  let database: TestDatabase;
  const stores: Store[] = [];
  const registry = new ActionRegistry();
  registry.register(countingAction, 'test');

  before(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) stores.push(await PostgresStore.open(database.url, { poolSize: 4 }));
  });

  after(async () => {
    for (const store of stores) await store.close();
    await database?.drop();
  });

  const publish = (store: Store) => async (event: NewEvent) => {
    const now = Date.now();
    return store.insertEvents([{ event: { ...withWorkflowCorrelation(event), id: newId(now), created_at: now }, claim: null, completed: true }]);
  };

  it('delivers each pair once across two routers, completes on the answer, and times out the rest', async () => {
    const [a, b] = stores;
    const waits = new WaitService(a);
    const parked: string[] = [];
    for (let i = 0; i < 3; i++) {
      const wait = await waits.park({
        outcome: { awaitingEvent: true, externalWorkflowId: `pg-${i}`, deadline: Date.now() + 60_000, outputs: {} },
        actionType: 'count_answers',
        params: {},
        owner: { kind: 'api', id: null },
      });
      parked.push(wait.id);
    }
    const late = await waits.park({
      outcome: { awaitingEvent: true, externalWorkflowId: 'pg-late', deadline: Date.now() - 1, outputs: {} },
      actionType: 'count_answers',
      params: {},
      owner: { kind: 'api', id: null },
    });
    for (let n = 0; n < 4; n++) for (let i = 0; i < 3; i++) await publish(b)({ type: 'job.update', data: { workflow_id: `pg-${i}`, n, last: n === 3 } });

    const routers = [a, b].map((store, index) => new WaitRouter({ store, actions: async () => registry, publish: publish(store), owner: `r${index}` }));
    const passes = await Promise.all([routers[0].tick(), routers[1].tick(), routers[0].tick(), routers[1].tick()]);
    assert.equal(passes.reduce((sum, pass) => sum + pass.timedOut, 0), 1, 'the late wait timed out once');
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12, 'no pair twice');
    for (const id of parked) {
      const wait = await waits.get(id);
      assert.equal(wait.status, 'completed');
      assert.deepEqual(wait.outputs, { n: 3 });
    }
    assert.equal((await waits.get(late.id)).status, 'timeout');
    const timeouts = await a.listEvents({ type: 'step.timeout', limit: 10 });
    assert.equal(timeouts.length, 1);
    assert.equal(timeouts[0].correlation_id, late.id);
  });
});
