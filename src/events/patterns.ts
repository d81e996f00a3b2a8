/**
 * Event type patterns. A pattern is dotted segments where `*` stands for one segment, except a
 * trailing `*` which stands for one or more (`task.*` matches `task.failed` and `task.step.failed`);
 * a lone `*` matches every type. `*.failed` matches `task.failed` and `workflow.failed`.
 */
const PATTERN = /^(\*|[a-z0-9_][a-z0-9_-]*)(\.(\*|[a-z0-9_][a-z0-9_-]*))*$/;

export function isValidPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 200 && PATTERN.test(pattern);
}

export function isWildcard(pattern: string): boolean {
  return pattern.includes('*');
}

/** The anchored regular expression source for a pattern; usable in JS and in PostgreSQL (`~`). */
export function patternToRegexSource(pattern: string): string {
  if (pattern === '*') return '^.+$';
  const segments = pattern.split('.');
  const last = segments.length - 1;
  const parts = segments.map((segment, index) => {
    if (segment !== '*') return segment.replace(/[-_]/g, (c) => (c === '-' ? '\\-' : c));
    return index === last ? '[^.]+(\\.[^.]+)*' : '[^.]+';
  });
  return `^${parts.join('\\.')}$`;
}

const compiled = new Map<string, RegExp>();

export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === type;
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(patternToRegexSource(pattern));
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex.test(type);
}

export function matchesAny(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) if (matchesPattern(pattern, type)) return true;
  return false;
}
