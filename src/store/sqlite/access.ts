import type Database from 'better-sqlite3';
import type { EventInsert, InsertedEvent } from '../store.js';

/**
 * What the parts of the SQLite store (accounts, sources) get from SqliteStore: its prepared
 * statement cache, and its write queue, so their writes join the same group commit as events.
 */
export interface SqliteAccess {
  /** A prepared statement, cached by its SQL text. */
  stmt(sql: string): Database.Statement;
  /** Runs `work` in the next batched write transaction; resolves after the commit. */
  write<T>(work: () => T): Promise<T>;
  /** Inserts events now, on this connection: only inside `write` work, so they commit with it. */
  insertEventsNow(rows: readonly EventInsert[]): InsertedEvent[];
}
