import { createTestDatabase, postgresProblem } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { runWorkflowEngineSuite } from './engine-suite.js';

const service = requireService('PostgreSQL', await postgresProblem());

runWorkflowEngineSuite(
  'workflows on PostgreSQL',
  async () => {
    const database = await createTestDatabase();
    return { storeUrl: database.url, cleanup: () => database.drop() };
  },
  service,
);
