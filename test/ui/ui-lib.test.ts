import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SOURCE_ROUTES as CLI_SOURCE_ROUTES } from '../../src/sources/remote.js';
import { bucketize, niceMax } from '../../ui/src/lib/buckets.js';
import { matchesFilters } from '../../ui/src/lib/filters.js';
import { href, parseHash } from '../../ui/src/lib/hash.js';
import { parseJsonObject } from '../../ui/src/lib/json-input.js';
import { queueDepthFromMetrics } from '../../ui/src/lib/metrics.js';
import { SOURCE_ROUTES } from '../../ui/src/lib/source-routes.js';
import { relative } from '../../ui/src/lib/time.js';

/** The UI's pure helpers (no DOM), tested under Node. */

describe('bucketize: samples into per-minute buckets ending with the current one', () => {
  const now = Date.UTC(2025, 0, 1, 12, 30, 20);
  const minute = 60_000;
  const cases: Array<{ name: string; samples: Array<{ at: number; failed: boolean }>; expect: Record<number, [number, number]> }> = [
    { name: 'no samples', samples: [], expect: {} },
    { name: 'one now', samples: [{ at: now, failed: false }], expect: { 59: [1, 0] } },
    {
      name: 'failed ones counted in both',
      samples: [
        { at: now - minute, failed: true },
        { at: now - minute + 1, failed: false },
      ],
      expect: { 58: [2, 1] },
    },
    { name: 'the oldest bucket starts 59 minutes before the current one', samples: [{ at: Date.UTC(2025, 0, 1, 11, 31, 0), failed: false }], expect: { 0: [1, 0] } },
    { name: 'older than the window: left out', samples: [{ at: Date.UTC(2025, 0, 1, 11, 30, 59), failed: true }], expect: {} },
    { name: 'in the future: left out', samples: [{ at: now + 2 * minute, failed: false }], expect: {} },
  ];
  for (const { name, samples, expect } of cases) {
    it(name, () => {
      const buckets = bucketize(samples, now);
      assert.equal(buckets.length, 60);
      assert.equal(buckets[59].start, Date.UTC(2025, 0, 1, 12, 30, 0));
      buckets.forEach((bucket, index) => assert.deepEqual([bucket.total, bucket.failed], expect[index] ?? [0, 0], `bucket ${index}`));
    });
  }
});

describe('niceMax: a round axis maximum', () => {
  for (const [value, expected] of [
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [180, 200],
    [501, 1000],
  ] as const) {
    it(`${value} → ${expected}`, () => assert.equal(niceMax(value), expected));
  }
});

describe('parseJsonObject: what a person typed, checked before sending', () => {
  const cases: Array<[string, string, { ok: true; value: unknown } | { ok: false; message: RegExp; line?: number }]> = [
    ['empty means {}', '   ', { ok: true, value: {} }],
    ['an object', '{"a": [1, {"b": null}]}', { ok: true, value: { a: [1, { b: null }] } }],
    ['a trailing comma, with its line', '{\n  "a": 1,\n}', { ok: false, message: /at line 3, column 1/, line: 3 }],
    ['an array is not an object', '[1, 2]', { ok: false, message: /must be a JSON object.*an array/ }],
    ['null is not an object', 'null', { ok: false, message: /not null/ }],
    ['a string is not an object', '"x"', { ok: false, message: /not a string/ }],
    ['unfinished', '{"a": ', { ok: false, message: /./ }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const result = parseJsonObject(text);
      assert.equal(result.ok, expected.ok, JSON.stringify(result));
      if (result.ok && expected.ok) assert.deepEqual(result.value, expected.value);
      if (!result.ok && !expected.ok) {
        assert.match(result.message, expected.message);
        if (expected.line !== undefined) assert.equal(result.line, expected.line);
      }
    });
  }
});

describe('queueDepthFromMetrics: the queue depth gauge in Prometheus text', () => {
  const cases: Array<[string, string, number | null]> = [
    ['no such metric', '# HELP x y\nhookflow_events_published_total 4\n', null],
    ['a bare gauge', '# TYPE hookflow_queue_depth gauge\nhookflow_queue_depth 12\n', 12],
    ['labelled samples add up', 'hookflow_queue_depth{status="pending"} 3\nhookflow_queue_depth{status="processing"} 2\n', 5],
    ['comments are not samples', '# HELP hookflow_queue_depth 99\nhookflow_queue_depth 0\n', 0],
    ['not a number: skipped', 'hookflow_queue_depth NaN\n', null],
  ];
  for (const [name, text, expected] of cases) it(name, () => assert.equal(queueDepthFromMetrics(text), expected));
});

describe('matchesFilters: live rows obey the list filters like GET /events does', () => {
  const event = { type: 'task.step.failed', status: 'failed', stack: 'prod' };
  const cases: Array<[Parameters<typeof matchesFilters>[1], boolean]> = [
    [{}, true],
    [{ type: 'task.*' }, true],
    [{ type: 'task.failed' }, false],
    [{ type: '*.failed' }, false],
    [{ type: '*' }, true],
    [{ status: 'failed' }, true],
    [{ status: 'completed' }, false],
    [{ stack: 'prod' }, true],
    [{ stack: 'dev' }, false],
    [{ type: '', status: '', stack: '' }, true],
  ];
  for (const [filters, expected] of cases) it(JSON.stringify(filters), () => assert.equal(matchesFilters(event, filters), expected));
});

describe('hash routes', () => {
  const cases: Array<[string, string[], Record<string, string>]> = [
    ['', [], {}],
    ['#/', [], {}],
    ['#/events', ['events'], {}],
    ['#/events?type=task.*&status=failed', ['events'], { type: 'task.*', status: 'failed' }],
    ['#/hooks/my%20hook', ['hooks', 'my hook'], {}],
    ['#/hooks/a%2Fb', ['hooks', 'a/b'], {}],
    ['#/hooks/%E0%A4%A', ['hooks', '%E0%A4%A'], {}],
  ];
  for (const [hash, segments, query] of cases) {
    it(`parses ${JSON.stringify(hash)}`, () => {
      const route = parseHash(hash);
      assert.deepEqual(route.segments, segments);
      assert.deepEqual(Object.fromEntries(route.query), query);
    });
  }
  it('href and parseHash round-trip, leaving out empty filters', () => {
    const link = href(['hooks', 'a/b c'], { status: 'failed', type: '', stack: undefined });
    assert.equal(link, '#/hooks/a%2Fb%20c?status=failed');
    assert.deepEqual(parseHash(link).segments, ['hooks', 'a/b c']);
  });
});

it("the UI's source routes are the CLI's", () => {
  assert.deepEqual(SOURCE_ROUTES, CLI_SOURCE_ROUTES);
});

describe('relative: a span of time for people', () => {
  const cases: Array<[number, string]> = [
    [0, 'just now'],
    [4_000, 'just now'],
    [-4_000, 'in a moment'],
    [42_000, '42 s ago'],
    [-42_000, 'in 42 s'],
    [5 * 60_000, '5 min ago'],
    [-8 * 3_600_000, 'in 8 h'],
    [47 * 3_600_000, '47 h ago'],
    [3 * 86_400_000, '3 d ago'],
  ];
  for (const [ms, expected] of cases) it(`${ms} ms → ${expected}`, () => assert.equal(relative(ms), expected));
});
