import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, parseMemory } from '../../../src/workflows/spec/units.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('parseMemory', () => {
  const valid: Array<[unknown, number]> = [
    ['4g', 4 * GiB],
    ['4G', 4 * GiB],
    ['4gb', 4 * GiB],
    ['4GiB', 4 * GiB],
    ['512m', 512 * MiB],
    ['100m', 100 * MiB],
    ['1.5g', 1.5 * GiB],
    ['10k', 10 * 1024],
    ['2t', 2 * 1024 ** 4],
    ['1024', 1024],
    ['512 m', 512 * MiB],
    ['.5g', 0.5 * GiB],
    [' 8g ', 8 * GiB],
    [1024, 1024],
    [0, 0],
  ];
  for (const [input, bytes] of valid) {
    it(`${JSON.stringify(input)} → ${bytes} bytes`, () => assert.deepEqual(parseMemory(input), { ok: true, value: bytes }));
  }

  const invalid: Array<[unknown, RegExp]> = [
    ['4x', /memory "4x" is not a size: write a number of bytes, or a number with k, m, g or t \(512m, 4g, 1\.5g\)/],
    ['g', /is not a size/],
    ['', /is not a size/],
    ['-1g', /is not a size/],
    ['4 gigabytes', /is not a size/],
    [-5, /memory -5 is not a size/],
    [true, /memory must be a size such as "4g", not true/],
    [['4g'], /not a list/],
    ['99999999999999999999t', /too large/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const result = parseMemory(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, message);
    });
  }
});

describe('parseDuration', () => {
  const valid: Array<[unknown, number]> = [
    ['PT4H', 4 * 3600],
    ['PT30M', 30 * 60],
    ['PT45S', 45],
    ['P1DT2H', 26 * 3600],
    ['P0DT1M', 60],
    ['P2D', 2 * 86400],
    ['P1W', 7 * 86400],
    ['PT1H30M', 5400],
    ['PT1.5H', 5400],
    ['PT0.5S', 0.5],
    ['pt4h', 4 * 3600],
    [90, 90],
  ];
  for (const [input, seconds] of valid) {
    it(`${JSON.stringify(input)} → ${seconds} s`, () => assert.deepEqual(parseDuration(input), { ok: true, value: seconds }));
  }

  const invalid: Array<[unknown, RegExp]> = [
    ['4h', /runtime "4h" is not an ISO-8601 duration: write PT4H/],
    ['30m', /write PT30M/],
    ['2d', /write P2D/],
    ['P1M', /years or months, which have no fixed length: use days \(P30D\)/],
    ['P1Y', /years or months/],
    ['P', /is not a duration: write an ISO-8601 duration such as PT30M, PT4H or P1DT2H/],
    ['PT', /is not a duration/],
    ['P1DT', /is not a duration/],
    ['PT4H30', /is not a duration/],
    ['soon', /is not a duration/],
    [-1, /runtime -1 is not a duration/],
    [null, /runtime must be a duration such as "PT4H", not null/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const result = parseDuration(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, message);
    });
  }
});
