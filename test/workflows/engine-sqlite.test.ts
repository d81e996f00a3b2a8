import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkflowEngineSuite } from './engine-suite.js';

runWorkflowEngineSuite(
  'workflows on SQLite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-wf-sqlite-'));
    return { storeUrl: `sqlite:${join(dir, 'hookflow.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  { skip: false },
);
