import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HookflowError } from '../../errors.js';
import type { EventRecord, EventStatus, HookExecutionRecord, JsonValue } from '../../events/model.js';
import { isWildcard, patternToRegexSource } from '../../events/patterns.js';
import type { HookRecord } from '../../hooks/model.js';
import type { AccountStore } from '../accounts.js';
import type { ExecutionStore } from '../programs.js';
import { loadMigrations } from '../migrations.js';
import { toEvent, toExecution, toHook, toProcess, type Row } from '../rows.js';
import type {
  EventCompletion,
  EventInsert,
  EventQuery,
  InsertedEvent,
  ProcessInfo,
  Store,
} from '../store.js';
import type { SourceStore } from '../sources.js';
import type { WaitStore } from '../waits.js';
import type { WorkflowStore } from '../workflows.js';
import type { SqliteAccess } from './access.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteExecutions } from './programs.js';
import { SqliteSources } from './sources.js';
import { SqliteWaits } from './waits.js';
import { SqliteWorkflows } from './workflows.js';
import {
  completionParams,
  eventFromRow,
  EventWrites,
  insertedEvents,
  insertParams,
  type EventWriteArgs,
  type EventWriteName,
  type EventWriteResult,
  type InsertParams,
} from './event-writes.js';
import { SqliteWriterThread } from './writer-thread.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface SqliteStoreOptions {
  /**
   * `full` flushes the WAL on every commit (durable across power loss); `normal` only across a
   * process crash. Group commit makes `full` cheap, so it is the default.
   */
  synchronous?: 'full' | 'normal';
  /**
   * Once a dispatcher starts on this store, run the event writes (statements and commits) on a
   * thread with a connection of its own, so they leave the main thread to the dispatcher.
   * Default true; never for `:memory:`.
   */
  writerThread?: boolean;
}

/** How long a write waits for another process's lock before it fails. */
const BUSY_TIMEOUT_MS = 10_000;
/** Atomics.wait needs a shared cell to sleep on; nothing ever wakes it. */
const BUSY_WAIT_CELL = new Int32Array(new SharedArrayBuffer(4));

/** The embedded backend: one SQLite file in WAL mode, shared safely by several processes. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  private writerOptions: { thread: boolean; synchronous: 'full' | 'normal' } = { thread: false, synchronous: 'full' };
  private eventWrites: EventWrites | null = null;
  private writer: SqliteWriterThread | null = null;
  private writerStart: Promise<void> | null = null;
  readonly accounts: AccountStore;
  readonly sources: SourceStore;
  readonly waits: WaitStore;
  readonly workflows: WorkflowStore;
  readonly programs: ExecutionStore;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    const access: SqliteAccess = { stmt: (sql) => this.stmt(sql), write: (work) => this.write(work), insertEventsNow: (rows) => this.insertEventsNow(rows) };
    this.accounts = new SqliteAccounts(access);
    this.sources = new SqliteSources(access);
    this.waits = new SqliteWaits(access);
    this.workflows = new SqliteWorkflows(access);
    this.programs = new SqliteExecutions(access);
  }

  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (error) {
      throw new HookflowError('HF_ERR_STORE', `cannot open SQLite store ${path}: ${(error as Error).message}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -32000');
    // Checkpoints run inside a commit on this thread: fewer, larger ones write each hot page once.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('temp_store = MEMORY');
    db.function('hf_regexp', { deterministic: true }, (pattern: unknown, value: unknown) =>
      typeof pattern === 'string' && typeof value === 'string' && regexFor(pattern).test(value) ? 1 : 0,
    );
    const store = new SqliteStore(path, db);
    store.writerOptions = { thread: options.writerThread ?? true, synchronous: options.synchronous ?? 'full' };
    await store.migrate();
    return store;
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Writes made during one turn of the event loop run together on the next turn, in one short
   * transaction: inserts, claims and completions made at about the same time share one commit,
   * hence one WAL flush. The write lock is held only while that batch runs, never across turns,
   * so other processes get their turn. Each write runs in a savepoint (a failing one rolls back
   * alone) and its promise resolves only after the commit: nothing is acknowledged before it is
   * durable.
   */
  private writes: Array<{ work: () => unknown; resolve: (value: never) => void; reject: (error: unknown) => void }> = [];

  private write<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.writes.push({ work, resolve: resolve as (value: never) => void, reject });
      if (this.writes.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  /**
   * BEGIN IMMEDIATE, waiting for another process's write lock in steps of 0.2 ms: SQLite's own
   * busy handler sleeps 1, 2, 5, 10… ms, so two workers on one file would mostly sleep while the
   * lock, held for about one commit, was already free.
   */
  private beginImmediate(): void {
    this.db.pragma('busy_timeout = 0');
    try {
      const deadline = Date.now() + BUSY_TIMEOUT_MS;
      for (;;) {
        try {
          this.db.exec('BEGIN IMMEDIATE');
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
          Atomics.wait(BUSY_WAIT_CELL, 0, 0, 0.2);
        }
      }
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  private flushWrites(): void {
    const batch = this.writes;
    this.writes = [];
    if (batch.length === 0 || !this.db.open) {
      for (const entry of batch) entry.reject(new HookflowError('HF_ERR_STORE', `SQLite store ${this.path} is closed`));
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.beginImmediate();
      for (const entry of batch) {
        try {
          outcomes.push({ ok: true, value: this.db.transaction(entry.work)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const failure = new HookflowError('HF_ERR_STORE', `SQLite write to ${this.path} failed: ${(error as Error).message}`);
      for (const entry of batch) entry.reject(failure);
      return;
    }
    batch.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) entry.resolve(outcome.value as never);
      else entry.reject(outcome.error);
    });
  }

  async migrate(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS hookflow_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const apply = this.db.transaction(() => {
      const done = new Set(
        (this.db.prepare('SELECT version FROM hookflow_migrations').all() as Row[]).map((r) => Number(r.version)),
      );
      for (const migration of loadMigrations(MIGRATIONS_DIR)) {
        if (done.has(migration.version)) continue;
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO hookflow_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, Date.now());
      }
    });
    // IMMEDIATE: two processes opening a new file at once must not both apply migration 1.
    apply.immediate();
  }

  async close(): Promise<void> {
    await this.writerStart;
    await this.writer?.close();
    if (this.writes.length > 0) this.flushWrites();
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  async insertEvents(rows: readonly EventInsert[]): Promise<InsertedEvent[]> {
    if (rows.length === 0) return [];
    const { records, params } = prepareInserts(rows);
    return insertedEvents(records, await this.eventWrite('insert', { rows: params }));
  }

  /** insertEvents inside a write already running on this connection (see SqliteAccess). */
  private insertEventsNow(rows: readonly EventInsert[]): InsertedEvent[] {
    if (rows.length === 0) return [];
    const { records, params } = prepareInserts(rows);
    this.eventWrites ??= new EventWrites(this.db);
    return insertedEvents(records, this.eventWrites.apply('insert', { rows: params }));
  }

  async claimEvents(owner: string, leaseMs: number, limit: number): Promise<EventRecord[]> {
    if (limit <= 0) return [];
    const now = Date.now();
    const rows = await this.eventWrite('claim', { owner, leaseUntil: now + leaseMs, now, limit });
    return rows.map(eventFromRow).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async claimEvent(id: string, owner: string, leaseMs: number): Promise<EventRecord | null> {
    const now = Date.now();
    const row = await this.eventWrite('claimOne', { id, owner, leaseUntil: now + leaseMs, now });
    return row ? eventFromRow(row) : null;
  }

  async renewLeases(owner: string, leaseMs: number): Promise<number> {
    return this.eventWrite('renew', { owner, leaseUntil: Date.now() + leaseMs });
  }

  async completeEvents(completions: readonly EventCompletion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    return this.eventWrite('complete', { completions: completions.map(completionParams) });
  }

  async releaseEvents(owner: string, ids?: readonly string[]): Promise<number> {
    if (ids && ids.length === 0) return 0;
    return this.eventWrite('release', { owner, ids: ids ? [...ids] : null });
  }

  /**
   * The event hot path's writes go to the writer thread once it runs (a dispatcher started here),
   * and through this connection's write queue before that, or when there is none (`:memory:`).
   * Either way a request resolves only after its transaction committed.
   */
  private eventWrite<K extends EventWriteName>(name: K, args: EventWriteArgs<K>): Promise<EventWriteResult<K>> {
    if (this.writer?.usable) return this.writer.request(name, args);
    this.eventWrites ??= new EventWrites(this.db);
    const writes = this.eventWrites;
    return this.write(() => writes.apply(name, args));
  }

  /** Starts the writer thread once, in the background: writes go through this connection meanwhile. */
  private startWriter(): void {
    if (this.writerStart || this.path === ':memory:' || !this.writerOptions.thread) return;
    this.writerStart = SqliteWriterThread.start({ path: this.path, synchronous: this.writerOptions.synchronous }).then((writer) => {
      if (writer && !this.db.open) return writer.close();
      this.writer = writer;
    });
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    const row = this.stmt('SELECT * FROM events WHERE id = ?').get(id) as Row | undefined;
    return row ? toEvent(row) : null;
  }

  async listEvents(query: EventQuery): Promise<EventRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.type) {
      if (query.type === '*') {
        // every type
      } else if (isWildcard(query.type)) {
        where.push('hf_regexp(?, type)');
        params.push(patternToRegexSource(query.type));
      } else {
        where.push('type = ?');
        params.push(query.type);
      }
    }
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.stack) {
      where.push('stack = ?');
      params.push(query.stack);
    }
    if (query.since !== undefined) {
      where.push('created_at >= ?');
      params.push(query.since);
    }
    if (query.before) {
      where.push('id < ?');
      params.push(query.before);
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    params.push(query.limit);
    return (this.db.prepare(sql).all(...params) as Row[]).map(toEvent);
  }

  async countEventsByStatus(): Promise<Record<EventStatus, number>> {
    const counts: Record<EventStatus, number> = { pending: 0, processing: 0, completed: 0, failed: 0 };
    for (const row of this.stmt('SELECT status, COUNT(*) AS n FROM events GROUP BY status').all() as Row[]) {
      counts[row.status as EventStatus] = Number(row.n);
    }
    return counts;
  }

  async deleteEvent(id: string): Promise<'deleted' | 'not_found' | 'in_progress'> {
    return this.write(() => {
      const row = this.stmt('SELECT status FROM events WHERE id = ?').get(id) as Row | undefined;
      if (!row) return 'not_found' as const;
      if (row.status === 'pending' || row.status === 'processing') return 'in_progress' as const;
      this.stmt('DELETE FROM events WHERE id = ?').run(id);
      return 'deleted' as const;
    });
  }

  async deleteEventsBefore(before: number): Promise<number> {
    const purge = this.stmt(`DELETE FROM events WHERE created_at < ? AND status IN ('completed', 'failed')`);
    return this.write(() => purge.run(before).changes);
  }

  async hasClaimableEvents(): Promise<boolean> {
    return (
      this.stmt(`SELECT 1 FROM events WHERE status = 'pending' LIMIT 1`).get() !== undefined ||
      this.stmt(`SELECT 1 FROM events WHERE status = 'processing' AND lease_expires_at < ? LIMIT 1`).get(Date.now()) !== undefined
    );
  }

  // ── hook executions ───────────────────────────────────────────────────────────────────────

  async listExecutionsForEvent(eventId: string): Promise<HookExecutionRecord[]> {
    return (this.stmt('SELECT * FROM hook_executions WHERE event_id = ? ORDER BY id').all(eventId) as Row[]).map(toExecution);
  }

  async listExecutionsForHook(hookName: string, query: { limit: number; onlyFailed: boolean }): Promise<HookExecutionRecord[]> {
    const sql = `SELECT * FROM hook_executions WHERE hook_name = ? ${query.onlyFailed ? 'AND success = 0' : ''}
      ORDER BY executed_at DESC, id DESC LIMIT ?`;
    return (this.stmt(sql).all(hookName, query.limit) as Row[]).map(toExecution);
  }

  // ── hooks ─────────────────────────────────────────────────────────────────────────────────

  async saveHook(hook: HookRecord, options: { replace: boolean }): Promise<void> {
    const values = [
      hook.name,
      hook.description,
      JSON.stringify(hook.events),
      hook.stack,
      hook.filter,
      hook.runtime,
      hook.source,
      hook.commands ? JSON.stringify(hook.commands) : null,
      hook.cwd,
      hook.timeout_ms,
      hook.memory_mb,
      hook.enabled ? 1 : 0,
      JSON.stringify(hook.retry),
      hook.created_at,
      hook.updated_at,
      hook.last_run,
      hook.run_count,
      hook.action,
      hook.params ? JSON.stringify(hook.params) : null,
    ];
    await this.write(() => {
      const exists = this.stmt('SELECT 1 FROM hooks WHERE name = ?').get(hook.name) !== undefined;
      if (exists && !options.replace) {
        throw new HookflowError('HF_ERR_CONFLICT', `a hook named "${hook.name}" already exists`, {
          hint: 'choose another --name, or remove the existing hook first',
        });
      }
      if (exists) {
        // A replaced hook keeps its history: created_at, last_run and run_count stay.
        this.stmt(`UPDATE hooks SET description = ?, events = ?, stack = ?, filter = ?, runtime = ?, source = ?,
            commands = ?, cwd = ?, timeout_ms = ?, memory_mb = ?, enabled = ?, retry = ?, updated_at = ?, action = ?, params = ? WHERE name = ?`).run(
          ...values.slice(1, 13),
          hook.updated_at,
          ...values.slice(17, 19),
          hook.name,
        );
      } else {
        this.stmt(`INSERT INTO hooks (name, description, events, stack, filter, runtime, source, commands, cwd, timeout_ms,
            memory_mb, enabled, retry, created_at, updated_at, last_run, run_count, action, params)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(values);
      }
      this.bumpHooksRevision();
    });
  }

  private bumpHooksRevision(): void {
    this.stmt(`UPDATE meta SET value = value + 1 WHERE key = 'hooks_revision'`).run();
  }

  async getHook(name: string): Promise<HookRecord | null> {
    const row = this.stmt('SELECT * FROM hooks WHERE name = ?').get(name) as Row | undefined;
    return row ? toHook(row) : null;
  }

  async listHooks(query: { stack?: string | null; enabledOnly?: boolean }): Promise<HookRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.stack) {
      where.push('stack = ?');
      params.push(query.stack);
    }
    if (query.enabledOnly) where.push('enabled = 1');
    const sql = `SELECT * FROM hooks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toHook);
  }

  async setHookEnabled(name: string, enabled: boolean): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt('UPDATE hooks SET enabled = ?, updated_at = ? WHERE name = ?').run(enabled ? 1 : 0, Date.now(), name).changes;
      if (changed) this.bumpHooksRevision();
      return changed === 1;
    });
  }

  async deleteHook(name: string): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt('DELETE FROM hooks WHERE name = ?').run(name).changes;
      if (changed) this.bumpHooksRevision();
      return changed === 1;
    });
  }

  async hooksRevision(): Promise<number> {
    return Number((this.stmt(`SELECT value FROM meta WHERE key = 'hooks_revision'`).get() as Row).value);
  }

  // ── state ─────────────────────────────────────────────────────────────────────────────────

  async stateGet(key: string): Promise<JsonValue | null> {
    const row = this.stmt('SELECT value FROM state WHERE key = ?').get(key) as Row | undefined;
    return row ? (JSON.parse(String(row.value)) as JsonValue) : null;
  }

  async stateSet(key: string, value: JsonValue): Promise<void> {
    const upsert = this.stmt(`INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
    await this.write(() => upsert.run(key, JSON.stringify(value), Date.now()));
  }

  async stateDelete(key: string): Promise<boolean> {
    const remove = this.stmt('DELETE FROM state WHERE key = ?');
    return this.write(() => remove.run(key).changes === 1);
  }

  async stateIncrement(key: string, by: number): Promise<number> {
    return this.write(() => {
      const row = this.stmt('SELECT value FROM state WHERE key = ?').get(key) as Row | undefined;
      const current = row ? (JSON.parse(String(row.value)) as JsonValue) : 0;
      if (typeof current !== 'number') {
        throw new HookflowError('HF_ERR_CONFLICT', `state "${key}" holds a ${Array.isArray(current) ? 'list' : typeof current}, not a number`, {
          hint: 'increment only numeric state values, or delete the key first',
        });
      }
      const next = current + by;
      this.stmt(`INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`).run(key, JSON.stringify(next), Date.now());
      return next;
    });
  }

  async stateList(prefix?: string): Promise<Array<{ key: string; value: JsonValue; updated_at: number }>> {
    const rows = (prefix
      ? this.stmt(`SELECT * FROM state WHERE substr(key, 1, ?) = ? ORDER BY key`).all(prefix.length, prefix)
      : this.stmt('SELECT * FROM state ORDER BY key').all()) as Row[];
    return rows.map((row) => ({ key: String(row.key), value: JSON.parse(String(row.value)) as JsonValue, updated_at: Number(row.updated_at) }));
  }

  // ── secrets ───────────────────────────────────────────────────────────────────────────────

  async secretPut(name: string, ciphertext: string): Promise<void> {
    const now = Date.now();
    const upsert = this.stmt(`INSERT INTO secrets (name, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`);
    await this.write(() => upsert.run(name, ciphertext, now, now));
  }

  async secretGet(name: string): Promise<string | null> {
    const row = this.stmt('SELECT ciphertext FROM secrets WHERE name = ?').get(name) as Row | undefined;
    return row ? String(row.ciphertext) : null;
  }

  async secretList(): Promise<Array<{ name: string; created_at: number; updated_at: number }>> {
    return (this.stmt('SELECT name, created_at, updated_at FROM secrets ORDER BY name').all() as Row[]).map((row) => ({
      name: String(row.name),
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
    }));
  }

  async secretDelete(name: string): Promise<boolean> {
    const remove = this.stmt('DELETE FROM secrets WHERE name = ?');
    return this.write(() => remove.run(name).changes === 1);
  }

  // ── processes ─────────────────────────────────────────────────────────────────────────────

  async registerProcess(info: ProcessInfo): Promise<void> {
    const upsert = this.stmt(`INSERT INTO processes (id, kind, host, pid, started_at, heartbeat_at, info) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, info = excluded.info`);
    await this.write(() => upsert.run(info.id, info.kind, info.host, info.pid, info.started_at, info.heartbeat_at, JSON.stringify(info.info)));
  }

  async heartbeatProcess(id: string): Promise<void> {
    const beat = this.stmt('UPDATE processes SET heartbeat_at = ? WHERE id = ?');
    await this.write(() => beat.run(Date.now(), id));
  }

  async removeProcess(id: string): Promise<void> {
    const remove = this.stmt('DELETE FROM processes WHERE id = ?');
    await this.write(() => remove.run(id));
  }

  async listLiveProcesses(kind: string, maxAgeMs: number): Promise<ProcessInfo[]> {
    return (this.stmt('SELECT * FROM processes WHERE kind = ? AND heartbeat_at >= ? ORDER BY started_at, id').all(kind, Date.now() - maxAgeMs) as Row[]).map(toProcess);
  }

  /** SQLite has no cross-process signal; a dispatcher subscribing is what starts the writer thread. */
  async subscribeEvents(): Promise<null> {
    this.startWriter();
    return null;
  }
}

function prepareInserts(rows: readonly EventInsert[]): { records: EventRecord[]; params: InsertParams[] } {
  const records: EventRecord[] = [];
  const params: InsertParams[] = [];
  for (const row of rows) {
    const prepared = insertParams(row);
    records.push(prepared.record);
    params.push(prepared.params);
  }
  return { records, params };
}

const regexCache = new Map<string, RegExp>();
function regexFor(source: string): RegExp {
  let regex = regexCache.get(source);
  if (!regex) {
    regex = new RegExp(source);
    regexCache.set(source, regex);
  }
  return regex;
}
