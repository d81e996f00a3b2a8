import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueVacuum } from '../../src/store/postgres/queue-vacuum.js';

/** A vacuum the test finishes by hand, counting its starts. */
function manualVacuum(): { started: () => number; finish: (error?: Error) => void; run: () => Promise<void> } {
  let starts = 0;
  let settle: ((error?: Error) => void) | null = null;
  return {
    started: () => starts,
    finish: (error) => settle?.(error),
    run: () =>
      new Promise<void>((resolve, reject) => {
        starts += 1;
        settle = (error) => (error ? reject(error) : resolve());
      }),
  };
}

describe('QueueVacuum', () => {
  const cases: Array<{ name: string; counts: number[]; every: number; starts: number }> = [
    { name: 'fewer completions than the interval: none', counts: [40, 59], every: 100, starts: 0 },
    { name: 'the interval reached in one batch: one', counts: [100], every: 100, starts: 1 },
    { name: 'reached over several batches: one', counts: [30, 30, 45], every: 100, starts: 1 },
    { name: 'while one runs, no second starts however many complete', counts: [100, 100, 100, 500], every: 100, starts: 1 },
  ];
  for (const { name, counts, every, starts } of cases) {
    it(name, () => {
      const vacuum = manualVacuum();
      const queue = new QueueVacuum(vacuum.run, every);
      for (const count of counts) queue.count(count);
      assert.equal(vacuum.started(), starts);
    });
  }

  it('counts from the start of the last one: completions while it ran count toward the next', async () => {
    const vacuum = manualVacuum();
    const queue = new QueueVacuum(vacuum.run, 100);
    queue.count(100);
    queue.count(60);
    vacuum.finish();
    await queue.idle();
    queue.count(30);
    assert.equal(vacuum.started(), 1);
    queue.count(10);
    assert.equal(vacuum.started(), 2, '60 while it ran + 30 + 10 after');
  });

  it('a failed vacuum is nobody’s error, and the next one runs', async () => {
    const vacuum = manualVacuum();
    const queue = new QueueVacuum(vacuum.run, 10);
    queue.count(10);
    vacuum.finish(new Error('connection lost'));
    await queue.idle();
    queue.count(10);
    assert.equal(vacuum.started(), 2);
    vacuum.finish();
    await queue.idle();
  });

  it('idle() waits for the one running', async () => {
    const vacuum = manualVacuum();
    const queue = new QueueVacuum(vacuum.run, 1);
    queue.count(1);
    let idle = false;
    const waiting = queue.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(idle, false);
    vacuum.finish();
    await waiting;
    assert.equal(idle, true);
  });
});
