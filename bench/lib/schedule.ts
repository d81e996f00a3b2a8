/**
 * Calls at a fixed rate without drift. Each call i is due at start + i/rate; a timer wakes for the
 * next due call and every call already due then runs at once, so a late timer delays calls but
 * never lowers the rate. Busy-waiting would be more punctual, but on a 2-core machine it would
 * steal the core the hooks run on; callers record the real call time, so lateness is not latency.
 */

/** How many calls are due `elapsedMs` after the start at `rate` per second, capped at `total`. Pure. */
export function dueCount(elapsedMs: number, rate: number, total: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * rate) / 1000) + 1);
}

/** Milliseconds from the start until call `index` is due. Pure. */
export function dueAt(index: number, rate: number): number {
  return (index * 1000) / rate;
}

/** Calls `call(i)` for i in [0, total) at `rate` per second; resolves after the last call was made. */
export function atFixedRate(rate: number, total: number, call: (index: number) => void): Promise<void> {
  return new Promise((resolve) => {
    if (total <= 0) {
      resolve();
      return;
    }
    const start = performance.now();
    let next = 0;
    const tick = () => {
      const due = dueCount(performance.now() - start, rate, total);
      while (next < due) call(next++);
      if (next >= total) {
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, dueAt(next, rate) - (performance.now() - start)));
    };
    tick();
  });
}
