/**
 * One abort listener per signal for any number of runs. A dispatcher passes every run the same
 * shutdown signal, and adding and removing an EventTarget listener per run cost more than the
 * run's own message to its worker.
 */
export class AbortWatches<Run> {
  private readonly bySignal = new WeakMap<AbortSignal, Set<Run>>();

  /** `onAbort` is called for each run still watching a signal when it aborts. */
  constructor(private readonly onAbort: (run: Run) => void) {}

  /** Watches `signal` for `run`; returns the set the run leaves (`delete`) when it ends. */
  watch(signal: AbortSignal, run: Run): Set<Run> {
    let runs = this.bySignal.get(signal);
    if (!runs) {
      const watching = new Set<Run>();
      runs = watching;
      this.bySignal.set(signal, watching);
      signal.addEventListener(
        'abort',
        () => {
          const aborted = [...watching];
          watching.clear();
          for (const each of aborted) this.onAbort(each);
        },
        { once: true },
      );
    }
    runs.add(run);
    return runs;
  }
}
