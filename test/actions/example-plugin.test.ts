import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverActions } from '../../src/actions/discovery.js';
import { ActionRegistry } from '../../src/actions/registry.js';
import { runActionForTest } from '../../src/testing.js';

const PLUGIN = resolve(import.meta.dirname, '../../examples/action-plugin');

describe('the example action plugin', () => {
  const project = mkdtempSync(join(tmpdir(), 'hookflow-example-plugin-'));
  after(() => rmSync(project, { recursive: true, force: true }));

  it('is discovered as an installed package and runs', async () => {
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(PLUGIN, join(project, 'node_modules', 'hookflow-action-slugify'), 'dir');
    const registry = new ActionRegistry();
    const report = await discoverActions(registry, { projectRoot: project, home: join(project, 'home') });
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.loaded.map((plugin) => [plugin.source, plugin.types]), [['hookflow-action-slugify', ['slugify']]]);
    const outcome = await runActionForTest(registry.get('slugify'), { text: 'Hello, World!' });
    assert.deepEqual(outcome.outputs, { slug: 'hello-world', length: 11 });
  });
});
