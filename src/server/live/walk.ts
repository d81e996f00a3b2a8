import type { EventRecord } from '../../events/model.js';
import type { Store } from '../../store/store.js';

export interface Walk {
  /** Newest first. */
  rows: EventRecord[];
  /** True when every row between the bounds was read (the walk reached `stopAtOrBelow` or the log's start). */
  complete: boolean;
}

/**
 * Reads the log downwards from `before` (exclusive) to `stopAtOrBelow` (exclusive), newest first,
 * in pages, at most `max` rows. Only `before` and `limit` reach the store, so every page is a
 * range read on the primary key that stops at its LIMIT; a `since` or type filter there would
 * scan to the log's start whenever fewer rows than the limit match.
 */
export async function walkDown(store: Pick<Store, 'listEvents'>, before: string, stopAtOrBelow: string, max: number, pageSize = 500): Promise<Walk> {
  const rows: EventRecord[] = [];
  let bound = before;
  for (;;) {
    const limit = Math.min(pageSize, max - rows.length);
    if (limit <= 0) return { rows, complete: false };
    const page = await store.listEvents({ before: bound, limit });
    for (const row of page) {
      if (row.id <= stopAtOrBelow) return { rows, complete: true };
      rows.push(row);
    }
    if (page.length < limit) return { rows, complete: true };
    bound = page[page.length - 1].id;
  }
}
