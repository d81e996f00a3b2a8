/**
 * Torc's resource units: memory sizes (`512m`, `4g`, `1.5g`, or a number of bytes) and ISO-8601
 * durations (`PT4H`, `P0DT1M`, `P1DT2H`). Units are binary as in Torc and Slurm: 1k = 1024 bytes.
 * A bad value gives a message saying what would be right, never an exception.
 */

export type UnitResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string };

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** `4g`, `4G`, `4gb`, `4GiB`, `1.5g`, `512 m`, `1024` (bytes). */
const MEMORY = /^(\d+(?:\.\d*)?|\.\d+)\s*([kmgtp]?)(?:i?b)?$/i;

const MEMORY_HINT = 'write a number of bytes, or a number with k, m, g or t (512m, 4g, 1.5g)';

/** Bytes of a memory size; fractions of a byte are rounded. */
export function parseMemory(value: unknown): UnitResult {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return { ok: true, value: Math.round(value) };
    return { ok: false, message: `memory ${value} is not a size: ${MEMORY_HINT}` };
  }
  if (typeof value !== 'string') return { ok: false, message: `memory must be a size such as "4g", not ${describe(value)}: ${MEMORY_HINT}` };
  const match = MEMORY.exec(value.trim());
  if (!match) return { ok: false, message: `memory "${value}" is not a size: ${MEMORY_HINT}` };
  const bytes = Math.round(Number(match[1]) * MEMORY_UNITS[match[2].toLowerCase()]);
  if (!Number.isSafeInteger(bytes)) return { ok: false, message: `memory "${value}" is too large` };
  return { ok: true, value: bytes };
}

/**
 * `P[nW][nD][T[nH][nM][nS]]`, each n possibly fractional. Years and months are refused: they have
 * no fixed length in seconds.
 */
const DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const DURATION_HINT = 'write an ISO-8601 duration such as PT30M, PT4H or P1DT2H';

/** Seconds of an ISO-8601 duration; a plain non-negative number is taken as seconds. */
export function parseDuration(value: unknown): UnitResult {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return { ok: true, value };
    return { ok: false, message: `runtime ${value} is not a duration: ${DURATION_HINT}` };
  }
  if (typeof value !== 'string') return { ok: false, message: `runtime must be a duration such as "PT4H", not ${describe(value)}` };
  const text = value.trim();
  const match = DURATION.exec(text);
  // "P" and "PT" alone match the pattern with nothing in them.
  if (!match || !/\d/.test(text) || /T$/i.test(text)) {
    if (/^P[^T]*[YM]/i.test(text)) {
      return { ok: false, message: `runtime "${value}" counts years or months, which have no fixed length: use days (P30D) or hours (PT720H)` };
    }
    const bare = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(text);
    if (bare) {
      const unit = bare[2].toUpperCase();
      const iso = unit === 'D' ? `P${bare[1]}D` : `PT${bare[1]}${unit}`;
      return { ok: false, message: `runtime "${value}" is not an ISO-8601 duration: write ${iso}` };
    }
    return { ok: false, message: `runtime "${value}" is not a duration: ${DURATION_HINT}` };
  }
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return { ok: true, value: (((Number(weeks) * 7 + Number(days)) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : JSON.stringify(value) ?? String(value);
}
