import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DOC_PATH, END_MARKER, renderCatalogue, START_MARKER, withCatalogue } from '../../scripts/gen-events-doc.js';
import { EVENT_CATALOGUE, eventCategories } from '../../src/events/catalogue.js';
import { FILTER_TRANSFORMS } from '../../src/hooks/filter.js';

const doc = readFileSync(DOC_PATH, 'utf8');

describe('docs/events.md', () => {
  it('lists every catalogue type with its data shape', () => {
    for (const info of EVENT_CATALOGUE) {
      assert.ok(doc.includes(`| \`${info.type}\` | \`${info.data}\` |`), `${info.type} is missing from docs/events.md`);
    }
  });

  it('has a section per category', () => {
    for (const category of eventCategories()) assert.ok(doc.includes(`### Category: ${category}\n`), category);
  });

  it('is in sync with the catalogue (run: node --import tsx scripts/gen-events-doc.ts)', () => {
    assert.equal(withCatalogue(doc), doc);
    const generated = doc.slice(doc.indexOf(START_MARKER) + START_MARKER.length, doc.indexOf(END_MARKER));
    assert.equal(generated, `\n${renderCatalogue()}\n`);
  });

  it('documents every filter transform', () => {
    for (const name of FILTER_TRANSFORMS) assert.match(doc, new RegExp(`\`${name}(\\(|\`)`), name);
  });

  it('refuses a document without markers', () => {
    assert.throws(() => withCatalogue('# Events\n'), /must contain the markers/);
  });
});
