/**
 * Workflow rows to records, for both backends (see rows.ts for how JSON columns and booleans
 * arrive from each). Also the internal row shapes the transition programs read
 * (src/store/workflow-transitions.ts).
 */
import type { JsonObject } from '../events/model.js';
import type { JobModel, ResourceNeeds, TriggerType, WorkflowFormat, WorkflowModel } from '../workflows/model.js';
import type { Row } from './rows.js';
import type {
  ActionExecutionRecord,
  ActionStatus,
  AllocationRecord,
  AllocationState,
  JobRecord,
  JobStatus,
  WorkflowActionRecord,
  WorkflowRecord,
  WorkflowStatus,
} from './workflows.js';

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

/** An integer list column: a PostgreSQL integer[] or SQLite JSON text; null is empty. */
function indexList(value: unknown): number[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map(Number);
  return (JSON.parse(String(value)) as unknown[]).map(Number);
}

/** The workflow columns a record is read from: everything but the (large) model. */
export const WORKFLOW_COLUMNS =
  'id, name, format, status, run, user_name, description, params, outputs, output_dir, created_by, job_count, error, created_at, updated_at, started_at, ended_at';

export function toWorkflow(row: Row): WorkflowRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    format: row.format as WorkflowFormat,
    status: row.status as WorkflowStatus,
    run: Number(row.run),
    user: nullableString(row.user_name),
    description: nullableString(row.description),
    params: json<JsonObject>(row.params, {}),
    outputs: json<JsonObject | null>(row.outputs, null),
    output_dir: String(row.output_dir),
    created_by: nullableString(row.created_by),
    job_count: Number(row.job_count),
    error: nullableString(row.error),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    started_at: Number(row.started_at),
    ended_at: nullableNumber(row.ended_at),
  };
}

/** The stored model (without jobs) and the jobs' rows (job_index, name, spec), in index order, give the model back. */
export function toWorkflowModel(model: unknown, jobs: readonly Row[]): WorkflowModel {
  const stored = json<WorkflowModel>(model, {} as WorkflowModel);
  return { ...stored, jobs: jobs.map((row) => jobFromSpec(row.spec, Number(row.job_index), String(row.name))) };
}

/**
 * What a job's spec leaves out when it equals this: a stored spec keeps only what differs, which
 * halves the bytes a large workflow writes (index and name are columns of their own).
 */
function jobDefaults(): Omit<JobModel, 'index' | 'name' | 'resources'> {
  return {
    command: null,
    invocation_script: null,
    action: null,
    params: null,
    depends_on: [],
    env: {},
    scheduler: null,
    cancel_on_blocking_job_failure: false,
    failure_rules: [],
    timeout_seconds: null,
    input_files: [],
    output_files: [],
    step: null,
  };
}
/** How each defaulted field looks when it is at its default: null, an empty list or object, false. */
const DEFAULT_KIND: ReadonlyMap<string, 'null' | 'list' | 'object' | 'false'> = new Map(
  Object.entries(jobDefaults()).map(([key, value]) => [
    key,
    value === null ? 'null' : Array.isArray(value) ? 'list' : value === false ? 'false' : 'object',
  ]),
);

function isDefault(key: string, value: unknown): boolean {
  switch (DEFAULT_KIND.get(key)) {
    case 'null':
      return value === null;
    case 'false':
      return value === false;
    case 'list':
      return Array.isArray(value) && value.length === 0;
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
    default:
      return false;
  }
}

/** A job's spec as stored: JSON of the fields that differ from their defaults. */
export function jobSpecJson(job: JobModel): string {
  const fields = job as unknown as Record<string, unknown>;
  const compact: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    if (key === 'index' || key === 'name' || value === undefined || isDefault(key, value)) continue;
    compact[key] = value;
  }
  return JSON.stringify(compact);
}

/** An index list as JSON text (SQLite columns), or null for none. */
export function indexListJson(values: readonly number[] | null): string | null {
  return values === null ? null : `[${values.join(',')}]`;
}

/** The compiled job back from its stored spec and its columns. */
export function jobFromSpec(spec: unknown, index: number, name: string): JobModel {
  const stored = json<Partial<JobModel>>(spec, {});
  // Field by field, not by spreading the defaults and the stored fields: a worker reads a spec
  // per job it claims, and the literal (one object shape) costs a fifth of the two spreads.
  return {
    index,
    name,
    command: stored.command !== undefined ? stored.command : null,
    invocation_script: stored.invocation_script !== undefined ? stored.invocation_script : null,
    action: stored.action !== undefined ? stored.action : null,
    params: stored.params !== undefined ? stored.params : null,
    depends_on: stored.depends_on !== undefined ? stored.depends_on : [],
    env: stored.env !== undefined ? stored.env : {},
    resources: stored.resources as ResourceNeeds,
    scheduler: stored.scheduler !== undefined ? stored.scheduler : null,
    cancel_on_blocking_job_failure: stored.cancel_on_blocking_job_failure !== undefined ? stored.cancel_on_blocking_job_failure : false,
    failure_rules: stored.failure_rules !== undefined ? stored.failure_rules : [],
    timeout_seconds: stored.timeout_seconds !== undefined ? stored.timeout_seconds : null,
    input_files: stored.input_files !== undefined ? stored.input_files : [],
    output_files: stored.output_files !== undefined ? stored.output_files : [],
    step: stored.step !== undefined ? stored.step : null,
  };
}

export const JOB_COLUMNS =
  'workflow_id, job_index, name, status, run, attempts, exit_code, worker_id, lease_expires_at, ready_at, started_at, ended_at, outputs, error, stdout_tail, stderr_tail, log_dir, cancel_requested, spec';

export function toJob(row: Row): JobRecord {
  return {
    workflow_id: String(row.workflow_id),
    index: Number(row.job_index),
    name: String(row.name),
    status: row.status as JobStatus,
    run: Number(row.run),
    attempts: Number(row.attempts),
    exit_code: nullableNumber(row.exit_code),
    worker_id: nullableString(row.worker_id),
    lease_expires_at: nullableNumber(row.lease_expires_at),
    ready_at: nullableNumber(row.ready_at),
    started_at: nullableNumber(row.started_at),
    ended_at: nullableNumber(row.ended_at),
    outputs: json<JsonObject | null>(row.outputs, null),
    error: nullableString(row.error),
    stdout_tail: nullableString(row.stdout_tail),
    stderr_tail: nullableString(row.stderr_tail),
    log_dir: nullableString(row.log_dir),
    cancel_requested: flag(row.cancel_requested),
    spec: jobFromSpec(row.spec, Number(row.job_index), String(row.name)),
  };
}

/** Actions with the jobs they watch: a FROM clause for `SELECT a.*, s.selected_jobs`. */
export const ACTIONS_FROM = `workflow_actions a JOIN workflow_action_jobs s ON s.workflow_id = a.workflow_id AND s.action_index = a.action_index`;

export function toAction(row: Row, executions: ActionExecutionRecord[]): WorkflowActionRecord {
  return {
    workflow_id: String(row.workflow_id),
    index: Number(row.action_index),
    trigger_type: row.trigger_type as TriggerType,
    action_type: String(row.action_type),
    persistent: flag(row.persistent),
    selected_jobs: indexList(row.selected_jobs),
    required_triggers: Number(row.required_triggers),
    trigger_count: Number(row.trigger_count),
    status: row.status as ActionStatus,
    fields: json<JsonObject>(row.fields, {}),
    executions,
  };
}

export function toActionExecution(row: Row): ActionExecutionRecord {
  return {
    id: String(row.id),
    workflow_id: String(row.workflow_id),
    action_index: Number(row.action_index),
    run: Number(row.run),
    worker_id: String(row.worker_id),
    success: row.success === null || row.success === undefined ? null : flag(row.success),
    result: json<JsonObject | null>(row.result, null),
    error: nullableString(row.error),
    started_at: Number(row.started_at),
    ended_at: nullableNumber(row.ended_at),
  };
}

export function toAllocation(row: Row): AllocationRecord {
  return {
    id: String(row.id),
    workflow_id: String(row.workflow_id),
    action_index: nullableNumber(row.action_index),
    scheduler: String(row.scheduler),
    state: row.state as AllocationState,
    native_state: nullableString(row.native_state),
    nodes: Number(row.nodes),
    script_path: nullableString(row.script_path),
    submitted_at: Number(row.submitted_at),
    updated_at: Number(row.updated_at),
  };
}

/** Executions grouped by action index, for listActions. */
export function executionsByAction(rows: readonly Row[]): Map<number, ActionExecutionRecord[]> {
  const byAction = new Map<number, ActionExecutionRecord[]>();
  for (const row of rows) {
    const execution = toActionExecution(row);
    const list = byAction.get(execution.action_index) ?? [];
    list.push(execution);
    byAction.set(execution.action_index, list);
  }
  return byAction;
}

// ── what the transition programs read ─────────────────────────────────────────────────────────

/** A workflow's row as transitions see it (locked on PostgreSQL). */
export interface WorkflowState {
  id: string;
  status: WorkflowStatus;
  run: number;
  dependency_rule: 'torc' | 'dag';
  unfinished_count: number;
  failed_count: number;
}

export const WORKFLOW_STATE_COLUMNS = 'id, status, run, dependency_rule, unfinished_count, failed_count';

export function toWorkflowState(row: Row): WorkflowState {
  return {
    id: String(row.id),
    status: row.status as WorkflowStatus,
    run: Number(row.run),
    dependency_rule: row.dependency_rule === 'dag' ? 'dag' : 'torc',
    unfinished_count: Number(row.unfinished_count),
    failed_count: Number(row.failed_count),
  };
}

/** A job as transitions see it: its state and what its transitions count for, not its spec. */
export interface JobState {
  index: number;
  name: string;
  step_id: string | null;
  status: JobStatus;
  run: number;
  attempts: number;
  worker_id: string | null;
  lease_expires_at: number | null;
  exit_code: number | null;
  error: string | null;
  remaining: number;
  /** Indexes of the jobs that wait for this one, ascending. */
  dependents: number[];
  cancel_on_blocking: boolean;
  on_failure: 'fail' | 'continue' | 'retry' | null;
  cancel_requested: boolean;
  counted: number;
  ready_actions: number[];
  complete_actions: number[];
}

export const JOB_STATE_COLUMNS =
  'job_index, name, step_id, status, run, attempts, worker_id, lease_expires_at, exit_code, error, remaining, dependents, cancel_on_blocking, on_failure, cancel_requested, counted, ready_actions, complete_actions';

export function toJobState(row: Row): JobState {
  const onFailure = row.on_failure;
  return {
    index: Number(row.job_index),
    name: String(row.name),
    step_id: nullableString(row.step_id),
    status: row.status as JobStatus,
    run: Number(row.run),
    attempts: Number(row.attempts),
    worker_id: nullableString(row.worker_id),
    lease_expires_at: nullableNumber(row.lease_expires_at),
    exit_code: nullableNumber(row.exit_code),
    error: nullableString(row.error),
    remaining: Number(row.remaining),
    dependents: indexList(row.dependents),
    cancel_on_blocking: flag(row.cancel_on_blocking),
    on_failure: onFailure === 'fail' || onFailure === 'continue' || onFailure === 'retry' ? onFailure : null,
    cancel_requested: flag(row.cancel_requested),
    counted: Number(row.counted),
    ready_actions: indexList(row.ready_actions),
    complete_actions: indexList(row.complete_actions),
  };
}
