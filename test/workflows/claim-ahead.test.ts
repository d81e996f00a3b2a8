import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aheadTarget, CLAIM_AHEAD, claimLimit, flushDelay, JobDurations, type FlushState } from '../../src/workflows/claim-ahead.js';

describe('claim-ahead', () => {
  const aheads: Array<[string, number | null, number, number]> = [
    ['nothing known yet', null, 1, 0],
    ['long jobs', 500, 4, 0],
    ['just over short', CLAIM_AHEAD.shortJobMs + 0.1, 1, 0],
    ['5 ms jobs, one slot: 250 ms of them', 5, 1, 50],
    ['1.5 ms jobs, one slot: capped', 1.5, 1, CLAIM_AHEAD.maxAhead],
    ['10 ms jobs, two slots', 10, 2, 50],
    ['very short jobs are capped', 0.01, 1, CLAIM_AHEAD.maxAhead],
    ['many slots raise the cap to the slot count', 0.5, 256, 256],
    ['no slots', 1, 0, 0],
  ];
  for (const [name, average, slots, expected] of aheads) {
    it(`aheadTarget: ${name}`, () => assert.equal(aheadTarget(average, slots), expected));
  }

  const limits: Array<[string, Parameters<typeof claimLimit>[0], number]> = [
    ['idle worker without claim-ahead: its free slots', { slots: 4, running: 1, queued: 0, ahead: 0 }, 3],
    ['busy worker without claim-ahead: nothing', { slots: 2, running: 2, queued: 0, ahead: 0 }, 0],
    ['claim-ahead from empty: slots and queue', { slots: 1, running: 0, queued: 0, ahead: 16 }, 17],
    ['queue above half its target: nothing (one write per refill, not per job)', { slots: 1, running: 1, queued: 9, ahead: 16 }, 0],
    ['queue at half: refill', { slots: 1, running: 1, queued: 8, ahead: 16 }, 8],
    ['a free slot the queue cannot cover: claim', { slots: 4, running: 0, queued: 3, ahead: 4 }, 5],
  ];
  for (const [name, state, expected] of limits) {
    it(`claimLimit: ${name}`, () => assert.equal(claimLimit(state), expected));
  }

  const base: FlushState = { pending: 3, oldestAgeMs: 1, queued: 12, ahead: 16, stopping: false };
  const delays: Array<[string, Partial<FlushState>, number]> = [
    ['a few finishes with a full queue wait for more', {}, CLAIM_AHEAD.maxDelayMs - 1],
    ['the queue needs a refill: now', { queued: 8 }, 0],
    ['no claim-ahead: now', { queued: 0, ahead: 0 }, 0],
    ['a full batch: now', { pending: CLAIM_AHEAD.maxBatch }, 0],
    ['the oldest waited long enough: now', { oldestAgeMs: CLAIM_AHEAD.maxDelayMs }, 0],
    ['stopping: now', { stopping: true }, 0],
    ['nothing pending: only events wait, at most maxDelayMs', { pending: 0 }, CLAIM_AHEAD.maxDelayMs],
    ['nothing pending while stopping: now', { pending: 0, stopping: true }, 0],
  ];
  for (const [name, change, expected] of delays) {
    it(`flushDelay: ${name}`, () => assert.equal(flushDelay({ ...base, ...change }), expected));
  }

  it('JobDurations weights recent jobs', () => {
    const durations = new JobDurations();
    assert.equal(durations.averageMs, null);
    durations.add(100);
    assert.equal(durations.averageMs, 100);
    for (let i = 0; i < 30; i++) durations.add(1);
    const average = durations.averageMs ?? Infinity;
    assert.ok(average < 1.2 && average > 1, `after 30 short jobs the average is ${average}`);
  });
});
