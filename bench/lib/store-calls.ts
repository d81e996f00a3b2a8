/**
 * Counts a store's calls and rows per method, to explain throughput figures (how many claims,
 * how big the group commits were). Wraps the store in a Proxy; the store itself is untouched.
 */
import type { Store } from '../../src/store/store.js';

export interface CallCount {
  calls: number;
  /** Rows passed in (insertEvents, completeEvents) or returned (claimEvents). */
  rows: number;
  /** Mean time from call to settled, ms: for PostgreSQL mostly the round trip and the commit. */
  mean_ms: number;
}

const COUNTED = ['insertEvents', 'claimEvents', 'completeEvents', 'hooksRevision', 'listHooks', 'renewLeases', 'hasClaimableEvents'] as const;
type Counted = (typeof COUNTED)[number];

export class StoreCalls {
  readonly counts = new Map<Counted, CallCount>(COUNTED.map((name) => [name, { calls: 0, rows: 0, mean_ms: 0 }]));
  private readonly totalMs = new Map<Counted, number>();
  enabled = false;

  wrap(store: Store): Store {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || !(COUNTED as readonly (string | symbol)[]).includes(property)) return value;
        const name = property as Counted;
        return (...args: unknown[]) => {
          const started = performance.now();
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!this.enabled) return result;
          const count = this.counts.get(name) as CallCount;
          count.calls += 1;
          if (Array.isArray(args[0])) count.rows += args[0].length;
          if (result instanceof Promise) {
            void result.then(
              (rows: unknown) => {
                if (name === 'claimEvents' && Array.isArray(rows)) count.rows += rows.length;
                this.totalMs.set(name, (this.totalMs.get(name) ?? 0) + performance.now() - started);
              },
              () => undefined,
            );
          }
          return result;
        };
      },
    });
  }

  /** Only methods that were called, for the JSON result. */
  toJson(): Record<string, CallCount> {
    return Object.fromEntries(
      [...this.counts]
        .filter(([, count]) => count.calls > 0)
        .map(([name, count]) => [name, { ...count, mean_ms: Math.round(((this.totalMs.get(name) ?? 0) / count.calls) * 1000) / 1000 }]),
    );
  }
}
