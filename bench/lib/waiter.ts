/**
 * Counts arrivals and resolves when a target is reached, failing instead of hanging when nothing
 * arrives for `stallMs` (a broken runtime must end the case, not the patience of whoever runs it).
 */
export class Countdown {
  private count = 0;
  private reachedAt = 0;
  private lastProgress = performance.now();
  private resolveDone: (() => void) | null = null;
  private rejectDone: ((error: Error) => void) | null = null;

  constructor(
    private readonly target: number,
    private readonly what: string,
  ) {}

  get value(): number {
    return this.count;
  }

  /** performance.now() when the target was reached, 0 before. */
  get doneAt(): number {
    return this.reachedAt;
  }

  tick(by = 1): void {
    this.count += by;
    this.lastProgress = performance.now();
    if (this.count >= this.target && this.reachedAt === 0) {
      this.reachedAt = this.lastProgress;
      this.resolveDone?.();
    }
  }

  done(stallMs = 60_000): Promise<number> {
    if (this.reachedAt !== 0) return Promise.resolve(this.reachedAt);
    return new Promise<number>((resolve, reject) => {
      const watchdog = setInterval(() => {
        if (performance.now() - this.lastProgress > stallMs) {
          clearInterval(watchdog);
          reject(new Error(`stalled: ${this.count} of ${this.target} ${this.what} after ${Math.round(stallMs / 1000)} s without progress`));
        }
      }, 500);
      this.resolveDone = () => {
        clearInterval(watchdog);
        resolve(this.reachedAt);
      };
      this.rejectDone = reject;
    });
  }

  fail(error: Error): void {
    this.rejectDone?.(error);
  }
}
