/**
 * The latency phase event by event (`--latency-trace DIR`), to tell where a tail comes from: a run
 * of consecutive events whose publish itself resolved late points at slow commits (the store's
 * WAL flush); late hook starts after an early publish, or a stall of the main thread's event loop
 * at that moment, point at the dispatcher's thread.
 */

/** One event's times, in ms after its publish() call (null when that moment was not seen). */
export interface TracedEvent {
  /** When publish() was called, in ms after the phase's first call. */
  at: number;
  durable: number | null;
  hook: number | null;
  hookStart: number | null;
  done: number | null;
}

/** A gap in the event loop's 1 ms ticks: the main thread was busy (or not scheduled) that long. */
export interface LoopStall {
  at: number;
  ms: number;
}

const cell = (value: number | null): string => (value === null || !Number.isFinite(value) ? '' : value.toFixed(3));

/** The events in publish order, as TSV with a header row. */
export function eventTraceTsv(events: readonly TracedEvent[]): string {
  const rows = [...events].sort((a, b) => a.at - b.at).map((event) => [event.at, event.durable, event.hook, event.hookStart, event.done].map(cell).join('\t'));
  return ['published_ms\tdurable_ms\thook_ms\thook_start_ms\tdone_ms', ...rows].join('\n') + '\n';
}

export function stallsTsv(stalls: readonly LoopStall[]): string {
  return ['at_ms\tstall_ms', ...stalls.map((stall) => `${cell(stall.at)}\t${cell(stall.ms)}`)].join('\n') + '\n';
}

/** Watches the event loop with a 1 ms timer and keeps every gap longer than `thresholdMs`. */
export function watchLoopStalls(origin: number, thresholdMs = 4): { stop(): LoopStall[] } {
  const stalls: LoopStall[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > thresholdMs) stalls.push({ at: last - origin, ms: now - last });
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return stalls;
    },
  };
}
