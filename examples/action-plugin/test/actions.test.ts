import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runActionForTest } from 'hookflow/testing';
import { slugify } from '../src/actions.ts';

describe('slugify', () => {
  const cases: Array<[string, Record<string, string | number>, string]> = [
    ['a title', { text: 'Release 1.4: Faster Hooks!' }, 'release-1-4-faster-hooks'],
    ['accents', { text: 'Crème brûlée' }, 'creme-brulee'],
    ['underscore', { text: 'a b  c', separator: '_' }, 'a_b_c'],
    ['cut short', { text: 'abcdefgh', max_length: 3 }, 'abc'],
  ];
  for (const [what, params, slug] of cases) {
    it(what, async () => {
      const outcome = await runActionForTest(slugify, params);
      assert.equal(outcome.status, 'completed', outcome.error ?? '');
      assert.deepEqual(outcome.outputs, { slug, length: slug.length });
    });
  }

  it('fails clearly on text without letters, and on bad params', async () => {
    assert.match((await runActionForTest(slugify, { text: '!!!' })).error ?? '', /no letters or digits/);
    const bad = await runActionForTest(slugify, { text: 'x', separator: '.' });
    assert.equal(bad.status, 'failed');
    assert.match(bad.error ?? '', /separator must be one of "-", "_"/);
  });
});
