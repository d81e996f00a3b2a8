/**
 * The job state machine and the rules that move a workflow: the one place they live. Both store
 * backends apply a transition by asking these functions what happens (src/store/workflow-transitions.ts
 * runs them inside one transaction), so no rule is written twice, in SQL or elsewhere.
 *
 *   uninitialized ─► blocked ─► ready ─► running ─► completed | failed | timeout | terminated | canceled | skipped
 *                       │         ▲  │      │  ▲
 *                       │         │  │      ▼  │ (lease lost: back to ready)
 *                       │         └──┼── retrying
 *                       └────────────┴─► canceled | skipped | disabled   (never started)
 *
 * A restart (a new run) puts ended jobs back to blocked or ready.
 */
import { HookflowError } from '../errors.js';
import type { ActionStatus, JobOutcome, JobStatus, WorkflowStatus } from '../store/workflows.js';
import type { DependencyRule, StepPart, TriggerType } from './model.js';

/** Statuses a job never leaves within a run. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>([
  'completed',
  'failed',
  'canceled',
  'terminated',
  'disabled',
  'skipped',
  'timeout',
]);

/** Statuses of jobs that have not started and wait for something: cancel and a DAG failure end them. */
export const WAITING_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['uninitialized', 'blocked', 'ready', 'pending', 'retrying']);

/** A workflow run that has ended: nothing of it runs any more. */
export function isWorkflowEnded(status: WorkflowStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'canceled';
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Not ended yet in this run: the workflow goes on while any job is unfinished. */
export function isUnfinished(status: JobStatus): boolean {
  return !TERMINAL_STATUSES.has(status);
}

const ENDS: readonly JobStatus[] = ['completed', 'failed', 'timeout', 'terminated', 'canceled', 'skipped'];
/** What a restart puts an ended job back to. */
const RESET: readonly JobStatus[] = ['blocked', 'ready'];

/**
 * Every allowed transition. `pending` is Torc's claimed-not-started state: hookflow's claim goes
 * from ready straight to running, but the state exists for jobs handed over by a scheduler.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  uninitialized: ['blocked', 'ready', 'disabled', 'canceled', 'skipped'],
  blocked: ['ready', 'canceled', 'skipped', 'disabled'],
  ready: ['pending', 'running', 'canceled', 'skipped', 'disabled'],
  pending: ['running', 'ready', 'canceled', 'skipped'],
  running: [...ENDS, 'retrying', 'ready'],
  retrying: ['ready', 'canceled', 'skipped'],
  completed: RESET,
  failed: RESET,
  canceled: RESET,
  terminated: RESET,
  disabled: RESET,
  skipped: RESET,
  timeout: RESET,
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** Throws HF_ERR_CONFLICT naming the transition and what the job could do instead. */
export function assertTransition(from: JobStatus, to: JobStatus, job?: string): void {
  if (canTransition(from, to)) return;
  const allowed = JOB_TRANSITIONS[from];
  throw new HookflowError('HF_ERR_CONFLICT', `${job ? `job ${job}: ` : ''}a ${from} job cannot become ${to}`, {
    hint: allowed.length > 0 ? `from ${from} a job can become ${allowed.join(', ')}` : `${from} is final`,
  });
}

/** A job with dependencies waits for them; one without is ready at once. */
export function initialStatus(dependencyCount: number): 'blocked' | 'ready' {
  return dependencyCount > 0 ? 'blocked' : 'ready';
}

/** Outcomes that are a failure of the job itself (not a cancel, not a skip). */
const FAILURE_OUTCOMES: ReadonlySet<JobStatus> = new Set<JobStatus>(['failed', 'timeout', 'terminated']);

export function isFailure(outcome: JobStatus): boolean {
  return FAILURE_OUTCOMES.has(outcome);
}

/** What a DAG step's end does when it did not succeed: its own on_failure, `fail` for Torc jobs. */
type OnFailure = StepPart['on_failure'] | null;

/** How a job's end reached it: run by a worker (or canceled on request), or canceled because a dependency failed. */
export type EndCause = 'own' | 'dependency';

export interface EndedJob {
  rule: DependencyRule;
  outcome: JobOutcome;
  /** The step's on_failure (DAG), null for Torc jobs. */
  on_failure: OnFailure;
  cause: EndCause;
}

/**
 * What the end of a job does to the whole workflow. A DAG step that failed (or timed out, was
 * terminated or canceled) without `on_failure: continue` fails the run: every unfinished step that
 * is not running becomes skipped (BudPipeline). Torc never does this: its failures only reach
 * dependents.
 */
export function workflowEffect(ended: EndedJob): 'none' | 'fail_workflow' {
  if (ended.rule !== 'dag') return 'none';
  if (ended.outcome === 'completed' || ended.outcome === 'skipped') return 'none';
  return ended.on_failure === 'continue' ? 'none' : 'fail_workflow';
}

/**
 * What the end of a job does to one dependent still blocked by it: `decrement` its count of
 * unfinished dependencies (it becomes ready at zero), or `cancel` it, and below it everything
 * that depends on it.
 *  - Torc: any end unblocks, except that a failed, timed-out, terminated or canceled dependency
 *    cancels a dependent with cancel_on_blocking_job_failure; a job canceled for that reason
 *    cancels everything below it, whatever their own setting.
 *  - DAG: completed, skipped, or a failure with on_failure continue unblock; any other failure
 *    fails the workflow (workflowEffect) and its dependents are skipped with the rest.
 */
export function dependentEffect(ended: EndedJob, cancelOnBlockingFailure: boolean): 'decrement' | 'cancel' {
  if (ended.rule === 'dag') return 'decrement';
  if (ended.cause === 'dependency') return 'cancel';
  const blockingFailure = isFailure(ended.outcome) || ended.outcome === 'canceled';
  return blockingFailure && cancelOnBlockingFailure ? 'cancel' : 'decrement';
}

/**
 * Whether this end makes the workflow end `failed`: a failure of the job (except a DAG step with
 * on_failure continue), or a cancel because a dependency failed. A cancel on request and a skip
 * do not.
 */
export function failsWorkflow(ended: EndedJob): boolean {
  if (ended.outcome === 'canceled') return ended.cause === 'dependency';
  if (!isFailure(ended.outcome)) return false;
  return !(ended.rule === 'dag' && ended.on_failure === 'continue');
}

/**
 * The status a workflow ends with once no job is unfinished, or null while some are (or when it
 * was canceled: `canceled` is set only by cancelWorkflow and stays).
 */
export function workflowEndStatus(current: WorkflowStatus, unfinished: number, failures: number): WorkflowStatus | null {
  if (current !== 'running' || unfinished > 0) return null;
  return failures > 0 ? 'failed' : 'completed';
}

/** What a finish reported by a worker moves the running job to. */
export function finishTarget(input: {
  outcome: JobOutcome;
  /** From src/workflows/retry.ts; only failures retry. */
  retry_at: number | null;
  now: number;
  workflow_running: boolean;
  cancel_requested: boolean;
}): { status: JobStatus; retry: 'none' | 'later' | 'now' } {
  const retries = input.retry_at !== null && isFailure(input.outcome) && input.workflow_running && !input.cancel_requested;
  if (!retries) return { status: input.outcome, retry: 'none' };
  return input.retry_at !== null && input.retry_at <= input.now ? { status: 'ready', retry: 'now' } : { status: 'retrying', retry: 'later' };
}

/** What a running job whose lease expired (its worker died) becomes. */
export function expiredLeaseTarget(workflowRunning: boolean, cancelRequested: boolean): 'ready' | 'canceled' {
  return workflowRunning && !cancelRequested ? 'ready' : 'canceled';
}

// ── trigger counting ──────────────────────────────────────────────────────────────────────────

/** Bits of a job's `counted` column: which job triggers it has already counted for in this run. */
export const COUNTED_READY = 1;
export const COUNTED_COMPLETE = 2;

/**
 * Counts a job's new status for the job triggers, once per run each: on_jobs_ready counts a job
 * when it first becomes ready or terminal, on_jobs_complete when it first becomes terminal.
 */
export function countStatus(counted: number, status: JobStatus): { counted: number; ready: boolean; complete: boolean } {
  const terminal = isTerminal(status);
  const readyNow = status === 'ready' || terminal;
  const ready = readyNow && (counted & COUNTED_READY) === 0;
  const complete = terminal && (counted & COUNTED_COMPLETE) === 0;
  return { counted: counted | (readyNow ? COUNTED_READY : 0) | (terminal ? COUNTED_COMPLETE : 0), ready, complete };
}

/** The job trigger a counted bit feeds, or null for the others. */
export function jobTriggerOf(trigger: TriggerType): 'ready' | 'complete' | null {
  if (trigger === 'on_jobs_ready') return 'ready';
  if (trigger === 'on_jobs_complete') return 'complete';
  return null;
}

/** Triggers that are met as soon as a run starts. */
export function pendingFromStart(trigger: TriggerType): boolean {
  return trigger === 'on_workflow_start' || trigger === 'on_worker_start' || trigger === 'on_worker_complete';
}

/**
 * An action's count and status at the start of a run, given how many of its selected jobs are
 * already counted for its trigger (ready or ended jobs for on_jobs_ready, ended ones for
 * on_jobs_complete). on_workflow_complete waits for the end of the run.
 */
export function actionStartState(trigger: TriggerType, requiredTriggers: number, countedJobs: number): { trigger_count: number; status: ActionStatus } {
  if (pendingFromStart(trigger)) return { trigger_count: requiredTriggers, status: 'pending' };
  if (jobTriggerOf(trigger) === null) return { trigger_count: 0, status: 'waiting' };
  return { trigger_count: countedJobs, status: countedJobs >= requiredTriggers ? 'pending' : 'waiting' };
}

/** Whether adding `by` to a count of `before` reaches the requirement now (and not earlier). */
export function triggerFires(before: number, by: number, requiredTriggers: number): boolean {
  return before < requiredTriggers && before + by >= requiredTriggers;
}

// ── restart ───────────────────────────────────────────────────────────────────────────────────

/** Ended statuses a failed-only restart runs again: everything but completed and disabled. */
const RERUN_ON_FAILED_ONLY: ReadonlySet<JobStatus> = new Set<JobStatus>(['failed', 'canceled', 'terminated', 'timeout', 'skipped']);

export interface RestartJob {
  index: number;
  status: JobStatus;
  counted: number;
  depends_on: readonly number[];
}

export interface RestartedJob {
  index: number;
  from: JobStatus;
  to: 'blocked' | 'ready';
  /** Dependencies that run again (the kept ones ended already). */
  remaining: number;
  counted: number;
}

/**
 * Which jobs a new run resets and to what: all of them, or (failedOnly) those that did not
 * complete. A reset job waits only for dependencies that are reset too. Throws HF_ERR_CONFLICT
 * when a job is still unfinished (the run has not ended).
 */
export function restartPlan(jobs: readonly RestartJob[], failedOnly: boolean): RestartedJob[] {
  const unfinished = jobs.find((job) => isUnfinished(job.status));
  if (unfinished) {
    throw new HookflowError('HF_ERR_CONFLICT', `job ${unfinished.index} is still ${unfinished.status}: the run has not ended`, {
      hint: 'wait for its worker to finish it (or for its lease to expire), then restart',
    });
  }
  const reset = new Set(jobs.filter((job) => !failedOnly || RERUN_ON_FAILED_ONLY.has(job.status)).map((job) => job.index));
  return jobs
    .filter((job) => reset.has(job.index))
    .map((job) => {
      const remaining = job.depends_on.filter((dependency) => reset.has(dependency)).length;
      const to = initialStatus(remaining);
      return { index: job.index, from: job.status, to, remaining, counted: to === 'ready' ? COUNTED_READY : 0 };
    });
}

// ── claiming by capacity ──────────────────────────────────────────────────────────────────────

export interface ClaimCandidate {
  workflow_id: string;
  num_cpus: number;
  num_gpus: number;
  memory_bytes: number;
}

export interface FreeCapacity {
  cpus: number | null;
  memory_bytes: number | null;
  gpus: number | null;
}

/**
 * Picks claimable jobs in the order given (workflow, then index): each job whose needs fit what
 * is still free is taken, one that does not fit is passed over for smaller ones after it, until
 * `limit`. `room` is how many more jobs each workflow with max_parallel_jobs may start.
 */
export function fitJobs<T extends ClaimCandidate>(
  candidates: readonly T[],
  capacity: FreeCapacity | null,
  limit: number,
  room: ReadonlyMap<string, number> = new Map(),
): T[] {
  const picked: T[] = [];
  const free = { cpus: capacity?.cpus ?? null, memory: capacity?.memory_bytes ?? null, gpus: capacity?.gpus ?? null };
  const left = new Map(room);
  for (const job of candidates) {
    if (picked.length >= limit) break;
    const slots = left.get(job.workflow_id);
    if (slots !== undefined && slots <= 0) continue;
    if (free.cpus !== null && job.num_cpus > free.cpus) continue;
    if (free.memory !== null && job.memory_bytes > free.memory) continue;
    if (free.gpus !== null && job.num_gpus > free.gpus) continue;
    picked.push(job);
    if (free.cpus !== null) free.cpus -= job.num_cpus;
    if (free.memory !== null) free.memory -= job.memory_bytes;
    if (free.gpus !== null) free.gpus -= job.num_gpus;
    if (slots !== undefined) left.set(job.workflow_id, slots - 1);
  }
  return picked;
}
