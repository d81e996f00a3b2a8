/**
 * The workflow transitions both backends run, written once. Each is a program (a generator) that
 * asks for reads and writes through WorkflowTx and applies the rules of
 * src/workflows/job-states.ts; the SQLite backend answers its requests synchronously inside one
 * write transaction (runSync), the PostgreSQL one asynchronously inside one BEGIN…COMMIT after
 * locking the workflow's row (runAsync). So a finish, a cancel or a restart is one transaction on
 * both, and the order of what it does is the same on both.
 */
import { HookflowError } from '../errors.js';
import type { JsonObject } from '../events/model.js';
import {
  actionStartState,
  assertTransition,
  countStatus,
  dependentEffect,
  expiredLeaseTarget,
  failsWorkflow,
  finishTarget,
  initialStatus,
  isTerminal,
  jobTriggerOf,
  restartPlan,
  triggerFires,
  workflowEffect,
  workflowEndStatus,
  COUNTED_READY,
  type EndCause,
  type EndedJob,
  type RestartedJob,
  type RestartJob,
} from '../workflows/job-states.js';
import type { TriggerType, WorkflowModel } from '../workflows/model.js';
import { jobSpecJson, type JobState, type WorkflowState } from './workflow-rows.js';
import type { JobFinish, JobOutcome, JobStatus, JobTransition, NewWorkflow, WorkflowChange, WorkflowRecord, WorkflowStatus } from './workflows.js';

// ── what a program asks of a backend ──────────────────────────────────────────────────────────

export interface RunningEnd {
  index: number;
  /** The claim it must still be under. */
  run: number;
  worker_id: string;
  status: JobStatus;
  /** Forget the worker (the job is ready for another); otherwise it stays, as who ran it. */
  clear_worker: boolean;
  exit_code: number | null;
  error: string | null;
  outputs: JsonObject | null;
  stdout_tail: string | null;
  stderr_tail: string | null;
  log_dir: string | null;
  ended_at: number | null;
  ready_at: number | null;
  /** When the job really started, if later than its claim (a worker's claim-ahead); null keeps the claim's time. */
  started_at: number | null;
  counted: number;
}

/** A status change of a job that is not running, applied only if it still has status `from`. */
export interface StateUpdate {
  index: number;
  from: JobStatus;
  to: JobStatus;
  remaining: number;
  counted: number;
  ended_at: number | null;
  ready_at: number | null;
  worker_id: string | null;
  /** Only if its lease expired before this (epoch ms); null: no lease condition. */
  lease_before: number | null;
}

export interface FiredAction {
  index: number;
  trigger_type: TriggerType;
  action_type: string;
}

export interface BumpedAction extends FiredAction {
  /** The count after the bump, the bump, the requirement and the status: enough for triggerFires. */
  trigger_count: number;
  by: number;
  required_triggers: number;
  status: string;
}

export interface RestartAction {
  index: number;
  trigger_type: TriggerType;
  action_type: string;
  selected_jobs: number[];
  required_triggers: number;
}

export interface WorkflowProgress {
  unfinished_count: number;
  failed_count: number;
  status: WorkflowStatus;
  /** null keeps the stored value. */
  ended_at: number | null;
  updated_at: number;
}

/** What transitions read and write, as synchronous calls (SQLite); PostgreSQL answers the same asynchronously. */
export interface WorkflowTx {
  /** The workflow's row; PostgreSQL locks it (FOR UPDATE) for the rest of the transaction. */
  lockWorkflow(id: string): WorkflowState | null;
  job(workflowId: string, index: number): JobState | null;
  /** The jobs at these indexes, by index. */
  jobsAt(workflowId: string, indexes: readonly number[]): JobState[];
  /** Jobs that have not started and wait for something (WAITING_STATUSES), by index. */
  waitingJobs(workflowId: string): JobState[];
  dueRetries(workflowId: string, now: number): JobState[];
  expiredRunning(workflowId: string, now: number): JobState[];
  /** Ends (or sends to retry) a running job still held by (run, worker); false when it is not. */
  endRunning(workflowId: string, end: RunningEnd): boolean;
  /** Applies each update whose job still has its `from` status; returns the indexes applied. */
  setStates(workflowId: string, updates: readonly StateUpdate[]): number[];
  /** Marks the running jobs cancel_requested. */
  requestCancel(workflowId: string): void;
  /** Adds to actions' trigger counts; a waiting action reaching its requirement becomes pending. */
  bumpActions(workflowId: string, increments: ReadonlyArray<readonly [number, number]>): BumpedAction[];
  /** on_workflow_complete actions waiting → pending. */
  fireWorkflowComplete(workflowId: string): FiredAction[];
  saveProgress(workflowId: string, progress: WorkflowProgress): void;
  /** Every job of the workflow, by index. */
  restartJobs(workflowId: string): JobState[];
  resetJobs(workflowId: string, run: number, jobs: readonly RestartedJob[]): void;
  restartActions(workflowId: string): RestartAction[];
  resetActions(workflowId: string, states: ReadonlyArray<{ index: number; trigger_count: number; status: string }>): void;
  beginRun(workflowId: string, run: { run: number; unfinished_count: number; now: number }): void;
}

export interface TxCall {
  method: keyof WorkflowTx;
  args: unknown[];
}

/** A transition program: yields calls, gets their answers back, returns its result. */
export type Program<T> = Generator<TxCall, T, unknown>;

type Answer<K extends keyof WorkflowTx> = ReturnType<WorkflowTx[K]>;

function* call<K extends keyof WorkflowTx>(method: K, ...args: Parameters<WorkflowTx[K]>): Program<Answer<K>> {
  return (yield { method, args }) as Answer<K>;
}

export function runSync<T>(program: Program<T>, tx: WorkflowTx): T {
  let step = program.next();
  while (!step.done) {
    const method = tx[step.value.method] as (...args: unknown[]) => unknown;
    step = program.next(method.apply(tx, step.value.args));
  }
  return step.value;
}

export type AsyncWorkflowTx = {
  [K in keyof WorkflowTx]: (...args: Parameters<WorkflowTx[K]>) => Promise<ReturnType<WorkflowTx[K]>>;
};

export async function runAsync<T>(program: Program<T>, tx: AsyncWorkflowTx): Promise<T> {
  let step = program.next();
  while (!step.done) {
    const method = tx[step.value.method] as (...args: unknown[]) => Promise<unknown>;
    step = program.next(await method.apply(tx, step.value.args));
  }
  return step.value;
}

// ── creating a workflow ───────────────────────────────────────────────────────────────────────

export interface JobInsert {
  index: number;
  name: string;
  step_id: string | null;
  status: 'blocked' | 'ready';
  remaining: number;
  dependents: number[] | null;
  cancel_on_blocking: boolean;
  on_failure: string | null;
  num_cpus: number;
  num_gpus: number;
  memory_bytes: number;
  ready_actions: number[] | null;
  complete_actions: number[] | null;
  counted: number;
  spec: string;
}

export interface ActionInsert {
  index: number;
  trigger_type: TriggerType;
  action_type: string;
  persistent: boolean;
  selected_jobs: string;
  required_triggers: number;
  trigger_count: number;
  status: string;
  fields: string;
}

export interface CreatePlan {
  record: WorkflowRecord;
  model: WorkflowModel;
  /** The model without its jobs, as JSON: jobs live in their own rows. */
  model_json: string;
  max_parallel_jobs: number | null;
  unfinished_count: number;
  jobs: JobInsert[];
  actions: ActionInsert[];
  change: WorkflowChange;
}

/** Everything createWorkflow writes, computed up front by the rules (no read-back needed). */
export function createPlan(input: NewWorkflow): CreatePlan {
  const { model, now } = input;
  const count = model.jobs.length;
  // Plain arrays and loops: this runs once per job of workflows with 100 000 jobs.
  const dependents: Array<number[] | null> = new Array<number[] | null>(count).fill(null);
  for (let position = 0; position < count; position++) {
    const job = model.jobs[position];
    if (job.index !== position) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `job "${job.name}" has index ${job.index} at position ${position}`, {
        where: `jobs[${position}].index`,
        hint: 'a compiled model numbers its jobs 0, 1, 2… in order',
      });
    }
    for (const dependency of job.depends_on) {
      if (!Number.isInteger(dependency) || dependency < 0 || dependency >= count || dependency === position) {
        throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `job "${job.name}" depends on job ${dependency}, which is not another job of the workflow`, {
          where: `jobs[${position}].depends_on`,
        });
      }
      (dependents[dependency] ??= []).push(position);
    }
  }
  const readyActions: Array<number[] | null> = new Array<number[] | null>(count).fill(null);
  const completeActions: Array<number[] | null> = new Array<number[] | null>(count).fill(null);
  for (const action of model.actions) {
    const kind = jobTriggerOf(action.trigger_type);
    if (!kind) continue;
    const byJob = kind === 'ready' ? readyActions : completeActions;
    for (const job of action.selected_jobs) {
      if (!Number.isInteger(job) || job < 0 || job >= count) {
        throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `action ${action.index} selects job ${job}, which is not a job of the workflow`, {
          where: `actions[${action.index}].selected_jobs`,
        });
      }
      (byJob[job] ??= []).push(action.index);
    }
  }
  const change: WorkflowChange = { workflow_id: input.id, run: 1, jobs: [], actions_pending: [], workflow: null };
  const jobs: JobInsert[] = new Array<JobInsert>(count);
  for (let index = 0; index < count; index++) {
    const job = model.jobs[index];
    const status = initialStatus(job.depends_on.length);
    const stepId = job.step ? job.step.id : null;
    jobs[index] = {
      index,
      name: job.name,
      step_id: stepId,
      status,
      remaining: job.depends_on.length,
      dependents: dependents[index],
      cancel_on_blocking: job.cancel_on_blocking_job_failure,
      on_failure: job.step ? job.step.on_failure : null,
      num_cpus: job.resources.num_cpus,
      num_gpus: job.resources.num_gpus,
      memory_bytes: job.resources.memory_bytes,
      ready_actions: readyActions[index],
      complete_actions: completeActions[index],
      counted: status === 'ready' ? COUNTED_READY : 0,
      spec: jobSpecJson(job),
    };
    if (status === 'ready') {
      change.jobs.push({ index, name: job.name, step_id: stepId, from: 'uninitialized', to: 'ready', attempts: 0, exit_code: null, worker_id: null, error: null });
    }
  }
  const empty = count === 0;
  const actions = model.actions.map((action): ActionInsert => {
    const counted = jobTriggerOf(action.trigger_type) === 'ready' ? action.selected_jobs.filter((index) => jobs[index].status === 'ready').length : 0;
    let state = actionStartState(action.trigger_type, action.required_triggers, counted);
    if (empty && action.trigger_type === 'on_workflow_complete') state = { trigger_count: action.required_triggers, status: 'pending' };
    if (state.status === 'pending') change.actions_pending.push({ index: action.index, trigger_type: action.trigger_type, action_type: action.action_type });
    return {
      index: action.index,
      trigger_type: action.trigger_type,
      action_type: action.action_type,
      persistent: action.persistent,
      selected_jobs: JSON.stringify(action.selected_jobs),
      required_triggers: action.required_triggers,
      trigger_count: state.trigger_count,
      status: state.status,
      fields: JSON.stringify(action.fields),
    };
  });
  // A workflow without jobs has nothing left to do: it completes as it starts.
  const status: WorkflowStatus = empty ? 'completed' : 'running';
  change.workflow = { from: null, to: status };
  const record: WorkflowRecord = {
    id: input.id,
    name: model.name,
    format: model.format,
    status,
    run: 1,
    user: model.user,
    description: model.description,
    params: input.params,
    outputs: null,
    output_dir: input.output_dir,
    created_by: input.created_by,
    job_count: count,
    error: null,
    created_at: now,
    updated_at: now,
    started_at: now,
    ended_at: empty ? now : null,
  };
  return {
    record,
    model,
    model_json: JSON.stringify({ ...model, jobs: [] }),
    max_parallel_jobs: model.max_parallel_jobs,
    unfinished_count: count,
    jobs,
    actions,
    change,
  };
}

// ── one change being built ────────────────────────────────────────────────────────────────────

/** A transaction's view of its workflow while it changes it: counters, trigger bumps, the change. */
class Progress {
  readonly change: WorkflowChange;
  unfinished: number;
  failed: number;
  /** Set once a DAG failure skipped every waiting job in this transaction. */
  failing = false;
  private readonly bumps = new Map<number, number>();

  constructor(
    readonly workflow: WorkflowState,
    readonly now: number,
  ) {
    this.change = { workflow_id: workflow.id, run: workflow.run, jobs: [], actions_pending: [], workflow: null };
    this.unfinished = workflow.unfinished_count;
    this.failed = workflow.failed_count;
  }

  get rule(): 'torc' | 'dag' {
    return this.workflow.dependency_rule;
  }

  transition(job: JobState, from: JobStatus, to: JobStatus, details: Partial<Pick<JobTransition, 'attempts' | 'exit_code' | 'worker_id' | 'error'>> = {}): void {
    assertTransition(from, to, `${job.index} (${job.name})`);
    this.change.jobs.push({
      index: job.index,
      name: job.name,
      step_id: job.step_id,
      from,
      to,
      attempts: details.attempts ?? job.attempts,
      exit_code: details.exit_code !== undefined ? details.exit_code : job.exit_code,
      worker_id: details.worker_id !== undefined ? details.worker_id : job.worker_id,
      error: details.error !== undefined ? details.error : job.error,
    });
  }

  /** Counts a job's new status for its job triggers; returns its new `counted` bits. */
  count(job: JobState, counted: number, status: JobStatus): number {
    const counts = countStatus(counted, status);
    if (counts.ready) for (const action of job.ready_actions) this.bumps.set(action, (this.bumps.get(action) ?? 0) + 1);
    if (counts.complete) for (const action of job.complete_actions) this.bumps.set(action, (this.bumps.get(action) ?? 0) + 1);
    return counts.counted;
  }

  takeBumps(): Array<readonly [number, number]> {
    const bumps = [...this.bumps].sort((a, b) => a[0] - b[0]);
    this.bumps.clear();
    return bumps;
  }
}

interface Ending {
  job: JobState;
  outcome: JobOutcome;
  cause: EndCause;
}

/**
 * Applies the ends of jobs to the workflow, breadth first: counters, then either a DAG failure
 * (every waiting job skipped) or the dependents (unblocked, or canceled and queued to end in turn).
 */
function* applyEnds(p: Progress, endings: Ending[]): Program<void> {
  const id = p.workflow.id;
  for (let next = 0; next < endings.length; next++) {
    const { job, outcome, cause } = endings[next];
    const ended: EndedJob = { rule: p.rule, outcome, on_failure: job.on_failure, cause };
    p.unfinished -= 1;
    if (failsWorkflow(ended)) p.failed += 1;
    if (workflowEffect(ended) === 'fail_workflow' && !p.failing) {
      p.failing = true;
      yield* skipWaiting(p);
    }
    if (p.failing) continue; // everything that was waiting is skipped: dependents included
    const dependents = job.dependents.length > 0 ? yield* call('jobsAt', id, job.dependents) : [];
    const updates: StateUpdate[] = [];
    const byIndex = new Map<number, JobState>();
    for (const dependent of dependents) {
      if (dependent.status !== 'blocked') continue;
      byIndex.set(dependent.index, dependent);
      if (dependentEffect(ended, dependent.cancel_on_blocking) === 'cancel') {
        updates.push({ ...quiet(dependent, 'canceled', p.now), counted: countStatus(dependent.counted, 'canceled').counted });
      } else {
        const remaining = Math.max(0, dependent.remaining - 1);
        const to = initialStatus(remaining);
        updates.push({ ...quiet(dependent, to, p.now), remaining, ended_at: null, counted: countStatus(dependent.counted, to).counted });
      }
    }
    if (updates.length === 0) continue;
    const applied = new Set(yield* call('setStates', id, updates));
    for (const update of updates) {
      if (!applied.has(update.index) || update.to === update.from) continue;
      const dependent = byIndex.get(update.index) as JobState;
      p.transition(dependent, update.from, update.to);
      p.count(dependent, dependent.counted, update.to);
      if (update.to === 'canceled') endings.push({ job: dependent, outcome: 'canceled', cause: 'dependency' });
    }
  }
}

/** An update of a job that does not run, to `to`, keeping its counters. */
function quiet(job: JobState, to: JobStatus, now: number): StateUpdate {
  return {
    index: job.index,
    from: job.status,
    to,
    remaining: job.remaining,
    counted: job.counted,
    ended_at: isTerminal(to) ? now : null,
    ready_at: null,
    worker_id: null,
    lease_before: null,
  };
}

/** A DAG failure: every job that waits (not running) becomes skipped; running ones finish on their own. */
function* skipWaiting(p: Progress): Program<void> {
  const waiting = yield* call('waitingJobs', p.workflow.id);
  yield* skipJobs(p, waiting, false);
}

/** Skips jobs that wait; with `cascade`, their ends reach their dependents (a conditional's branches). */
function* skipJobs(p: Progress, jobs: readonly JobState[], cascade: boolean): Program<void> {
  const updates = jobs.map((job) => ({ ...quiet(job, 'skipped', p.now), counted: countStatus(job.counted, 'skipped').counted }));
  if (updates.length === 0) return;
  const applied = new Set(yield* call('setStates', p.workflow.id, updates));
  const endings: Ending[] = [];
  for (const job of jobs) {
    if (!applied.has(job.index)) continue;
    p.transition(job, job.status, 'skipped');
    p.count(job, job.counted, 'skipped');
    if (cascade) endings.push({ job, outcome: 'skipped', cause: 'own' });
    else p.unfinished -= 1;
  }
  if (cascade) yield* applyEnds(p, endings);
}

/** Writes the counters, fires the actions whose triggers were met, ends the workflow when nothing is left. */
function* settle(p: Progress): Program<void> {
  yield* call('saveProgress', p.workflow.id, yield* settleInMemory(p));
}

/**
 * settle without its write of the workflow's row: the progress to save. A batch of finishes
 * saves once, after the last; what a finish changed is in the workflow state the next one sees.
 */
function* settleInMemory(p: Progress): Program<WorkflowProgress> {
  const id = p.workflow.id;
  const bumps = p.takeBumps();
  if (bumps.length > 0) {
    for (const action of yield* call('bumpActions', id, bumps)) {
      if (action.status === 'pending' && triggerFires(action.trigger_count - action.by, action.by, action.required_triggers)) {
        p.change.actions_pending.push({ index: action.index, trigger_type: action.trigger_type, action_type: action.action_type });
      }
    }
  }
  let status = p.workflow.status;
  let endedAt: number | null = null;
  const end = workflowEndStatus(status, p.unfinished, p.failed);
  if (end) {
    p.change.workflow = { from: status, to: end };
    status = end;
    endedAt = p.now;
    for (const action of yield* call('fireWorkflowComplete', id)) p.change.actions_pending.push(action);
  }
  return { unfinished_count: p.unfinished, failed_count: p.failed, status, ended_at: endedAt, updated_at: p.now };
}

// ── the programs ──────────────────────────────────────────────────────────────────────────────

/** finishJobs, one finish: see WorkflowStore.finishJobs. */
export function* finishProgram(finish: JobFinish): Program<WorkflowChange | null> {
  return (yield* finishBatchProgram([finish]))[0];
}

/**
 * finishJobs for several finishes in one transaction, with the result of finishing them one
 * after the other: each sees the workflow as the ones before it left it. A run of finishes of
 * one workflow locks and saves its row once, not once per finish (a worker's batch of short jobs).
 */
export function* finishBatchProgram(finishes: readonly JobFinish[]): Program<Array<WorkflowChange | null>> {
  const changes: Array<WorkflowChange | null> = [];
  let workflow = null as WorkflowState | null;
  let unsaved = null as WorkflowProgress | null;
  let endedAt: number | null = null;
  for (const finish of finishes) {
    if (workflow?.id !== finish.workflow_id) {
      if (workflow && unsaved) yield* call('saveProgress', workflow.id, { ...unsaved, ended_at: endedAt });
      unsaved = null;
      endedAt = null;
      workflow = yield* call('lockWorkflow', finish.workflow_id);
    }
    if (!workflow) {
      changes.push(null);
      continue;
    }
    const finished: FinishedJob | null = yield* finishOne(workflow, finish);
    changes.push(finished?.change ?? null);
    if (!finished) continue;
    const progress = finished.progress;
    unsaved = progress;
    endedAt = progress.ended_at ?? endedAt;
    workflow = { ...workflow, status: progress.status, unfinished_count: progress.unfinished_count, failed_count: progress.failed_count };
  }
  if (workflow && unsaved) yield* call('saveProgress', workflow.id, { ...unsaved, ended_at: endedAt });
  return changes;
}

interface FinishedJob {
  change: WorkflowChange;
  progress: WorkflowProgress;
}

/** One finish against the workflow as it stands; the progress to save, or null when it is not this worker's job any more. */
function* finishOne(workflow: WorkflowState, finish: JobFinish): Program<FinishedJob | null> {
  const job = yield* call('job', finish.workflow_id, finish.index);
  if (!job || job.status !== 'running' || job.run !== finish.run || job.worker_id !== finish.worker_id) return null;
  const p = new Progress(workflow, finish.now);
  const target = finishTarget({
    outcome: finish.outcome,
    retry_at: finish.retry_at,
    now: finish.now,
    workflow_running: workflow.status === 'running',
    cancel_requested: job.cancel_requested,
  });
  const terminal = isTerminal(target.status);
  const counted = p.count(job, job.counted, target.status);
  const applied = yield* call('endRunning', workflow.id, {
    index: job.index,
    run: finish.run,
    worker_id: finish.worker_id,
    status: target.status,
    exit_code: finish.exit_code,
    error: finish.error,
    outputs: finish.outputs,
    stdout_tail: finish.stdout_tail,
    stderr_tail: finish.stderr_tail,
    log_dir: finish.log_dir ?? null,
    ended_at: terminal ? finish.now : null,
    ready_at: target.retry === 'later' ? finish.retry_at : null,
    started_at: finish.started_at ?? null,
    clear_worker: target.retry === 'now',
    counted,
  });
  if (!applied) return null;
  const details = { exit_code: finish.exit_code, error: finish.error };
  if (target.retry === 'none') {
    p.transition(job, 'running', target.status, details);
  } else {
    p.transition(job, 'running', 'retrying', details);
    if (target.retry === 'now') p.transition({ ...job, worker_id: null }, 'retrying', 'ready', { ...details, worker_id: null });
  }
  // A conditional's untaken branches are skipped before its own end unblocks anything, so a
  // skipped branch never shows up as ready first.
  const skip = (finish.skip_jobs ?? []).filter((index) => index !== job.index);
  if (skip.length > 0) {
    const skippable = (yield* call('jobsAt', workflow.id, skip)).filter((candidate) => candidate.status === 'blocked' || candidate.status === 'ready');
    yield* skipJobs(p, skippable, true);
  }
  if (terminal) yield* applyEnds(p, [{ job, outcome: finish.outcome, cause: 'own' }]);
  return { change: p.change, progress: yield* settleInMemory(p) };
}

/** promoteRetries for one workflow. */
export function* promoteProgram(workflowId: string, now: number): Program<WorkflowChange | null> {
  const workflow = yield* call('lockWorkflow', workflowId);
  if (!workflow) return null;
  const due = yield* call('dueRetries', workflowId, now);
  if (due.length === 0) return null;
  const p = new Progress(workflow, now);
  const updates = due.map((job) => ({ ...quiet(job, 'ready', now), counted: countStatus(job.counted, 'ready').counted }));
  const applied = new Set(yield* call('setStates', workflowId, updates));
  for (const job of due) {
    if (!applied.has(job.index)) continue;
    p.transition({ ...job, worker_id: null }, 'retrying', 'ready');
    p.count(job, job.counted, 'ready');
  }
  yield* settle(p);
  return p.change.jobs.length > 0 ? p.change : null;
}

/** recoverExpiredJobs for one workflow. */
export function* recoverProgram(workflowId: string, now: number): Program<WorkflowChange | null> {
  const workflow = yield* call('lockWorkflow', workflowId);
  if (!workflow) return null;
  const expired = yield* call('expiredRunning', workflowId, now);
  if (expired.length === 0) return null;
  const p = new Progress(workflow, now);
  const updates = expired.map((job): StateUpdate => {
    const to = expiredLeaseTarget(workflow.status === 'running', job.cancel_requested);
    return { ...quiet(job, to, now), counted: countStatus(job.counted, to).counted, worker_id: to === 'ready' ? null : job.worker_id, lease_before: now };
  });
  const applied = new Set(yield* call('setStates', workflowId, updates));
  const endings: Ending[] = [];
  updates.forEach((update, position) => {
    if (!applied.has(update.index)) return;
    const job = expired[position];
    p.transition(job, 'running', update.to, { error: update.to === 'ready' ? 'lease expired: its worker stopped renewing it' : job.error });
    p.count(job, job.counted, update.to);
    if (update.to === 'canceled') endings.push({ job, outcome: 'canceled', cause: 'own' });
  });
  yield* applyEnds(p, endings);
  yield* settle(p);
  return p.change;
}

/** cancelWorkflow. */
export function* cancelProgram(workflowId: string, now: number): Program<WorkflowChange | null> {
  const workflow = yield* call('lockWorkflow', workflowId);
  if (!workflow || workflow.status !== 'running') return null;
  const p = new Progress(workflow, now);
  const waiting = yield* call('waitingJobs', workflowId);
  // Canceled jobs are marked counted without firing anything: a canceled workflow runs no more actions.
  const updates = waiting.map((job) => ({ ...quiet(job, 'canceled', now), counted: countStatus(job.counted, 'canceled').counted }));
  const applied = new Set(updates.length > 0 ? yield* call('setStates', workflowId, updates) : []);
  for (const job of waiting) {
    if (!applied.has(job.index)) continue;
    p.transition(job, job.status, 'canceled');
    p.unfinished -= 1;
  }
  yield* call('requestCancel', workflowId);
  p.change.workflow = { from: 'running', to: 'canceled' };
  yield* call('saveProgress', workflowId, { unfinished_count: p.unfinished, failed_count: p.failed, status: 'canceled', ended_at: now, updated_at: now });
  return p.change;
}

/** restartWorkflow. */
export function* restartProgram(workflowId: string, failedOnly: boolean, now: number): Program<WorkflowChange | null> {
  const workflow = yield* call('lockWorkflow', workflowId);
  if (!workflow) return null;
  if (workflow.status === 'running') {
    throw new HookflowError('HF_ERR_CONFLICT', `workflow ${workflowId} is still running`, {
      hint: 'cancel it first, or wait for it to end',
    });
  }
  const states = yield* call('restartJobs', workflowId);
  const dependencies = new Map<number, number[]>();
  for (const state of states) {
    for (const dependent of state.dependents) {
      const list = dependencies.get(dependent) ?? [];
      list.push(state.index);
      dependencies.set(dependent, list);
    }
  }
  const jobs: RestartJob[] = states.map((state) => ({
    index: state.index,
    status: state.status,
    counted: state.counted,
    depends_on: dependencies.get(state.index) ?? [],
  }));
  const plan = restartPlan(jobs, failedOnly);
  const run = workflow.run + 1;
  yield* call('resetJobs', workflowId, run, plan);

  const counted = new Map(states.map((state) => [state.index, state.counted]));
  for (const reset of plan) counted.set(reset.index, reset.counted);
  const actions = yield* call('restartActions', workflowId);
  const starts = actions.map((action) => {
    const kind = jobTriggerOf(action.trigger_type);
    const bit = kind === 'ready' ? 1 : kind === 'complete' ? 2 : 0;
    const already = bit === 0 ? 0 : action.selected_jobs.filter((index) => ((counted.get(index) ?? 0) & bit) !== 0).length;
    return { action, ...actionStartState(action.trigger_type, action.required_triggers, already) };
  });
  if (starts.length > 0) yield* call('resetActions', workflowId, starts.map((start) => ({ index: start.action.index, trigger_count: start.trigger_count, status: start.status })));
  yield* call('beginRun', workflowId, { run, unfinished_count: plan.length, now });

  const p = new Progress({ ...workflow, status: 'running', run, unfinished_count: plan.length, failed_count: 0 }, now);
  const byIndex = new Map(states.map((job) => [job.index, job]));
  for (const reset of plan) {
    const job = byIndex.get(reset.index) as JobState;
    p.transition({ ...job, attempts: 0, exit_code: null, worker_id: null, error: null }, reset.from, reset.to);
  }
  for (const start of starts) {
    if (start.status === 'pending') p.change.actions_pending.push({ index: start.action.index, trigger_type: start.action.trigger_type, action_type: start.action.action_type });
  }
  p.change.workflow = { from: workflow.status, to: 'running' };
  // Nothing to run again (a failed-only restart of a completed run): the new run ends at once.
  if (plan.length === 0) {
    yield* settle(p);
    if (p.change.workflow) p.change.workflow = { from: workflow.status, to: p.change.workflow.to };
  }
  return p.change;
}
