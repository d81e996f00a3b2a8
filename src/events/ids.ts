import { randomFillSync } from 'node:crypto';

/**
 * Time-ordered ids (UUIDv7, RFC 9562) so that the primary key index grows at its end and
 * "order by id" is "order by time". Monotonic within a process: ids made in the same millisecond
 * use the 12-bit rand_a field as a counter (method 1 of RFC 9562 §6.2). The `uuid` package's v7
 * costs about 7 µs an id here; this costs well under 1 µs, which matters at 50 k events/s.
 */
// The ASCII hex digits of each byte value, two per byte.
const HEX_DIGITS = new Uint8Array(512);
for (let value = 0; value < 256; value += 1) {
  const digits = value.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * value] = digits.charCodeAt(0);
  HEX_DIGITS[2 * value + 1] = digits.charCodeAt(1);
}
const DASH = 0x2d;
/**
 * The id's text is written here and read out as one flat string: concatenating 20 pieces made a
 * tree of cons strings (~600 bytes of garbage per id) that V8 flattened again at the first lookup.
 */
const text = Buffer.alloc(36);
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
  hex(0, (high >>> 24) & 0xff);
  hex(2, (high >>> 16) & 0xff);
  hex(4, (high >>> 8) & 0xff);
  hex(6, high & 0xff);
  text[8] = DASH;
  hex(9, (low >>> 8) & 0xff);
  hex(11, low & 0xff);
  text[13] = DASH;
  hex(14, 0x70 | (sequence >>> 8));
  hex(16, sequence & 0xff);
  text[18] = DASH;
  hex(19, 0x80 | (pool[at] & 0x3f));
  hex(21, pool[at + 1]);
  text[23] = DASH;
  for (let index = 2; index < 8; index += 1) hex(24 + 2 * (index - 2), pool[at + index]);
  return text.toString('latin1', 0, 36);
}

function hex(offset: number, byte: number): void {
  text[offset] = HEX_DIGITS[2 * byte];
  text[offset + 1] = HEX_DIGITS[2 * byte + 1];
}
