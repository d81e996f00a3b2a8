import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { builtinMetas, DOC_PATH, END_MARKER, renderBuiltins, START_MARKER, withBuiltins } from '../../scripts/gen-actions-doc.js';

const doc = readFileSync(DOC_PATH, 'utf8');

describe('docs/actions.md', () => {
  it('documents every built-in with its params and outputs', () => {
    for (const meta of builtinMetas()) {
      assert.ok(doc.includes(`### ${meta.type}\n`), `${meta.type} is missing`);
      for (const param of meta.params) assert.ok(doc.includes(`| \`${param.name}\` |`), `${meta.type}.${param.name} is missing`);
    }
  });

  it('is in sync with the metas (run: npm run docs:actions)', () => {
    assert.equal(withBuiltins(doc), doc);
    assert.equal(doc.slice(doc.indexOf(START_MARKER) + START_MARKER.length, doc.indexOf(END_MARKER)), `\n${renderBuiltins()}\n`);
  });

  it('refuses a document without markers', () => {
    assert.throws(() => withBuiltins('# Actions\n'), /must contain the markers/);
  });
});
