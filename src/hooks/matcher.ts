import type { EventRecord } from '../events/model.js';
import { isWildcard, matchesPattern } from '../events/patterns.js';
import { compileFilter, type CompiledFilter } from './filter.js';
import type { HookRecord } from './model.js';

interface IndexedHook {
  hook: HookRecord;
  filter: CompiledFilter | null;
}

/**
 * Which enabled hooks fire for an event: type patterns, then stack, then filter. Exact patterns
 * are a map lookup; only wildcard patterns are tested one by one.
 */
export class HookIndex {
  private readonly exact = new Map<string, IndexedHook[]>();
  private readonly wildcard: Array<{ pattern: string; entry: IndexedHook }> = [];
  readonly size: number;

  constructor(hooks: readonly HookRecord[]) {
    let size = 0;
    for (const hook of hooks) {
      if (!hook.enabled) continue;
      size += 1;
      const entry: IndexedHook = { hook, filter: hook.filter ? safeCompile(hook.filter) : null };
      for (const pattern of new Set(hook.events)) {
        if (isWildcard(pattern)) this.wildcard.push({ pattern, entry });
        else {
          const list = this.exact.get(pattern) ?? [];
          list.push(entry);
          this.exact.set(pattern, list);
        }
      }
    }
    this.size = size;
  }

  match(event: EventRecord): HookRecord[] {
    const candidates = new Set<IndexedHook>(this.exact.get(event.type) ?? []);
    for (const { pattern, entry } of this.wildcard) if (matchesPattern(pattern, event.type)) candidates.add(entry);
    const matched: HookRecord[] = [];
    for (const { hook, filter } of candidates) {
      // Unlike Sloth Runner, a hook's stack really restricts it: only events of that stack fire it.
      if (hook.stack !== null && hook.stack !== event.stack) continue;
      if (filter && !filter.matches(event)) continue;
      matched.push(hook);
    }
    return matched;
  }
}

/** A filter that no longer compiles (edited by hand in the store) matches nothing rather than everything. */
function safeCompile(expression: string): CompiledFilter {
  try {
    return compileFilter(expression);
  } catch {
    return { source: expression, matches: () => false };
  }
}
