import { PostgresStore } from '../../src/store/postgres/index.js';
import { createTestDatabase, postgresProblem } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { runDispatcherSuite } from './dispatcher-suite.js';

const service = requireService('PostgreSQL', await postgresProblem());

runDispatcherSuite(
  'PostgreSQL',
  async () => {
    const database = await createTestDatabase();
    const opened: PostgresStore[] = [];
    const open = async () => {
      const store = await PostgresStore.open(database.url);
      opened.push(store);
      return store;
    };
    const store = await open();
    return {
      store,
      second: open,
      cleanup: async () => {
        for (const each of opened) await each.close().catch(() => undefined);
        await database.drop();
      },
    };
  },
  service.skip,
);
