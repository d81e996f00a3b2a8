import type Database from 'better-sqlite3';
import type { EventRecord, EventStatus, JsonObject } from '../../events/model.js';
import { eventDataText, newEventRecord } from '../rows.js';
import type { EventCompletion, EventInsert, InsertedEvent } from '../store.js';

/**
 * The SQLite statements of the event hot path (insert, claim, renew, complete, release), run
 * synchronously on one connection. The same code runs on the store's own connection, inside its
 * write queue, or on a writer thread with a connection of its own (writer-thread.ts): requests and
 * results are plain data (arrays, strings, numbers), so they cross a thread as cheaply as they can.
 */

/** An event row as the statements here return it: the columns of EVENT_ROW, in that order. */
export type EventRow = unknown[];

const EVENT_ROW =
  'id, type, stack, source, data, status, attempts, error, created_at, processed_at, correlation_id, idempotency_key, parent_id';

/**
 * One insert: id, type, stack, source, data (JSON text), status, attempts, created_at,
 * processed_at, correlation_id, idempotency_key, parent_id, owner, lease_expires_at.
 */
export type InsertParams = [
  string,
  string,
  string | null,
  string,
  string,
  EventStatus,
  number,
  number,
  number | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number | null,
];

/** One completion: id, owner, status, error, processed_at, then its executions. */
export type CompletionParams = [string, string, 'completed' | 'failed', string | null, number, ExecutionParams[]];

/** One hook execution: hook_name, success (0/1), output, error, duration_ms, executed_at, attempt. */
export type ExecutionParams = [string, 0 | 1, string, string | null, number, number, number];

/** Each request and what it returns. */
export interface EventWriteRequests {
  /** Per row: null when inserted, the row holding its idempotency key otherwise. */
  insert: { args: { rows: InsertParams[] }; result: Array<EventRow | null> };
  claim: { args: { owner: string; leaseUntil: number; now: number; limit: number }; result: EventRow[] };
  claimOne: { args: { id: string; owner: string; leaseUntil: number; now: number }; result: EventRow | null };
  renew: { args: { owner: string; leaseUntil: number }; result: number };
  /** The ids whose status was applied. */
  complete: { args: { completions: CompletionParams[] }; result: string[] };
  release: { args: { owner: string; ids: string[] | null }; result: number };
}

export type EventWriteName = keyof EventWriteRequests;
export type EventWriteArgs<K extends EventWriteName> = EventWriteRequests[K]['args'];
export type EventWriteResult<K extends EventWriteName> = EventWriteRequests[K]['result'];

/** The statements, prepared once per connection. */
export class EventWrites {
  private readonly insert: Database.Statement;
  private readonly insertKeyed: Database.Statement;
  private readonly byKey: Database.Statement;
  private readonly claimPending: Database.Statement;
  private readonly claimExpired: Database.Statement;
  private readonly claimById: Database.Statement;
  private readonly renewAll: Database.Statement;
  private readonly insertExecution: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly bumpHook: Database.Statement;
  private readonly releaseAll: Database.Statement;
  private readonly releaseOne: Database.Statement;

  constructor(db: Database.Database) {
    const columns = `INSERT INTO events (id, type, stack, source, data, status, attempts, created_at, processed_at,
        correlation_id, idempotency_key, parent_id, owner, lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.insert = db.prepare(columns);
    this.insertKeyed = db.prepare(`${columns} ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`);
    this.byKey = db.prepare(`SELECT ${EVENT_ROW} FROM events WHERE idempotency_key = ?`).raw(true);
    // Two statements, each served by its own partial index: pending events oldest first, then
    // events whose owner stopped renewing its lease.
    this.claimPending = db
      .prepare(
        `UPDATE events SET status = 'processing', owner = ?, lease_expires_at = ?, attempts = attempts + 1
        WHERE id IN (SELECT id FROM events WHERE status = 'pending' ORDER BY id LIMIT ?)
        RETURNING ${EVENT_ROW}`,
      )
      .raw(true);
    this.claimExpired = db
      .prepare(
        `UPDATE events SET owner = ?, lease_expires_at = ?, attempts = attempts + 1
        WHERE id IN (SELECT id FROM events WHERE status = 'processing' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?)
        RETURNING ${EVENT_ROW}`,
      )
      .raw(true);
    this.claimById = db
      .prepare(
        `UPDATE events SET status = 'processing', owner = ?, lease_expires_at = ?, attempts = attempts + 1
        WHERE id = ? AND (status = 'pending' OR (status = 'processing' AND lease_expires_at < ?))
        RETURNING ${EVENT_ROW}`,
      )
      .raw(true);
    this.renewAll = db.prepare(`UPDATE events SET lease_expires_at = ? WHERE owner = ? AND status = 'processing'`);
    this.insertExecution = db.prepare(`INSERT INTO hook_executions
      (event_id, hook_name, success, output, error, duration_ms, executed_at, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.finish = db.prepare(`UPDATE events SET status = ?, error = ?, processed_at = ?, owner = NULL, lease_expires_at = NULL
      WHERE id = ? AND owner = ? AND status = 'processing'`);
    this.bumpHook = db.prepare('UPDATE hooks SET run_count = run_count + ?, last_run = MAX(COALESCE(last_run, 0), ?) WHERE name = ?');
    this.releaseAll = db.prepare(`UPDATE events SET status = 'pending', owner = NULL, lease_expires_at = NULL
      WHERE owner = ? AND status = 'processing'`);
    this.releaseOne = db.prepare(`UPDATE events SET status = 'pending', owner = NULL, lease_expires_at = NULL
      WHERE id = ? AND owner = ? AND status = 'processing'`);
  }

  /** Runs one request; the caller owns the transaction. */
  apply<K extends EventWriteName>(name: K, args: EventWriteArgs<K>): EventWriteResult<K> {
    // The casts pair each name with its own args and result, which TypeScript cannot narrow.
    switch (name) {
      case 'insert':
        return this.insertRows(args as EventWriteArgs<'insert'>) as EventWriteResult<K>;
      case 'claim':
        return this.claim(args as EventWriteArgs<'claim'>) as EventWriteResult<K>;
      case 'claimOne': {
        const { id, owner, leaseUntil, now } = args as EventWriteArgs<'claimOne'>;
        return ((this.claimById.get(owner, leaseUntil, id, now) as EventRow | undefined) ?? null) as EventWriteResult<K>;
      }
      case 'renew': {
        const { owner, leaseUntil } = args as EventWriteArgs<'renew'>;
        return this.renewAll.run(leaseUntil, owner).changes as EventWriteResult<K>;
      }
      case 'complete':
        return this.complete(args as EventWriteArgs<'complete'>) as EventWriteResult<K>;
      case 'release': {
        const { owner, ids } = args as EventWriteArgs<'release'>;
        const released = ids === null ? this.releaseAll.run(owner).changes : ids.reduce((sum, id) => sum + this.releaseOne.run(id, owner).changes, 0);
        return released as EventWriteResult<K>;
      }
      default:
        throw new Error(`unknown event write "${String(name)}"`);
    }
  }

  private insertRows({ rows }: EventWriteArgs<'insert'>): EventWriteResult<'insert'> {
    const results: Array<EventRow | null> = [];
    for (const row of rows) {
      const key = row[10];
      if (key === null) {
        this.insert.run(row);
        results.push(null);
      } else if (this.insertKeyed.run(row).changes === 1) {
        results.push(null);
      } else {
        results.push(this.byKey.get(key) as EventRow);
      }
    }
    return results;
  }

  private claim({ owner, leaseUntil, now, limit }: EventWriteArgs<'claim'>): EventWriteResult<'claim'> {
    if (limit <= 0) return [];
    const taken = this.claimExpired.all(owner, leaseUntil, now, limit) as EventRow[];
    return taken.length < limit ? taken.concat(this.claimPending.all(owner, leaseUntil, limit - taken.length) as EventRow[]) : taken;
  }

  private complete({ completions }: EventWriteArgs<'complete'>): EventWriteResult<'complete'> {
    const applied: string[] = [];
    const runs = new Map<string, { count: number; last: number }>();
    for (const [id, owner, status, error, processedAt, executions] of completions) {
      for (const execution of executions) {
        const [hookName, success, output, executionError, durationMs, executedAt, attempt] = execution;
        this.insertExecution.run(id, hookName, success, output, executionError, durationMs, executedAt, attempt);
        const entry = runs.get(hookName);
        if (entry) {
          entry.count += 1;
          if (executedAt > entry.last) entry.last = executedAt;
        } else {
          runs.set(hookName, { count: 1, last: executedAt });
        }
      }
      if (this.finish.run(status, error, processedAt, id, owner).changes === 1) applied.push(id);
    }
    for (const [name, entry] of runs) this.bumpHook.run(entry.count, entry.last, name);
    return applied;
  }
}

// ── between records and requests (on the thread that owns the records) ─────────────────────

/** The insert parameters of one row, and the record the insert produces (so nothing is read back). */
export function insertParams(row: EventInsert): { params: InsertParams; record: EventRecord } {
  const record = newEventRecord(row);
  const params: InsertParams = [
    record.id,
    record.type,
    record.stack,
    record.source,
    eventDataText(row, record),
    record.status,
    record.attempts,
    record.created_at,
    record.processed_at,
    record.correlation_id,
    record.idempotency_key,
    record.parent_id,
    row.claim?.owner ?? null,
    row.claim?.lease_expires_at ?? null,
  ];
  return { params, record };
}

/** Pairs the records with what the insert returned. */
export function insertedEvents(records: readonly EventRecord[], results: ReadonlyArray<EventRow | null>): InsertedEvent[] {
  return records.map((record, index) => {
    const existing = results[index];
    return existing ? { event: eventFromRow(existing), created: false } : { event: record, created: true };
  });
}

export function completionParams(completion: EventCompletion): CompletionParams {
  return [
    completion.id,
    completion.owner,
    completion.status,
    completion.error,
    completion.processed_at,
    completion.executions.map((execution): ExecutionParams => [
      execution.hook_name,
      execution.success ? 1 : 0,
      execution.output,
      execution.error,
      execution.duration_ms,
      execution.executed_at,
      execution.attempt,
    ]),
  ];
}

export function eventFromRow(row: EventRow): EventRecord {
  return {
    id: row[0] as string,
    type: row[1] as string,
    stack: row[2] as string | null,
    source: row[3] as string,
    data: JSON.parse(row[4] as string) as JsonObject,
    status: row[5] as EventStatus,
    attempts: Number(row[6]),
    error: row[7] as string | null,
    created_at: Number(row[8]),
    processed_at: row[9] === null ? null : Number(row[9]),
    correlation_id: row[10] as string | null,
    idempotency_key: row[11] as string | null,
    parent_id: row[12] as string | null,
  };
}
