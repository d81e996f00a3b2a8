import type Database from 'better-sqlite3';

/**
 * What the parts of the SQLite store (accounts, sources) get from SqliteStore: its prepared
 * statement cache, and its write queue, so their writes join the same group commit as events.
 */
export interface SqliteAccess {
  /** A prepared statement, cached by its SQL text. */
  stmt(sql: string): Database.Statement;
  /** Runs `work` in the next batched write transaction; resolves after the commit. */
  write<T>(work: () => T): Promise<T>;
}
