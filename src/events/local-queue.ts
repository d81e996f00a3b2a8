/**
 * How many claimed events a dispatcher may hold waiting for a free slot (its local queue): at most
 * the configured size, and no more than it finishes in half a second at its recent rate. Fast
 * hooks keep the whole queue (claims stay few and large); slow hooks keep only a few, so a server
 * does not sit on events that another server on the same store has slots for. Until a rate has
 * been measured the queue is empty: claims then take only free slots.
 */
export class LocalQueueSize {
  private finished = 0;
  private windowStart: number;
  /** Events finished per second, smoothed over windows; null before the first window closes. */
  private rate: number | null = null;

  constructor(
    private readonly max: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 250,
    private readonly horizonSeconds = 0.5,
  ) {
    this.windowStart = now();
  }

  /** An event's hooks finished (its slot is free). */
  finishedOne(): void {
    this.finished += 1;
  }

  /** The local queue's size now. */
  current(): number {
    if (this.max === 0) return 0;
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= this.windowMs) {
      const measured = (this.finished * 1000) / elapsed;
      this.rate = this.rate === null ? measured : (this.rate + measured) / 2;
      this.finished = 0;
      this.windowStart = now;
    }
    return this.rate === null ? 0 : Math.min(this.max, Math.floor(this.rate * this.horizonSeconds));
  }
}
