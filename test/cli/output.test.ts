import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pc from 'picocolors';
import { colorEnabled, formatDuration, formatProcessedLine, truncate } from '../../src/cli/output.js';
import { maskStoreUrl, parseStateValue } from '../../src/cli/parse.js';
import { stripFinalNewline } from '../../src/cli/secrets.js';
import type { EventRecord, HookExecutionRecord } from '../../src/events/model.js';

describe('cli formatting', () => {
  it('formats durations for people', () => {
    const cases: Array<[number, string]> = [
      [0, '0ms'],
      [0.2, '<1ms'],
      [3.4, '3ms'],
      [234, '234ms'],
      [1500, '1.5s'],
      [12_345, '12.3s'],
      [125_000, '2m 5s'],
      [120_000, '2m'],
      [3_720_000, '1h 2m'],
      [720 * 3_600_000, '720h'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
  });

  it('masks the password of a store URL', () => {
    const cases: Array<[string, string]> = [
      ['postgres://hook:s3cret@db:5432/hookflow', 'postgres://hook:****@db:5432/hookflow'],
      ['postgresql://hook@db/hookflow', 'postgresql://hook@db/hookflow'],
      ['postgres://db/hookflow', 'postgres://db/hookflow'],
      ['sqlite:/tmp/x.db', 'sqlite:/tmp/x.db'],
    ];
    for (const [url, masked] of cases) assert.equal(maskStoreUrl(url), masked);
  });

  it('parses state values as JSON when they are JSON', () => {
    const cases: Array<[string, unknown]> = [
      ['42', 42],
      ['-1.5', -1.5],
      ['null', null],
      ['[1,"a"]', [1, 'a']],
      ['{"a":1}', { a: 1 }],
      ['"x"', 'x'],
      ['plain', 'plain'],
      ['{broken', '{broken'],
      ['', ''],
    ];
    for (const [text, value] of cases) assert.deepEqual(parseStateValue(text), value, text);
  });

  it('strips only the final newline of a piped secret', () => {
    const cases: Array<[string, string]> = [
      ['abc\n', 'abc'],
      ['abc\r\n', 'abc'],
      ['abc', 'abc'],
      ['a\nb\n\n', 'a\nb\n'],
    ];
    for (const [input, output] of cases) assert.equal(stripFinalNewline(input), output);
  });

  it('colours only on a terminal without NO_COLOR', () => {
    assert.equal(colorEnabled(true, {}), true);
    assert.equal(colorEnabled(false, {}), false);
    assert.equal(colorEnabled(true, { NO_COLOR: '1' }), false);
    assert.equal(colorEnabled(true, { NO_COLOR: '' }), false);
  });

  it('truncates table cells to one line', () => {
    assert.equal(truncate('short'), 'short');
    assert.equal(truncate('a\nb'), 'a ⏎ b');
    assert.equal(truncate('x'.repeat(10), 5), 'xxxx…');
  });

  it('prints one line per processed event with the last attempt of each hook', () => {
    const event: EventRecord = {
      id: '0190aaaa-0000-7000-8000-000000000001',
      type: 'task.failed',
      stack: null,
      source: 'api',
      data: {},
      status: 'completed',
      attempts: 1,
      error: null,
      created_at: 0,
      processed_at: new Date(2025, 0, 1, 12, 0, 1).getTime(),
      correlation_id: null,
      idempotency_key: null,
      parent_id: null,
    };
    const run = (hook_name: string, success: boolean, duration_ms: number, attempt = 1): HookExecutionRecord => ({
      event_id: event.id,
      hook_name,
      success,
      output: '',
      error: success ? null : 'x',
      duration_ms,
      executed_at: 0,
      attempt,
    });
    const colors = pc.createColors(false);
    const line = formatProcessedLine(colors, event, [run('notify_slack', false, 5), run('notify_slack', true, 3, 2), run('audit', true, 1)]);
    assert.equal(line, `12:00:01 ✅ task.failed ${event.id} → notify_slack ✅ 3ms (attempt 2), audit ✅ 1ms`);
  });
});
