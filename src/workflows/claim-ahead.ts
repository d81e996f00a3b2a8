/**
 * A worker's claim-ahead and batched finishes, as pure rules (the worker applies them).
 *
 * For short jobs the store, not the process start, is a worker's cost: each claim and each finish
 * is a write transaction with a commit. So while its recent jobs were short, a worker claims a few
 * jobs beyond its free slots and keeps them in a local queue: a slot that frees starts the next
 * queued job at once, and the finishes of several jobs are written together with the claim that
 * refills the queue, in one transaction. Long jobs claim nothing ahead (a queued job would wait
 * behind them while another worker idles) and write each finish at once.
 *
 * What a worker that dies loses: the finishes it has not written yet (at most `maxDelayMs` old)
 * and its queued jobs. Both are still `running` under its lease in the store, so they are run
 * again when the lease expires, as a job in flight at a crash is: nothing is lost, a short job may
 * run twice.
 */

export interface ClaimAheadPolicy {
  /** Jobs averaging longer than this claim nothing ahead. */
  shortJobMs: number;
  /** Claim enough jobs ahead to keep a slot busy this long. */
  windowMs: number;
  /** At most this many jobs ahead (or the slot count, when larger). */
  maxAhead: number;
  /** A finish waits at most this long to be written with others. */
  maxDelayMs: number;
  /** At most this many finishes are written together. */
  maxBatch: number;
}

export const CLAIM_AHEAD: ClaimAheadPolicy = { shortJobMs: 20, windowMs: 250, maxAhead: 128, maxDelayMs: 100, maxBatch: 128 };

/** A moving average of how long jobs ran (ms), weighting recent ones. */
export class JobDurations {
  private average: number | null = null;

  add(ms: number): void {
    this.average = this.average === null ? ms : this.average * 0.8 + ms * 0.2;
  }

  get averageMs(): number | null {
    return this.average;
  }
}

/** How many jobs a worker with `slots` slots keeps claimed beyond its running ones. */
export function aheadTarget(averageMs: number | null, slots: number, policy: ClaimAheadPolicy = CLAIM_AHEAD): number {
  if (averageMs === null || averageMs > policy.shortJobMs || slots <= 0) return 0;
  const perSlot = Math.ceil(policy.windowMs / Math.max(averageMs, 0.5));
  return Math.min(Math.max(policy.maxAhead, slots), slots * perSlot);
}

/** How many jobs to claim now: none while the queue is above half its target and covers the free slots. */
export function claimLimit(state: { slots: number; running: number; queued: number; ahead: number }): number {
  const free = state.slots - state.running;
  if (state.queued > Math.floor(state.ahead / 2) && state.queued >= free) return 0;
  return Math.max(0, free + state.ahead - state.queued);
}

export interface FlushState {
  /** Finishes not written yet. */
  pending: number;
  /** Age of the oldest of them (ms). */
  oldestAgeMs: number;
  queued: number;
  ahead: number;
  stopping: boolean;
}

/**
 * When to write the pending finishes: 0 = now (the queue needs a refill, the batch is full, the
 * oldest waited long enough, or the worker stops), otherwise in this many ms. With nothing pending,
 * only published events may wait: `maxDelayMs`.
 */
export function flushDelay(state: FlushState, policy: ClaimAheadPolicy = CLAIM_AHEAD): number {
  if (state.pending === 0) return state.stopping ? 0 : policy.maxDelayMs;
  if (state.stopping || state.queued <= Math.floor(state.ahead / 2) || state.pending >= policy.maxBatch) return 0;
  return Math.max(0, policy.maxDelayMs - state.oldestAgeMs);
}
