/**
 * Vacuums `event_queue` after every so many completions. A completion deletes its event's queue
 * row, and the dead entries gather at the head of the queue's primary key, where every claim's
 * walk starts: nothing else removes them (index pages at the head never split, so no bottom-up
 * deletion runs there), and autovacuum comes at most once a minute. Under sustained load a claim
 * read thousands of index pages (390 000 completions: 2 800 pages, 3–6 ms a claim); with a vacuum
 * every 50 000 runs of a million events drained 10–20 % faster (docs/benchmarks.md).
 */
export class QueueVacuum {
  private completed = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly vacuum: () => Promise<unknown>,
    private readonly every: number,
  ) {}

  /** Counts completed events; starts a vacuum in the background once `every` have gathered. */
  count(events: number): void {
    this.completed += events;
    if (this.completed < this.every || this.running) return;
    this.completed = 0;
    // Maintenance only: a failed vacuum leaves the queue as autovacuum would, so nobody waits on it
    // and its failure is nobody's error.
    this.running = this.vacuum()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.running = null;
      });
  }

  /** Resolves once no vacuum is running (before the pool closes). */
  async idle(): Promise<void> {
    await this.running;
  }
}
