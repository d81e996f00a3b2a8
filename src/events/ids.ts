import { randomFillSync } from 'node:crypto';

/**
 * Time-ordered ids (UUIDv7, RFC 9562) so that the primary key index grows at its end and
 * "order by id" is "order by time". Monotonic within a process: ids made in the same millisecond
 * use the 12-bit rand_a field as a counter (method 1 of RFC 9562 §6.2). The `uuid` package's v7
 * costs about 7 µs an id here; this costs well under 1 µs, which matters at 50 k events/s.
 */
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_SIZE = 8 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMs = 0;
let sequence = 0;

function randomBytes(count: number): number {
  if (poolOffset + count > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += count;
  return at;
}

export function newId(now: number = Date.now()): string {
  let ms = now;
  if (ms > lastMs) {
    lastMs = ms;
    const at = randomBytes(2);
    // Start the counter in the lower half so a burst in one millisecond has room to count up.
    sequence = ((pool[at] << 8) | pool[at + 1]) & 0x7ff;
  } else {
    ms = lastMs;
    sequence += 1;
    if (sequence > 0xfff) {
      // Counter exhausted: borrow the next millisecond, as the RFC allows.
      lastMs += 1;
      ms = lastMs;
      sequence = 0;
    }
  }
  const at = randomBytes(8);
  const high = Math.floor(ms / 0x10000);
  const low = ms % 0x10000;
  return (
    HEX[(high >>> 24) & 0xff] +
    HEX[(high >>> 16) & 0xff] +
    HEX[(high >>> 8) & 0xff] +
    HEX[high & 0xff] +
    '-' +
    HEX[(low >>> 8) & 0xff] +
    HEX[low & 0xff] +
    '-' +
    HEX[0x70 | (sequence >>> 8)] +
    HEX[sequence & 0xff] +
    '-' +
    HEX[0x80 | (pool[at] & 0x3f)] +
    HEX[pool[at + 1]] +
    '-' +
    HEX[pool[at + 2]] +
    HEX[pool[at + 3]] +
    HEX[pool[at + 4]] +
    HEX[pool[at + 5]] +
    HEX[pool[at + 6]] +
    HEX[pool[at + 7]]
  );
}
