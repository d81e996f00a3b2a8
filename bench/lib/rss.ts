/**
 * Peak resident set size of this process, worker threads included (they share the process),
 * sampled every `intervalMs`. The timer is unref'd so it never keeps a finished case alive.
 */
export class PeakRss {
  private peak = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  /** Peak so far in MiB, one decimal. */
  get mb(): number {
    this.sample();
    return Math.round((this.peak / (1024 * 1024)) * 10) / 10;
  }

  stop(): number {
    clearInterval(this.timer);
    return this.mb;
  }
}
