import type { JsonObject } from '../events/model.js';

/**
 * Program executions in the store: history that survives restarts, and the queue every hookflow
 * process on the store shares. The execution state machine is src/programs/execution-states.ts;
 * each method here is one atomic store operation guarded by the state it leaves, so two processes
 * can never both start, finish or cancel one execution.
 */

export const EXECUTION_STATUSES = ['queued', 'running', 'completed', 'failed', 'timeout', 'canceled'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const FINISHED_EXECUTION_STATUSES = ['completed', 'failed', 'timeout', 'canceled'] as const satisfies readonly ExecutionStatus[];
export type FinishedExecutionStatus = (typeof FINISHED_EXECUTION_STATUSES)[number];

export type ProgramKind = 'script' | 'bot';
export type RunnerKind = 'docker' | 'compose' | 'process';
/** Who asked for the execution. */
export type ExecutionTrigger = 'api' | 'cli' | 'ui' | 'schedule' | 'hook' | (string & {});

export interface ExecutionRecord {
  /** UUIDv7: time-ordered, so FIFO order is id order too. */
  id: string;
  /** The program's id (its `id` field, or its map key when it has none). */
  program_id: string;
  program_name: string;
  program_kind: ProgramKind;
  runner: RunnerKind;
  status: ExecutionStatus;
  /** The request's parameters (each became PARAM_<KEY>). */
  parameters: JsonObject;
  trigger: ExecutionTrigger;
  /** The account or token that asked, or null (schedules). */
  requested_by: string | null;
  /** The image for docker, else null. */
  image: string | null;
  exit_code: number | null;
  /** Why it failed, timed out or was canceled, for people ("Execution exceeded time limit"); null when it completed. */
  error: string | null;
  /** stdout, capped (see output_truncated), before/after actions' lines prefixed. */
  output: string;
  /** stderr, capped. */
  error_output: string;
  output_truncated: boolean;
  error_output_truncated: boolean;
  /** What ran and how: limits applied, sandbox, container id, action outcomes… (free-form, for people and the UI). */
  details: JsonObject;
  /** The process running it, while running. */
  owner: string | null;
  /** epoch ms: a running execution whose owner stopped renewing is taken back after this. */
  lease_expires_at: number | null;
  /** Set by a cancel of a running execution; the owner sees it on its next renewal and stops it. */
  cancel_requested: boolean;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
}

export type NewExecution = Pick<
  ExecutionRecord,
  'id' | 'program_id' | 'program_name' | 'program_kind' | 'runner' | 'parameters' | 'trigger' | 'requested_by' | 'image' | 'created_at'
>;

/** The limits a claim respects, read from the configuration of the claiming process. */
export interface ClaimLimits {
  /** settings.max_concurrent_executions: running executions across every process on the store. */
  maxConcurrent: number;
  /** Per-program `max_concurrent`, by program id; programs not listed have no limit of their own. */
  perProgram: Readonly<Record<string, number>>;
  /**
   * Programs this process can run (its configuration's enabled programs). Executions of others
   * stay queued for a process that can; null means any.
   */
  programs: readonly string[] | null;
}

export type ExecutionEnd = Pick<ExecutionRecord, 'exit_code' | 'error' | 'output' | 'error_output' | 'output_truncated' | 'error_output_truncated' | 'details'> & {
  status: FinishedExecutionStatus;
  ended_at: number;
};

export interface ExecutionQuery {
  program_id?: string;
  status?: ExecutionStatus;
  trigger?: string;
  /** epoch ms bounds on created_at. */
  since?: number;
  until?: number;
  /** Newest first. */
  limit: number;
  offset?: number;
}

export interface ExecutionCounts {
  total: number;
  /** count by status, then by program id. */
  by_status_program: Array<{ status: ExecutionStatus; program_id: string; total: number }>;
}

export interface ExecutionRetention {
  /** Finished executions that ended before this (epoch ms) go; null keeps any age. */
  endedBefore: number | null;
  /** Of the finished ones that remain, keep only the newest N; null keeps any number. */
  keepLast: number | null;
  /** Only this program's executions; null: all. */
  program_id?: string | null;
}

export interface ExecutionStore {
  /** Stores a new execution `queued`. */
  insertExecution(execution: NewExecution): Promise<ExecutionRecord>;
  getExecution(id: string): Promise<ExecutionRecord | null>;
  listExecutions(query: ExecutionQuery): Promise<ExecutionRecord[]>;
  countExecutions(query: Omit<ExecutionQuery, 'limit' | 'offset'>): Promise<number>;
  /**
   * In one atomic operation across every process on the store (SQLite: one IMMEDIATE transaction;
   * PostgreSQL: a transaction-scoped advisory lock): counts running executions, then moves the
   * oldest queued executions that fit under the limits to `running` with this owner and a lease,
   * oldest first (FIFO; a queued execution whose program is at its own limit lets later ones of
   * other programs pass). At most `max` are claimed. Returns them.
   */
  claimExecutions(owner: string, leaseMs: number, limits: ClaimLimits, max: number, now: number): Promise<ExecutionRecord[]>;
  /** Extends the leases of this owner's running executions; returns the ids whose cancel was requested. */
  renewExecutionLeases(owner: string, leaseMs: number, now: number): Promise<{ renewed: number; cancelRequested: string[] }>;
  /** Records where a running execution is (details merged: container id, sandbox…) without ending it. */
  updateExecutionDetails(id: string, owner: string, details: JsonObject): Promise<boolean>;
  /** running → finished, only by its owner. False when it was not running under this owner. */
  finishExecution(id: string, owner: string, end: ExecutionEnd): Promise<ExecutionRecord | null>;
  /**
   * Cancels: a queued execution becomes `canceled` at once (returned with state 'canceled'); a
   * running one gets cancel_requested (returned with state 'requested'); a finished one is left
   * ('finished'). null when there is no such execution.
   */
  cancelExecution(id: string, now: number, reason: string): Promise<{ state: 'canceled' | 'requested' | 'finished'; execution: ExecutionRecord } | null>;
  /**
   * Running executions whose lease expired (their process died): each becomes `failed` with the
   * given error, atomically (only if still expired). Returns them.
   */
  failExpiredExecutions(now: number, error: string): Promise<ExecutionRecord[]>;
  /** Running executions (all owners). */
  listRunningExecutions(): Promise<ExecutionRecord[]>;
  /** Position of a queued execution in the queue (1 = next), or null when not queued. */
  queuePosition(id: string): Promise<number | null>;
  countExecutionsByStatusAndProgram(): Promise<ExecutionCounts>;
  /** Deletes finished executions by the retention rule; returns how many went. Never touches queued or running ones. */
  deleteFinishedExecutions(rule: ExecutionRetention): Promise<number>;
}
