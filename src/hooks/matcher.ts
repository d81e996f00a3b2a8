import type { EventRecord } from '../events/model.js';
import { isWildcard, matchesPattern } from '../events/patterns.js';
import { compileFilter, type CompiledFilter } from './filter.js';
import type { HookRecord } from './model.js';

interface IndexedHook {
  hook: HookRecord;
  filter: CompiledFilter | null;
}

/** The hooks whose patterns take one event type (exact patterns first, then wildcards, each in hook order); `unconditional` when none has a stack or filter. */
interface Candidates {
  readonly entries: readonly IndexedHook[];
  readonly unconditional: readonly HookRecord[] | null;
}

/** Event types whose candidates are kept; past this (a flood of distinct custom types) the cache starts over. */
const MAX_CACHED_TYPES = 1024;

/**
 * Which enabled hooks fire for an event: type patterns, then stack, then filter. Exact patterns
 * are a map lookup; only wildcard patterns are tested one by one, once per event type: the
 * candidates of a type are kept for the index's life (an index is rebuilt when hooks change).
 */
export class HookIndex {
  private readonly exact = new Map<string, IndexedHook[]>();
  private readonly wildcard: Array<{ pattern: string; entry: IndexedHook }> = [];
  private readonly byType = new Map<string, Candidates>();
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

  match(event: EventRecord): readonly HookRecord[] {
    return this.matchType(event.type, event.stack, event);
  }

  /**
   * As match, for an event that may not be a record yet: a `record` function is called only when
   * a filter has to read the event. The array returned may be shared: do not change it.
   */
  matchType(type: string, stack: string | null, record: EventRecord | (() => EventRecord)): readonly HookRecord[] {
    const candidates = this.candidatesFor(type);
    if (candidates.unconditional) return candidates.unconditional;
    const matched: HookRecord[] = [];
    let subject: EventRecord | undefined;
    for (const { hook, filter } of candidates.entries) {
      // Unlike Sloth Runner, a hook's stack really restricts it: only events of that stack fire it.
      if (hook.stack !== null && hook.stack !== stack) continue;
      if (filter) {
        subject ??= typeof record === 'function' ? record() : record;
        if (!filter.matches(subject)) continue;
      }
      matched.push(hook);
    }
    return matched;
  }

  private candidatesFor(type: string): Candidates {
    const known = this.byType.get(type);
    if (known) return known;
    const entries = new Set<IndexedHook>(this.exact.get(type));
    for (const { pattern, entry } of this.wildcard) if (matchesPattern(pattern, type)) entries.add(entry);
    const list = Object.freeze([...entries]);
    const unconditional = list.every(({ hook, filter }) => hook.stack === null && filter === null) ? Object.freeze(list.map(({ hook }) => hook)) : null;
    const candidates: Candidates = { entries: list, unconditional };
    if (this.byType.size >= MAX_CACHED_TYPES) this.byType.clear();
    this.byType.set(type, candidates);
    return candidates;
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
