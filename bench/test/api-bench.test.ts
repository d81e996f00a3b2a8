// The API benchmark's pure parts: options, figures, the ratio, the durability check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedEventId } from '../lib/api-load.js';
import { parseApiOptions, UsageError } from '../lib/api-options.js';
import { apiJson, apiRatio, checkDurability, combineRounds, loadFigures, renderApiTable, type LoadFigures } from '../lib/api-report.js';

describe('bench:api options', () => {
  it('has the issue’s defaults', () => {
    assert.deepEqual(parseApiOptions([]), { duration: 10, warmup: 2, connections: 100, rounds: 1, loadgen: 'child', only: ['bare', 'hookflow'], json: false, help: false });
  });

  const good: Array<[string[], Partial<ReturnType<typeof parseApiOptions>>]> = [
    [['--duration', '3'], { duration: 3 }],
    [['--warmup', '0'], { warmup: 0 }],
    [['--connections', '10', '--json'], { connections: 10, json: true }],
    [['--loadgen', 'worker'], { loadgen: 'worker' }],
    [['--rounds', '3'], { rounds: 3 }],
    [['--only', 'hookflow,bare'], { only: ['bare', 'hookflow'] }],
    [['--only', 'hookflow'], { only: ['hookflow'] }],
  ];
  for (const [argv, want] of good) {
    it(argv.join(' '), () => {
      const options = parseApiOptions(argv);
      for (const [key, value] of Object.entries(want)) assert.deepEqual(options[key as keyof typeof options], value, key);
    });
  }

  const bad: Array<[string[], RegExp]> = [
    [['--duration', '0'], /--duration must be a whole number of at least 1/],
    [['--duration', '1.5'], /--duration/],
    [['--connections', 'many'], /--connections/],
    [['--rounds', '0'], /--rounds/],
    [['--loadgen', 'thread'], /--loadgen must be one of inline, worker, child/],
    [['--only', 'nginx'], /--only takes/],
    [['--fast'], /Unknown option/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ')}`, () => {
      assert.throws(() => parseApiOptions(argv), (error: unknown) => error instanceof UsageError && message.test(error.message));
    });
  }
});

const figures = (requestsPerS: number): LoadFigures => ({
  requests_per_s: requestsPerS,
  latency_p50_ms: 5,
  latency_p99_ms: 20,
  latency_mean_ms: 6,
  requests: requestsPerS * 10,
  ok_2xx: requestsPerS * 10,
  non_2xx: 0,
  errors: 0,
  timeouts: 0,
  duration_s: 10,
});

describe('bench:api figures', () => {
  it('takes req/s as completed requests over the duration, and the latency percentiles', () => {
    const result = loadFigures({ requests: { total: 12_345 }, latency: { p50: 4, p99: 31, average: 5.678 }, errors: 1, timeouts: 2, non2xx: 3, '2xx': 12_340, duration: 10.02 });
    assert.deepEqual(result, {
      requests_per_s: 1232.0,
      latency_p50_ms: 4,
      latency_p99_ms: 31,
      latency_mean_ms: 5.68,
      requests: 12_345,
      ok_2xx: 12_340,
      non_2xx: 3,
      errors: 1,
      timeouts: 2,
      duration_s: 10.02,
    });
  });

  const ratios: Array<[number | null, number | null, number | null, boolean | null]> = [
    [6000, 10000, 0.6, true],
    [5000, 10000, 0.5, true],
    [4000, 10000, 0.4, false],
    [4000, 0, null, null],
    [null, 10000, null, null],
  ];
  for (const [hookflow, bare, value, met] of ratios) {
    it(`ratio of ${hookflow} to ${bare} is ${value}`, () => {
      const ratio = apiRatio(hookflow === null ? undefined : figures(hookflow), bare === null ? undefined : figures(bare));
      assert.equal(ratio.value, value);
      assert.equal(ratio.met, met);
    });
  }

  it('finds every accepted id that is not stored, and counts stored ones never acknowledged', () => {
    assert.deepEqual(checkDurability(['a', 'b', 'c'], new Set(['a', 'b', 'c', 'd'])), { accepted: 3, stored: 4, missing: 0, unacknowledged: 1 });
    assert.deepEqual(checkDurability(['a', 'b', 'b'], new Set(['a'])), { accepted: 2, stored: 1, missing: 1, unacknowledged: 0 });
  });

  it('reads the event id from a POST /events answer', () => {
    const id = '01a20496-69d1-753c-9181-2de69e516a25';
    assert.equal(acceptedEventId(`{"event":{"id":"${id}","type":"bench.api","parent_id":null,"executions":[]},"created":true}`), id);
    assert.equal(acceptedEventId('{"error":{"code":"HF_ERR_RATE_LIMITED"}}'), null);
  });

  it('prints the ratio against the aim and the durability line', () => {
    const results = { bare: figures(10000), hookflow: figures(4000), durability: { accepted: 40000, stored: 40100, missing: 0, unacknowledged: 100 } };
    const text = renderApiTable(results, apiRatio(results.hookflow, results.bare));
    assert.match(text, /hookflow ÷ bare req\/s: 0\.4 \(aim ≥ 0\.5: NOT met\)/);
    assert.match(text, /40,000 accepted \(2xx\), 40,100 in the store, 0 missing, 100 stored/);
    const json = apiJson(results, apiRatio(results.hookflow, results.bare), { machine: {}, options: {}, command: 'x' }) as Record<string, unknown>;
    assert.equal(json.ratio, 0.4);
    assert.deepEqual(json.aim, { ratio: '≥ 0.5', met: false });
  });

  it('combines rounds: each target’s median round, the median of the per-round ratios, all rounds’ durability', () => {
    const durability = { accepted: 10, stored: 11, missing: 0, unacknowledged: 1 };
    const rounds = [
      { bare: figures(10000), hookflow: figures(4000), durability },
      { bare: figures(14000), hookflow: figures(5000), durability },
      { bare: figures(9000), hookflow: figures(4500), durability },
    ];
    const { results, ratio, perRound } = combineRounds(rounds);
    assert.equal(results.bare?.requests_per_s, 10000);
    assert.equal(results.hookflow?.requests_per_s, 4500);
    assert.deepEqual(
      perRound.map((round) => round.ratio),
      [0.4, 0.36, 0.5],
    );
    assert.equal(ratio.value, 0.4);
    assert.equal(ratio.met, false);
    assert.deepEqual(results.durability, { accepted: 30, stored: 33, missing: 0, unacknowledged: 3 });
    assert.match(renderApiTable(results, ratio, perRound), /3 rounds; .*Ratios by round: 0\.4, 0\.36, 0\.5/);
  });

  it('takes the lower middle of an even number of rounds, and one round as it is', () => {
    const two = combineRounds([
      { bare: figures(10000), hookflow: figures(6000) },
      { bare: figures(10000), hookflow: figures(4000) },
    ]);
    assert.equal(two.ratio.value, 0.4);
    assert.equal(two.results.hookflow?.requests_per_s, 4000);
    const one = combineRounds([{ bare: figures(8000), hookflow: figures(4000) }]);
    assert.equal(one.ratio.value, 0.5);
    assert.equal(one.ratio.met, true);
    assert.equal(one.results.durability, undefined);
  });
});
