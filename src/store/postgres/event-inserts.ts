import type { QueryConfig } from 'pg';
import type { EventInsert, InsertedEvent } from '../store.js';
import { eventDataText, newEventRecord, toEvent, type Row } from '../rows.js';
import * as sql from './statements.js';

/**
 * Inserts events through `query`: the pool (PostgresStore.insertEvents) or a transaction's client
 * (a workflow store's outbox, so the events commit with the transitions they tell of). Rows an
 * idempotency key already holds get the event holding it, `created: false`.
 */
export async function insertEventRows(query: (config: QueryConfig) => Promise<Row[]>, rows: readonly EventInsert[]): Promise<InsertedEvent[]> {
  if (rows.length === 0) return [];
  const records = rows.map(newEventRecord);
  const keyed = records.some((record) => record.idempotency_key !== null);
  const inserted = await query({
    ...(keyed ? { name: 'hf_insert_events', text: sql.INSERT_EVENTS } : { name: 'hf_insert_unkeyed_events', text: sql.INSERT_UNKEYED_EVENTS }),
    values: [
      records.map((r) => r.id),
      records.map((r) => r.type),
      records.map((r) => r.stack),
      records.map((r) => r.source),
      records.map((r, index) => eventDataText(rows[index], r)),
      records.map((r) => r.status),
      records.map((r) => r.attempts),
      records.map((r) => r.created_at),
      records.map((r) => r.processed_at),
      records.map((r) => r.correlation_id),
      records.map((r) => r.idempotency_key),
      records.map((r) => r.parent_id),
      rows.map((r) => r.claim?.owner ?? null),
      rows.map((r) => r.claim?.lease_expires_at ?? null),
    ],
  });
  const created = new Set(inserted.map((row) => String(row.id)));
  if (created.size === records.length) return records.map((event) => ({ event, created: true }));

  // Rows skipped for an existing idempotency key get the event that holds the key. That event
  // is committed (ON CONFLICT waited for it), so a plain read finds it.
  const keys = records.filter((r) => !created.has(r.id)).map((r) => r.idempotency_key as string);
  const existing = new Map((await query({ name: 'hf_events_by_keys', text: sql.EVENTS_BY_KEYS, values: [keys] })).map((row) => [String(row.idempotency_key), toEvent(row)]));
  const results = records.map((event): InsertedEvent | null => {
    if (created.has(event.id)) return { event, created: true };
    const first = existing.get(event.idempotency_key as string);
    return first ? { event: first, created: false } : null;
  });
  // The holder of a key was deleted between the two statements: insert those rows again.
  const vanished = results.flatMap((result, index) => (result ? [] : [index]));
  if (vanished.length > 0) {
    const again = await insertEventRows(
      query,
      vanished.map((index) => rows[index]),
    );
    vanished.forEach((index, i) => {
      results[index] = again[i];
    });
  }
  return results as InsertedEvent[];
}
