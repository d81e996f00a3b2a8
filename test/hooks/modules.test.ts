import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base64Decode, base64Encode, hmacSha256Hex, sha256Hex, uuid } from '../../src/hooks/modules/crypto.js';
import { envAllowed, envGet } from '../../src/hooks/modules/env.js';
import { applyLine, fileExists, fileRead, fileWrite, lineInFile, resolveHookPath } from '../../src/hooks/modules/file.js';
import { renderTemplate } from '../../src/hooks/modules/template.js';
import { yamlDecode, yamlEncode } from '../../src/hooks/modules/yaml.js';
import { metaFromScript } from '../../src/hooks/runtimes/lua/meta.js';

describe('crypto module', () => {
  const vectors: Array<[string, () => string, string]> = [
    ['sha256 of "abc"', () => sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['sha256 of bytes', () => sha256Hex(new TextEncoder().encode('hello')), '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
    ['hmac_sha256 (RFC 4231 case 2)', () => hmacSha256Hex('Jefe', 'what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['base64 of text', () => base64Encode('hookflow'), 'aG9va2Zsb3c='],
    ['base64 of bytes', () => base64Encode(new Uint8Array([0, 255, 1])), 'AP8B'],
    ['base64 decode, padded', () => base64Decode('aG9va2Zsb3c=').toString('utf8'), 'hookflow'],
    ['base64 decode, url-safe and unpadded', () => base64Decode('_-8').toString('hex'), 'ffef'],
  ];
  for (const [name, compute, expected] of vectors) {
    it(name, () => assert.equal(compute(), expected));
  }

  it('rejects what is not base64', () => {
    for (const bad of ['not base64!', 'a', 'ab=c']) assert.throws(() => base64Decode(bad), /invalid base64/, bad);
  });

  it('makes v4 uuids', () => {
    assert.match(uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('env module', () => {
  const table: Array<[string, string[] | null, boolean]> = [
    ['PATH', null, true],
    ['PATH', [], false],
    ['PATH', ['PATH'], true],
    ['PATHX', ['PATH'], false],
    ['APP_TOKEN', ['APP_*'], true],
    ['APPX', ['APP_*'], false],
  ];
  for (const [name, allowlist, allowed] of table) {
    it(`${name} with ${JSON.stringify(allowlist)} is ${allowed ? 'visible' : 'hidden'}`, () => {
      assert.equal(envAllowed(name, allowlist), allowed);
      assert.equal(envGet(name, allowlist, { [name]: 'v' }), allowed ? 'v' : null);
    });
  }
});

describe('file module', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-file-module-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const lines: Array<{ name: string; content: string; line: string; regexp: string | null; expected: string }> = [
    { name: 'appends to an empty file', content: '', line: 'a', regexp: null, expected: 'a\n' },
    { name: 'appends a missing line', content: 'a\n', line: 'b', regexp: null, expected: 'a\nb\n' },
    { name: 'adds the final newline it appends after', content: 'a', line: 'b', regexp: null, expected: 'a\nb\n' },
    { name: 'leaves a present line alone', content: 'a\nb\n', line: 'a', regexp: null, expected: 'a\nb\n' },
    { name: 'replaces the last regexp match', content: 'port=1\nx\nport=2\n', line: 'port=3', regexp: '^port=', expected: 'port=1\nx\nport=3\n' },
    { name: 'leaves a matching line that is already right', content: 'port=3\n', line: 'port=3', regexp: '^port=', expected: 'port=3\n' },
    { name: 'appends when the regexp matches nothing', content: 'x\n', line: 'port=3', regexp: '^port=', expected: 'x\nport=3\n' },
  ];
  for (const entry of lines) {
    it(`applyLine ${entry.name}`, () => assert.equal(applyLine(entry.content, entry.line, entry.regexp), entry.expected));
  }

  it('resolves relative paths against the home', () => {
    assert.equal(resolveHookPath(home, 'a/b.txt'), join(home, 'a/b.txt'));
    assert.equal(resolveHookPath(home, '/etc/hosts'), '/etc/hosts');
    assert.throws(() => resolveHookPath(home, ''), /empty/);
  });

  it('writes, appends, reads and reports changes', () => {
    fileWrite(home, 'd/f.txt', 'one\n');
    fileWrite(home, 'd/f.txt', 'two\n', true);
    assert.equal(fileRead(home, 'd/f.txt'), 'one\ntwo\n');
    assert.equal(fileExists(home, 'd/f.txt'), true);
    assert.equal(lineInFile(home, { path: 'd/f.txt', line: 'two' }), false);
    assert.equal(lineInFile(home, { path: 'd/f.txt', line: 'three' }), true);
    assert.equal(readFileSync(join(home, 'd/f.txt'), 'utf8'), 'one\ntwo\nthree\n');
    assert.throws(() => lineInFile(home, { path: 'd/none.txt', line: 'x' }), /does not exist/);
    assert.equal(lineInFile(home, { path: 'd/none.txt', line: 'x', create: true }), true);
    assert.throws(() => lineInFile(home, { path: 'd/f.txt', line: 'a\nb' }), /newline/);
  });
});

describe('template module', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['{{ name }}', { name: 'x' }, 'x'],
    ['{{ html }}', { html: '<a href="?">&</a>' }, '<a href="?">&</a>'],
    ['{{ missing }}!', {}, '!'],
    ['{% for t in tags %}[{{ t | upper }}]{% endfor %}', { tags: ['a', 'b'] }, '[A][B]'],
    ['{{.task.name}} {{- .n }}', { task: { name: 'deploy' }, n: 2 }, 'deploy2'],
  ];
  for (const [source, context, expected] of cases) {
    it(`renders ${source}`, () => assert.equal(renderTemplate(source, context), expected));
  }

  it('names template errors', () => {
    assert.throws(() => renderTemplate('{% if %}', {}), /^Error: template: /);
  });
});

describe('yaml module', () => {
  it('round-trips data', () => {
    const value = { name: 'web', ports: [80, 443], nested: { on: true, ratio: 0.5 }, none: null };
    assert.deepEqual(yamlDecode(yamlEncode(value)), value);
  });

  it('keeps dates and odd scalars as plain strings, and names syntax errors', () => {
    assert.deepEqual(yamlDecode('when: 2025-10-06\nanswer: yes\n'), { when: '2025-10-06', answer: 'yes' });
    assert.throws(() => yamlDecode('a: [1, 2'), /^Error: yaml: /);
    assert.throws(() => yamlDecode('a: 1\na: 2\n'), /^Error: yaml: /);
  });
});

describe('Lua script metadata', () => {
  const path = '/hooks/x.lua';
  it('maps the table style fields', () => {
    assert.deepEqual(metaFromScript(path, { has_execute: true, name: 'n', event_type: 'a.b', event_types: ['c.d', 'a.b'], timeout: '500ms', stack: '' }), {
      name: 'n',
      events: ['a.b', 'c.d'],
      timeout_ms: 500,
      stack: null,
    });
    assert.deepEqual(metaFromScript(path, null), {});
  });

  const invalid: Array<[string, Parameters<typeof metaFromScript>[1], RegExp]> = [
    ['a name that is a number', { has_execute: true, name: 3 }, /hook\.name must be a string/],
    ['a zero timeout', { has_execute: true, timeout: 0 }, /hook\.timeout must be/],
    ['a list of events with a table in it', { has_execute: true, event_types: ['a', {}] }, /hook\.event_types\[2\]/],
    ['no execute', { name: 'x' }, /no execute function/],
  ];
  for (const [name, value, message] of invalid) {
    it(`rejects ${name}`, () => assert.throws(() => metaFromScript(path, value), message));
  }
});
