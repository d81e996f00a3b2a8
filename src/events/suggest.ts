/**
 * "Did you mean …?" for event types, flags and field names. Distances are optimal string
 * alignment (Levenshtein plus adjacent transpositions), so `agnet` is one edit from `agent`.
 */
import { EVENT_CATALOGUE, isCatalogued } from './catalogue.js';

/**
 * Edits (insert, delete, substitute, swap two neighbours) to turn `a` into `b`. With `limit`, it
 * stops early and returns limit + 1 once the distance is known to exceed it.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the transposition rule looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  let previousRowMin = 0;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2] + 1);
      current[j] = best;
      if (best < rowMin) rowMin = best;
    }
    // A later cell comes from this row or (by a swap) the one before it, never cheaper than both.
    if (rowMin > limit && previousRowMin > limit) return limit + 1;
    previousRowMin = rowMin;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[b.length], limit + 1);
}

/** How many edits a word of this length may be off and still be a plausible typo. */
export function defaultMaxDistance(length: number): number {
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return 3;
}

/**
 * The candidate nearest to `word` (case-insensitive), or null when none is within `maxDistance`
 * edits (default: 1 for short words up to 3 for long ones). Ties go to the earlier candidate.
 */
export function nearest(word: string, candidates: Iterable<string>, maxDistance?: number): string | null {
  const needle = word.toLowerCase();
  const limit = maxDistance ?? defaultMaxDistance(needle.length);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase(), Math.min(limit, bestDistance));
    if (distance < bestDistance && distance <= limit) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return best;
}

const SEPARATORS = /[._\-\s/:]+/g;

/** Separators carry little meaning in a typo: `task_failed`, `task-failed` and `taskfailed` are all `task.failed`. */
function squash(value: string): string {
  return value.replace(SEPARATORS, '');
}

const TYPES: readonly string[] = EVENT_CATALOGUE.map((info) => info.type);
const SQUASHED: ReadonlyMap<string, string> = new Map(TYPES.map((type) => [type, squash(type)]));

function typoScore(input: string, squashedInput: string, candidate: string, limit: number): number {
  return Math.min(editDistance(input, candidate, limit), editDistance(squashedInput, SQUASHED.get(candidate) ?? candidate, limit));
}
const PREFIXES: readonly string[] = [...new Set(TYPES.map((type) => type.split('.')[0]))];

/**
 * The catalogued type nearest to `type`, or null when nothing is near. Types sharing the input's
 * first segment (corrected itself: `agnet.x` looks among `agent.*`) are preferred, and a name the
 * input begins (`task.fail` → `task.failed`) counts as near.
 */
export function suggestEventType(type: string): string | null {
  const input = type.trim().toLowerCase();
  if (input.length === 0 || input.length > 200) return null;
  if (isCatalogued(input)) return input;

  const dot = input.indexOf('.');
  if (dot > 0) {
    const written = input.slice(0, dot);
    const head = nearest(written, PREFIXES, 1) ?? (written.length >= 3 ? (PREFIXES.find((prefix) => prefix.startsWith(written)) ?? null) : null);
    if (head !== null) {
      const name = input.slice(dot + 1);
      const corrected = `${head}.${name}`;
      if (isCatalogued(corrected)) return corrected;
      const limit = Math.max(2, Math.floor(name.length / 3));
      let best: string | null = null;
      let bestScore = Infinity;
      for (const candidate of TYPES) {
        if (!candidate.startsWith(`${head}.`)) continue;
        let score = typoScore(corrected, squash(corrected), candidate, limit);
        if (name.length >= 3 && candidate.slice(head.length + 1).startsWith(name)) score = Math.min(score, 1);
        if (score <= limit && score < bestScore) {
          best = candidate;
          bestScore = score;
        }
      }
      if (best !== null) return best;
    }
  }

  // Without a known first segment only close matches count: `exec.started` is not `step.started`.
  const limit = Math.min(2, defaultMaxDistance(input.length));
  let best: string | null = null;
  let bestScore = Infinity;
  const squashedInput = squash(input);
  for (const candidate of TYPES) {
    const score = typoScore(input, squashedInput, candidate, limit);
    if (score <= limit && score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
