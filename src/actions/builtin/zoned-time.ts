/**
 * Wall-clock times in an IANA time zone, without a date library: the zone's offset comes from
 * Intl, so daylight saving follows the system's tz database. Pure functions (the clock is a parameter).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** True when Intl knows the zone (`UTC`, `Europe/Paris`, …). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** The wall-clock time in a zone at an instant (epoch ms). */
export function wallTimeAt(epochMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second, millisecond: ((epochMs % 1000) + 1000) % 1000 };
}

function wallAsUtc(wall: WallTime): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(epochMs: number, timeZone: string): number {
  return wallAsUtc(wallTimeAt(epochMs, timeZone)) - epochMs;
}

/**
 * The instant a wall-clock time names in a zone. In a repeated hour (clocks going back) the first
 * occurrence wins; a time inside a gap (clocks going forward) is read with the offset before the
 * change, so it lands after the gap: as Python's zoneinfo does with fold=0.
 */
export function wallTimeToEpoch(wall: WallTime, timeZone: string): number {
  const asUtc = wallAsUtc(wall);
  const candidates = new Set([offsetAt(asUtc - 86_400_000, timeZone), offsetAt(asUtc, timeZone), offsetAt(asUtc + 86_400_000, timeZone)]);
  const exact = [...candidates].map((offset) => asUtc - offset).filter((instant) => wallAsUtc(wallTimeAt(instant, timeZone)) === asUtc);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: use the offset in force just before it.
  return asUtc - offsetAt(asUtc - 86_400_000, timeZone);
}

function addDays(wall: WallTime, days: number): WallTime {
  const date = new Date(wallAsUtc(wall));
  date.setUTCDate(date.getUTCDate() + days);
  return { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const TIME_ONLY = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

function checkRanges(wall: WallTime, text: string): void {
  const days = new Date(Date.UTC(wall.year, wall.month, 0)).getUTCDate();
  if (wall.month < 1 || wall.month > 12 || wall.day < 1 || wall.day > days || wall.hour > 23 || wall.minute > 59 || wall.second > 59) {
    throw new RangeError(`"${text}" is not a real date and time`);
  }
}

/**
 * The instant `text` names: an ISO 8601 date and time (`2024-01-27T09:00:00`, read in `timeZone`
 * unless it carries `Z` or an offset) or a time of day (`09:00`, `09:00:30`: its next occurrence
 * in `timeZone` after `nowMs`, so today's when still ahead, else tomorrow's).
 */
export function parseUntilTime(text: string, timeZone: string, nowMs: number): number {
  const trimmed = text.trim();
  const full = DATE_TIME.exec(trimmed);
  if (full) {
    const [, year, month, day, hour, minute, second, fraction, zone] = full;
    const wall: WallTime = {
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: Number(hour),
      minute: Number(minute),
      second: Number(second ?? 0),
      millisecond: fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0,
    };
    checkRanges(wall, text);
    if (!zone) return wallTimeToEpoch(wall, timeZone);
    if (zone.toUpperCase() === 'Z') return wallAsUtc(wall);
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    return wallAsUtc(wall) - (zone.startsWith('-') ? -1 : 1) * offsetMinutes * 60_000;
  }
  const time = TIME_ONLY.exec(trimmed);
  if (time) {
    const today = wallTimeAt(nowMs, timeZone);
    const wall: WallTime = { ...today, hour: Number(time[1]), minute: Number(time[2]), second: Number(time[3] ?? 0), millisecond: 0 };
    checkRanges(wall, text);
    const todays = wallTimeToEpoch(wall, timeZone);
    return todays > nowMs ? todays : wallTimeToEpoch(addDays(wall, 1), timeZone);
  }
  throw new RangeError(`"${text}" is not a time: use ISO 8601 (2024-01-27T09:00:00, optionally with Z or +02:00) or a time of day (09:00)`);
}
