import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverActions } from '../../src/actions/discovery.js';
import { ActionRegistry } from '../../src/actions/registry.js';

const META = (type: string) =>
  `{ type: '${type}', version: '1.0.0', name: '${type}', description: 'test', category: 'Plugins', executionMode: 'sync', idempotent: true, params: [], outputs: [] }`;

describe('plugin discovery', () => {
  const root = mkdtempSync(join(tmpdir(), 'hookflow-plugins-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('loads packages and home files, reports the bad ones, and keeps going', async () => {
    write('project/node_modules/hookflow-plugin-good/package.json', JSON.stringify({ name: 'hookflow-plugin-good', hookflow: { actions: './actions.mjs' } }));
    write('project/node_modules/hookflow-plugin-good/actions.mjs', `export const actions = [{ meta: ${META('good_one')}, execute: () => ({ success: true }) }, { meta: ${META('good_two')}, execute: () => ({ success: true }) }];`);
    write('project/node_modules/@acme/hookflow-actions/package.json', JSON.stringify({ name: '@acme/hookflow-actions', hookflow: { actions: 'dist/index.mjs' } }));
    write('project/node_modules/@acme/hookflow-actions/dist/index.mjs', `export default { meta: ${META('acme_deploy')}, execute: () => ({ success: true }) };`);
    write('project/node_modules/hookflow-plugin-broken/package.json', JSON.stringify({ name: 'hookflow-plugin-broken', hookflow: { actions: './actions.mjs' } }));
    write('project/node_modules/hookflow-plugin-broken/actions.mjs', 'export default {{ syntax');
    write('project/node_modules/hookflow-plugin-hangs/package.json', JSON.stringify({ name: 'hookflow-plugin-hangs', hookflow: { actions: './actions.mjs' } }));
    write('project/node_modules/hookflow-plugin-hangs/actions.mjs', 'await new Promise(() => {}); export default {};');
    write('project/node_modules/left-pad/package.json', JSON.stringify({ name: 'left-pad' }));
    write('home/actions/local.ts', `const type: string = 'local_thing';\nexport default { meta: { ...${META('x')}, type }, execute: () => ({ success: true }) };`);
    write('home/actions/dupe.mjs', `export default { meta: ${META('good_one')}, execute: () => ({ success: true }) };`);
    write('home/actions/badmeta.js', `export default { meta: { ...${META('y')}, type: 'BadType' }, execute: () => ({ success: true }) };`);
    write('home/actions/types.d.ts', 'export {};');
    write('home/actions/models.mjs', `export const resolvers = { model_ref: (id) => ({ id }) };`);
    write('home/actions/more-models.mjs', `export const resolvers = { model_ref: (id) => ({ id }) };`);

    const registry = new ActionRegistry();
    const report = await discoverActions(registry, { projectRoot: join(root, 'project'), home: join(root, 'home'), loadTimeoutMs: 500 });
    assert.deepEqual(
      report.loaded.map((plugin) => [plugin.source.replace(root, ''), plugin.kind, plugin.types]),
      [
        ['@acme/hookflow-actions', 'package', ['acme_deploy']],
        ['hookflow-plugin-good', 'package', ['good_one', 'good_two']],
        ['/home/actions/local.ts', 'file', ['local_thing']],
        ['/home/actions/models.mjs', 'file', []],
      ],
    );
    const failures = Object.fromEntries(report.failed.map((failure) => [failure.source.replace(root, ''), failure.error]));
    assert.deepEqual(Object.keys(failures).sort(), ['/home/actions/badmeta.js', '/home/actions/dupe.mjs', '/home/actions/more-models.mjs', 'hookflow-plugin-broken', 'hookflow-plugin-hangs']);
    assert.match(failures['/home/actions/more-models.mjs'], /two resolvers for "model_ref": one from .*models\.mjs, one from .*more-models\.mjs/);
    assert.deepEqual([...registry.resolvers().keys()], ['model_ref']);
    assert.match(failures['hookflow-plugin-hangs'], /within 500 ms/);
    assert.match(failures['/home/actions/dupe.mjs'], /one from hookflow-plugin-good, one from .*dupe\.mjs/);
    assert.match(failures['/home/actions/badmeta.js'], /snake_case/);
    assert.ok(registry.has('local_thing') && registry.has('acme_deploy'));
  });
});
