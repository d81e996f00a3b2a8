// The benchmark's pure parts: `node --import tsx --test bench/test/*.test.ts`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuPerEvent, parseProcStat, statTicks } from '../lib/cpu.js';
import { eventTraceTsv, stallsTsv } from '../lib/latency-trace.js';
import { selfTimes } from '../profile-top.js';
import { parseOptions, UsageError } from '../lib/options.js';
import { emitResult, parseResult, RESULT_MARKER, type GraphileCaseResult, type HookflowCaseResult } from '../lib/protocol.js';
import { computeRatios, floorLines, renderTable, toJson, type BenchResults } from '../lib/report.js';
import { atFixedRate, dueAt, dueCount } from '../lib/schedule.js';
import { percentile, perSecond, summarize } from '../lib/stats.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  const cases: Array<[string, number[], number, number]> = [
    ['p50 of 1..100', hundred, 50, 50],
    ['p99 of 1..100', hundred, 99, 99],
    ['p100 of 1..100', hundred, 100, 100],
    ['p0 is the minimum', hundred, 0, 1],
    ['p50 of one value', [7], 50, 7],
    ['p99 of two values is the larger', [1, 2], 99, 2],
    ['p50 of four values', [10, 20, 30, 40], 50, 20],
  ];
  for (const [name, values, p, want] of cases) {
    it(name, () => assert.equal(percentile(values, p), want));
  }
  it('is NaN for no values', () => assert.ok(Number.isNaN(percentile([], 50))));
  it('summarize sorts, so input order does not matter', () => {
    const summary = summarize([3, 1, 2, 100]);
    assert.deepEqual(summary, { count: 4, p50_ms: 2, p95_ms: 100, p99_ms: 100, max_ms: 100, mean_ms: 26.5 });
  });
  it('perSecond', () => {
    assert.equal(perSecond(20_000, 1_000), 20_000);
    assert.equal(perSecond(3, 2_000), 2);
    assert.equal(perSecond(5, 0), 0);
  });
});

describe('fixed-rate schedule', () => {
  const cases: Array<[string, number, number, number, number]> = [
    // name, elapsed ms, rate, total, want due
    ['the first call is due at once', 0, 1000, 10, 1],
    ['one more per millisecond at 1000/s', 4.5, 1000, 10, 5],
    ['capped at the total', 1_000, 1000, 10, 10],
    ['100/s: one per 10 ms', 25, 100, 10, 3],
    ['nothing before the start', -1, 1000, 10, 0],
  ];
  for (const [name, elapsed, rate, total, want] of cases) {
    it(name, () => assert.equal(dueCount(elapsed, rate, total), want));
  }
  it('dueAt is the inverse', () => {
    assert.equal(dueAt(0, 1000), 0);
    assert.equal(dueAt(250, 1000), 250);
    assert.equal(dueAt(3, 100), 30);
  });
  it('makes every call, in order, at about the rate', async () => {
    const calls: number[] = [];
    const start = performance.now();
    await atFixedRate(500, 50, (index) => calls.push(index));
    const elapsed = performance.now() - start;
    assert.deepEqual(calls, Array.from({ length: 50 }, (_, i) => i));
    // 50 calls at 500/s: the last is due at 98 ms; timers may be late but never early.
    assert.ok(elapsed >= 95, `took ${elapsed} ms`);
    assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
  });
});

describe('options', () => {
  it('has the issue defaults', () => {
    const options = parseOptions([], {});
    assert.equal(options.n, 200_000);
    assert.equal(options.commandsN, 2_000);
    assert.equal(options.rate, 1_000);
    assert.equal(options.latencySeconds, 5);
    assert.deepEqual(options.only, ['sqlite', 'postgres', 'graphile']);
    assert.deepEqual(options.runtimes, ['js', 'lua', 'commands']);
    assert.equal(options.concurrency, 100);
    assert.equal(options.inFlight, 2_000);
    assert.equal(options.json, false);
    assert.equal(options.sqliteSync, 'full');
    assert.equal(options.sqliteWriter, 'thread');
    assert.equal(options.floor, true);
  });
  const accepted: Array<[string, string[], Partial<ReturnType<typeof parseOptions>>]> = [
    ['--n with underscores', ['--n', '20_000'], { n: 20_000 }],
    ['--only in canonical order', ['--only', 'graphile,sqlite'], { only: ['sqlite', 'graphile'] }],
    ['--runtimes subset', ['--runtimes', 'lua,js'], { runtimes: ['js', 'lua'] }],
    ['--json', ['--json'], { json: true }],
    ['--warmup 0', ['--warmup', '0'], { warmup: 0 }],
    ['--no-drain', ['--no-drain'], { drain: false }],
    ['--no-floor', ['--no-floor'], { floor: false }],
    ['--rate fraction', ['--rate', '0.5'], { rate: 0.5 }],
    ['--sqlite-writer main', ['--sqlite-writer', 'main'], { sqliteWriter: 'main' }],
    ['--latency-trace DIR', ['--latency-trace', '/tmp/trace'], { latencyTraceDir: '/tmp/trace' }],
  ];
  for (const [name, argv, want] of accepted) {
    it(`accepts ${name}`, () => {
      const options = parseOptions(argv, {});
      for (const [key, value] of Object.entries(want)) assert.deepEqual(options[key as keyof typeof options], value, key);
    });
  }
  const rejected: Array<[string, string[], RegExp]> = [
    ['a zero N', ['--n', '0'], /--n must be a whole number/],
    ['a fractional N', ['--n', '1.5'], /--n must be a whole number/],
    ['an unknown store', ['--only', 'mysql'], /--only takes a comma-separated list of sqlite, postgres, graphile/],
    ['an unknown runtime', ['--runtimes', 'python'], /--runtimes takes/],
    ['an unknown SQLite writer', ['--sqlite-writer', 'both'], /--sqlite-writer must be thread or main/],
    ['an unknown flag', ['--fast'], /Unknown option/],
    ['a bad sync mode', ['--sqlite-sync', 'off'], /--sqlite-sync must be full or normal/],
  ];
  for (const [name, argv, message] of rejected) {
    it(`rejects ${name}`, () => assert.throws(() => parseOptions(argv, {}), (error: unknown) => error instanceof UsageError && message.test(error.message)));
  }
  it('takes the server from HOOKFLOW_BENCH_PG_URL unless --pg-url is given', () => {
    assert.equal(parseOptions([], { HOOKFLOW_BENCH_PG_URL: 'postgres://a@b/c' }).pgUrl, 'postgres://a@b/c');
    assert.equal(parseOptions(['--pg-url', 'postgres://x@y/z'], { HOOKFLOW_BENCH_PG_URL: 'postgres://a@b/c' }).pgUrl, 'postgres://x@y/z');
  });
});

describe('/proc/stat', () => {
  const cases: Array<[string, string, { total: number; steal: number } | null]> = [
    ['the cpu line, guest time not counted twice', 'cpu  100 5 50 800 10 1 4 30 7 0\ncpu0 50 2 25 400 5 0 2 15 0 0\n', { total: 1000, steal: 30 }],
    ['a kernel without steal', 'cpu  100 5 50 800 10 1 4\n', null],
    ['no cpu line', 'intr 12 0\n', null],
    ['a field that is not a number', 'cpu  100 x 50 800 10 1 4 30\n', null],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(parseProcStat(text), expected));
  }
});

describe('CPU per event', () => {
  it('reads utime + stime after the command name, whatever it holds', () => {
    const stat = '4242 (node (x) y) R 1 2 3 0 -1 4194304 99 0 0 0 17 5 0 0 20 0 7 0';
    assert.equal(statTicks(stat), 22);
  });
  const cases: Array<{ name: string; from: [number | null, number]; to: [number | null, number]; events: number; expected: { main_us: number | null; total_us: number } }> = [
    { name: 'divides both by the events', from: [1_000, 2_000], to: [51_000, 102_000], events: 1000, expected: { main_us: 50, total_us: 100 } },
    { name: 'rounds to one decimal', from: [0, 0], to: [10_000, 10_000], events: 3, expected: { main_us: 3333.3, total_us: 3333.3 } },
    { name: 'has no main figure without /proc', from: [null, 0], to: [null, 500], events: 10, expected: { main_us: null, total_us: 50 } },
  ];
  for (const { name, from, to, events, expected } of cases) {
    it(name, () => {
      assert.deepEqual(cpuPerEvent({ mainUs: from[0], totalUs: from[1] }, { mainUs: to[0], totalUs: to[1] }, events), expected);
    });
  }
});

describe('child results', () => {
  it('finds the marked line among other output', () => {
    const stdout = `noise\n${RESULT_MARKER}{"a":1}\nmore noise\n`;
    assert.deepEqual(parseResult(stdout), { a: 1 });
  });
  it('is null without a marked line', () => assert.equal(parseResult('just\nnoise\n'), null));
  it('emitResult writes what parseResult reads', (t) => {
    let written = '';
    t.mock.method(process.stdout, 'write', (chunk: string) => {
      written += chunk;
      return true;
    });
    emitResult({ skipped: 'why' });
    t.mock.restoreAll();
    assert.deepEqual(parseResult(written), { skipped: 'why' });
  });
});

function hookflow(processed: number, p50: number, p99: number, rate = 1000): HookflowCaseResult {
  return {
    publish_per_s: processed * 2,
    processed_per_s: processed,
    p50_ms: p50,
    p95_ms: p99,
    p99_ms: p99,
    rss_mb: 100,
    n: 1000,
    drain_per_s: null,
    publish_seconds: 1,
    processed_seconds: 1,
    failed: 0,
    latency_rate: rate,
    latency_count: 100,
    latency_source: 'hook',
    max_ms: p99,
    mean_ms: p50,
    hook_start_p50_ms: p50,
    hook_start_p99_ms: p99,
    done_p50_ms: p50,
    done_p99_ms: p99,
    store_calls: {},
    cpu_us_per_event: { processed: { main_us: 50, total_us: 80 }, drain: null },
  };
}

const graphile: GraphileCaseResult = {
  jobs_per_s: 10_000,
  p50_ms: 4,
  p95_ms: 8,
  p99_ms: 10,
  max_ms: 12,
  mean_ms: 5,
  add_per_s: 40_000,
  e2e_jobs_per_s: 9_000,
  latency_rate: 1000,
  latency_count: 100,
  latency_add_calls: 30,
  sequential_p50_ms: 3,
  sequential_p99_ms: 6,
  worker_rss_mb: [100, 110],
  workers: 2,
  concurrency: 24,
  local_queue_size: 500,
  n: 1000,
};

describe('ratios and aims', () => {
  const results: BenchResults = {
    sqlite: { js: hookflow(25_000, 1, 4), lua: { skipped: 'not there yet' }, commands: hookflow(200, 1, 3, 100) },
    postgres: { js: hookflow(9_000, 2, 6) },
    graphile_worker: graphile,
  };
  const ratios = computeRatios(results, 1000);
  const byKey = new Map(ratios.map((r) => [r.key, r]));
  const cases: Array<[string, number | null, boolean | null]> = [
    ['sqlite_js_processed_vs_graphile', 2.5, true],
    ['sqlite_js_p50_vs_graphile', 0.25, null],
    ['sqlite_js_p99_ms', 4, true],
    ['postgres_js_processed_vs_graphile', 0.9, false],
    ['postgres_js_p99_ms', 6, false],
    // commands has no aim, and its latency ran at another rate, so no p99 verdict either.
    ['sqlite_commands_processed_vs_graphile', 0.02, null],
  ];
  for (const [key, value, met] of cases) {
    it(key, () => {
      const ratio = byKey.get(key);
      assert.ok(ratio, `${key} missing`);
      assert.equal(ratio.value, value);
      assert.equal(ratio.met, met);
    });
  }
  it('skips skipped cases and latency at another rate', () => {
    assert.equal(byKey.has('sqlite_lua_processed_vs_graphile'), false);
    assert.equal(byKey.has('sqlite_commands_p99_ms'), false);
    assert.equal(byKey.has('sqlite_commands_p50_vs_graphile'), false);
  });
  it('without graphile-worker there are only the p99 aims', () => {
    const alone = computeRatios({ sqlite: { js: hookflow(1, 1, 9) } }, 1000);
    assert.deepEqual(alone.map((r) => [r.key, r.met]), [['sqlite_js_p99_ms', false]]);
  });
  it('the JSON has the issue shape', () => {
    const json = toJson(results, ratios, { machine: { cpu: 'x', cpus: 2, memory_gb: 1, os: 'linux', node: 'v20', load_average: [0], postgres: null }, command: 'c', options: {}, duration_s: 1 }) as Record<string, Record<string, unknown>>;
    const sqliteJs = (json.sqlite as Record<string, Record<string, unknown>>).js;
    for (const key of ['publish_per_s', 'processed_per_s', 'p50_ms', 'p99_ms', 'rss_mb']) assert.equal(typeof sqliteJs[key], 'number', key);
    assert.equal(json.graphile_worker.jobs_per_s, 10_000);
    assert.equal(json.graphile_worker.p50_ms, 4);
    assert.equal(json.ratios.sqlite_js_processed_vs_graphile, 2.5);
    assert.deepEqual(json.aims.postgres_js_processed_vs_graphile, { value: 0.9, aim: '≥ 1', met: false });
  });
  it('the table names every case, skipped ones with their reason', () => {
    const table = renderTable(results, ratios);
    assert.match(table, /hookflow sqlite js/);
    assert.match(table, /not measured: not there yet/);
    assert.match(table, /graphile-worker 2×24, queue 500/);
    assert.match(table, /aim ≥ 2: met/);
    assert.match(table, /aim ≥ 1: NOT met/);
  });
});

describe("the host's floor", () => {
  const floor = {
    rate: 1000,
    seconds: 5,
    loop: { p50_ms: 1.1, p99_ms: 3.7, max_ms: 9, count: 5000, stalls_per_s: 5.2, stalled_percent: 3.6 },
    sqlite_commit: { p50_ms: 0.39, p99_ms: 10.63, max_ms: 20, count: 5000 },
    postgres_commit: { p50_ms: 1.25, p99_ms: 16.75, max_ms: 30, count: 5000 },
    sqlite_reference: { events_per_s: 95_000, n: 100_000, batch: 500 },
  };
  it('one line per measure under a heading that says what it is', () => {
    const lines = floorLines(floor);
    assert.match(lines[0], /floor at 1000\/s for 5 s, no hookflow code/);
    assert.match(lines[1], /a 1 ms timer .*p99 +3\.70 ms .*stalls > 4 ms: 5\.2\/s, 3\.6% of the time/);
    assert.match(lines[2], /SQLite: one row inserted and committed .*p50 +0\.39 ms +p99 +10\.63 ms/);
    assert.match(lines[3], /PostgreSQL: one autocommitted INSERT .*p99 +16\.75 ms/);
    assert.match(lines[4], /SQLite reference \(issue, §8\) +95,000 events\/s$/);
    assert.match(lines[5], /a batched insert, two updates and an execution insert, .*batches of 500/);
    assert.equal(lines.length, 7);
  });
  it("sets the SQLite reference against graphile-worker's jobs/s when it was measured", () => {
    assert.match(floorLines(floor, 50_000)[4], /95,000 events\/s = 1\.90× graphile-worker's jobs\/s$/);
  });
  it('without PostgreSQL, no PostgreSQL line; skipped, its reason', () => {
    assert.equal(floorLines({ ...floor, postgres_commit: null }).length, 6);
    assert.deepEqual(floorLines({ skipped: 'failed: boom' }), ["this host's floor: not measured: failed: boom"]);
  });
  it('in the table and in the JSON', () => {
    const results: BenchResults = { sqlite: { js: hookflow(25_000, 1, 4) }, floor };
    const ratios = computeRatios(results, 1000);
    assert.match(renderTable(results, ratios), /SQLite: one row inserted and committed/);
    const json = toJson(results, ratios, { machine: { cpu: 'x', cpus: 2, memory_gb: 1, os: 'linux', node: 'v20', load_average: [0], postgres: null }, command: 'c', options: {}, duration_s: 1 }) as Record<string, unknown>;
    assert.deepEqual(json.floor, floor);
    assert.equal((toJson({}, [], { machine: { cpu: 'x', cpus: 2, memory_gb: 1, os: 'linux', node: 'v20', load_average: [0], postgres: null }, command: 'c', options: {}, duration_s: 1 }) as Record<string, unknown>).floor, null);
  });
});

describe('profile self times', () => {
  it('adds each sample to its leaf frame, largest first', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
    const times = selfTimes({
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3] },
        { id: 2, callFrame: frame('claim', 'file:///work/main/src/store/sqlite/index.ts') },
        { id: 3, callFrame: frame('(idle)') },
      ],
      samples: [2, 3, 2, 2],
      timeDeltas: [1000, 1000, 1000, 1000],
      startTime: 0,
      endTime: 4000,
    });
    assert.deepEqual(
      times.map((t) => [t.name, t.where, t.ms, t.share]),
      [
        ['claim', 'src/store/sqlite/index.ts:1', 3, 0.75],
        ['(idle)', '', 1, 0.25],
      ],
    );
  });
});

describe('latency trace', () => {
  it('lists events in publish order, empty cells for moments not seen', () => {
    const tsv = eventTraceTsv([
      { at: 2.5, durable: 1, hook: null, hookStart: 1.25, done: 3 },
      { at: 1, durable: 0.5, hook: 0.75, hookStart: 0.6, done: Number.NaN },
    ]);
    assert.equal(tsv, 'published_ms\tdurable_ms\thook_ms\thook_start_ms\tdone_ms\n1.000\t0.500\t0.750\t0.600\t\n2.500\t1.000\t\t1.250\t3.000\n');
  });
  it('lists the event loop stalls', () => {
    assert.equal(stallsTsv([{ at: 10, ms: 6.5 }]), 'at_ms\tstall_ms\n10.000\t6.500\n');
    assert.equal(stallsTsv([]), 'at_ms\tstall_ms\n');
  });
});
