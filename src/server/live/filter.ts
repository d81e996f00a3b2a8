import { HookflowError } from '../../errors.js';
import { isValidPattern, matchesAny } from '../../events/patterns.js';

/** What a stream client asked to see: type patterns (any of them) and one stack. */
export interface StreamFilter {
  /** null: every type */
  types: string[] | null;
  /** null: every stack */
  stack: string | null;
}

export const MAX_STREAM_PATTERNS = 20;

/**
 * The filter from `?type=` (a pattern, or several separated by commas: `task.*,hook.failed`) and
 * `?stack=`. An invalid pattern is the client's mistake, reported with the field.
 */
export function parseStreamFilter(query: { type?: string; stack?: string }): StreamFilter {
  let types: string[] | null = null;
  if (query.type !== undefined && query.type.trim() !== '') {
    const patterns = [...new Set(query.type.split(',').map((part) => part.trim()).filter(Boolean))];
    if (patterns.length > MAX_STREAM_PATTERNS) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `at most ${MAX_STREAM_PATTERNS} type patterns, got ${patterns.length}`, { where: 'query.type' });
    }
    for (const pattern of patterns) {
      if (!isValidPattern(pattern)) {
        throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `type pattern "${pattern}" is not valid`, {
          where: 'query.type',
          hint: 'use a type (task.failed), a prefix (task.*), * or several separated by commas',
        });
      }
    }
    types = patterns.includes('*') ? null : patterns;
  }
  const stack = query.stack !== undefined && query.stack !== '' ? query.stack : null;
  return { types, stack };
}

export function filterMatches(filter: StreamFilter, event: { type: string; stack: string | null }): boolean {
  if (filter.stack !== null && event.stack !== filter.stack) return false;
  return filter.types === null || matchesAny(filter.types, event.type);
}
