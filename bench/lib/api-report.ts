/**
 * `npm run bench:api` figures: what one autocannon run measured, the hookflow ÷ bare ratio with
 * the aim, the table and the JSON object. Pure.
 */
import Table from 'cli-table3';

/** The aim: hookflow's POST /events at least half the bare route's requests per second. */
export const API_AIM_RATIO = 0.5;

export interface LoadFigures {
  requests_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  latency_mean_ms: number;
  requests: number;
  ok_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  duration_s: number;
}

/** What autocannon's result holds that the figures use. */
export interface AutocannonSummary {
  requests: { total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  duration: number;
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * Requests per second are completed requests ÷ the run's duration, the one way that means the same
 * wherever autocannon ran (its per-second samples are lost when a worker's result is aggregated).
 */
export function loadFigures(result: AutocannonSummary): LoadFigures {
  return {
    requests_per_s: result.duration > 0 ? round(result.requests.total / result.duration, 1) : 0,
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    latency_mean_ms: round(result.latency.average, 2),
    requests: result.requests.total,
    ok_2xx: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    duration_s: round(result.duration, 2),
  };
}

export interface Durability {
  /** 2xx answers to POST /events (warm-up included). */
  accepted: number;
  /** Events of the benchmark's type found in the store after the server stopped. */
  stored: number;
  /** Accepted ids not in the store: must be 0. */
  missing: number;
  /** Stored but not seen accepted: answers still in flight when the load stopped, or timed out. */
  unacknowledged: number;
}

export function checkDurability(acceptedIds: readonly string[], storedIds: ReadonlySet<string>): Durability {
  const accepted = new Set(acceptedIds);
  let missing = 0;
  for (const id of accepted) if (!storedIds.has(id)) missing += 1;
  return { accepted: accepted.size, stored: storedIds.size, missing, unacknowledged: storedIds.size - (accepted.size - missing) };
}

export interface ApiRatio {
  value: number | null;
  aim: string;
  met: boolean | null;
}

export function apiRatio(hookflow: LoadFigures | undefined, bare: LoadFigures | undefined): ApiRatio {
  const value = hookflow && bare && bare.requests_per_s > 0 ? round(hookflow.requests_per_s / bare.requests_per_s, 2) : null;
  return { value, aim: `≥ ${API_AIM_RATIO}`, met: value === null ? null : value >= API_AIM_RATIO };
}

export interface ApiResults {
  bare?: LoadFigures;
  hookflow?: LoadFigures;
  durability?: Durability;
}

const fmt = (value: number | undefined, places = 0) => (value === undefined ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: places, minimumFractionDigits: places }));

export function renderApiTable(results: ApiResults, ratio: ApiRatio): string {
  const table = new Table({
    head: ['POST /events', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'non-2xx', 'errors', 'timeouts'],
    style: { head: [], border: [] },
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const [name, figures] of [
    ['bare Fastify route', results.bare],
    ['hookflow (SQLite)', results.hookflow],
  ] as const) {
    if (!figures) continue;
    table.push([name, fmt(figures.requests_per_s), fmt(figures.latency_p50_ms), fmt(figures.latency_p99_ms), fmt(figures.ok_2xx), fmt(figures.non_2xx), fmt(figures.errors), fmt(figures.timeouts)]);
  }
  const lines = [table.toString()];
  if (ratio.value !== null) lines.push(`hookflow ÷ bare req/s: ${ratio.value} (aim ${ratio.aim}: ${ratio.met ? 'met' : 'NOT met'})`);
  const durability = results.durability;
  if (durability) {
    lines.push(
      `durable: ${fmt(durability.accepted)} accepted (2xx), ${fmt(durability.stored)} in the store, ${durability.missing} missing` +
        (durability.unacknowledged > 0 ? `, ${durability.unacknowledged} stored whose answer the load generator did not count` : ''),
    );
  }
  return lines.join('\n');
}

export function apiJson(results: ApiResults, ratio: ApiRatio, extra: { machine: object; options: object; command: string }): object {
  return {
    bare: results.bare ?? null,
    hookflow: results.hookflow ?? null,
    ratio: ratio.value,
    aim: { ratio: ratio.aim, met: ratio.met },
    durability: results.durability ?? null,
    machine: extra.machine,
    command: extra.command,
    options: extra.options,
  };
}
