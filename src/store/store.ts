import type { EventRecord, EventStatus, HookExecutionRecord, JsonValue, NewEvent } from '../events/model.js';
import type { HookRecord } from '../hooks/model.js';
import type { AccountStore } from './accounts.js';
import type { ExecutionStore } from './programs.js';
import type { SourceStore } from './sources.js';
import type { WaitStore } from './waits.js';
import type { WorkflowStore } from './workflows.js';

/**
 * The store: everything durable lives here, and processes coordinate only through it.
 * Two backends implement this interface (sqlite/, postgres/); test/store/conformance.ts runs the
 * same suite against both. Every state transition of an event is one method here, applied as one
 * atomic statement or transaction, so callers never compose transitions themselves.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap reachability check for /health. */
  ping(): Promise<void>;

  // ── events ────────────────────────────────────────────────────────────────────────────────
  /**
   * Inserts a batch in one transaction (group commit). Each row may be claimed at insert time
   * (status processing, owned by `claim.owner`) so the fast path needs no second write, or
   * inserted already `completed` when no hook matches. A row whose idempotency_key exists
   * returns the first event with `created: false`.
   */
  insertEvents(rows: readonly EventInsert[]): Promise<InsertedEvent[]>;
  /**
   * Claims up to `limit` events that are pending, or processing with an expired lease, oldest
   * first, for `owner` until now+leaseMs. Increments attempts. Atomic across processes.
   */
  claimEvents(owner: string, leaseMs: number, limit: number): Promise<EventRecord[]>;
  /** Claims one given event if it is claimable (pending or lease expired). */
  claimEvent(id: string, owner: string, leaseMs: number): Promise<EventRecord | null>;
  /** Extends every lease `owner` holds; returns how many. */
  renewLeases(owner: string, leaseMs: number): Promise<number>;
  /**
   * Ends events in one transaction: records their hook executions, sets the status of those
   * still owned by the caller, and bumps the hooks' run_count/last_run. Returns the ids whose
   * status was applied (an event whose lease was lost keeps its new owner's state).
   */
  completeEvents(completions: readonly EventCompletion[]): Promise<string[]>;
  /** Puts events owned by `owner` back to pending (graceful shutdown). All of them when ids is omitted. */
  releaseEvents(owner: string, ids?: readonly string[]): Promise<number>;
  getEvent(id: string): Promise<EventRecord | null>;
  listEvents(query: EventQuery): Promise<EventRecord[]>;
  countEventsByStatus(): Promise<Record<EventStatus, number>>;
  /** Deletes one event and its executions unless it is pending or processing. */
  deleteEvent(id: string): Promise<'deleted' | 'not_found' | 'in_progress'>;
  /** Deletes completed/failed events created before `before` (epoch ms); returns how many. */
  deleteEventsBefore(before: number): Promise<number>;
  /** Whether any event is claimable right now (pending, or a lease expired). */
  hasClaimableEvents(): Promise<boolean>;

  // ── hook executions ───────────────────────────────────────────────────────────────────────
  listExecutionsForEvent(eventId: string): Promise<HookExecutionRecord[]>;
  listExecutionsForHook(hookName: string, query: { limit: number; onlyFailed: boolean }): Promise<HookExecutionRecord[]>;

  // ── hooks ─────────────────────────────────────────────────────────────────────────────────
  /** Inserts a hook; a name in use throws HF_ERR_CONFLICT unless `replace`. */
  saveHook(hook: HookRecord, options: { replace: boolean }): Promise<void>;
  getHook(name: string): Promise<HookRecord | null>;
  listHooks(query: { stack?: string | null; enabledOnly?: boolean }): Promise<HookRecord[]>;
  setHookEnabled(name: string, enabled: boolean): Promise<boolean>;
  deleteHook(name: string): Promise<boolean>;
  /** Changes whenever any hook changes, so dispatchers in other processes can reload cheaply. */
  hooksRevision(): Promise<number>;

  // ── state (key/value shared by every hook run and process) ─────────────────────────────────
  stateGet(key: string): Promise<JsonValue | null>;
  stateSet(key: string, value: JsonValue): Promise<void>;
  stateDelete(key: string): Promise<boolean>;
  /** Atomically adds `by` to a numeric value (missing = 0) and returns the new value. */
  stateIncrement(key: string, by: number): Promise<number>;
  stateList(prefix?: string): Promise<Array<{ key: string; value: JsonValue; updated_at: number }>>;

  // ── secrets (ciphertext only; encryption lives in secrets/) ──────────────────────────────
  secretPut(name: string, ciphertext: string): Promise<void>;
  secretGet(name: string): Promise<string | null>;
  secretList(): Promise<Array<{ name: string; created_at: number; updated_at: number }>>;
  secretDelete(name: string): Promise<boolean>;

  // ── processes (dispatchers now, workers later) with heartbeats ───────────────────────────
  registerProcess(info: ProcessInfo): Promise<void>;
  heartbeatProcess(id: string): Promise<void>;
  removeProcess(id: string): Promise<void>;
  /** Processes whose heartbeat is newer than now - maxAgeMs. */
  listLiveProcesses(kind: string, maxAgeMs: number): Promise<ProcessInfo[]>;

  // ── accounts and sources (src/store/accounts.ts, src/store/sources.ts) ──────────────────────
  readonly accounts: AccountStore;
  readonly sources: SourceStore;
  /** Parked event-driven actions (src/store/waits.ts). */
  readonly waits: WaitStore;
  /** Workflows, their jobs, workflow actions and allocations (src/store/workflows.ts). */
  readonly workflows: WorkflowStore;
  /** Program executions: their history and the queue every process shares (src/store/programs.ts). */
  readonly programs: ExecutionStore;

  // ── wake-ups ──────────────────────────────────────────────────────────────────────────────
  /**
   * Calls `listener('events')` when another process may have published claimable events, and
   * `listener('hooks')` when hooks changed (PostgreSQL: LISTEN/NOTIFY). Returns an unsubscribe
   * function. SQLite has no cross-process signal and returns null: the dispatcher then polls.
   */
  subscribeEvents(listener: (change: StoreChange) => void): Promise<(() => Promise<void>) | null>;
}

/** What a wake-up is about. */
export type StoreChange = 'events' | 'hooks';

export interface EventInsert {
  /** data_text: the JSON text of `data`, when the publisher has it already; the store writes it as it is. */
  event: NewEvent & { id: string; created_at: number; data_text?: string };
  /** Claim on insert for the fast path; null leaves it pending. */
  claim: { owner: string; lease_expires_at: number } | null;
  /** Insert as completed at once (no hook matched). Ignored when claim is set. */
  completed: boolean;
}

export interface InsertedEvent {
  event: EventRecord;
  /** false when an event with the same idempotency key already existed. */
  created: boolean;
}

export interface EventCompletion {
  id: string;
  owner: string;
  status: 'completed' | 'failed';
  error: string | null;
  processed_at: number;
  executions: HookExecutionRecord[];
}

export interface EventQuery {
  /** A type pattern (`task.*`). */
  type?: string;
  status?: EventStatus;
  stack?: string;
  /** created_at >= since (epoch ms) */
  since?: number;
  /** Cursor: events with id < before (ids are time-ordered), newest first. */
  before?: string;
  limit: number;
}

export interface ProcessInfo {
  id: string;
  kind: string;
  host: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
  info: Record<string, JsonValue>;
}
