/** Latency summaries. Pure. */

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

/**
 * The nearest-rank percentile of ascending `sorted` values: the smallest value with at least
 * p% of the values at or below it. NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** The lower median: with an even count, the smaller of the middle two (never flatters). */
export function lowerMedian<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Rounds to 3 decimals, so microseconds survive in JSON without float noise. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50_ms: round3(percentile(sorted, 50)),
    p95_ms: round3(percentile(sorted, 95)),
    p99_ms: round3(percentile(sorted, 99)),
    max_ms: round3(sorted.length ? sorted[sorted.length - 1] : Number.NaN),
    mean_ms: round3(sorted.length ? sum / sorted.length : Number.NaN),
  };
}

/** Events per second, whole. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : 0;
}
