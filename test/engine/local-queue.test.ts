import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalQueueSize } from '../../src/events/local-queue.js';

/** Steps of a run: `finish` events finished, then the clock moves `advance` ms, then `current()` is read. */
type Step = { finish: number; advance: number; size: number };

describe('LocalQueueSize', () => {
  const cases: Array<{ name: string; max: number; steps: Step[] }> = [
    { name: 'empty until a rate is measured', max: 1000, steps: [{ finish: 50, advance: 100, size: 0 }] },
    { name: 'fast hooks: the whole queue (40 000/s → capped at 1 000)', max: 1000, steps: [{ finish: 10_000, advance: 250, size: 1000 }] },
    { name: 'slow hooks: half a second of work (2 slots × 10/s = 20/s → 10)', max: 1000, steps: [{ finish: 5, advance: 250, size: 10 }] },
    {
      name: 'smoothed: a window of half the rate halves the difference',
      max: 1000,
      steps: [
        { finish: 100, advance: 250, size: 200 },
        { finish: 50, advance: 250, size: 150 },
      ],
    },
    {
      name: 'idle shrinks it, a busy window grows it back',
      max: 1000,
      steps: [
        { finish: 1000, advance: 250, size: 1000 },
        { finish: 0, advance: 10_000, size: 1000 },
        { finish: 0, advance: 250, size: 500 },
        { finish: 5000, advance: 250, size: 1000 },
      ],
    },
    { name: 'a configured size of 0 stays 0', max: 0, steps: [{ finish: 10_000, advance: 250, size: 0 }] },
  ];
  for (const { name, max, steps } of cases) {
    it(name, () => {
      let now = 1_000_000;
      const size = new LocalQueueSize(max, () => now);
      steps.forEach((step, index) => {
        for (let n = 0; n < step.finish; n += 1) size.finishedOne();
        now += step.advance;
        assert.equal(size.current(), step.size, `step ${index + 1}`);
      });
    });
  }
});
