import pg from 'pg';
import { HookflowError } from '../../errors.js';
import type { EventRecord, EventStatus, HookExecutionRecord, JsonValue } from '../../events/model.js';
import { isWildcard, patternToRegexSource } from '../../events/patterns.js';
import type { HookRecord } from '../../hooks/model.js';
import type { EventCompletion, EventInsert, EventQuery, InsertedEvent, ProcessInfo, Store, StoreChange } from '../store.js';
import type { AccountStore } from '../accounts.js';
import type { ExecutionStore } from '../programs.js';
import type { SourceStore } from '../sources.js';
import type { WaitStore } from '../waits.js';
import type { WorkflowStore } from '../workflows.js';
import { PostgresAccounts } from './accounts.js';
import { PostgresExecutions } from './programs.js';
import { PostgresSources } from './sources.js';
import { PostgresWaits } from './waits.js';
import { PostgresWorkflows } from './workflows.js';
import {
  connectionConfig,
  createPool,
  retryTransient,
  openError,
  schemaFromUrl,
  validateSchema,
  validateUrl,
  type PoolOptions,
} from './connection.js';
import { QueueVacuum } from './queue-vacuum.js';
import { EventsListener } from './listener.js';
import { migrate } from './migrate.js';
import { EVENT_COLUMNS, jsonParam, toEvent, toExecution, toHook, toProcess, type Row } from '../rows.js';
import * as sql from './statements.js';
import { insertEventRows } from './event-inserts.js';

export interface PostgresStoreOptions extends PoolOptions {
  /** Completed events between two vacuums of the event queue (queue-vacuum.ts); default 50 000. */
  queueVacuumEvery?: number;
}

const QUEUE_VACUUM_EVERY = 50_000;

/** Attempts of one atomic statement that PostgreSQL aborted to break a deadlock. */
const TRANSIENT_ATTEMPTS = 3;

/**
 * The server backend: many dispatchers and workers on many machines share one database. Every
 * transition is one statement (or one transaction); claims use FOR UPDATE SKIP LOCKED, batches
 * travel as arrays through `unnest`, and wake-ups go through LISTEN/NOTIFY.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly listener: EventsListener;
  private closing: Promise<void> | null = null;
  private readonly queueVacuum: QueueVacuum;
  readonly accounts: AccountStore;
  readonly sources: SourceStore;
  readonly waits: WaitStore;
  readonly workflows: WorkflowStore;
  readonly programs: ExecutionStore;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string | null,
    url: string,
    options: PostgresStoreOptions,
  ) {
    this.listener = new EventsListener(() => new pg.Client(connectionConfig(url, options)));
    // SKIP_LOCKED: when another process is vacuuming it, there is nothing to wait for.
    this.queueVacuum = new QueueVacuum(() => this.pool.query('VACUUM (SKIP_LOCKED) event_queue'), options.queueVacuumEvery ?? QUEUE_VACUUM_EVERY);
    this.accounts = new PostgresAccounts(pool, (run) => this.transaction(run));
    this.sources = new PostgresSources(pool);
    this.waits = new PostgresWaits(pool, (run) => this.transaction(run));
    this.workflows = new PostgresWorkflows(pool, (run) => this.transaction(run));
    this.programs = new PostgresExecutions(pool, (run) => this.transaction(run));
  }

  /** `url` may carry `?schema=NAME`; `options.schema` wins over it. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    validateUrl(url);
    const fromUrl = schemaFromUrl(url);
    const settings: PostgresStoreOptions = { ...options, schema: options.schema ?? fromUrl.schema };
    if (settings.schema !== undefined) validateSchema(settings.schema);
    const pool = createPool(fromUrl.url, settings);
    const store = new PostgresStore(pool, settings.schema ?? null, fromUrl.url, settings);
    try {
      await store.migrate();
    } catch (error) {
      await pool.end().catch(() => {});
      throw openError(url, error);
    }
    return store;
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await migrate(client, this.schema);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener.close();
      await this.queueVacuum.idle();
      await this.pool.end();
    })();
    return this.closing;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private async rows(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows;
  }

  private async count(query: pg.QueryConfig): Promise<number> {
    return (await this.pool.query(query)).rowCount ?? 0;
  }

  /** Runs one atomic statement again when PostgreSQL broke a deadlock by aborting it. */
  private retrying<T>(run: () => Promise<T>): Promise<T> {
    return retryTransient(run, TRANSIENT_ATTEMPTS);
  }

  private async transaction<T>(run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  async insertEvents(rows: readonly EventInsert[]): Promise<InsertedEvent[]> {
    // Two batches racing on the same idempotency keys in different orders can deadlock.
    return insertEventRows((query) => this.retrying(() => this.rows(query)), rows);
  }

  async claimEvents(owner: string, leaseMs: number, limit: number): Promise<EventRecord[]> {
    if (limit <= 0) return [];
    const now = Date.now();
    // A script of several statements: pg answers with one result per statement, the claim's last.
    const results = (await this.pool.query<Row>(sql.claimEventsScript(owner, now + leaseMs, now, limit))) as unknown as Array<pg.QueryResult<Row>>;
    const rows = results[results.length - 1].rows;
    return rows.map(toEvent).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async claimEvent(id: string, owner: string, leaseMs: number): Promise<EventRecord | null> {
    const now = Date.now();
    const rows = await this.rows({ name: 'hf_claim_event', text: sql.CLAIM_EVENT, values: [id, owner, now + leaseMs, now] });
    return rows.length > 0 ? toEvent(rows[0]) : null;
  }

  async renewLeases(owner: string, leaseMs: number): Promise<number> {
    return this.retrying(() => this.count({ name: 'hf_renew_leases', text: sql.RENEW_LEASES, values: [owner, Date.now() + leaseMs] }));
  }

  async completeEvents(completions: readonly EventCompletion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    const executions = completions.flatMap((c) => c.executions.map((execution) => ({ ...execution, event_id: c.id })));
    const values = [
      completions.map((c) => c.id),
      completions.map((c) => c.owner),
      completions.map((c) => c.status),
      completions.map((c) => c.error),
      completions.map((c) => c.processed_at),
      executions.map((e) => e.event_id),
      executions.map((e) => e.hook_name),
      executions.map((e) => e.success),
      executions.map((e) => e.output),
      executions.map((e) => e.error),
      executions.map((e) => e.duration_ms),
      executions.map((e) => e.executed_at),
      executions.map((e) => e.attempt),
    ];
    const rows = await this.retrying(() => this.rows({ name: 'hf_complete_events', text: sql.COMPLETE_EVENTS, values }));
    this.queueVacuum.count(rows.length);
    const applied = new Set(rows.map((row) => String(row.id)));
    return completions.filter((c) => applied.has(c.id)).map((c) => c.id);
  }

  async releaseEvents(owner: string, ids?: readonly string[]): Promise<number> {
    const rows = await this.retrying(() =>
      this.rows({ name: 'hf_release_events', text: sql.RELEASE_EVENTS, values: [owner, ids ? [...ids] : null] }),
    );
    return Number(rows[0]?.released ?? 0);
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    const rows = await this.rows({ name: 'hf_get_event', text: `SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, values: [id] });
    return rows.length > 0 ? toEvent(rows[0]) : null;
  }

  async listEvents(query: EventQuery): Promise<EventRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (query.type && query.type !== '*') {
      where.push(isWildcard(query.type) ? `type ~ ${param(patternToRegexSource(query.type))}` : `type = ${param(query.type)}`);
    }
    if (query.status) where.push(`status = ${param(query.status)}`);
    if (query.stack) where.push(`stack = ${param(query.stack)}`);
    if (query.since !== undefined) where.push(`created_at >= ${param(query.since)}`);
    if (query.before) where.push(`id < ${param(query.before)}`);
    const text = `SELECT ${EVENT_COLUMNS} FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ${param(Math.max(0, Math.floor(query.limit)))}`;
    return (await this.rows({ text, values })).map(toEvent);
  }

  async countEventsByStatus(): Promise<Record<EventStatus, number>> {
    const counts: Record<EventStatus, number> = { pending: 0, processing: 0, completed: 0, failed: 0 };
    for (const row of await this.rows({ text: 'SELECT status, count(*) AS n FROM events GROUP BY status' })) {
      counts[row.status as EventStatus] = Number(row.n);
    }
    return counts;
  }

  async deleteEvent(id: string): Promise<'deleted' | 'not_found' | 'in_progress'> {
    const deleted = await this.count({
      text: `DELETE FROM events WHERE id = $1 AND status IN ('completed', 'failed')`,
      values: [id],
    });
    if (deleted > 0) return 'deleted';
    const rows = await this.rows({ text: 'SELECT 1 FROM events WHERE id = $1', values: [id] });
    return rows.length > 0 ? 'in_progress' : 'not_found';
  }

  async deleteEventsBefore(before: number): Promise<number> {
    return this.count({
      text: `DELETE FROM events WHERE created_at < $1 AND status IN ('completed', 'failed')`,
      values: [before],
    });
  }

  async hasClaimableEvents(): Promise<boolean> {
    const rows = await this.rows({ name: 'hf_has_claimable', text: sql.HAS_CLAIMABLE, values: [Date.now()] });
    return rows[0]?.claimable === true;
  }

  // ── hook executions ───────────────────────────────────────────────────────────────────────

  async listExecutionsForEvent(eventId: string): Promise<HookExecutionRecord[]> {
    return (
      await this.rows({ text: 'SELECT * FROM hook_executions WHERE event_id = $1 ORDER BY id', values: [eventId] })
    ).map(toExecution);
  }

  async listExecutionsForHook(hookName: string, query: { limit: number; onlyFailed: boolean }): Promise<HookExecutionRecord[]> {
    const text = `SELECT * FROM hook_executions WHERE hook_name = $1 ${query.onlyFailed ? 'AND NOT success' : ''}
      ORDER BY executed_at DESC, id DESC LIMIT $2`;
    return (await this.rows({ text, values: [hookName, Math.max(0, Math.floor(query.limit))] })).map(toExecution);
  }

  // ── hooks ─────────────────────────────────────────────────────────────────────────────────

  async saveHook(hook: HookRecord, options: { replace: boolean }): Promise<void> {
    await this.transaction(async (client) => {
      const saved = await client.query({
        text: sql.SAVE_HOOK,
        values: [
          hook.name,
          hook.description,
          hook.events,
          hook.stack,
          hook.filter,
          hook.runtime,
          hook.source,
          hook.commands,
          hook.cwd,
          hook.timeout_ms,
          hook.memory_mb,
          hook.enabled,
          jsonParam(hook.retry),
          hook.created_at,
          hook.updated_at,
          hook.last_run,
          hook.run_count,
          options.replace,
          hook.action,
          hook.params ? jsonParam(hook.params) : null,
        ],
      });
      if (saved.rowCount === 0) {
        throw new HookflowError('HF_ERR_CONFLICT', `a hook named "${hook.name}" already exists`, {
          hint: 'choose another --name, or remove the existing hook first',
        });
      }
      await client.query(sql.BUMP_HOOKS_REVISION);
    });
  }

  async getHook(name: string): Promise<HookRecord | null> {
    const rows = await this.rows({ text: 'SELECT * FROM hooks WHERE name = $1', values: [name] });
    return rows.length > 0 ? toHook(rows[0]) : null;
  }

  async listHooks(query: { stack?: string | null; enabledOnly?: boolean }): Promise<HookRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.stack) {
      values.push(query.stack);
      where.push(`stack = $${values.length}`);
    }
    if (query.enabledOnly) where.push('enabled');
    const text = `SELECT * FROM hooks ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name`;
    return (await this.rows({ text, values })).map(toHook);
  }

  async setHookEnabled(name: string, enabled: boolean): Promise<boolean> {
    return this.changeHook({ text: 'UPDATE hooks SET enabled = $2, updated_at = $3 WHERE name = $1', values: [name, enabled, Date.now()] });
  }

  async deleteHook(name: string): Promise<boolean> {
    return this.changeHook({ text: 'DELETE FROM hooks WHERE name = $1', values: [name] });
  }

  /** Applies one hook change and, when it changed something, bumps the revision with it. */
  private async changeHook(change: pg.QueryConfig): Promise<boolean> {
    return this.transaction(async (client) => {
      const result = await client.query(change);
      if (!result.rowCount) return false;
      await client.query(sql.BUMP_HOOKS_REVISION);
      return true;
    });
  }

  async hooksRevision(): Promise<number> {
    const rows = await this.rows({ name: 'hf_hooks_revision', text: `SELECT value FROM meta WHERE key = 'hooks_revision'` });
    return Number(rows[0]?.value ?? 0);
  }

  // ── state ─────────────────────────────────────────────────────────────────────────────────

  async stateGet(key: string): Promise<JsonValue | null> {
    const rows = await this.rows({ name: 'hf_state_get', text: 'SELECT value FROM state WHERE key = $1', values: [key] });
    return rows.length > 0 ? (rows[0].value as JsonValue) : null;
  }

  async stateSet(key: string, value: JsonValue): Promise<void> {
    await this.pool.query({ name: 'hf_state_set', text: sql.STATE_SET, values: [key, jsonParam(value), Date.now()] });
  }

  async stateDelete(key: string): Promise<boolean> {
    return (await this.count({ text: 'DELETE FROM state WHERE key = $1', values: [key] })) > 0;
  }

  async stateIncrement(key: string, by: number): Promise<number> {
    for (;;) {
      const rows = await this.rows({ name: 'hf_state_increment', text: sql.STATE_INCREMENT, values: [key, by, Date.now()] });
      if (rows.length > 0) return Number(rows[0].value);
      // The upsert declined: the key holds something other than a number.
      const held = await this.rows({ text: 'SELECT jsonb_typeof(value) AS kind FROM state WHERE key = $1', values: [key] });
      if (held.length === 0) continue; // deleted meanwhile: a fresh increment starts from 0
      const kind = held[0].kind === 'array' ? 'list' : String(held[0].kind);
      throw new HookflowError('HF_ERR_CONFLICT', `state "${key}" holds a ${kind}, not a number`, {
        hint: 'increment only numeric state values, or delete the key first',
      });
    }
  }

  async stateList(prefix?: string): Promise<Array<{ key: string; value: JsonValue; updated_at: number }>> {
    const rows = prefix
      ? await this.rows({ text: 'SELECT key, value, updated_at FROM state WHERE starts_with(key, $1) ORDER BY key', values: [prefix] })
      : await this.rows({ text: 'SELECT key, value, updated_at FROM state ORDER BY key' });
    return rows.map((row) => ({ key: String(row.key), value: row.value as JsonValue, updated_at: Number(row.updated_at) }));
  }

  // ── secrets ───────────────────────────────────────────────────────────────────────────────

  async secretPut(name: string, ciphertext: string): Promise<void> {
    const now = Date.now();
    await this.pool.query({ text: sql.SECRET_PUT, values: [name, ciphertext, now] });
  }

  async secretGet(name: string): Promise<string | null> {
    const rows = await this.rows({ text: 'SELECT ciphertext FROM secrets WHERE name = $1', values: [name] });
    return rows.length > 0 ? String(rows[0].ciphertext) : null;
  }

  async secretList(): Promise<Array<{ name: string; created_at: number; updated_at: number }>> {
    return (await this.rows({ text: 'SELECT name, created_at, updated_at FROM secrets ORDER BY name' })).map((row) => ({
      name: String(row.name),
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
    }));
  }

  async secretDelete(name: string): Promise<boolean> {
    return (await this.count({ text: 'DELETE FROM secrets WHERE name = $1', values: [name] })) > 0;
  }

  // ── processes ─────────────────────────────────────────────────────────────────────────────

  async registerProcess(info: ProcessInfo): Promise<void> {
    await this.pool.query({
      text: sql.REGISTER_PROCESS,
      values: [info.id, info.kind, info.host, info.pid, info.started_at, info.heartbeat_at, jsonParam(info.info)],
    });
  }

  async heartbeatProcess(id: string): Promise<void> {
    await this.pool.query({ name: 'hf_heartbeat', text: 'UPDATE processes SET heartbeat_at = $2 WHERE id = $1', values: [id, Date.now()] });
  }

  async removeProcess(id: string): Promise<void> {
    await this.pool.query({ text: 'DELETE FROM processes WHERE id = $1', values: [id] });
  }

  async listLiveProcesses(kind: string, maxAgeMs: number): Promise<ProcessInfo[]> {
    const rows = await this.rows({
      text: 'SELECT * FROM processes WHERE kind = $1 AND heartbeat_at >= $2 ORDER BY started_at, id',
      values: [kind, Date.now() - maxAgeMs],
    });
    return rows.map(toProcess);
  }

  // ── wake-ups ──────────────────────────────────────────────────────────────────────────────

  async subscribeEvents(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    if (this.closing) throw new HookflowError('HF_ERR_STORE', 'the PostgreSQL store is closed');
    return this.listener.subscribe(listener);
  }
}
