import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { runWorkflowStoreConformance } from './workflows-conformance.js';

runWorkflowStoreConformance('SqliteStore workflows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-workflows-'));
  const path = join(dir, 'hookflow.db');
  const opened: Store[] = [];
  const open = async () => {
    const store = await SqliteStore.open(path);
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    second: open,
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
