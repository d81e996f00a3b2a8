import type { Cron } from 'croner';

/**
 * Which ticks of a schedule are due, which were missed, and when the next one is. Pure over a
 * tick source (croner in practice), so every case can be checked at fixed times.
 */

export interface TickSource {
  /** The first tick strictly after `ms`, or null when there is none. */
  nextAfter(ms: number): number | null;
  /** The latest tick at or before `ms`, or null. */
  latestAtOrBefore(ms: number): number | null;
}

export function cronTicks(cron: Cron): TickSource {
  return {
    nextAfter: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    latestAtOrBefore: (ms) => {
      // previousRuns counts a run earlier in the same second as the reference: step 1 ms past `ms`.
      const [latest] = cron.previousRuns(1, new Date(ms + 1));
      return latest ? latest.getTime() : null;
    },
  };
}

export interface MissedTicks {
  /** How many ticks were missed; a lower bound when `more` is true. */
  count: number;
  more: boolean;
  first: number;
  last: number;
}

export interface TickPlan {
  /** Ticks older than the grace period that nobody fired: reported once as schedule.missed. */
  missed: MissedTicks | null;
  /** Ticks within the grace period: fired now, a little late. */
  due: number[];
  /** The next tick after now; null when the schedule never fires again. */
  next: number | null;
}

export interface PlanOptions {
  /** A tick this late is still fired; older ones are missed. */
  graceMs: number;
  /** Counting missed ticks stops here (a per-second schedule down for a week has 604,800). */
  maxCounted?: number;
  /** At most this many late ticks are fired at once. */
  maxDue?: number;
}

export const DEFAULT_MAX_COUNTED = 1000;
const DEFAULT_MAX_DUE = 60;

/**
 * The ticks in (after, now]: those up to `now - graceMs` were missed, the later ones are due.
 * `after` is the latest tick already dealt with (claimed by any server, or considered by this one).
 */
export function planTicks(ticks: TickSource, after: number, now: number, options: PlanOptions): TickPlan {
  const cutoff = now - options.graceMs;
  let missed: MissedTicks | null = null;
  if (after < cutoff) {
    const first = ticks.nextAfter(after);
    const last = ticks.latestAtOrBefore(cutoff);
    if (first !== null && last !== null && first <= cutoff && last > after) {
      const max = options.maxCounted ?? DEFAULT_MAX_COUNTED;
      let count = 1;
      let tick: number | null = first;
      while (count < max && tick !== null && tick < last) {
        tick = ticks.nextAfter(tick);
        if (tick !== null && tick <= last) count += 1;
      }
      missed = { count, more: tick !== null && tick < last, first, last };
    }
  }
  const due: number[] = [];
  const maxDue = options.maxDue ?? DEFAULT_MAX_DUE;
  let tick = ticks.nextAfter(Math.max(after, cutoff));
  while (tick !== null && tick <= now) {
    due.push(tick);
    if (due.length > maxDue) due.shift();
    tick = ticks.nextAfter(tick);
  }
  return { missed, due, next: tick };
}
