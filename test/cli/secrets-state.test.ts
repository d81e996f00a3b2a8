import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliHome, ISO } from './helpers.js';

describe('hookflow secret', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('sets a secret from standard input, dropping the final newline', async () => {
    const { stdout } = await home.ok(['secret', 'set', 'slack_token'], { stdin: 'xoxb-very-secret\n' });
    assert.equal(stdout, 'secret slack_token set\n');
  });

  it('refuses the value as an argument, saying why', async () => {
    const result = await home.run(['secret', 'set', 'api_key', 'hunter2']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /never taken as an argument/);
    assert.match(result.stderr, /shell history/);
    assert.deepEqual(
      (await home.json<Array<{ name: string }>>(['secret', 'list'])).map((s) => s.name),
      ['slack_token'],
    );
  });

  it('refuses an empty value', async () => {
    const result = await home.run(['secret', 'set', 'empty'], { stdin: '' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /would be empty/);
  });

  it('lists names and dates, never values', async () => {
    const table = await home.ok(['secret', 'list']);
    assert.match(table.stdout, /Name .*Created .*Updated/);
    assert.match(table.stdout, /slack_token/);
    const json = await home.ok(['secret', 'list', '--json']);
    for (const output of [table.stdout, json.stdout]) assert.doesNotMatch(output, /xoxb|very-secret/);
    const [entry] = JSON.parse(json.stdout) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(entry).sort(), ['created_at', 'name', 'updated_at']);
    assert.match(entry.created_at, ISO);
  });

  it('deletes a secret, and names a missing one', async () => {
    assert.equal((await home.ok(['secret', 'delete', 'slack_token'])).stdout, 'secret slack_token deleted\n');
    const again = await home.run(['secret', 'delete', 'slack_token']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no secret named "slack_token"/);
  });
});

describe('hookflow state', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  const values: Array<[string, string, unknown, string]> = [
    ['a number', '42', 42, '42'],
    ['a boolean', 'true', true, 'true'],
    ['an object', '{"a": [1, 2]}', { a: [1, 2] }, '{\n  "a": [\n    1,\n    2\n  ]\n}'],
    ['a quoted JSON string', '"quoted"', 'quoted', 'quoted'],
    ['text that is not JSON', 'hello world', 'hello world', 'hello world'],
  ];
  for (const [what, text, value, shown] of values) {
    it(`sets and gets ${what}`, async () => {
      const key = `test:${what.replace(/\W+/g, '_')}`;
      await home.ok(['state', 'set', key, text]);
      assert.deepEqual(await home.json(['state', 'get', key]), value);
      assert.equal((await home.ok(['state', 'get', key])).stdout, `${shown}\n`);
    });
  }

  it('lists keys by prefix', async () => {
    await home.ok(['state', 'set', 'other', '1']);
    const listed = await home.json<Array<{ key: string; value: unknown; updated_at: string }>>(['state', 'list', '--prefix', 'test:']);
    assert.equal(listed.length, values.length);
    assert.ok(listed.every((entry) => entry.key.startsWith('test:')));
    assert.match(listed[0].updated_at, ISO);
    const table = await home.ok(['state', 'list']);
    assert.match(table.stdout, /Key .*Value .*Updated/);
    assert.match(table.stdout, /other .*1/);
  });

  it('deletes a key, and names a missing one', async () => {
    assert.equal((await home.ok(['state', 'delete', 'other'])).stdout, 'deleted other\n');
    for (const args of [['state', 'get', 'other'], ['state', 'delete', 'other']]) {
      const result = await home.run(args);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /no state key "other"/);
    }
  });

  it('rejects an invalid key', async () => {
    const result = await home.run(['state', 'set', 'bad key', '1']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /state key "bad key" is not valid/);
  });
});
