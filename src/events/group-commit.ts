/**
 * Group commit: callers submit items one at a time; items are written in batches. Whatever
 * arrives while batches are being written goes into the next one, so under load batches grow by
 * themselves and durability costs one transaction per batch rather than one per item. An idle
 * submit is flushed on the next turn of the event loop.
 *
 * Up to `maxInFlight` batches are written at once. With one, an item that arrives just after a
 * batch left waits for that batch's whole round trip before its own starts; with two, it starts
 * at once, which halves that wait where a write is a network round trip (PostgreSQL).
 */
export class GroupCommit<Item, Result> {
  private queue: Array<{ item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 2000,
    private readonly maxInFlight = 1,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or being written. */
  async idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight) return;
    this.inFlight += 1;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      // Room for another writer: let it take what arrives while this batch is written.
      if (this.inFlight < this.maxInFlight) this.schedule();
      try {
        const results = await this.write(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index] as Result));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
