import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActionRegistry } from '../../src/actions/registry.js';
import { BUILTIN_ACTIONS } from '../../src/actions/builtin/index.js';
import type { NewEvent } from '../../src/events/model.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { WorkflowService } from '../../src/workflows/service.js';

describe('a workflow that ends', () => {
  let dir: string;
  let store: SqliteStore;
  const published: NewEvent[] = [];
  const cancelled: string[] = [];
  let service: WorkflowService;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-publisher-'));
    store = await SqliteStore.open(join(dir, 'hookflow.db'));
    await store.migrate();
    const registry = new ActionRegistry();
    for (const action of BUILTIN_ACTIONS) registry.register(action, 'builtin');
    service = new WorkflowService({
      store,
      publish: async (event) => published.push(event),
      registry: async () => registry,
      workflowsDir: join(dir, 'workflows'),
      ending: { cancelQueuedAllocations: async (workflowId) => cancelled.push(workflowId) },
    });
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has its queued Slurm allocations cancelled, once, before workflow.* is published', async () => {
    const { id } = await service.submit({ text: 'name: ends\njobs:\n  - { name: a, command: "true" }\n  - { name: b, command: "true", depends_on: [a] }\n' });
    assert.deepEqual(cancelled, []);
    assert.deepEqual(
      published.map((event) => event.type),
      ['workflow.submitted', 'job.ready', 'workflow.started'],
    );
    await service.cancel(id);
    assert.deepEqual(cancelled, [id]);
    assert.equal(published.at(-1)?.type, 'workflow.cancelled');
    assert.deepEqual(
      published.filter((event) => event.type === 'job.canceled').map((event) => event.data?.job_name),
      ['a', 'b'],
    );
  });
});
