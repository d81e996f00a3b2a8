/**
 * The benchmark's figures: the JSON object `--json` prints, the ratios to graphile-worker with the
 * issue's aims, and the human table. Pure: results in, values and text out.
 */
import Table from 'cli-table3';
import { isSkipped, type FloorCaseResult, type FloorFigures, type GraphileCaseResult, type HookflowCaseResult, type RuntimeName, type SkippedCase, type StoreKind } from './protocol.js';

export type CaseOutcome = HookflowCaseResult | SkippedCase;
export type StoreResults = Partial<Record<RuntimeName, CaseOutcome>>;

export interface BenchResults {
  sqlite?: StoreResults | SkippedCase;
  postgres?: StoreResults | SkippedCase;
  graphile_worker?: GraphileCaseResult | SkippedCase;
  /** The host's own latencies at the latency phase's rate (bench/floor-case.ts). */
  floor?: FloorCaseResult | SkippedCase;
}

/** The aims: SQLite ≥ 2× graphile-worker's jobs/s, PostgreSQL ≥ 1×, p99 under 5 ms at 1 000/s. */
export const AIMS = {
  throughputVsGraphile: { sqlite: 2, postgres: 1 } satisfies Record<StoreKind, number>,
  p99Ms: 5,
} as const;

/** Runtimes the aims are judged on: commands spawns a shell per event and runs at a lower rate. */
const AIMED_RUNTIMES: readonly RuntimeName[] = ['js', 'lua'];

export interface Ratio {
  key: string;
  label: string;
  value: number | null;
  /** What the aim is, in words, or null when this ratio has none. */
  aim: string | null;
  met: boolean | null;
}

function measured(results: StoreResults | SkippedCase | undefined, runtime: RuntimeName): HookflowCaseResult | null {
  if (!results || isSkipped(results)) return null;
  const outcome = results[runtime];
  return outcome && !isSkipped(outcome) ? outcome : null;
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 && Number.isFinite(numerator) ? Math.round((numerator / denominator) * 100) / 100 : null;
}

/** hookflow ÷ graphile-worker for every measured case, and the p99 aim for each. */
export function computeRatios(results: BenchResults, latencyRate: number): Ratio[] {
  const graphile = results.graphile_worker && !isSkipped(results.graphile_worker) ? results.graphile_worker : null;
  const ratios: Ratio[] = [];
  for (const store of ['sqlite', 'postgres'] as const) {
    for (const runtime of ['js', 'lua', 'commands'] as const) {
      const figures = measured(results[store], runtime);
      if (!figures) continue;
      const aimed = AIMED_RUNTIMES.includes(runtime);
      if (graphile) {
        const throughput = ratio(figures.processed_per_s, graphile.jobs_per_s);
        const want = AIMS.throughputVsGraphile[store];
        ratios.push({
          key: `${store}_${runtime}_processed_vs_graphile`,
          label: `${store} ${runtime} processed/s ÷ graphile-worker jobs/s`,
          value: throughput,
          aim: aimed ? `≥ ${want}` : null,
          met: aimed && throughput !== null ? throughput >= want : null,
        });
        // Latencies compare only at the same rate (commands runs its latency phase slower).
        if (figures.latency_rate === graphile.latency_rate) {
          ratios.push({
            key: `${store}_${runtime}_p50_vs_graphile`,
            label: `${store} ${runtime} p50 ÷ graphile-worker p50 (lower is better)`,
            value: ratio(figures.p50_ms, graphile.p50_ms),
            aim: null,
            met: null,
          });
        }
      }
      if (aimed && figures.latency_rate === latencyRate) {
        ratios.push({
          key: `${store}_${runtime}_p99_ms`,
          label: `${store} ${runtime} p99 publish → hook start at ${latencyRate}/s`,
          value: figures.p99_ms,
          aim: `< ${AIMS.p99Ms} ms`,
          met: figures.p99_ms < AIMS.p99Ms,
        });
      }
    }
  }
  return ratios;
}

export interface Machine {
  cpu: string;
  cpus: number;
  memory_gb: number;
  os: string;
  node: string;
  load_average: number[];
  postgres: string | null;
}

/** The object `--json` prints: the shape first, then what helps read it. */
export function toJson(results: BenchResults, ratios: Ratio[], extra: { machine: Machine; command: string; options: object; duration_s: number }): object {
  return {
    sqlite: results.sqlite ?? null,
    postgres: results.postgres ?? null,
    graphile_worker: results.graphile_worker ?? null,
    floor: results.floor ?? null,
    ratios: Object.fromEntries(ratios.filter((r) => !r.key.endsWith('_p99_ms')).map((r) => [r.key, r.value])),
    aims: Object.fromEntries(ratios.filter((r) => r.aim !== null).map((r) => [r.key, { value: r.value, aim: r.aim, met: r.met }])),
    machine: extra.machine,
    command: extra.command,
    options: extra.options,
    duration_s: extra.duration_s,
  };
}

const fmtInt = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : Math.round(value).toLocaleString('en-US'));
const fmtMs = (value: number | null | undefined): string => (value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(2));

export function renderTable(results: BenchResults, ratios: Ratio[]): string {
  const table = new Table({
    head: ['case', 'N', 'publish/s', 'processed/s', 'drain/s', 'p50 ms', 'p95 ms', 'p99 ms', 'RSS MB', 'latency at'],
    style: { head: [], border: [] },
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  const skippedRow = (name: string, why: string) => table.push([name, { colSpan: 9, content: `not measured: ${why}` }]);
  for (const store of ['sqlite', 'postgres'] as const) {
    const storeResults = results[store];
    if (!storeResults) continue;
    if (isSkipped(storeResults)) {
      skippedRow(store, storeResults.skipped);
      continue;
    }
    for (const runtime of ['js', 'lua', 'commands'] as const) {
      const outcome = storeResults[runtime];
      if (!outcome) continue;
      const name = `hookflow ${store} ${runtime}`;
      if (isSkipped(outcome)) {
        skippedRow(name, outcome.skipped);
        continue;
      }
      table.push([
        name + (outcome.failed > 0 ? ` (${outcome.failed} FAILED)` : ''),
        fmtInt(outcome.n),
        fmtInt(outcome.publish_per_s),
        fmtInt(outcome.processed_per_s),
        fmtInt(outcome.drain_per_s),
        fmtMs(outcome.p50_ms),
        fmtMs(outcome.p95_ms),
        fmtMs(outcome.p99_ms),
        outcome.rss_mb.toFixed(0),
        `${outcome.latency_rate}/s, ${outcome.latency_source}`,
      ]);
    }
  }
  const graphile = results.graphile_worker;
  if (graphile) {
    if (isSkipped(graphile)) skippedRow('graphile-worker', graphile.skipped);
    else {
      table.push([
        `graphile-worker ${graphile.workers}×${graphile.concurrency}, queue ${graphile.local_queue_size}`,
        fmtInt(graphile.n),
        `${fmtInt(graphile.add_per_s)} (add)`,
        `${fmtInt(graphile.e2e_jobs_per_s)} (e2e)`,
        fmtInt(graphile.jobs_per_s),
        fmtMs(graphile.p50_ms),
        fmtMs(graphile.p95_ms),
        fmtMs(graphile.p99_ms),
        graphile.worker_rss_mb.map((mb) => mb.toFixed(0)).join('+'),
        `${graphile.latency_rate}/s, task`,
      ]);
    }
  }
  const lines = [table.toString()];
  if (ratios.length > 0) {
    lines.push('', 'ratios and aims:');
    const width = Math.max(...ratios.map((r) => r.label.length));
    for (const r of ratios) {
      const value = r.value === null ? '-' : r.key.endsWith('_p99_ms') ? `${r.value.toFixed(2)} ms` : `${r.value.toFixed(2)}×`;
      const verdict = r.aim === null ? '' : `  aim ${r.aim}: ${r.met === null ? 'n/a' : r.met ? 'met' : 'NOT met'}`;
      lines.push(`  ${r.label.padEnd(width)}  ${value.padStart(9)}${verdict}`);
    }
  }
  if (results.floor) lines.push('', ...floorLines(results.floor, graphile && !isSkipped(graphile) ? graphile.jobs_per_s : null));
  return lines.join('\n');
}

/** The floor under the p99 aim: what this host gave, that minute, with no hookflow code at all. */
export function floorLines(floor: FloorCaseResult | SkippedCase, graphileJobsPerS: number | null = null): string[] {
  if (isSkipped(floor)) return [`this host's floor: not measured: ${floor.skipped}`];
  const row = (label: string, figures: FloorFigures, extra = '') => `  ${label.padEnd(40)}  p50 ${fmtMs(figures.p50_ms).padStart(6)} ms  p99 ${fmtMs(figures.p99_ms).padStart(6)} ms${extra}`;
  const lines = [
    `this host's floor at ${floor.rate}/s for ${floor.seconds} s, no hookflow code (a publish waits for such a commit: its p99 is not below the commit's):`,
    row('a 1 ms timer', floor.loop, `  (loop stalls > 4 ms: ${floor.loop.stalls_per_s}/s, ${floor.loop.stalled_percent}% of the time)`),
    row('SQLite: one row inserted and committed', floor.sqlite_commit),
  ];
  if (floor.postgres_commit) lines.push(row('PostgreSQL: one autocommitted INSERT', floor.postgres_commit));
  const reference = floor.sqlite_reference;
  const versus = graphileJobsPerS ? ` = ${(reference.events_per_s / graphileJobsPerS).toFixed(2)}× graphile-worker's jobs/s` : '';
  lines.push(
    `  ${'SQLite reference (issue, §8)'.padEnd(40)}  ${fmtInt(reference.events_per_s)} events/s${versus}`,
    `    (per event a batched insert, two updates and an execution insert, time-ordered ids, batches of ${reference.batch}, one connection:`,
    '     hookflow writes at least that through its one SQLite writer, so its SQLite rates stay below this)',
  );
  return lines;
}
