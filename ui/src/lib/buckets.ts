/** Pure helpers for the dashboard's chart (no DOM: tested under Node in test/ui/). */

export interface Sample {
  /** epoch ms */
  at: number;
  failed: boolean;
}

export interface Bucket {
  start: number;
  total: number;
  failed: number;
}

/**
 * `count` buckets of `sizeMs` ending with the one holding `now`, oldest first; samples outside
 * the window are left out.
 */
export function bucketize(samples: Iterable<Sample>, now: number, count = 60, sizeMs = 60_000): Bucket[] {
  const lastStart = Math.floor(now / sizeMs) * sizeMs;
  const firstStart = lastStart - (count - 1) * sizeMs;
  const buckets = Array.from({ length: count }, (_, index) => ({ start: firstStart + index * sizeMs, total: 0, failed: 0 }));
  for (const sample of samples) {
    if (sample.at < firstStart || sample.at >= lastStart + sizeMs) continue;
    const bucket = buckets[Math.floor((sample.at - firstStart) / sizeMs)];
    bucket.total += 1;
    if (sample.failed) bucket.failed += 1;
  }
  return buckets;
}

/** A round axis maximum at or above `value`: 1, 2, 5, 10, 20, 50 … */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
