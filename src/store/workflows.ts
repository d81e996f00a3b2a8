import type { JsonObject } from '../events/model.js';
import type { EventInsert, InsertedEvent } from './store.js';
import type { JobModel, TriggerType, WorkflowFormat, WorkflowModel } from '../workflows/model.js';

/**
 * Workflows, their jobs and workflow actions in the store. Every job transition is one method
 * here, applied atomically on both backends with the rules of src/workflows/job-states.ts (the one
 * place those rules live): finishing a job unblocks, cancels or skips its dependents, counts
 * triggers and ends the workflow in the same transaction. Each method that changes state returns
 * the transitions it made (WorkflowChange), so the caller publishes one event per transition.
 */

export const JOB_STATUSES = [
  'uninitialized',
  'blocked',
  'ready',
  'pending',
  'running',
  'completed',
  'failed',
  'canceled',
  'terminated',
  'disabled',
  'skipped',
  'timeout',
  'retrying',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const WORKFLOW_STATUSES = ['running', 'completed', 'failed', 'canceled'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/** pending: its trigger fired; running: claimed (non-persistent); done / failed: ended. */
export const ACTION_STATUSES = ['waiting', 'pending', 'running', 'done', 'failed'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface WorkflowRecord {
  id: string;
  name: string;
  format: WorkflowFormat;
  status: WorkflowStatus;
  /** 1 at submit; each restart adds one. */
  run: number;
  user: string | null;
  description: string | null;
  /** Values of the DAG's parameters given at submit (with defaults). */
  params: JsonObject;
  /** The DAG's resolved `outputs`, set when it ends; null before. */
  outputs: JsonObject | null;
  /** Where job logs and run_commands run: `<output_dir>/<run>/…`. */
  output_dir: string;
  /** The principal that submitted it, or null (CLI on the embedded store). */
  created_by: string | null;
  job_count: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  started_at: number;
  ended_at: number | null;
}

export interface JobRecord {
  workflow_id: string;
  index: number;
  name: string;
  status: JobStatus;
  run: number;
  /** Starts of this job in this run (1 on the first). */
  attempts: number;
  exit_code: number | null;
  worker_id: string | null;
  /** epoch ms; only while running. */
  lease_expires_at: number | null;
  /** epoch ms: a retrying job becomes ready at this time. */
  ready_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  /** A typed action's outputs (DAG steps, action jobs); null for commands or before it ends. */
  outputs: JsonObject | null;
  error: string | null;
  stdout_tail: string | null;
  stderr_tail: string | null;
  /** Where the worker that ran it last wrote its logs (`…/jobs`); null before it ran. */
  log_dir: string | null;
  /** Set by cancelWorkflow on a running job: its worker kills it and finishes it `canceled`. */
  cancel_requested: boolean;
  /** What to run, as compiled (src/workflows/model.ts). */
  spec: JobModel;
}

export interface WorkflowActionRecord {
  workflow_id: string;
  index: number;
  trigger_type: TriggerType;
  action_type: string;
  persistent: boolean;
  selected_jobs: number[];
  required_triggers: number;
  /** Selected jobs counted so far in this run. */
  trigger_count: number;
  status: ActionStatus;
  fields: JsonObject;
  /** Its executions in every run so far, by run then start. */
  executions: ActionExecutionRecord[];
}

export interface ActionExecutionRecord {
  id: string;
  workflow_id: string;
  action_index: number;
  /** The workflow's run it was claimed in. */
  run: number;
  worker_id: string;
  /** null while it runs. */
  success: boolean | null;
  result: JsonObject | null;
  error: string | null;
  started_at: number;
  ended_at: number | null;
}

export interface JobTransition {
  index: number;
  name: string;
  /** The DAG step id, or null for a Torc job. */
  step_id: string | null;
  from: JobStatus;
  to: JobStatus;
  attempts: number;
  exit_code: number | null;
  worker_id: string | null;
  error: string | null;
}

/** Everything one store call changed in one workflow, in the order it happened. */
export interface WorkflowChange {
  workflow_id: string;
  run: number;
  jobs: JobTransition[];
  /** Actions whose trigger fired by this change (now pending). */
  actions_pending: Array<{ index: number; trigger_type: TriggerType; action_type: string }>;
  /** Set when the workflow's status changed. */
  workflow: { from: WorkflowStatus | null; to: WorkflowStatus } | null;
}

export interface NewWorkflow {
  id: string;
  model: WorkflowModel;
  params: JsonObject;
  output_dir: string;
  created_by: string | null;
  now: number;
}

export interface WorkerCapacity {
  /** null = not limited by this resource. */
  cpus: number | null;
  memory_bytes: number | null;
  gpus: number | null;
}

export interface JobClaim {
  worker_id: string;
  /** Only this workflow's jobs; null = any running workflow. */
  workflow_id: string | null;
  /** At most this many jobs. */
  limit: number;
  /**
   * Free resources: jobs are taken in index order while their needs fit (by count alone when
   * null). A workflow's max_parallel_jobs is honoured too.
   */
  capacity: WorkerCapacity | null;
  lease_ms: number;
  now: number;
}

export type JobOutcome = 'completed' | 'failed' | 'timeout' | 'terminated' | 'canceled' | 'skipped';

export interface JobFinish {
  workflow_id: string;
  index: number;
  /** The run and worker that claimed it: a finish from a lost claim changes nothing. */
  run: number;
  worker_id: string;
  outcome: JobOutcome;
  exit_code: number | null;
  error: string | null;
  outputs: JsonObject | null;
  stdout_tail: string | null;
  stderr_tail: string | null;
  /**
   * When the worker started it, when that was after the claim (a job claimed ahead waits in the
   * worker's queue); omitted or null keeps the claim's time.
   */
  started_at?: number | null;
  /** Where this attempt's logs are (a worker's --output-dir may put them outside the workflow's directory). */
  log_dir?: string | null;
  /** For a failure: retry at this time (job → retrying) instead of ending; from src/workflows/retry.ts. */
  retry_at: number | null;
  /** Jobs (blocked or ready) to skip with this finish: the branches a `conditional` step did not take. */
  skip_jobs?: number[];
  now: number;
}

/**
 * Events written in the transaction of the transitions they tell of, so a process that dies
 * after the commit has lost neither (an outbox: see finishJobs).
 */
export interface TransitionOutbox {
  /**
   * The events to insert with these changes (finishJobs' results, in order). Called inside the
   * transaction, before its commit; again if the transaction is retried, so it must not change
   * anything of the caller's.
   */
  events(changes: ReadonlyArray<WorkflowChange | null>): EventInsert[];
}

export interface WorkflowQuery {
  status?: WorkflowStatus;
  /** Cursor: workflows created before this id (ids are time-ordered), newest first. */
  before?: string;
  limit: number;
}

export interface JobQuery {
  status?: JobStatus;
  name?: string;
  offset: number;
  limit: number;
}

export interface ActionClaim {
  worker_id: string;
  workflow_id: string | null;
  /** Only actions with these triggers. */
  triggers: readonly TriggerType[];
  now: number;
}

export interface ClaimedAction {
  execution: ActionExecutionRecord;
  action: WorkflowActionRecord;
  workflow: WorkflowRecord;
}

export const ALLOCATION_STATES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type AllocationState = (typeof ALLOCATION_STATES)[number];

export interface AllocationRecord {
  /** The scheduler's job id (Slurm's). */
  id: string;
  workflow_id: string;
  action_index: number | null;
  scheduler: string;
  state: AllocationState;
  /** The scheduler's own word for the state (PENDING, RUNNING, …). */
  native_state: string | null;
  nodes: number;
  script_path: string | null;
  submitted_at: number;
  updated_at: number;
}

export interface WorkflowStore {
  /**
   * Stores a workflow with its jobs (ready when they have no dependencies, blocked otherwise) and
   * actions, in one transaction (batched inserts: 100 000 jobs must take seconds, not minutes).
   * Triggers already met (on_workflow_start, on_worker_*, on_jobs_ready of initially ready jobs)
   * are counted. The change lists the jobs made ready (from `uninitialized`), the actions made
   * pending, and the workflow `null → running`. A workflow without jobs completes at once
   * (`null → completed`, on_workflow_complete pending). HF_ERR_INVALID_ARGUMENT when the model is
   * inconsistent (job indexes out of order, a dependency or selected job that is not a job).
   */
  createWorkflow(input: NewWorkflow): Promise<{ workflow: WorkflowRecord; change: WorkflowChange }>;
  getWorkflow(id: string): Promise<WorkflowRecord | null>;
  /** The compiled model the workflow was created from. */
  getWorkflowModel(id: string): Promise<WorkflowModel | null>;
  listWorkflows(query: WorkflowQuery): Promise<WorkflowRecord[]>;
  /** Deletes an ended workflow with its jobs, actions, executions and allocations. */
  deleteWorkflow(id: string): Promise<'deleted' | 'not_found' | 'running'>;

  listJobs(workflowId: string, query: JobQuery): Promise<JobRecord[]>;
  getJob(workflowId: string, index: number): Promise<JobRecord | null>;
  countJobs(workflowId: string): Promise<Partial<Record<JobStatus, number>>>;
  /** Outputs of the given jobs that have any (for templates), by index. */
  jobOutputs(workflowId: string, indexes: readonly number[]): Promise<Map<number, JsonObject>>;

  /**
   * Atomically claims ready jobs (→ running, attempts + 1, leased to the worker). Never one job
   * twice. Running workflows only, oldest workflow first, then by index; a workflow already
   * running its max_parallel_jobs is passed over (it never hides the jobs of later workflows).
   */
  claimJobs(claim: JobClaim): Promise<JobRecord[]>;
  /**
   * Ends a running job claimed by (worker, run), and in the same transaction: unblocks its
   * dependents when this was their last unfinished dependency (Torc: any end; DAG: completed,
   * skipped, or failed with on_failure continue), cancels them transitively (Torc
   * cancel_on_blocking_job_failure on a failure), fails the DAG and skips its unfinished steps
   * (a DAG failure without continue), counts triggers, and ends the workflow when no job is left
   * unfinished. Null when the job was no longer that worker's (lease lost, canceled, restarted).
   * A retry due already (retry_at ≤ now) makes the job ready at once (transitions running →
   * retrying → ready); a failure in a canceled workflow, or of a job whose cancel was requested,
   * never retries. `skip_jobs` are skipped before the finished job unblocks its dependents, and
   * their own dependents are unblocked as after any skip. Each finish is its own transaction.
   */
  finishJobs(finishes: readonly JobFinish[]): Promise<Array<WorkflowChange | null>>;
  /**
   * finishJobs, all in one transaction with the outbox's events for their changes (one failure
   * fails all: nothing is written). On SQLite a claim asked in the same turn joins it too.
   */
  finishJobsWithEvents(finishes: readonly JobFinish[], outbox: TransitionOutbox): Promise<{ changes: Array<WorkflowChange | null>; events: InsertedEvent[] }>;
  /** Extends the leases of the worker's running jobs; returns the jobs whose cancel was requested. */
  renewJobLeases(workerId: string, leaseMs: number, now: number): Promise<Array<{ workflow_id: string; index: number; run: number }>>;
  /** Retrying jobs whose time came → ready. */
  promoteRetries(now: number): Promise<WorkflowChange[]>;
  /**
   * Running jobs whose lease expired (their worker died) → ready again, for another worker; →
   * canceled instead when their workflow was canceled or their cancel requested.
   */
  recoverExpiredJobs(now: number): Promise<WorkflowChange[]>;
  /** Whether any job is ready (or retrying and due) — for a worker's idle check. */
  hasClaimableJobs(workflowId: string | null, now: number): Promise<boolean>;

  /**
   * Cancels a running workflow: unfinished jobs that are not running → canceled, running ones get
   * cancel_requested (their workers kill them and finish them canceled), workflow → canceled
   * (ended_at set now). Null when there is no such workflow or it is not running. A canceled
   * workflow offers no more actions (on_workflow_complete included).
   */
  cancelWorkflow(id: string, now: number): Promise<WorkflowChange | null>;
  /**
   * A new run of an ended workflow: failed, canceled, terminated, timeout and skipped jobs (or all
   * with failedOnly false) are reset and initialized again (blocked or ready); actions are reset
   * as Torc's reinitialize does (counts recomputed, executions of the new run start empty).
   * A reset job waits only for dependencies reset with it. Null when there is no such workflow;
   * HF_ERR_CONFLICT while it runs or one of its jobs is still unfinished (a canceled workflow
   * whose running jobs have not finished yet). A failed-only restart with nothing to run again
   * completes the new run at once.
   */
  restartWorkflow(id: string, options: { failedOnly: boolean; now: number }): Promise<WorkflowChange | null>;
  /** Sets a DAG's resolved outputs (when it ends). */
  setWorkflowOutputs(id: string, outputs: JsonObject, error: string | null): Promise<void>;

  listActions(workflowId: string): Promise<WorkflowActionRecord[]>;
  /**
   * Claims the pending actions this worker may run now: a non-persistent one for exactly one
   * worker per run (pending → running), a persistent one once per worker per run (it stays
   * pending for other workers). Each claim creates its execution record. Actions of canceled
   * workflows are never claimed; on_workflow_complete becomes pending when a run ends completed
   * or failed, so it is claimable after the workflow ended.
   */
  claimActions(claim: ActionClaim): Promise<ClaimedAction[]>;
  /** Claims one action for the worker: null when already claimed ("already claimed", HTTP 409). */
  claimAction(workflowId: string, actionIndex: number, workerId: string, now: number): Promise<ClaimedAction | null>;
  /**
   * Ends an execution once (null when unknown or already ended); a non-persistent action of the
   * current run becomes done or failed with it.
   */
  finishActionExecution(
    executionId: string,
    end: { success: boolean; result: JsonObject | null; error: string | null; now: number },
  ): Promise<ActionExecutionRecord | null>;
  /** Whether actions with these triggers are pending that the worker has not run yet. */
  hasPendingActions(workflowId: string | null, workerId: string, triggers: readonly TriggerType[]): Promise<boolean>;

  /** HF_ERR_CONFLICT when an allocation with this id is recorded already. */
  createAllocation(allocation: AllocationRecord): Promise<void>;
  updateAllocation(id: string, state: AllocationState, nativeState: string | null, now: number): Promise<AllocationRecord | null>;
  /** Newest submission first. */
  listAllocations(query: { workflow_id?: string; states?: readonly AllocationState[]; limit: number }): Promise<AllocationRecord[]>;
}
