import { after } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase, postgresProblem, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { runProgramStoreConformance } from './programs-conformance.js';

const service = requireService('PostgreSQL', await postgresProblem());

// One fresh database for this file and one store on it, kept open across tests (opening a pool and
// checking migrations for each test would be most of the file's time); emptied after each test.
// Stores opened as `second` stand for other processes and are closed after their test.
let database: TestDatabase | null = null;
let primary: Store | null = null;
let admin: pg.Client | null = null;
const SCHEMA = 'executions_conformance';

after(async () => {
  await primary?.close();
  await admin?.end();
  await database?.drop();
});

async function openStore(url: string): Promise<Store> {
  return PostgresStore.open(url, { schema: SCHEMA, poolSize: 6 });
}

runProgramStoreConformance(
  'PostgresStore executions',
  async () => {
    database ??= await createTestDatabase();
    const { url } = database;
    primary ??= await openStore(url);
    const others: Store[] = [];
    return {
      store: primary,
      second: async () => {
        const store = await openStore(url);
        others.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of others) await store.close();
        if (!admin) {
          admin = new pg.Client({ connectionString: url });
          await admin.connect();
        }
        await admin.query(`SET search_path TO ${SCHEMA}; DELETE FROM program_executions;`);
      },
    };
  },
  service,
);
