import { after } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresProblem, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { runWorkflowStoreConformance } from './workflows-conformance.js';

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
