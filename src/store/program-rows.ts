/**
 * Program executions for both backends: rows to records (see rows.ts for how JSON columns and
 * booleans arrive from each), values to store, and the claim plan both backends follow, so the
 * two cannot differ in which queued executions a claim takes.
 */
import type { JsonObject } from '../events/model.js';
import {
  EXECUTION_STATUSES,
  FINISHED_EXECUTION_STATUSES,
  type ClaimLimits,
  type ExecutionCounts,
  type ExecutionRecord,
  type ExecutionStatus,
  type NewExecution,
  type ProgramKind,
  type RunnerKind,
} from './programs.js';
import type { Row } from './rows.js';

/** The finished statuses as an SQL list, for `status IN ${FINISHED_SQL}`. */
export const FINISHED_SQL = `(${FINISHED_EXECUTION_STATUSES.map((status) => `'${status}'`).join(', ')})`;

/** The columns an insert writes, in the order of executionInsertValues. */
export const EXECUTION_INSERT_COLUMNS =
  'id, program_id, program_name, program_kind, runner, status, parameters, trigger, requested_by, image, created_at';

/** The record an insert produces, computed before the write so nothing is read back. */
export function newExecutionRecord(execution: NewExecution): ExecutionRecord {
  return {
    id: execution.id,
    program_id: execution.program_id,
    program_name: execution.program_name,
    program_kind: execution.program_kind,
    runner: execution.runner,
    status: 'queued',
    parameters: execution.parameters,
    trigger: execution.trigger,
    requested_by: execution.requested_by,
    image: execution.image,
    exit_code: null,
    error: null,
    output: '',
    error_output: '',
    output_truncated: false,
    error_output_truncated: false,
    details: {},
    owner: null,
    lease_expires_at: null,
    cancel_requested: false,
    created_at: execution.created_at,
    started_at: null,
    ended_at: null,
  };
}

export function executionInsertValues(record: ExecutionRecord): unknown[] {
  return [
    record.id,
    record.program_id,
    record.program_name,
    record.program_kind,
    record.runner,
    record.status,
    storableJson(record.parameters),
    record.trigger,
    record.requested_by,
    record.image,
    record.created_at,
  ];
}

/**
 * Text as both backends can keep it: PostgreSQL's text refuses NUL characters, which a program's
 * output may contain, so they become U+FFFD on both backends alike.
 */
export function storableText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

/** A JSON column's text; `\u0000` (refused by jsonb) becomes U+FFFD, as in storableText. */
export function storableJson(value: JsonObject): string {
  const text = JSON.stringify(value);
  // An escape is `\u0000` preceded by an even number of backslashes (`\\u0000` is a backslash and "u0000").
  return text.includes('\\u0000') ? text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : text;
}

/** Details recorded while running and at the end are merged key by key; later keys win. */
export function mergeDetails(stored: unknown, added: JsonObject): JsonObject {
  return { ...json<JsonObject>(stored, {}), ...added };
}

function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function flag(value: unknown): boolean {
  return value === true || value === 1;
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function toProgramExecution(row: Row): ExecutionRecord {
  return {
    id: String(row.id),
    program_id: String(row.program_id),
    program_name: String(row.program_name),
    program_kind: row.program_kind as ProgramKind,
    runner: row.runner as RunnerKind,
    status: row.status as ExecutionStatus,
    parameters: json<JsonObject>(row.parameters, {}),
    trigger: String(row.trigger),
    requested_by: nullableString(row.requested_by),
    image: nullableString(row.image),
    exit_code: nullableNumber(row.exit_code),
    error: nullableString(row.error),
    output: String(row.output ?? ''),
    error_output: String(row.error_output ?? ''),
    output_truncated: flag(row.output_truncated),
    error_output_truncated: flag(row.error_output_truncated),
    details: json<JsonObject>(row.details, {}),
    owner: nullableString(row.owner),
    lease_expires_at: nullableNumber(row.lease_expires_at),
    cancel_requested: flag(row.cancel_requested),
    created_at: Number(row.created_at),
    started_at: nullableNumber(row.started_at),
    ended_at: nullableNumber(row.ended_at),
  };
}

/** Claimed rows come back in statement order; callers get them oldest first. */
export function byId(a: ExecutionRecord, b: ExecutionRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `(status, program_id, total)` rows to counts, in status order then program id. */
export function executionCounts(rows: readonly Row[]): ExecutionCounts {
  const byStatusProgram = rows
    .map((row) => ({ status: row.status as ExecutionStatus, program_id: String(row.program_id), total: Number(row.total) }))
    .sort(
      (a, b) =>
        EXECUTION_STATUSES.indexOf(a.status) - EXECUTION_STATUSES.indexOf(b.status) ||
        (a.program_id < b.program_id ? -1 : a.program_id > b.program_id ? 1 : 0),
    );
  return { total: byStatusProgram.reduce((sum, entry) => sum + entry.total, 0), by_status_program: byStatusProgram };
}

/** A count or limit as SQL wants it: a whole number, never negative. */
export function wholeCount(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.floor(value)) : 0;
}

/**
 * Which queued executions one claim takes, fed the queue oldest first. Built from the running
 * executions counted in the same transaction (expired leases included: a slot frees only when
 * failExpiredExecutions ends the execution). An execution whose program is at its own limit is
 * passed over and later ones of other programs may go; once the overall limit or `max` is reached
 * the claim stops.
 */
export class ExecutionClaimPlan {
  private running = 0;
  private readonly runningByProgram = new Map<string, number>();
  private readonly allowed: ReadonlySet<string> | null;
  private readonly max: number;
  readonly chosen: string[] = [];

  constructor(
    running: Iterable<{ program_id: string; running: number }>,
    private readonly limits: ClaimLimits,
    max: number,
  ) {
    for (const entry of running) {
      this.running += entry.running;
      this.runningByProgram.set(entry.program_id, (this.runningByProgram.get(entry.program_id) ?? 0) + entry.running);
    }
    this.allowed = limits.programs === null ? null : new Set(limits.programs);
    this.max = wholeCount(max);
  }

  /** How many more this claim may take; 0 ends it. */
  get room(): number {
    if (this.allowed?.size === 0) return 0;
    const overall = wholeCount(this.limits.maxConcurrent) - this.running;
    return Math.max(0, Math.min(this.max - this.chosen.length, overall));
  }

  /** The programs this process may run, or null for any: the queue is read for these only. */
  get programs(): string[] | null {
    return this.allowed === null ? null : [...this.allowed];
  }

  /** Programs at their own limit: the queue is read without them. */
  saturated(): string[] {
    return Object.keys(this.limits.perProgram).filter((program) => !this.hasProgramRoom(program));
  }

  /** Offers the next queued execution (oldest first); true when the claim takes it. */
  offer(id: string, programId: string): boolean {
    if (this.room === 0) return false;
    if (this.allowed !== null && !this.allowed.has(programId)) return false;
    if (!this.hasProgramRoom(programId)) return false;
    this.chosen.push(id);
    this.running += 1;
    this.runningByProgram.set(programId, (this.runningByProgram.get(programId) ?? 0) + 1);
    return true;
  }

  /** How many queued rows to read at a time: a few more than the room, for those passed over. */
  get batch(): number {
    return Math.min(this.room * 2 + 16, 500);
  }

  private hasProgramRoom(programId: string): boolean {
    if (!Object.hasOwn(this.limits.perProgram, programId)) return true;
    return (this.runningByProgram.get(programId) ?? 0) < wholeCount(this.limits.perProgram[programId]);
  }
}
