import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../src/events/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond timestamp at the front of a UUIDv7. */
function timestampOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** The 12-bit counter (rand_a) after the version digit. */
function counterOf(id: string): number {
  return parseInt(id.slice(15, 18), 16);
}

// The generator keeps the last millisecond it used, so each case takes a clock later than any
// before it (far in the future, past every real Date.now() of the run and the table's clocks).
let clock = 0xff_0000_0000_00;
function later(): number {
  clock += 10_000;
  return clock;
}

describe('newId', () => {
  const timestamps: ReadonlyArray<[string, number]> = [
    ['a round second', Date.UTC(2091, 0, 1)],
    ['every byte of the clock in use', Date.UTC(2092, 5, 15, 13, 37, 42, 987)],
    ['a clock that fills all 48 bits', 0xff_0000_0000_00 - 1],
  ];
  for (const [what, ms] of timestamps) {
    it(`writes the clock into the first 48 bits (${what})`, () => {
      const id = newId(ms);
      assert.match(id, UUID_V7);
      assert.equal(timestampOf(id), ms);
    });
  }

  it('gives ids in increasing order within one millisecond, counting in rand_a', () => {
    const now = later();
    const ids = Array.from({ length: 50 }, () => newId(now));
    for (const id of ids) assert.match(id, UUID_V7);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    for (let index = 1; index < ids.length; index += 1) {
      assert.equal(timestampOf(ids[index]), now);
      assert.equal(counterOf(ids[index]), counterOf(ids[index - 1]) + 1);
    }
  });

  it('borrows the next millisecond when the counter is used up', () => {
    const now = later();
    const ids = Array.from({ length: 4097 }, () => newId(now));
    assert.deepEqual([...ids].sort(), ids);
    const last = ids[ids.length - 1];
    assert.ok(timestampOf(last) > now, `expected the burst to borrow a millisecond, last id ${last}`);
    assert.equal(timestampOf(last), now + 1);
  });

  it('never goes back when the clock does', () => {
    const now = later();
    const first = newId(now);
    const second = newId(now - 5_000);
    assert.ok(second > first, `${second} should sort after ${first}`);
    assert.equal(timestampOf(second), now);
  });
});
