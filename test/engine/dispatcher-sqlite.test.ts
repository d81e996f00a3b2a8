import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { runDispatcherSuite } from './dispatcher-suite.js';

runDispatcherSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-dispatcher-'));
  const path = join(dir, 'hookflow.db');
  const store = await SqliteStore.open(path);
  return {
    store,
    second: () => SqliteStore.open(path),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
