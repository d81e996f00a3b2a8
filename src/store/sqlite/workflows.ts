import { HookflowError } from '../../errors.js';
import { newId } from '../../events/ids.js';
import type { JsonObject } from '../../events/model.js';
import { fitJobs } from '../../workflows/job-states.js';
import type { TriggerType, WorkflowModel } from '../../workflows/model.js';
import type { Row } from '../rows.js';
import {
  executionsByAction,
  indexListJson,
  ACTIONS_FROM,
  toAction,
  toActionExecution,
  toAllocation,
  toJob,
  toJobState,
  toWorkflow,
  toWorkflowModel,
  toWorkflowState,
  JOB_COLUMNS,
  JOB_STATE_COLUMNS,
  WORKFLOW_COLUMNS,
  WORKFLOW_STATE_COLUMNS,
  type JobState,
} from '../workflow-rows.js';
import {
  cancelProgram,
  createPlan,
  finishBatchProgram,
  finishProgram,
  promoteProgram,
  recoverProgram,
  restartProgram,
  runSync,
  type BumpedAction,
  type FiredAction,
  type RestartAction,
  type RunningEnd,
  type StateUpdate,
  type WorkflowProgress,
  type WorkflowTx,
} from '../workflow-transitions.js';
import type {
  ActionClaim,
  ActionExecutionRecord,
  AllocationRecord,
  AllocationState,
  ClaimedAction,
  JobClaim,
  JobFinish,
  JobQuery,
  JobRecord,
  JobStatus,
  NewWorkflow,
  TransitionOutbox,
  WorkflowActionRecord,
  WorkflowChange,
  WorkflowQuery,
  WorkflowRecord,
  WorkflowStore,
} from '../workflows.js';
import type { InsertedEvent } from '../store.js';
import type { SqliteAccess } from './access.js';

const WAITING = `('uninitialized', 'blocked', 'ready', 'pending', 'retrying')`;

/** Rows per multi-row INSERT: fewer statements, under SQLite's 32 766 bound parameters. */
const JOB_ROWS_PER_INSERT = 100;
const JOB_INSERT_COLUMNS = [
  'workflow_id',
  'job_index',
  'name',
  'step_id',
  'status',
  'run',
  'remaining',
  'dependents',
  'cancel_on_blocking',
  'on_failure',
  'num_cpus',
  'num_gpus',
  'memory_bytes',
  'ready_actions',
  'complete_actions',
  'counted',
  'spec',
];

/** Each value once, in order (the ids of the workflows a maintenance pass visits). */
function distinctSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** Rows of (workflow_id, action_index) in that order; sorted here so the query may use the partial index. */
function byActionOrder(rows: Row[]): Row[] {
  return rows.sort((a, b) =>
    a.workflow_id === b.workflow_id ? Number(a.action_index) - Number(b.action_index) : String(a.workflow_id) < String(b.workflow_id) ? -1 : 1,
  );
}

function bool(value: boolean): number {
  return value ? 1 : 0;
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/**
 * Workflows in the SQLite store. Every transition runs inside one write of the store's batched
 * write queue (BEGIN IMMEDIATE), so it is atomic across processes sharing the file; the
 * transition programs of workflow-transitions.ts answer their reads and writes here synchronously.
 */
export class SqliteWorkflows implements WorkflowStore {
  private readonly tx: WorkflowTx;

  constructor(private readonly db: SqliteAccess) {
    this.tx = this.transactionAccess();
  }

  // ── workflows ─────────────────────────────────────────────────────────────────────────────

  async createWorkflow(input: NewWorkflow): Promise<{ workflow: WorkflowRecord; change: WorkflowChange }> {
    const plan = createPlan(input);
    const { record } = plan;
    const insertWorkflow = this.db.stmt(`INSERT INTO workflows (id, name, format, status, run, user_name, description, params, outputs,
        output_dir, created_by, job_count, error, dependency_rule, max_parallel_jobs, unfinished_count, failed_count,
        created_at, updated_at, started_at, ended_at)
      VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL, ?, ?, ?, NULL, ?, ?, ?, 0, ?, ?, ?, ?)`);
    const insertModel = this.db.stmt('INSERT INTO workflow_models (workflow_id, model) VALUES (?, ?)');
    const rowPlaceholder = `(${JOB_INSERT_COLUMNS.map(() => '?').join(', ')})`;
    const insertJobs = (count: number) =>
      this.db.stmt(`INSERT INTO jobs (${JOB_INSERT_COLUMNS.join(', ')}) VALUES ${Array(count).fill(rowPlaceholder).join(', ')}`);
    const insertAction = this.db.stmt(`INSERT INTO workflow_actions (workflow_id, action_index, trigger_type, action_type, persistent,
        required_triggers, trigger_count, status, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertSelection = this.db.stmt('INSERT INTO workflow_action_jobs (workflow_id, action_index, selected_jobs) VALUES (?, ?, ?)');
    const id = record.id;
    await this.db.write(() => {
      insertWorkflow.run(
        id,
        record.name,
        record.format,
        record.status,
        record.user,
        record.description,
        JSON.stringify(record.params),
        record.output_dir,
        record.created_by,
        record.job_count,
        plan.model.dependency_rule,
        plan.max_parallel_jobs,
        plan.unfinished_count,
        record.created_at,
        record.updated_at,
        record.started_at,
        record.ended_at,
      );
      insertModel.run(id, plan.model_json);
      for (let start = 0; start < plan.jobs.length; start += JOB_ROWS_PER_INSERT) {
        const chunk = plan.jobs.slice(start, start + JOB_ROWS_PER_INSERT);
        const values: unknown[] = [];
        for (const job of chunk) {
          values.push(
            id,
            job.index,
            job.name,
            job.step_id,
            job.status,
            1,
            job.remaining,
            indexListJson(job.dependents),
            bool(job.cancel_on_blocking),
            job.on_failure,
            job.num_cpus,
            job.num_gpus,
            job.memory_bytes,
            indexListJson(job.ready_actions),
            indexListJson(job.complete_actions),
            job.counted,
            job.spec,
          );
        }
        insertJobs(chunk.length).run(values);
      }
      for (const action of plan.actions) {
        insertAction.run(
          id,
          action.index,
          action.trigger_type,
          action.action_type,
          bool(action.persistent),
          action.required_triggers,
          action.trigger_count,
          action.status,
          action.fields,
        );
        insertSelection.run(id, action.index, action.selected_jobs);
      }
    });
    return { workflow: record, change: plan.change };
  }

  async getWorkflow(id: string): Promise<WorkflowRecord | null> {
    const row = this.db.stmt(`SELECT ${WORKFLOW_COLUMNS} FROM workflows WHERE id = ?`).get(id) as Row | undefined;
    return row ? toWorkflow(row) : null;
  }

  async getWorkflowModel(id: string): Promise<WorkflowModel | null> {
    const row = this.db.stmt('SELECT model FROM workflow_models WHERE workflow_id = ?').get(id) as Row | undefined;
    if (!row) return null;
    const jobs = this.db.stmt('SELECT job_index, name, spec FROM jobs WHERE workflow_id = ? ORDER BY job_index').all(id) as Row[];
    return toWorkflowModel(row.model, jobs);
  }

  async listWorkflows(query: WorkflowQuery): Promise<WorkflowRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.before) {
      where.push('id < ?');
      params.push(query.before);
    }
    const sql = `SELECT ${WORKFLOW_COLUMNS} FROM workflows ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.stmt(sql).all(...params, Math.max(0, Math.floor(query.limit))) as Row[]).map(toWorkflow);
  }

  async deleteWorkflow(id: string): Promise<'deleted' | 'not_found' | 'running'> {
    const status = this.db.stmt('SELECT status FROM workflows WHERE id = ?');
    const running = this.db.stmt(`SELECT 1 FROM jobs WHERE workflow_id = ? AND status = 'running' LIMIT 1`);
    const remove = this.db.stmt('DELETE FROM workflows WHERE id = ?');
    return this.db.write(() => {
      const row = status.get(id) as Row | undefined;
      if (!row) return 'not_found' as const;
      if (row.status === 'running' || running.get(id) !== undefined) return 'running' as const;
      remove.run(id);
      return 'deleted' as const;
    });
  }

  async setWorkflowOutputs(id: string, outputs: JsonObject, error: string | null): Promise<void> {
    const update = this.db.stmt('UPDATE workflows SET outputs = ?, error = ?, updated_at = ? WHERE id = ?');
    await this.db.write(() => update.run(JSON.stringify(outputs), error, Date.now(), id));
  }

  // ── jobs ──────────────────────────────────────────────────────────────────────────────────

  async listJobs(workflowId: string, query: JobQuery): Promise<JobRecord[]> {
    const where = ['workflow_id = ?'];
    const params: unknown[] = [workflowId];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.name) {
      where.push('name = ?');
      params.push(query.name);
    }
    const sql = `SELECT ${JOB_COLUMNS} FROM jobs WHERE ${where.join(' AND ')} ORDER BY job_index LIMIT ? OFFSET ?`;
    params.push(Math.max(0, Math.floor(query.limit)), Math.max(0, Math.floor(query.offset)));
    return (this.db.stmt(sql).all(...params) as Row[]).map(toJob);
  }

  async getJob(workflowId: string, index: number): Promise<JobRecord | null> {
    const row = this.db.stmt(`SELECT ${JOB_COLUMNS} FROM jobs WHERE workflow_id = ? AND job_index = ?`).get(workflowId, index) as Row | undefined;
    return row ? toJob(row) : null;
  }

  async countJobs(workflowId: string): Promise<Partial<Record<JobStatus, number>>> {
    const counts: Partial<Record<JobStatus, number>> = {};
    for (const row of this.db.stmt('SELECT status, COUNT(*) AS n FROM jobs WHERE workflow_id = ? GROUP BY status').all(workflowId) as Row[]) {
      counts[row.status as JobStatus] = Number(row.n);
    }
    return counts;
  }

  async jobOutputs(workflowId: string, indexes: readonly number[]): Promise<Map<number, JsonObject>> {
    const outputs = new Map<number, JsonObject>();
    if (indexes.length === 0) return outputs;
    const rows = this.db
      .stmt(`SELECT job_index, outputs FROM jobs WHERE workflow_id = ? AND job_index IN (SELECT value FROM json_each(?)) AND outputs IS NOT NULL`)
      .all(workflowId, JSON.stringify(indexes)) as Row[];
    for (const row of rows) outputs.set(Number(row.job_index), JSON.parse(String(row.outputs)) as JsonObject);
    return outputs;
  }

  async claimJobs(claim: JobClaim): Promise<JobRecord[]> {
    const limit = Math.floor(claim.limit);
    if (!(limit > 0)) return [];
    const capacity = claim.capacity;
    const fits: string[] = [];
    const fitArgs: number[] = [];
    if (capacity?.cpus != null) {
      fits.push('AND j.num_cpus <= ?');
      fitArgs.push(capacity.cpus);
    }
    if (capacity?.memory_bytes != null) {
      fits.push('AND j.memory_bytes <= ?');
      fitArgs.push(capacity.memory_bytes);
    }
    if (capacity?.gpus != null) {
      fits.push('AND j.num_gpus <= ?');
      fitArgs.push(capacity.gpus);
    }
    const take = this.db.stmt(`UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = ?, lease_expires_at = ?,
        started_at = ?, ended_at = NULL, exit_code = NULL, error = NULL, ready_at = NULL, cancel_requested = 0
      WHERE workflow_id = ? AND job_index = ? AND status = 'ready' RETURNING ${JOB_COLUMNS}`);
    const rows = await this.db.write(() => {
      const room = this.claimRoom(claim.workflow_id);
      if (room === null) return [];
      const full = [...room].filter(([, left]) => left <= 0).map(([id]) => id);
      if (claim.workflow_id !== null && full.length > 0) return [];
      // Candidates that do not fit together, or whose workflow has less room than ready jobs, are
      // passed over: read more than the limit then, but only then. The limit is part of the SQL
      // text: SQLite reads a few rows from the index several times faster than with LIMIT ?.
      const window = capacity ? limit * 4 + 32 : room.size > full.length ? limit * 2 + 8 : limit;
      const found = (this.candidates(claim.workflow_id, fits, full.length > 0, window).all(
        ...(claim.workflow_id === null ? [] : [claim.workflow_id]),
        ...fitArgs,
        ...(full.length > 0 ? [JSON.stringify(full)] : []),
      ) as Row[]).map((row) => ({
        workflow_id: String(row.workflow_id),
        index: Number(row.job_index),
        num_cpus: Number(row.num_cpus),
        num_gpus: Number(row.num_gpus),
        memory_bytes: Number(row.memory_bytes),
      }));
      const claimed: Row[] = [];
      for (const job of fitJobs(found, capacity, limit, room)) {
        const row = take.get(claim.worker_id, claim.now + claim.lease_ms, claim.now, job.workflow_id, job.index) as Row | undefined;
        if (row) claimed.push(row);
      }
      return claimed;
    });
    return rows.map(toJob);
  }

  /**
   * How many more jobs each workflow with max_parallel_jobs may start (inside the claim's write);
   * null when the one workflow asked for is not running.
   */
  private claimRoom(workflowId: string | null): Map<string, number> | null {
    const room = new Map<string, number>();
    const running = `(SELECT COUNT(*) FROM jobs r WHERE r.workflow_id = w.id AND r.status = 'running')`;
    if (workflowId !== null) {
      const row = this.db
        .stmt(`SELECT w.status, w.max_parallel_jobs - ${running} AS room FROM workflows w WHERE w.id = ?`)
        .get(workflowId) as Row | undefined;
      if (!row || row.status !== 'running') return null;
      if (row.room !== null) room.set(workflowId, Number(row.room));
      return room;
    }
    const rows = this.db
      .stmt(`SELECT w.id, w.max_parallel_jobs - ${running} AS room FROM workflows w WHERE w.status = 'running' AND w.max_parallel_jobs IS NOT NULL`)
      .all() as Row[];
    for (const row of rows) room.set(String(row.id), Number(row.room));
    return room;
  }

  /**
   * Ready jobs in (workflow, index) order. One workflow: its ready index alone (its status was
   * checked). Any workflow: CROSS JOIN keeps jobs the outer loop, so ready jobs are read in index
   * order up to the limit, never all of them sorted; workflows already running max_parallel_jobs
   * are left out, so they never hide the ready jobs of the workflows after them.
   */
  private candidates(workflowId: string | null, fits: readonly string[], skipFull: boolean, window: number) {
    const columns = 'j.workflow_id, j.job_index, j.num_cpus, j.num_gpus, j.memory_bytes';
    if (workflowId !== null) {
      return this.db.stmt(`SELECT ${columns} FROM jobs j WHERE j.status = 'ready' AND j.workflow_id = ? ${fits.join(' ')}
        ORDER BY j.workflow_id, j.job_index LIMIT ${window}`);
    }
    return this.db.stmt(`SELECT ${columns} FROM jobs j CROSS JOIN workflows w ON w.id = j.workflow_id
      WHERE j.status = 'ready' AND w.status = 'running' ${fits.join(' ')}
        ${skipFull ? 'AND j.workflow_id NOT IN (SELECT value FROM json_each(?))' : ''}
      ORDER BY j.workflow_id, j.job_index LIMIT ${window}`);
  }

  async finishJobs(finishes: readonly JobFinish[]): Promise<Array<WorkflowChange | null>> {
    return Promise.all(finishes.map((finish) => this.db.write(() => runSync(finishProgram(finish), this.tx))));
  }

  async finishJobsWithEvents(finishes: readonly JobFinish[], outbox: TransitionOutbox): Promise<{ changes: Array<WorkflowChange | null>; events: InsertedEvent[] }> {
    return this.db.write(() => {
      const changes = runSync(finishBatchProgram(finishes), this.tx);
      return { changes, events: this.db.insertEventsNow(outbox.events(changes)) };
    });
  }

  async renewJobLeases(workerId: string, leaseMs: number, now: number): Promise<Array<{ workflow_id: string; index: number; run: number }>> {
    const renew = this.db.stmt(`UPDATE jobs SET lease_expires_at = ? WHERE worker_id = ? AND status = 'running'
      RETURNING workflow_id, job_index, run, cancel_requested`);
    const rows = await this.db.write(() => renew.all(now + leaseMs, workerId) as Row[]);
    return rows
      .filter((row) => row.cancel_requested === 1)
      .map((row) => ({ workflow_id: String(row.workflow_id), index: Number(row.job_index), run: Number(row.run) }))
      .sort((a, b) => (a.workflow_id === b.workflow_id ? a.index - b.index : a.workflow_id < b.workflow_id ? -1 : 1));
  }

  async promoteRetries(now: number): Promise<WorkflowChange[]> {
    // No DISTINCT or ORDER BY: either would make SQLite walk the primary key instead of the partial index.
    const due = this.db.stmt(`SELECT workflow_id FROM jobs WHERE status = 'retrying' AND ready_at <= ?`).pluck();
    return this.db.write(() =>
      distinctSorted(due.all(now) as string[]).flatMap((workflowId) => {
        const change = runSync(promoteProgram(workflowId, now), this.tx);
        return change ? [change] : [];
      }),
    );
  }

  async recoverExpiredJobs(now: number): Promise<WorkflowChange[]> {
    const expired = this.db.stmt(`SELECT workflow_id FROM jobs WHERE status = 'running' AND lease_expires_at < ?`).pluck();
    return this.db.write(() =>
      distinctSorted(expired.all(now) as string[]).flatMap((workflowId) => {
        const change = runSync(recoverProgram(workflowId, now), this.tx);
        return change ? [change] : [];
      }),
    );
  }

  async hasClaimableJobs(workflowId: string | null, now: number): Promise<boolean> {
    const scope = workflowId === null ? '' : 'AND j.workflow_id = ?';
    const args = workflowId === null ? [] : [workflowId];
    const ready = this.db.stmt(`SELECT 1 FROM jobs j JOIN workflows w ON w.id = j.workflow_id
      WHERE j.status = 'ready' AND w.status = 'running' ${scope} LIMIT 1`);
    const due = this.db.stmt(`SELECT 1 FROM jobs j WHERE j.status = 'retrying' AND j.ready_at <= ? ${scope} LIMIT 1`);
    return ready.get(...args) !== undefined || due.get(now, ...args) !== undefined;
  }

  async cancelWorkflow(id: string, now: number): Promise<WorkflowChange | null> {
    return this.db.write(() => runSync(cancelProgram(id, now), this.tx));
  }

  async restartWorkflow(id: string, options: { failedOnly: boolean; now: number }): Promise<WorkflowChange | null> {
    return this.db.write(() => runSync(restartProgram(id, options.failedOnly, options.now), this.tx));
  }

  // ── actions ───────────────────────────────────────────────────────────────────────────────

  async listActions(workflowId: string): Promise<WorkflowActionRecord[]> {
    const actions = this.db.stmt(`SELECT a.*, s.selected_jobs FROM ${ACTIONS_FROM} WHERE a.workflow_id = ? ORDER BY a.action_index`).all(workflowId) as Row[];
    const executions = executionsByAction(
      this.db.stmt('SELECT * FROM action_executions WHERE workflow_id = ? ORDER BY run, started_at, id').all(workflowId) as Row[],
    );
    return actions.map((row) => toAction(row, executions.get(Number(row.action_index)) ?? []));
  }

  async claimActions(claim: ActionClaim): Promise<ClaimedAction[]> {
    if (claim.triggers.length === 0) return [];
    const scope = claim.workflow_id === null ? '' : 'AND a.workflow_id = ?';
    const pending = this.db.stmt(`SELECT a.workflow_id, a.action_index FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
      WHERE a.status = 'pending' AND w.status <> 'canceled' AND a.trigger_type IN (SELECT value FROM json_each(?)) ${scope}`);
    const args: unknown[] = [JSON.stringify(claim.triggers), ...(claim.workflow_id === null ? [] : [claim.workflow_id])];
    const claimed = await this.db.write(() =>
      byActionOrder(pending.all(...args) as Row[]).flatMap((row) => {
        const execution = this.claimOne(String(row.workflow_id), Number(row.action_index), claim.worker_id, claim.now);
        return execution ? [execution] : [];
      }),
    );
    return claimed.map((execution) => this.claimedAction(execution));
  }

  async claimAction(workflowId: string, actionIndex: number, workerId: string, now: number): Promise<ClaimedAction | null> {
    const execution = await this.db.write(() => this.claimOne(workflowId, actionIndex, workerId, now));
    return execution ? this.claimedAction(execution) : null;
  }

  /** Claims one pending action for the worker inside a write: its execution, or null when taken. */
  private claimOne(workflowId: string, actionIndex: number, workerId: string, now: number): ActionExecutionRecord | null {
    const action = this.db
      .stmt(`SELECT a.persistent, w.run FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
        WHERE a.workflow_id = ? AND a.action_index = ? AND a.status = 'pending' AND w.status <> 'canceled'`)
      .get(workflowId, actionIndex) as Row | undefined;
    if (!action) return null;
    const persistent = action.persistent === 1;
    if (!persistent) {
      const taken = this.db
        .stmt(`UPDATE workflow_actions SET status = 'running' WHERE workflow_id = ? AND action_index = ? AND status = 'pending'`)
        .run(workflowId, actionIndex).changes;
      if (taken !== 1) return null;
    }
    const row = this.db
      .stmt(`INSERT INTO action_executions (id, workflow_id, action_index, run, worker_key, worker_id, started_at)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow_id, action_index, run, worker_key) DO NOTHING RETURNING *`)
      .get(newId(now), workflowId, actionIndex, Number(action.run), persistent ? workerId : '', workerId, now) as Row | undefined;
    return row ? toActionExecution(row) : null;
  }

  private claimedAction(execution: ActionExecutionRecord): ClaimedAction {
    const action = this.db
      .stmt(`SELECT a.*, s.selected_jobs FROM ${ACTIONS_FROM} WHERE a.workflow_id = ? AND a.action_index = ?`)
      .get(execution.workflow_id, execution.action_index) as Row;
    const executions = (
      this.db
        .stmt('SELECT * FROM action_executions WHERE workflow_id = ? AND action_index = ? ORDER BY run, started_at, id')
        .all(execution.workflow_id, execution.action_index) as Row[]
    ).map(toActionExecution);
    const workflow = this.db.stmt(`SELECT ${WORKFLOW_COLUMNS} FROM workflows WHERE id = ?`).get(execution.workflow_id) as Row;
    return { execution, action: toAction(action, executions), workflow: toWorkflow(workflow) };
  }

  async finishActionExecution(
    executionId: string,
    end: { success: boolean; result: JsonObject | null; error: string | null; now: number },
  ): Promise<ActionExecutionRecord | null> {
    const finish = this.db.stmt(`UPDATE action_executions SET success = ?, result = ?, error = ?, ended_at = ?
      WHERE id = ? AND ended_at IS NULL RETURNING *`);
    const settle = this.db.stmt(`UPDATE workflow_actions SET status = ?
      WHERE workflow_id = ? AND action_index = ? AND status = 'running'
        AND (SELECT run FROM workflows WHERE id = workflow_actions.workflow_id) = ?`);
    const row = await this.db.write(() => {
      const ended = finish.get(bool(end.success), jsonOrNull(end.result), end.error, end.now, executionId) as Row | undefined;
      if (ended && ended.worker_key === '') settle.run(end.success ? 'done' : 'failed', ended.workflow_id, ended.action_index, ended.run);
      return ended;
    });
    return row ? toActionExecution(row) : null;
  }

  async hasPendingActions(workflowId: string | null, workerId: string, triggers: readonly TriggerType[]): Promise<boolean> {
    if (triggers.length === 0) return false;
    const scope = workflowId === null ? '' : 'AND a.workflow_id = ?';
    const found = this.db
      .stmt(`SELECT 1 FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
        WHERE a.status = 'pending' AND w.status <> 'canceled' AND a.trigger_type IN (SELECT value FROM json_each(?)) ${scope}
          AND (a.persistent = 0 OR NOT EXISTS (SELECT 1 FROM action_executions e
            WHERE e.workflow_id = a.workflow_id AND e.action_index = a.action_index AND e.run = w.run AND e.worker_key = ?))
        LIMIT 1`)
      .get(JSON.stringify(triggers), ...(workflowId === null ? [] : [workflowId]), workerId);
    return found !== undefined;
  }

  // ── allocations ───────────────────────────────────────────────────────────────────────────

  async createAllocation(allocation: AllocationRecord): Promise<void> {
    const insert = this.db.stmt(`INSERT INTO slurm_allocations (id, workflow_id, action_index, scheduler, state, native_state, nodes,
        script_path, submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
    const inserted = await this.db.write(
      () =>
        insert.run(
          allocation.id,
          allocation.workflow_id,
          allocation.action_index,
          allocation.scheduler,
          allocation.state,
          allocation.native_state,
          allocation.nodes,
          allocation.script_path,
          allocation.submitted_at,
          allocation.updated_at,
        ).changes,
    );
    if (inserted !== 1) {
      throw new HookflowError('HF_ERR_CONFLICT', `allocation ${allocation.id} is already recorded`, { hint: 'update it instead' });
    }
  }

  async updateAllocation(id: string, state: AllocationState, nativeState: string | null, now: number): Promise<AllocationRecord | null> {
    const update = this.db.stmt('UPDATE slurm_allocations SET state = ?, native_state = ?, updated_at = ? WHERE id = ? RETURNING *');
    const row = await this.db.write(() => update.get(state, nativeState, now, id) as Row | undefined);
    return row ? toAllocation(row) : null;
  }

  async listAllocations(query: { workflow_id?: string; states?: readonly AllocationState[]; limit: number }): Promise<AllocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.workflow_id !== undefined) {
      where.push('workflow_id = ?');
      params.push(query.workflow_id);
    }
    if (query.states) {
      where.push('state IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(query.states));
    }
    const sql = `SELECT * FROM slurm_allocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY submitted_at DESC, id DESC LIMIT ?`;
    return (this.db.stmt(sql).all(...params, Math.max(0, Math.floor(query.limit))) as Row[]).map(toAllocation);
  }

  // ── what the transition programs read and write (inside a write) ─────────────────────────

  private transactionAccess(): WorkflowTx {
    const db = this.db;
    const states = (rows: unknown[]): JobState[] => (rows as Row[]).map(toJobState);
    return {
      lockWorkflow(id: string) {
        const row = db.stmt(`SELECT ${WORKFLOW_STATE_COLUMNS} FROM workflows WHERE id = ?`).get(id) as Row | undefined;
        return row ? toWorkflowState(row) : null;
      },
      job(workflowId: string, index: number) {
        const row = db.stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? AND job_index = ?`).get(workflowId, index) as Row | undefined;
        return row ? toJobState(row) : null;
      },
      jobsAt(workflowId: string, indexes: readonly number[]) {
        if (indexes.length === 0) return [];
        // A few rows (a job's dependents, usually): one primary-key read each is cheaper than json_each.
        if (indexes.length <= 16) {
          const one = db.stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? AND job_index = ?`);
          return states(
            [...indexes]
              .sort((x, y) => x - y)
              .map((index) => one.get(workflowId, index))
              .filter((row) => row !== undefined),
          );
        }
        return states(
          db
            .stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? AND job_index IN (SELECT value FROM json_each(?)) ORDER BY job_index`)
            .all(workflowId, JSON.stringify(indexes)),
        );
      },
      waitingJobs(workflowId: string) {
        return states(
          db.stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? AND status IN ${WAITING} ORDER BY job_index`).all(workflowId),
        );
      },
      dueRetries(workflowId: string, now: number) {
        return states(
          db
            .stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? AND status = 'retrying' AND ready_at <= ? ORDER BY job_index`)
            .all(workflowId, now),
        );
      },
      expiredRunning(workflowId: string, now: number) {
        return states(
          db
            .stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? AND status = 'running' AND lease_expires_at < ? ORDER BY job_index`)
            .all(workflowId, now),
        );
      },
      endRunning(workflowId: string, end: RunningEnd) {
        return (
          db
            .stmt(`UPDATE jobs SET status = ?, exit_code = ?, error = ?, outputs = ?, stdout_tail = ?, stderr_tail = ?, log_dir = ?, ended_at = ?,
                ready_at = ?, started_at = COALESCE(?, started_at), counted = ?, lease_expires_at = NULL, worker_id = CASE WHEN ? THEN NULL ELSE worker_id END
              WHERE workflow_id = ? AND job_index = ? AND status = 'running' AND run = ? AND worker_id = ?`)
            .run(
              end.status,
              end.exit_code,
              end.error,
              jsonOrNull(end.outputs),
              end.stdout_tail,
              end.stderr_tail,
              end.log_dir,
              end.ended_at,
              end.ready_at,
              end.started_at,
              end.counted,
              bool(end.clear_worker),
              workflowId,
              end.index,
              end.run,
              end.worker_id,
            ).changes === 1
        );
      },
      setStates(workflowId: string, updates: readonly StateUpdate[]) {
        const update = db.stmt(`UPDATE jobs SET status = ?, remaining = ?, counted = ?, ended_at = ?, ready_at = ?, worker_id = ?,
            lease_expires_at = NULL
          WHERE workflow_id = ? AND job_index = ? AND status = ? AND (? IS NULL OR lease_expires_at < ?)`);
        const applied: number[] = [];
        for (const u of updates) {
          const changes = update.run(u.to, u.remaining, u.counted, u.ended_at, u.ready_at, u.worker_id, workflowId, u.index, u.from, u.lease_before, u.lease_before).changes;
          if (changes === 1) applied.push(u.index);
        }
        return applied;
      },
      requestCancel(workflowId: string) {
        db.stmt(`UPDATE jobs SET cancel_requested = 1 WHERE workflow_id = ? AND status = 'running'`).run(workflowId);
      },
      bumpActions(workflowId: string, increments: ReadonlyArray<readonly [number, number]>) {
        const bump = db.stmt(`UPDATE workflow_actions SET trigger_count = trigger_count + ?,
            status = CASE WHEN status = 'waiting' AND trigger_count + ? >= required_triggers THEN 'pending' ELSE status END
          WHERE workflow_id = ? AND action_index = ?
          RETURNING action_index, trigger_type, action_type, trigger_count, required_triggers, status`);
        const bumped: BumpedAction[] = [];
        for (const [index, by] of increments) {
          const row = bump.get(by, by, workflowId, index) as Row | undefined;
          if (!row) continue;
          bumped.push({
            index: Number(row.action_index),
            trigger_type: row.trigger_type as TriggerType,
            action_type: String(row.action_type),
            trigger_count: Number(row.trigger_count),
            by,
            required_triggers: Number(row.required_triggers),
            status: String(row.status),
          });
        }
        return bumped;
      },
      fireWorkflowComplete(workflowId: string) {
        const rows = db
          .stmt(`UPDATE workflow_actions SET status = 'pending', trigger_count = required_triggers
            WHERE workflow_id = ? AND trigger_type = 'on_workflow_complete' AND status = 'waiting'
            RETURNING action_index, trigger_type, action_type`)
          .all(workflowId) as Row[];
        return rows
          .map((row): FiredAction => ({ index: Number(row.action_index), trigger_type: row.trigger_type as TriggerType, action_type: String(row.action_type) }))
          .sort((a, b) => a.index - b.index);
      },
      saveProgress(workflowId: string, progress: WorkflowProgress) {
        db.stmt(`UPDATE workflows SET unfinished_count = ?, failed_count = ?, status = ?, ended_at = coalesce(?, ended_at), updated_at = ?
          WHERE id = ?`).run(progress.unfinished_count, progress.failed_count, progress.status, progress.ended_at, progress.updated_at, workflowId);
      },
      restartJobs(workflowId: string) {
        return states(db.stmt(`SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = ? ORDER BY job_index`).all(workflowId));
      },
      resetJobs(workflowId, run, jobs) {
        const reset = db.stmt(`UPDATE jobs SET status = ?, run = ?, attempts = 0, exit_code = NULL, worker_id = NULL, lease_expires_at = NULL,
            ready_at = NULL, started_at = NULL, ended_at = NULL, outputs = NULL, error = NULL, stdout_tail = NULL, stderr_tail = NULL, log_dir = NULL,
            cancel_requested = 0, remaining = ?, counted = ?
          WHERE workflow_id = ? AND job_index = ?`);
        for (const job of jobs) reset.run(job.to, run, job.remaining, job.counted, workflowId, job.index);
      },
      restartActions(workflowId: string) {
        return (
          db
            .stmt(`SELECT a.action_index, a.trigger_type, a.action_type, s.selected_jobs, a.required_triggers FROM ${ACTIONS_FROM}
              WHERE a.workflow_id = ? ORDER BY a.action_index`)
            .all(workflowId) as Row[]
        ).map(
          (row): RestartAction => ({
            index: Number(row.action_index),
            trigger_type: row.trigger_type as TriggerType,
            action_type: String(row.action_type),
            selected_jobs: (JSON.parse(String(row.selected_jobs)) as unknown[]).map(Number),
            required_triggers: Number(row.required_triggers),
          }),
        );
      },
      resetActions(workflowId, actionStates) {
        const reset = db.stmt('UPDATE workflow_actions SET trigger_count = ?, status = ? WHERE workflow_id = ? AND action_index = ?');
        for (const state of actionStates) reset.run(state.trigger_count, state.status, workflowId, state.index);
      },
      beginRun(workflowId, run) {
        db.stmt(`UPDATE workflows SET run = ?, status = 'running', unfinished_count = ?, failed_count = 0, started_at = ?, updated_at = ?,
            ended_at = NULL, error = NULL, outputs = NULL WHERE id = ?`).run(run.run, run.unfinished_count, run.now, run.now, workflowId);
      },
    };
  }
}
