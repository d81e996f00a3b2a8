import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnv } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/hookflow.js', import.meta.url));

describe('bin/hookflow.js', () => {
  it('runs a command end to end and exits with its code', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hookflow-bin-'));
    try {
      const { stdout } = await promisify(execFile)(BIN, ['--home', home, 'events', 'types', '--json', '--category', 'task'], { env: cleanEnv() });
      const types = JSON.parse(stdout) as Array<{ type: string }>;
      assert.ok(types.some((info) => info.type === 'task.failed'));
      await assert.rejects(promisify(execFile)(BIN, ['--home', home, 'hook', 'get', 'missing'], { env: cleanEnv() }), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /^error: no hook named "missing"/);
        return true;
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
