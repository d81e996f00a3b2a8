import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { newId } from '../../src/events/ids.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { RENEW_JOB_LEASES } from '../../src/store/postgres/workflows.js';
import type { Store } from '../../src/store/store.js';
import type { JobFinish } from '../../src/store/workflows.js';
import { createTestDatabase, postgresProblem, schemaClients, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { runWorkflowStoreConformance, workflowModel } from './workflows-conformance.js';

const service = requireService('PostgreSQL', await postgresProblem());

// One fresh database for this file; the tests share one schema in it, emptied after each test.
let database: TestDatabase | null = null;
let admin: pg.Client | null = null;
const SCHEMA = 'workflows_conformance';

after(async () => {
  await admin?.end();
  await database?.drop();
});

runWorkflowStoreConformance(
  'PostgresStore workflows',
  async () => {
    database ??= await createTestDatabase();
    const { url } = database;
    const opened: Store[] = [];
    const open = async () => {
      const store = await PostgresStore.open(url, { schema: SCHEMA, poolSize: 6 });
      opened.push(store);
      return store;
    };
    return {
      store: await open(),
      second: open,
      cleanup: async () => {
        for (const store of opened) await store.close();
        if (!admin) {
          admin = new pg.Client({ connectionString: url });
          await admin.connect();
        }
        // Deleting the workflows removes their jobs, actions, executions and allocations.
        await admin.query(`SET search_path TO ${SCHEMA}; DELETE FROM workflows;`);
      },
    };
  },
  service,
);

describe('PostgresStore workflows specifics', service, () => {
  it('lease renewals racing a batch of finishes given in reverse order never deadlock', async () => {
    database ??= await createTestDatabase();
    const { url } = database;
    const store = await PostgresStore.open(url, { schema: 'job_renewals_race', poolSize: 4 });
    const connections = await schemaClients(url, 'job_renewals_race', 3);
    try {
      const now = Date.now();
      for (let round = 0; round < 2; round += 1) {
        const jobs = Array.from({ length: 150 }, (_, index) => ({ name: `j${index}` }));
        for (let w = 0; w < 2; w += 1) {
          await store.workflows.createWorkflow({ id: newId(), model: workflowModel(jobs), params: {}, output_dir: '/tmp/hookflow-test', created_by: 'admin', now });
        }
        const running = await store.workflows.claimJobs({ worker_id: 'racer', workflow_id: null, limit: 300, capacity: null, lease_ms: 60_000, now });
        assert.equal(running.length, 300);
        const finishes: JobFinish[] = running.reverse().map((job) => ({
          workflow_id: job.workflow_id,
          index: job.index,
          run: job.run,
          worker_id: 'racer',
          outcome: 'completed',
          exit_code: 0,
          error: null,
          outputs: null,
          stdout_tail: null,
          stderr_tail: null,
          retry_at: null,
          now: now + 1000,
        }));
        const renew = (client: pg.Client) => client.query(RENEW_JOB_LEASES, ['racer', now + 120_000]);
        const outcomes = await Promise.allSettled([
          store.workflows.finishJobsWithEvents(finishes, { events: () => [] }),
          ...connections.map((client, at) => new Promise((resolve) => setTimeout(resolve, 5 * at)).then(() => renew(client))),
        ]);
        const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String((outcome.reason as Error).message)] : []));
        assert.deepEqual(failures, [], `round ${round}`);
        const finished = outcomes[0].status === 'fulfilled' ? outcomes[0].value.changes.filter((change) => change !== null).length : 0;
        assert.equal(finished, 300);
      }
    } finally {
      await Promise.all(connections.map((client) => client.end()));
      await store.close();
    }
  });
});
