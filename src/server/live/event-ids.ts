/**
 * Cursor arithmetic on event ids. Event ids are UUIDv7 (src/events/ids.ts): the first 48 bits
 * are the creation time in epoch ms, so string order is time order (byte order in SQLite's
 * BINARY and PostgreSQL's COLLATE "C" alike). The stream and its store tail move through the log
 * with these bounds instead of `created_at`, because `id` is the indexed column.
 */

const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `text` has the shape of an event id (what a Last-Event-ID may be). */
export function isEventId(text: string): boolean {
  return EVENT_ID.test(text);
}

/** The creation time (epoch ms) an event id carries. */
export function idTime(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * A bound below every id made in millisecond `ms` and above every id made before it. It is never
 * an id itself: real ids have version 7 where this has 0.
 */
export function idFloor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/**
 * The smallest string above `id`: `before: idSuccessor(x)` asks for ids ≤ x. Any id above x
 * differs from it at some earlier character, so it stays above the successor too.
 */
export function idSuccessor(id: string): string {
  return `${id}0`;
}
