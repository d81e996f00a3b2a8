import type { JsonObject } from '../events/model.js';
import { iso } from '../records-json.js';
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
} from '../store/workflows.js';
import type { JobModel, TriggerType, WorkflowFormat } from './model.js';
import type { LogChunk, WorkerView, WorkflowStatusView } from './service.js';
import type { InvalidReport, ValidationReport } from './spec/validate.js';
import { isTerminal } from './job-states.js';

/**
 * Workflow records as JSON: the one shape the HTTP API answers with and the CLI's --json prints.
 * Field names are the records' own, timestamps ISO-8601 (as src/records-json.ts does for events).
 * The `…FromJson` functions turn the API's answers back into records for the remote CLI.
 */

// ── submit, status, validation ───────────────────────────────────────────────────────────────

export interface SubmittedJson {
  id: string;
  run_id: number;
}

export function submittedJson(submitted: { id: string; run_id: number }): SubmittedJson {
  return { id: submitted.id, run_id: submitted.run_id };
}

export type JobCounts = Partial<Record<JobStatus, number>>;

export interface WorkflowStatusJson {
  id: string;
  name: string;
  status: WorkflowStatus;
  run: number;
  counts: JobCounts;
}

export function statusJson(view: WorkflowStatusView): WorkflowStatusJson {
  return { id: view.id, name: view.name, status: view.status, run: view.run, counts: { ...view.counts } };
}

/** Whether a workflow has ended (completed, failed or canceled); only restart changes it then. */
export function workflowEnded(status: WorkflowStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'canceled';
}

/** An invalid report (this module stays free of the spec compiler, which validate.ts imports). */
export function isInvalidReport(report: ValidationReport): report is InvalidReport {
  return 'errors' in report;
}

/** Job states that will not change again in this run (the progress of a workflow). */

/** Jobs in all, and those finished, from a status view's counts. */
export function progressOf(counts: JobCounts): { total: number; finished: number } {
  let total = 0;
  let finished = 0;
  for (const [status, count] of Object.entries(counts) as Array<[JobStatus, number | undefined]>) {
    total += count ?? 0;
    if (isTerminal(status)) finished += count ?? 0;
  }
  return { total, finished };
}

/**
 * `workflow validate --json`: the summary of a valid workflow, or `{errors: [{message, line, column,
 * path}]}`. The report is already JSON; this copies exactly the documented fields.
 */
export function validationJson(report: ValidationReport): ValidationReport {
  if (isInvalidReport(report)) return { errors: report.errors.map(({ message, line, column, path }) => ({ message, line, column, path })) };
  return {
    name: report.name,
    format: report.format,
    jobs: report.jobs,
    files: report.files,
    levels: report.levels,
    actions: report.actions.map(({ trigger_type, action_type, selected_jobs }) => ({ trigger_type, action_type, selected_jobs })),
    ...(report.job_names ? { job_names: [...report.job_names] } : {}),
  };
}

// ── workflows ────────────────────────────────────────────────────────────────────────────────

export interface WorkflowJson {
  id: string;
  name: string;
  format: WorkflowFormat;
  status: WorkflowStatus;
  run: number;
  user: string | null;
  description: string | null;
  params: JsonObject;
  outputs: JsonObject | null;
  output_dir: string;
  created_by: string | null;
  job_count: number;
  error: string | null;
  created_at: string | null;
  updated_at: string | null;
  started_at: string | null;
  ended_at: string | null;
}

/** One workflow with its job counts (GET /workflows/{id}). */
export type WorkflowWithCountsJson = WorkflowJson & { counts: JobCounts };

export function workflowJson(workflow: WorkflowRecord): WorkflowJson {
  return {
    id: workflow.id,
    name: workflow.name,
    format: workflow.format,
    status: workflow.status,
    run: workflow.run,
    user: workflow.user,
    description: workflow.description,
    params: workflow.params,
    outputs: workflow.outputs,
    output_dir: workflow.output_dir,
    created_by: workflow.created_by,
    job_count: workflow.job_count,
    error: workflow.error,
    created_at: iso(workflow.created_at),
    updated_at: iso(workflow.updated_at),
    started_at: iso(workflow.started_at),
    ended_at: iso(workflow.ended_at),
  };
}

// ── jobs ─────────────────────────────────────────────────────────────────────────────────────

/** A row of `workflow jobs`: the fields, plus `index` (names may repeat) and the run. */
export interface JobJson {
  index: number;
  name: string;
  status: JobStatus;
  exit_code: number | null;
  attempts: number;
  worker_id: string | null;
  started_at: string | null;
  ended_at: string | null;
  run: number;
  error: string | null;
  /** Indexes of the jobs it waits for (the graph's edges). */
  depends_on: number[];
}

/** One job with everything known about it: its spec, outputs, error and the tails of its logs. */
export interface JobDetailJson extends JobJson {
  workflow_id: string;
  /** The DAG step id, or null for a Torc job. */
  step_id: string | null;
  ready_at: string | null;
  lease_expires_at: string | null;
  outputs: JsonObject | null;
  stdout_tail: string | null;
  stderr_tail: string | null;
  cancel_requested: boolean;
  spec: JobModel;
}

export function jobJson(job: JobRecord): JobJson {
  return {
    index: job.index,
    name: job.name,
    status: job.status,
    exit_code: job.exit_code,
    attempts: job.attempts,
    worker_id: job.worker_id,
    started_at: iso(job.started_at),
    ended_at: iso(job.ended_at),
    run: job.run,
    error: job.error,
    depends_on: [...job.spec.depends_on],
  };
}

export function jobDetailJson(job: JobRecord): JobDetailJson {
  return {
    ...jobJson(job),
    workflow_id: job.workflow_id,
    step_id: job.spec.step?.id ?? null,
    ready_at: iso(job.ready_at),
    lease_expires_at: iso(job.lease_expires_at),
    outputs: job.outputs,
    stdout_tail: job.stdout_tail,
    stderr_tail: job.stderr_tail,
    cancel_requested: job.cancel_requested,
    spec: job.spec,
  };
}

// ── workflow actions ─────────────────────────────────────────────────────────────────────────

export interface ActionExecutionJson {
  id: string;
  run: number;
  worker_id: string;
  /** null while it runs. */
  success: boolean | null;
  result: JsonObject | null;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
}

export interface WorkflowActionJson {
  index: number;
  trigger_type: TriggerType;
  action_type: string;
  persistent: boolean;
  /** Names of the selected jobs. */
  selected_jobs: string[];
  /** The same jobs by index (names may repeat in Torc specs). */
  selected_job_indexes: number[];
  required_triggers: number;
  trigger_count: number;
  status: ActionStatus;
  fields: JsonObject;
  executions: ActionExecutionJson[];
}

export function actionExecutionJson(execution: ActionExecutionRecord): ActionExecutionJson {
  return {
    id: execution.id,
    run: execution.run,
    worker_id: execution.worker_id,
    success: execution.success,
    result: execution.result,
    error: execution.error,
    started_at: iso(execution.started_at),
    ended_at: iso(execution.ended_at),
  };
}

/** `jobName` names a job by its index (`#7` when the caller does not know it). */
export function workflowActionJson(action: WorkflowActionRecord, jobName: (index: number) => string): WorkflowActionJson {
  return {
    index: action.index,
    trigger_type: action.trigger_type,
    action_type: action.action_type,
    persistent: action.persistent,
    selected_jobs: action.selected_jobs.map(jobName),
    selected_job_indexes: [...action.selected_jobs],
    required_triggers: action.required_triggers,
    trigger_count: action.trigger_count,
    status: action.status,
    fields: action.fields,
    executions: action.executions.map(actionExecutionJson),
  };
}

/** A job-name lookup over a workflow's jobs; unknown indexes read as `#INDEX`. */
export function jobNamer(jobs: ReadonlyArray<Pick<JobRecord, 'index' | 'name'>>): (index: number) => string {
  const names = new Map(jobs.map((job) => [job.index, job.name]));
  return (index) => names.get(index) ?? `#${index}`;
}

// ── logs, workers, allocations ───────────────────────────────────────────────────────────────

export interface LogChunkJson {
  offset: number;
  text: string;
}

export function logChunkJson(chunk: LogChunk): LogChunkJson {
  return { offset: chunk.offset, text: chunk.text };
}

export interface WorkerJson {
  id: string;
  host: string;
  pid: number;
  workflow_id: string | null;
  running_jobs: string[];
  max_parallel_jobs: number | null;
  started_at: string | null;
  heartbeat_at: string | null;
}

export function workerJson(worker: WorkerView): WorkerJson {
  return { ...worker, running_jobs: [...worker.running_jobs], started_at: iso(worker.started_at), heartbeat_at: iso(worker.heartbeat_at) };
}

export interface AllocationJson {
  id: string;
  workflow_id: string;
  action_index: number | null;
  scheduler: string;
  state: AllocationState;
  native_state: string | null;
  nodes: number;
  script_path: string | null;
  submitted_at: string | null;
  updated_at: string | null;
}

export function allocationJson(allocation: AllocationRecord): AllocationJson {
  return { ...allocation, submitted_at: iso(allocation.submitted_at), updated_at: iso(allocation.updated_at) };
}

// ── and back: what the remote CLI receives, as records again ─────────────────────────────────

function ms(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Date.parse(value);
}

export function workflowFromJson(json: WorkflowJson): WorkflowRecord {
  return {
    ...json,
    created_at: ms(json.created_at) ?? 0,
    updated_at: ms(json.updated_at) ?? 0,
    started_at: ms(json.started_at) ?? 0,
    ended_at: ms(json.ended_at),
  };
}

export function statusFromJson(json: WorkflowStatusJson | WorkflowWithCountsJson): WorkflowStatusView {
  return { id: json.id, name: json.name, status: json.status, run: json.run, counts: { ...json.counts } };
}

/**
 * A spec for a job known only from a list row (which carries only its dependencies): no command,
 * no action. Only the detail view (GET …/jobs/{job}) has the real one.
 */
function unknownSpec(index: number, name: string): JobModel {
  return {
    index,
    name,
    command: null,
    invocation_script: null,
    action: null,
    params: null,
    depends_on: [],
    env: {},
    resources: { num_cpus: 0, num_gpus: 0, num_nodes: 0, memory_bytes: 0, runtime_seconds: null },
    scheduler: null,
    cancel_on_blocking_job_failure: false,
    failure_rules: [],
    timeout_seconds: null,
    input_files: [],
    output_files: [],
    step: null,
  };
}

/** A job from a list row or a detail view; `workflowId` fills in what a list row leaves out. */
export function jobFromJson(json: JobJson | JobDetailJson, workflowId: string): JobRecord {
  const detail = 'spec' in json ? json : null;
  return {
    workflow_id: detail?.workflow_id ?? workflowId,
    index: json.index,
    name: json.name,
    status: json.status,
    run: json.run,
    attempts: json.attempts,
    exit_code: json.exit_code,
    worker_id: json.worker_id,
    lease_expires_at: ms(detail?.lease_expires_at),
    ready_at: ms(detail?.ready_at),
    started_at: ms(json.started_at),
    ended_at: ms(json.ended_at),
    outputs: detail?.outputs ?? null,
    error: json.error,
    stdout_tail: detail?.stdout_tail ?? null,
    stderr_tail: detail?.stderr_tail ?? null,
    // A server's paths are its own: the API does not show them.
    log_dir: null,
    cancel_requested: detail?.cancel_requested ?? false,
    spec: detail?.spec ?? { ...unknownSpec(json.index, json.name), depends_on: [...json.depends_on] },
  };
}

export function actionExecutionFromJson(json: ActionExecutionJson, workflowId: string, actionIndex: number): ActionExecutionRecord {
  return {
    id: json.id,
    workflow_id: workflowId,
    action_index: actionIndex,
    run: json.run,
    worker_id: json.worker_id,
    success: json.success,
    result: json.result,
    error: json.error,
    started_at: ms(json.started_at) ?? 0,
    ended_at: ms(json.ended_at),
  };
}

export function workflowActionFromJson(json: WorkflowActionJson, workflowId: string): WorkflowActionRecord {
  return {
    workflow_id: workflowId,
    index: json.index,
    trigger_type: json.trigger_type,
    action_type: json.action_type,
    persistent: json.persistent,
    selected_jobs: [...json.selected_job_indexes],
    required_triggers: json.required_triggers,
    trigger_count: json.trigger_count,
    status: json.status,
    fields: json.fields,
    executions: json.executions.map((execution) => actionExecutionFromJson(execution, workflowId, json.index)),
  };
}

export function workerFromJson(json: WorkerJson): WorkerView {
  return { ...json, running_jobs: [...json.running_jobs], started_at: ms(json.started_at) ?? 0, heartbeat_at: ms(json.heartbeat_at) ?? 0 };
}

export function allocationFromJson(json: AllocationJson): AllocationRecord {
  return { ...json, submitted_at: ms(json.submitted_at) ?? 0, updated_at: ms(json.updated_at) ?? 0 };
}
