import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectSyntax, formatPath, loadDocument, type DocumentSyntax, type Segment } from '../../../src/workflows/spec/document.js';

describe('loadDocument: syntax detection', () => {
  const cases: Array<[string, string, DocumentSyntax, unknown]> = [
    ['YAML', 'name: x\njobs: []\n', 'yaml', { name: 'x', jobs: [] }],
    ['JSON', '{"name": "x", "n": 1}', 'json', { name: 'x', n: 1 }],
    ['JSON after blanks and a BOM', '\uFEFF  \n {"a": [1, 2]}', 'json', { a: [1, 2] }],
    ['a JSON list', '[1, 2]', 'json', [1, 2]],
    ['JSON5 with unquoted keys, single quotes and a trailing comma', "{name: 'x', list: [1, 2,],}", 'json5', { name: 'x', list: [1, 2] }],
    ['JSON with a trailing comma is JSON5', '{"name": "x", "jobs": [],}', 'json5', { name: 'x', jobs: [] }],
    ['JSON5 opening with a comment', '// spec\n/* more */\n{"a": 1}', 'json5', { a: 1 }],
    ['a YAML flow mapping that is not JSON5 (bare values)', '{name: x, jobs: [a, b]}', 'yaml', { name: 'x', jobs: ['a', 'b'] }],
  ];
  for (const [label, text, syntax, value] of cases) {
    it(label, () => {
      const loaded = loadDocument(text);
      assert.deepEqual(loaded.errors, []);
      assert.equal(loaded.syntax, syntax);
      assert.deepEqual(loaded.value, value);
      assert.equal(detectSyntax(text), syntax);
    });
  }

  it('an explicit syntax wins over detection', () => {
    assert.equal(loadDocument('{"a": 1}', { syntax: 'yaml' }).syntax, 'yaml');
    assert.deepEqual(loadDocument('{"a": 1}', { syntax: 'yaml' }).value, { a: 1 });
    const strict = loadDocument("{a: 'x'}", { syntax: 'json' });
    assert.equal(strict.value, null);
    assert.match(strict.errors[0].message, /^invalid JSON:/);
  });
});

describe('loadDocument: syntax errors are placed', () => {
  const cases: Array<[string, string, string, number, number]> = [
    ['JSON with an unclosed list', '{"name": "x",\n "jobs": [}', 'invalid JSON', 2, 11],
    ['JSON5 with a bad value', "{\n  name: 'x',\n  jobs: [}\n}", 'invalid JSON5: invalid character', 3, 10],
    ['an unclosed YAML list', 'name: x\njobs: [\n', 'Flow sequence in block collection', 3, 1],
    ['a YAML duplicate key', 'name: x\nname: y\n', 'Map keys must be unique', 2, 1],
    ['several YAML documents', 'a: 1\n---\nb: 2\n', 'multiple documents', 2, 1],
  ];
  for (const [label, text, fragment, line, column] of cases) {
    it(label, () => {
      const loaded = loadDocument(text);
      assert.equal(loaded.value, null);
      assert.equal(loaded.errors.length, 1, JSON.stringify(loaded.errors));
      const [error] = loaded.errors;
      assert.ok(error.message.includes(fragment), error.message);
      assert.deepEqual([error.line, error.column, error.path], [line, column, '']);
    });
  }

  it('a YAML bomb of aliases is a problem, not a crash', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 6; level++) lines.push(`${'b'.repeat(level)}: &${'b'.repeat(level)} [${Array(10).fill(`*${level === 1 ? 'a' : 'b'.repeat(level - 1)}`).join(', ')}]`);
    const loaded = loadDocument(lines.join('\n'));
    assert.equal(loaded.value, null);
    assert.equal(loaded.errors.length, 1);
    assert.deepEqual([loaded.errors[0].line, loaded.errors[0].column], [1, 1]);
  });
});

describe('Locator: paths to line:column', () => {
  const yaml = 'name: x\njobs:\n  - name: a\n    depends_on:\n      - b\n      - c\n';
  const json = '{\n  "name": "x",\n  "jobs": [\n    {"name": "a", "depends_on": ["b", "c"]}\n  ]\n}';
  const json5 = "// the spec\n{\n  name: 'x', /* inline */\n  jobs: [\n    {name: 'a', 'depends_on': ['b', \"c\",],},\n  ],\n}";
  const cases: Array<[string, Segment[], boolean, Record<string, [number, number]>]> = [
    ['the value of a top-level key', ['name'], false, { yaml: [1, 7], json: [2, 11], json5: [3, 9] }],
    ['a top-level key itself', ['name'], true, { yaml: [1, 1], json: [2, 3], json5: [3, 3] }],
    ['a list item', ['jobs', 0, 'depends_on', 1], false, { yaml: [6, 9], json: [4, 39], json5: [5, 37] }],
    ['a nested key', ['jobs', 0, 'depends_on'], true, { yaml: [4, 5], json: [4, 19], json5: [5, 17] }],
    ['a missing path falls back to its nearest ancestor', ['jobs', 0, 'command'], false, { yaml: [3, 5], json: [4, 5], json5: [5, 5] }],
    ['the document itself', [], false, { yaml: [1, 1], json: [1, 1], json5: [2, 1] }],
  ];
  const texts: Record<string, string> = { yaml, json, json5 };
  for (const [label, path, key, expected] of cases) {
    for (const syntax of ['yaml', 'json', 'json5'] as const) {
      it(`${label} (${syntax})`, () => {
        const loaded = loadDocument(texts[syntax]);
        assert.equal(loaded.syntax, syntax);
        const { line, column } = loaded.locator.locate(path, key);
        assert.deepEqual([line, column], expected[syntax]);
      });
    }
  }

  it('keys with escapes and odd characters are found', () => {
    const loaded = loadDocument('{"a\\"b": {"x.y": [10, {"k": true}]}}');
    assert.deepEqual(loaded.locator.locate(['a"b', 'x.y', 1, 'k']), { line: 1, column: 29 });
  });

  it('formatPath writes paths as in messages', () => {
    assert.equal(formatPath(['jobs', 2, 'depends_on', 0]), 'jobs[2].depends_on[0]');
    assert.equal(formatPath([]), '');
    assert.equal(formatPath([3]), '[3]');
  });
});
