import type { EventRecord, EventStatus, HookExecutionRecord, JsonObject, JsonValue } from '../events/model.js';
import type { HookRecord, HookRuntimeName, RetryPolicy } from '../hooks/model.js';
import type { ApiTokenRecord, Role, UserRecord } from './accounts.js';
import type { SourceKind, SourceRecord } from './sources.js';
import type { WaitRecord, WaitStatus } from './waits.js';
import type { EventInsert, ProcessInfo } from './store.js';

/**
 * Rows to records, for both backends. They differ only in how JSON columns and booleans arrive:
 * PostgreSQL hands over parsed jsonb and booleans, SQLite JSON text and 0/1.
 */
export type Row = Record<string, unknown>;

/** The columns every event query selects, in the order rows are read. */
export const EVENT_COLUMNS =
  'id, type, stack, source, data, status, attempts, error, created_at, processed_at, correlation_id, idempotency_key, parent_id';

/** A JSON column: parsed already (jsonb) or JSON text (SQLite). */
function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A boolean column: `true` (PostgreSQL) or 1 (SQLite). */
function flag(value: unknown): boolean {
  return value === true || value === 1;
}

/** The record an insert produces, computed before the write so the fast path reads nothing back. */
export function newEventRecord(row: EventInsert): EventRecord {
  const { event, claim, completed } = row;
  const done = !claim && completed;
  return {
    id: event.id,
    type: event.type,
    stack: event.stack ?? null,
    source: event.source ?? 'api',
    data: event.data ?? {},
    status: claim ? 'processing' : done ? 'completed' : 'pending',
    attempts: claim ? 1 : 0,
    error: null,
    created_at: event.created_at,
    processed_at: done ? event.created_at : null,
    correlation_id: event.correlation_id ?? null,
    idempotency_key: event.idempotency_key ?? null,
    parent_id: event.parent_id ?? null,
  };
}

/** The JSON text of an inserted event's data: the publisher's own when it has it (the same data, checked). */
export function eventDataText(row: EventInsert, record: EventRecord): string {
  return row.event.data_text !== undefined && record.data === row.event.data ? row.event.data_text : JSON.stringify(record.data);
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function toEvent(row: Row): EventRecord {
  return {
    id: String(row.id),
    type: String(row.type),
    stack: nullableString(row.stack),
    source: String(row.source),
    data: json<JsonObject>(row.data, {}),
    status: row.status as EventStatus,
    attempts: Number(row.attempts),
    error: nullableString(row.error),
    created_at: Number(row.created_at),
    processed_at: nullableNumber(row.processed_at),
    correlation_id: nullableString(row.correlation_id),
    idempotency_key: nullableString(row.idempotency_key),
    parent_id: nullableString(row.parent_id),
  };
}

export function toExecution(row: Row): HookExecutionRecord {
  return {
    id: Number(row.id),
    event_id: String(row.event_id),
    hook_name: String(row.hook_name),
    success: flag(row.success),
    output: String(row.output ?? ''),
    error: nullableString(row.error),
    duration_ms: Number(row.duration_ms),
    executed_at: Number(row.executed_at),
    attempt: Number(row.attempt),
  };
}

export function toHook(row: Row): HookRecord {
  return {
    name: String(row.name),
    description: String(row.description ?? ''),
    events: json<string[]>(row.events, []),
    stack: nullableString(row.stack),
    filter: nullableString(row.filter),
    runtime: row.runtime as HookRuntimeName,
    source: nullableString(row.source),
    commands: json<string[] | null>(row.commands, null),
    cwd: nullableString(row.cwd),
    action: nullableString(row.action),
    params: json<JsonObject | null>(row.params, null),
    timeout_ms: Number(row.timeout_ms),
    memory_mb: Number(row.memory_mb),
    enabled: flag(row.enabled),
    retry: json<RetryPolicy>(row.retry, { max_attempts: 1, backoff_ms: 1000, backoff_multiplier: 2 }),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    last_run: nullableNumber(row.last_run),
    run_count: Number(row.run_count),
  };
}

export function toProcess(row: Row): ProcessInfo {
  return {
    id: String(row.id),
    kind: String(row.kind),
    host: String(row.host),
    pid: Number(row.pid),
    started_at: Number(row.started_at),
    heartbeat_at: Number(row.heartbeat_at),
    info: json<Record<string, JsonValue>>(row.info, {}),
  };
}

/** jsonb parameters go over the wire as JSON text: pg would turn a JS array into a SQL array. */
export function jsonParam(value: JsonValue | RetryPolicy): string {
  return JSON.stringify(value);
}

export function toUser(row: Row): UserRecord {
  return {
    username: String(row.username),
    password_hash: String(row.password_hash),
    role: row.role as Role,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

export function toToken(row: Row): ApiTokenRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    role: row.role as Role,
    secret_hash: String(row.secret_hash),
    created_by: nullableString(row.created_by),
    created_at: Number(row.created_at),
    expires_at: nullableNumber(row.expires_at),
    revoked_at: nullableNumber(row.revoked_at),
  };
}

export function toSource(row: Row): SourceRecord {
  return {
    kind: row.kind as SourceKind,
    name: String(row.name),
    enabled: flag(row.enabled),
    config: json<JsonObject>(row.config, {}),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

export function toWait(row: Row): WaitRecord {
  return {
    id: String(row.id),
    action_type: String(row.action_type),
    correlation_id: String(row.correlation_id),
    owner_kind: String(row.owner_kind),
    owner_id: nullableString(row.owner_id),
    params: json<JsonObject>(row.params, {}),
    outputs: json<JsonObject>(row.outputs, {}),
    metadata: json<JsonObject>(row.metadata, {}),
    status: row.status as WaitStatus,
    deadline: Number(row.deadline),
    wake_at: nullableNumber(row.wake_at),
    progress: nullableNumber(row.progress),
    eta_minutes: nullableNumber(row.eta_minutes),
    error: nullableString(row.error),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

/** A wait's columns in insert order (both backends' `INSERT INTO waits`), JSON columns as text. */
export function waitInsertValues(wait: WaitRecord): Array<string | number | null> {
  return [
    wait.id,
    wait.action_type,
    wait.correlation_id,
    wait.owner_kind,
    wait.owner_id,
    jsonParam(wait.params),
    jsonParam(wait.outputs),
    jsonParam(wait.metadata),
    wait.status,
    wait.deadline,
    wait.wake_at,
    wait.progress,
    wait.eta_minutes,
    wait.error,
    wait.created_at,
    wait.updated_at,
  ];
}
