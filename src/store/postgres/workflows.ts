import type pg from 'pg';
import { HookflowError } from '../../errors.js';
import { newId } from '../../events/ids.js';
import type { JsonObject } from '../../events/model.js';
import { fitJobs } from '../../workflows/job-states.js';
import type { TriggerType, WorkflowModel } from '../../workflows/model.js';
import { jsonParam, type Row } from '../rows.js';
import {
  executionsByAction,
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
} from '../workflow-rows.js';
import {
  cancelProgram,
  createPlan,
  finishBatchProgram,
  finishProgram,
  promoteProgram,
  recoverProgram,
  restartProgram,
  runAsync,
  type AsyncWorkflowTx,
  type FiredAction,
  type JobInsert,
  type Program,
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
import { retryTransient } from './connection.js';
import { insertEventRows } from './event-inserts.js';

type Transaction = <T>(run: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

const WAITING = `('uninitialized', 'blocked', 'ready', 'pending', 'retrying')`;
const JOB_J = JOB_COLUMNS.split(', ')
  .map((column) => `j.${column}`)
  .join(', ');

/** Jobs per INSERT while creating a workflow: one JSON text and one round trip per chunk. */
const JOB_ROWS_PER_INSERT = 5000;
/** Attempts of a transition that PostgreSQL aborted to break a deadlock. */
const TRANSIENT_ATTEMPTS = 4;

/**
 * $1 workflow id, $2 a JSON array of job rows (jobRowsJson). One JSON text per chunk costs the
 * client far less than a dozen escaped array literals, and the specs travel inside it verbatim.
 */
const INSERT_JOBS = `
INSERT INTO jobs (workflow_id, job_index, name, step_id, status, run, remaining, dependents, cancel_on_blocking, on_failure,
    num_cpus, num_gpus, memory_bytes, ready_actions, complete_actions, counted, spec)
SELECT $1, r.i, r.n, r.s, r.st, 1, r.r, r.d, r.c, r.f, r.cpu, r.gpu, r.mem, r.ra, r.ca, r.k, r.spec
FROM json_to_recordset($2::json) AS r(i int, n text, s text, st text, r int, d int[], c bool, f text, cpu float8, gpu float8,
    mem int8, ra int[], ca int[], k int, spec json)`;

function listJson(values: readonly number[] | null): string {
  return values === null ? 'null' : `[${values.join(',')}]`;
}

/** Job rows as the JSON INSERT_JOBS reads; `spec` is JSON already and goes in as it is. */
function jobRowsJson(jobs: readonly JobInsert[]): string {
  const rows = jobs.map(
    (job) =>
      `{"i":${job.index},"n":${JSON.stringify(job.name)},"s":${job.step_id === null ? 'null' : JSON.stringify(job.step_id)},` +
      `"st":"${job.status}","r":${job.remaining},"d":${listJson(job.dependents)},"c":${job.cancel_on_blocking},` +
      `"f":${job.on_failure === null ? 'null' : JSON.stringify(job.on_failure)},"cpu":${JSON.stringify(job.num_cpus)},` +
      `"gpu":${JSON.stringify(job.num_gpus)},"mem":${JSON.stringify(job.memory_bytes)},"ra":${listJson(job.ready_actions)},` +
      `"ca":${listJson(job.complete_actions)},"k":${job.counted},"spec":${job.spec}}`,
  );
  return `[${rows.join(',')}]`;
}

const SET_STATES = `
UPDATE jobs j SET status = u.to_status, remaining = u.remaining, counted = u.counted, ended_at = u.ended_at, ready_at = u.ready_at,
    worker_id = u.worker_id, lease_expires_at = NULL
FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int8[], $8::int8[], $9::text[], $10::int8[])
  AS u(job_index, from_status, to_status, remaining, counted, ended_at, ready_at, worker_id, lease_before)
WHERE j.workflow_id = $1 AND j.job_index = u.job_index AND j.status = u.from_status
  AND (u.lease_before IS NULL OR j.lease_expires_at < u.lease_before)
RETURNING j.job_index`;

const BUMP_ACTIONS = `
UPDATE workflow_actions a SET trigger_count = a.trigger_count + u.increment,
    status = CASE WHEN a.status = 'waiting' AND a.trigger_count + u.increment >= a.required_triggers THEN 'pending' ELSE a.status END
FROM unnest($2::int[], $3::int[]) AS u(action_index, increment)
WHERE a.workflow_id = $1 AND a.action_index = u.action_index
RETURNING a.action_index, a.trigger_type, a.action_type, a.trigger_count, a.required_triggers, a.status, u.increment`;

const END_RUNNING = `
UPDATE jobs SET status = $5, exit_code = $6, error = $7, outputs = $8::jsonb, stdout_tail = $9, stderr_tail = $10, ended_at = $11,
    ready_at = $12, counted = $13, lease_expires_at = NULL, worker_id = CASE WHEN $14::bool THEN NULL ELSE worker_id END, log_dir = $15,
    started_at = COALESCE($16::bigint, started_at)
WHERE workflow_id = $1 AND job_index = $2 AND status = 'running' AND run = $3 AND worker_id = $4`;

const CLAIM_TAKE = `
UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, worker_id = $3, lease_expires_at = $4, started_at = $5,
    ended_at = NULL, exit_code = NULL, error = NULL, ready_at = NULL, cancel_requested = false
FROM unnest($1::text[], $2::int[]) AS u(workflow_id, job_index)
WHERE j.workflow_id = u.workflow_id AND j.job_index = u.job_index AND j.status = 'ready'
RETURNING ${JOB_J}`;

/**
 * Workflows in the PostgreSQL store. A transition is one transaction that first locks its
 * workflow's row, so transitions of one workflow apply one after the other; claims lock only the
 * ready jobs they read (FOR UPDATE SKIP LOCKED), so concurrent claimers get disjoint jobs without
 * waiting, except on workflows with max_parallel_jobs, whose rows they lock first (always before
 * any job, so lock order is workflow → job everywhere).
 */
export class PostgresWorkflows implements WorkflowStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: Transaction,
  ) {}

  private async rows(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows;
  }

  /** One transition program in one transaction, run again if PostgreSQL broke a deadlock by aborting it. */
  private run<T>(program: () => Program<T>): Promise<T> {
    return retryTransient(() => this.transaction((client) => runAsync(program(), transactionAccess(client))), TRANSIENT_ATTEMPTS);
  }

  // ── workflows ─────────────────────────────────────────────────────────────────────────────

  async createWorkflow(input: NewWorkflow): Promise<{ workflow: WorkflowRecord; change: WorkflowChange }> {
    const plan = createPlan(input);
    const { record } = plan;
    const id = record.id;
    await this.transaction(async (client) => {
      await client.query({
        text: `INSERT INTO workflows (id, name, format, status, run, user_name, description, params, outputs, output_dir, created_by,
            job_count, error, dependency_rule, max_parallel_jobs, unfinished_count, failed_count, created_at, updated_at,
            started_at, ended_at)
          VALUES ($1, $2, $3, $4, 1, $5, $6, $7::jsonb, NULL, $8, $9, $10, NULL, $11, $12, $13, 0, $14, $15, $16, $17)`,
        values: [
          id,
          record.name,
          record.format,
          record.status,
          record.user,
          record.description,
          jsonParam(record.params),
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
        ],
      });
      await client.query({ text: 'INSERT INTO workflow_models (workflow_id, model) VALUES ($1, $2::jsonb)', values: [id, plan.model_json] });
      for (let start = 0; start < plan.jobs.length; start += JOB_ROWS_PER_INSERT) {
        const chunk = plan.jobs.slice(start, start + JOB_ROWS_PER_INSERT);
        await client.query({ name: 'hf_wf_insert_jobs', text: INSERT_JOBS, values: [id, jobRowsJson(chunk)] });
      }
      if (plan.actions.length > 0) {
        const actions = plan.actions;
        await client.query({
          text: `WITH actions AS (
              INSERT INTO workflow_actions (workflow_id, action_index, trigger_type, action_type, persistent, required_triggers,
                trigger_count, status, fields)
              SELECT $1, u.action_index, u.trigger_type, u.action_type, u.persistent, u.required_triggers, u.trigger_count, u.status,
                u.fields::jsonb
              FROM unnest($2::int[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::int[], $8::int[], $9::text[], $10::text[])
                AS u(action_index, trigger_type, action_type, persistent, selected_jobs, required_triggers, trigger_count, status, fields)
              RETURNING action_index
            )
            INSERT INTO workflow_action_jobs (workflow_id, action_index, selected_jobs)
            SELECT $1, u.action_index, u.selected_jobs::jsonb FROM unnest($2::int[], $6::text[]) AS u(action_index, selected_jobs)
            WHERE (SELECT count(*) FROM actions) >= 0`,
          values: [
            id,
            actions.map((a) => a.index),
            actions.map((a) => a.trigger_type),
            actions.map((a) => a.action_type),
            actions.map((a) => a.persistent),
            actions.map((a) => a.selected_jobs),
            actions.map((a) => a.required_triggers),
            actions.map((a) => a.trigger_count),
            actions.map((a) => a.status),
            actions.map((a) => a.fields),
          ],
        });
      }
    });
    return { workflow: record, change: plan.change };
  }

  async getWorkflow(id: string): Promise<WorkflowRecord | null> {
    const rows = await this.rows({ name: 'hf_wf_get', text: `SELECT ${WORKFLOW_COLUMNS} FROM workflows WHERE id = $1`, values: [id] });
    return rows.length > 0 ? toWorkflow(rows[0]) : null;
  }

  async getWorkflowModel(id: string): Promise<WorkflowModel | null> {
    const rows = await this.rows({ text: 'SELECT model FROM workflow_models WHERE workflow_id = $1', values: [id] });
    if (rows.length === 0) return null;
    const jobs = await this.rows({ text: 'SELECT job_index, name, spec FROM jobs WHERE workflow_id = $1 ORDER BY job_index', values: [id] });
    return toWorkflowModel(rows[0].model, jobs);
  }

  async listWorkflows(query: WorkflowQuery): Promise<WorkflowRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.status) {
      values.push(query.status);
      where.push(`status = $${values.length}`);
    }
    if (query.before) {
      values.push(query.before);
      where.push(`id < $${values.length}`);
    }
    values.push(Math.max(0, Math.floor(query.limit)));
    const text = `SELECT ${WORKFLOW_COLUMNS} FROM workflows ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${values.length}`;
    return (await this.rows({ text, values })).map(toWorkflow);
  }

  async deleteWorkflow(id: string): Promise<'deleted' | 'not_found' | 'running'> {
    return this.transaction(async (client) => {
      const found = await client.query<Row>({ text: 'SELECT status FROM workflows WHERE id = $1 FOR UPDATE', values: [id] });
      if (found.rows.length === 0) return 'not_found' as const;
      const running = await client.query({ text: `SELECT 1 FROM jobs WHERE workflow_id = $1 AND status = 'running' LIMIT 1`, values: [id] });
      if (found.rows[0].status === 'running' || running.rows.length > 0) return 'running' as const;
      await client.query({ text: 'DELETE FROM workflows WHERE id = $1', values: [id] });
      return 'deleted' as const;
    });
  }

  async setWorkflowOutputs(id: string, outputs: JsonObject, error: string | null): Promise<void> {
    await this.pool.query({
      text: 'UPDATE workflows SET outputs = $2::jsonb, error = $3, updated_at = $4 WHERE id = $1',
      values: [id, jsonParam(outputs), error, Date.now()],
    });
  }

  // ── jobs ──────────────────────────────────────────────────────────────────────────────────

  async listJobs(workflowId: string, query: JobQuery): Promise<JobRecord[]> {
    const values: unknown[] = [workflowId];
    const where = ['workflow_id = $1'];
    if (query.status) {
      values.push(query.status);
      where.push(`status = $${values.length}`);
    }
    if (query.name) {
      values.push(query.name);
      where.push(`name = $${values.length}`);
    }
    values.push(Math.max(0, Math.floor(query.limit)), Math.max(0, Math.floor(query.offset)));
    const text = `SELECT ${JOB_COLUMNS} FROM jobs WHERE ${where.join(' AND ')} ORDER BY job_index LIMIT $${values.length - 1} OFFSET $${values.length}`;
    return (await this.rows({ text, values })).map(toJob);
  }

  async getJob(workflowId: string, index: number): Promise<JobRecord | null> {
    const rows = await this.rows({
      name: 'hf_wf_get_job',
      text: `SELECT ${JOB_COLUMNS} FROM jobs WHERE workflow_id = $1 AND job_index = $2`,
      values: [workflowId, index],
    });
    return rows.length > 0 ? toJob(rows[0]) : null;
  }

  async countJobs(workflowId: string): Promise<Partial<Record<JobStatus, number>>> {
    const counts: Partial<Record<JobStatus, number>> = {};
    const rows = await this.rows({ text: 'SELECT status, count(*) AS n FROM jobs WHERE workflow_id = $1 GROUP BY status', values: [workflowId] });
    for (const row of rows) counts[row.status as JobStatus] = Number(row.n);
    return counts;
  }

  async jobOutputs(workflowId: string, indexes: readonly number[]): Promise<Map<number, JsonObject>> {
    const outputs = new Map<number, JsonObject>();
    if (indexes.length === 0) return outputs;
    const rows = await this.rows({
      text: 'SELECT job_index, outputs FROM jobs WHERE workflow_id = $1 AND job_index = ANY($2::int[]) AND outputs IS NOT NULL',
      values: [workflowId, [...indexes]],
    });
    for (const row of rows) outputs.set(Number(row.job_index), row.outputs as JsonObject);
    return outputs;
  }

  async claimJobs(claim: JobClaim): Promise<JobRecord[]> {
    if (claim.limit <= 0) return [];
    const capacity = claim.capacity;
    const values: unknown[] = [];
    const filters: string[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (claim.workflow_id !== null) filters.push(`j.workflow_id = ${param(claim.workflow_id)}`);
    if (capacity?.cpus != null) filters.push(`j.num_cpus <= ${param(capacity.cpus)}`);
    if (capacity?.memory_bytes != null) filters.push(`j.memory_bytes <= ${param(capacity.memory_bytes)}`);
    if (capacity?.gpus != null) filters.push(`j.num_gpus <= ${param(capacity.gpus)}`);
    const limitParam = `$${values.length + 1}`;
    const candidatesText = `SELECT j.workflow_id, j.job_index, j.num_cpus, j.num_gpus, j.memory_bytes, w.max_parallel_jobs
      FROM jobs j JOIN workflows w ON w.id = j.workflow_id
      WHERE j.status = 'ready' AND w.status = 'running' ${filters.map((filter) => `AND ${filter}`).join(' ')}
        AND NOT (j.workflow_id = ANY(${limitParam}::text[]))
      ORDER BY j.workflow_id, j.job_index LIMIT $${values.length + 2}
      FOR UPDATE OF j SKIP LOCKED`;
    const rows = await this.retrying(() =>
      this.transaction(async (client) => {
        // Workflows with max_parallel_jobs are locked first (in id order), then their running jobs
        // counted: two claimers never both fill the last slot.
        const limited = await client.query<Row>({
          text: `SELECT w.id, w.max_parallel_jobs FROM workflows w
            WHERE w.status = 'running' AND w.max_parallel_jobs IS NOT NULL ${claim.workflow_id !== null ? 'AND w.id = $1' : ''}
              AND EXISTS (SELECT 1 FROM jobs r WHERE r.workflow_id = w.id AND r.status = 'ready')
            ORDER BY w.id FOR UPDATE OF w`,
          values: claim.workflow_id !== null ? [claim.workflow_id] : [],
        });
        const room = new Map<string, number>();
        if (limited.rows.length > 0) {
          const ids = limited.rows.map((row) => String(row.id));
          const running = await client.query<Row>({
            text: `SELECT workflow_id, count(*) AS n FROM jobs WHERE workflow_id = ANY($1::text[]) AND status = 'running' GROUP BY workflow_id`,
            values: [ids],
          });
          const counts = new Map(running.rows.map((row) => [String(row.workflow_id), Number(row.n)]));
          for (const row of limited.rows) room.set(String(row.id), Number(row.max_parallel_jobs) - (counts.get(String(row.id)) ?? 0));
        }
        // Workflows already running max_parallel_jobs are left out, so they never hide the ready jobs
        // of the workflows after them; candidates that may be passed over make the window larger.
        const full = [...room].filter(([, left]) => left <= 0).map(([id]) => id);
        const window = capacity ? claim.limit * 4 + 32 : room.size > full.length ? claim.limit * 2 + 8 : claim.limit;
        const found = (await client.query<Row>({ text: candidatesText, values: [...values, full, window] })).rows
          .map((row) => ({
            workflow_id: String(row.workflow_id),
            index: Number(row.job_index),
            num_cpus: Number(row.num_cpus),
            num_gpus: Number(row.num_gpus),
            memory_bytes: Number(row.memory_bytes),
            limited: row.max_parallel_jobs !== null,
          }))
          // A limited workflow not locked above (its first jobs became ready meanwhile) waits for the next claim.
          .filter((candidate) => !candidate.limited || room.has(candidate.workflow_id));
        const picked = fitJobs(found, capacity, claim.limit, room);
        if (picked.length === 0) return [];
        const taken = await client.query<Row>({
          name: 'hf_wf_claim_take',
          text: CLAIM_TAKE,
          values: [picked.map((job) => job.workflow_id), picked.map((job) => job.index), claim.worker_id, claim.now + claim.lease_ms, claim.now],
        });
        return taken.rows;
      }),
    );
    return rows.map(toJob).sort((a, b) => (a.workflow_id === b.workflow_id ? a.index - b.index : a.workflow_id < b.workflow_id ? -1 : 1));
  }

  /** Runs one atomic statement again when PostgreSQL broke a deadlock by aborting it. */
  private retrying<T>(run: () => Promise<T>): Promise<T> {
    return retryTransient(run, TRANSIENT_ATTEMPTS);
  }

  async finishJobs(finishes: readonly JobFinish[]): Promise<Array<WorkflowChange | null>> {
    return Promise.all(finishes.map((finish) => this.run(() => finishProgram(finish))));
  }

  async finishJobsWithEvents(finishes: readonly JobFinish[], outbox: TransitionOutbox): Promise<{ changes: Array<WorkflowChange | null>; events: InsertedEvent[] }> {
    // Finished in (workflow, index) order, the order lease renewals lock running jobs in (see
    // renewJobLeases); the changes go back, to the outbox too, in the caller's order.
    const order = finishes.map((_, at) => at).sort((a, b) => compareJobKeys(finishes[a], finishes[b]));
    const sorted = order.map((at) => finishes[at]);
    return retryTransient(
      () =>
        this.transaction(async (client) => {
          const access = transactionAccess(client);
          const done = await runAsync(finishBatchProgram(sorted), access);
          const changes: Array<WorkflowChange | null> = new Array(finishes.length);
          order.forEach((at, position) => {
            changes[at] = done[position];
          });
          const events = await insertEventRows(async (query) => (await client.query<Row>(query)).rows, outbox.events(changes));
          return { changes, events };
        }),
      TRANSIENT_ATTEMPTS,
    );
  }

  async renewJobLeases(workerId: string, leaseMs: number, now: number): Promise<Array<{ workflow_id: string; index: number; run: number }>> {
    // Running jobs are locked in (workflow, index) order here, by a batch of finishes and by a
    // cancel: each locking in its own order, they deadlocked (a one-second stall each time, seen
    // in the server's log from the tests). A deadlock left anyway is retried.
    const renew = { name: 'hf_wf_renew', text: RENEW_JOB_LEASES, values: [workerId, now + leaseMs] };
    const rows = await this.retrying(() => this.rows(renew));
    return rows
      .filter((row) => row.cancel_requested === true)
      .map((row) => ({ workflow_id: String(row.workflow_id), index: Number(row.job_index), run: Number(row.run) }))
      .sort(compareJobKeys);
  }

  async promoteRetries(now: number): Promise<WorkflowChange[]> {
    const due = await this.rows({
      text: `SELECT DISTINCT workflow_id FROM jobs WHERE status = 'retrying' AND ready_at <= $1 ORDER BY workflow_id`,
      values: [now],
    });
    const changes: WorkflowChange[] = [];
    for (const row of due) {
      const change = await this.run(() => promoteProgram(String(row.workflow_id), now));
      if (change) changes.push(change);
    }
    return changes;
  }

  async recoverExpiredJobs(now: number): Promise<WorkflowChange[]> {
    const expired = await this.rows({
      text: `SELECT DISTINCT workflow_id FROM jobs WHERE status = 'running' AND lease_expires_at < $1 ORDER BY workflow_id`,
      values: [now],
    });
    const changes: WorkflowChange[] = [];
    for (const row of expired) {
      const change = await this.run(() => recoverProgram(String(row.workflow_id), now));
      if (change) changes.push(change);
    }
    return changes;
  }

  async hasClaimableJobs(workflowId: string | null, now: number): Promise<boolean> {
    const scope = workflowId === null ? '' : 'AND j.workflow_id = $2';
    const rows = await this.rows({
      text: `SELECT EXISTS (SELECT 1 FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE j.status = 'ready' AND w.status = 'running' ${scope})
          OR EXISTS (SELECT 1 FROM jobs j WHERE j.status = 'retrying' AND j.ready_at <= $1 ${scope}) AS claimable`,
      values: workflowId === null ? [now] : [now, workflowId],
    });
    return rows[0]?.claimable === true;
  }

  async cancelWorkflow(id: string, now: number): Promise<WorkflowChange | null> {
    return this.run(() => cancelProgram(id, now));
  }

  async restartWorkflow(id: string, options: { failedOnly: boolean; now: number }): Promise<WorkflowChange | null> {
    return this.run(() => restartProgram(id, options.failedOnly, options.now));
  }

  // ── actions ───────────────────────────────────────────────────────────────────────────────

  async listActions(workflowId: string): Promise<WorkflowActionRecord[]> {
    const actions = await this.rows({
      text: `SELECT a.*, s.selected_jobs FROM ${ACTIONS_FROM} WHERE a.workflow_id = $1 ORDER BY a.action_index`,
      values: [workflowId],
    });
    const executions = executionsByAction(
      await this.rows({ text: 'SELECT * FROM action_executions WHERE workflow_id = $1 ORDER BY run, started_at, id', values: [workflowId] }),
    );
    return actions.map((row) => toAction(row, executions.get(Number(row.action_index)) ?? []));
  }

  async claimActions(claim: ActionClaim): Promise<ClaimedAction[]> {
    if (claim.triggers.length === 0) return [];
    const pending = await this.rows({
      text: `SELECT a.workflow_id, a.action_index FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
        WHERE a.status = 'pending' AND w.status <> 'canceled' AND a.trigger_type = ANY($1::text[])
          ${claim.workflow_id === null ? '' : 'AND a.workflow_id = $2'}
        ORDER BY a.workflow_id, a.action_index`,
      values: claim.workflow_id === null ? [[...claim.triggers]] : [[...claim.triggers], claim.workflow_id],
    });
    const claimed: ClaimedAction[] = [];
    for (const row of pending) {
      const one = await this.claimAction(String(row.workflow_id), Number(row.action_index), claim.worker_id, claim.now);
      if (one) claimed.push(one);
    }
    return claimed;
  }

  async claimAction(workflowId: string, actionIndex: number, workerId: string, now: number): Promise<ClaimedAction | null> {
    const execution = await this.retrying(() =>
      this.transaction(async (client) => {
        const found = await client.query<Row>({
          text: `SELECT a.persistent, w.run FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
            WHERE a.workflow_id = $1 AND a.action_index = $2 AND a.status = 'pending' AND w.status <> 'canceled'`,
          values: [workflowId, actionIndex],
        });
        if (found.rows.length === 0) return null;
        const persistent = found.rows[0].persistent === true;
        if (!persistent) {
          // The row lock makes a second claimer wait, then see the action running: it gets nothing.
          const taken = await client.query({
            text: `UPDATE workflow_actions SET status = 'running' WHERE workflow_id = $1 AND action_index = $2 AND status = 'pending'`,
            values: [workflowId, actionIndex],
          });
          if (taken.rowCount !== 1) return null;
        }
        const inserted = await client.query<Row>({
          text: `INSERT INTO action_executions (id, workflow_id, action_index, run, worker_key, worker_id, started_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workflow_id, action_index, run, worker_key) DO NOTHING RETURNING *`,
          values: [newId(now), workflowId, actionIndex, Number(found.rows[0].run), persistent ? workerId : '', workerId, now],
        });
        return inserted.rows.length > 0 ? toActionExecution(inserted.rows[0]) : null;
      }),
    );
    return execution ? this.claimedAction(execution) : null;
  }

  private async claimedAction(execution: ActionExecutionRecord): Promise<ClaimedAction> {
    const [action] = await this.rows({
      text: `SELECT a.*, s.selected_jobs FROM ${ACTIONS_FROM} WHERE a.workflow_id = $1 AND a.action_index = $2`,
      values: [execution.workflow_id, execution.action_index],
    });
    const executions = (
      await this.rows({
        text: 'SELECT * FROM action_executions WHERE workflow_id = $1 AND action_index = $2 ORDER BY run, started_at, id',
        values: [execution.workflow_id, execution.action_index],
      })
    ).map(toActionExecution);
    const [workflow] = await this.rows({ text: `SELECT ${WORKFLOW_COLUMNS} FROM workflows WHERE id = $1`, values: [execution.workflow_id] });
    return { execution, action: toAction(action, executions), workflow: toWorkflow(workflow) };
  }

  async finishActionExecution(
    executionId: string,
    end: { success: boolean; result: JsonObject | null; error: string | null; now: number },
  ): Promise<ActionExecutionRecord | null> {
    const row = await this.transaction(async (client) => {
      const ended = await client.query<Row>({
        text: `UPDATE action_executions SET success = $2, result = $3::jsonb, error = $4, ended_at = $5 WHERE id = $1 AND ended_at IS NULL RETURNING *`,
        values: [executionId, end.success, end.result === null ? null : jsonParam(end.result), end.error, end.now],
      });
      const execution = ended.rows[0];
      if (execution && execution.worker_key === '') {
        await client.query({
          text: `UPDATE workflow_actions SET status = $4 WHERE workflow_id = $1 AND action_index = $2 AND status = 'running'
            AND (SELECT run FROM workflows WHERE id = $1) = $3`,
          values: [execution.workflow_id, execution.action_index, execution.run, end.success ? 'done' : 'failed'],
        });
      }
      return execution;
    });
    return row ? toActionExecution(row) : null;
  }

  async hasPendingActions(workflowId: string | null, workerId: string, triggers: readonly TriggerType[]): Promise<boolean> {
    if (triggers.length === 0) return false;
    const rows = await this.rows({
      text: `SELECT 1 FROM workflow_actions a JOIN workflows w ON w.id = a.workflow_id
        WHERE a.status = 'pending' AND w.status <> 'canceled' AND a.trigger_type = ANY($1::text[])
          ${workflowId === null ? '' : 'AND a.workflow_id = $3'}
          AND (NOT a.persistent OR NOT EXISTS (SELECT 1 FROM action_executions e
            WHERE e.workflow_id = a.workflow_id AND e.action_index = a.action_index AND e.run = w.run AND e.worker_key = $2))
        LIMIT 1`,
      values: workflowId === null ? [[...triggers], workerId] : [[...triggers], workerId, workflowId],
    });
    return rows.length > 0;
  }

  // ── allocations ───────────────────────────────────────────────────────────────────────────

  async createAllocation(allocation: AllocationRecord): Promise<void> {
    const inserted = await this.pool.query({
      text: `INSERT INTO slurm_allocations (id, workflow_id, action_index, scheduler, state, native_state, nodes, script_path,
          submitted_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
      values: [
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
      ],
    });
    if (inserted.rowCount !== 1) {
      throw new HookflowError('HF_ERR_CONFLICT', `allocation ${allocation.id} is already recorded`, { hint: 'update it instead' });
    }
  }

  async updateAllocation(id: string, state: AllocationState, nativeState: string | null, now: number): Promise<AllocationRecord | null> {
    const rows = await this.rows({
      text: 'UPDATE slurm_allocations SET state = $2, native_state = $3, updated_at = $4 WHERE id = $1 RETURNING *',
      values: [id, state, nativeState, now],
    });
    return rows.length > 0 ? toAllocation(rows[0]) : null;
  }

  async listAllocations(query: { workflow_id?: string; states?: readonly AllocationState[]; limit: number }): Promise<AllocationRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.workflow_id !== undefined) {
      values.push(query.workflow_id);
      where.push(`workflow_id = $${values.length}`);
    }
    if (query.states) {
      values.push([...query.states]);
      where.push(`state = ANY($${values.length}::text[])`);
    }
    values.push(Math.max(0, Math.floor(query.limit)));
    const text = `SELECT * FROM slurm_allocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY submitted_at DESC, id DESC LIMIT $${values.length}`;
    return (await this.rows({ text, values })).map(toAllocation);
  }
}

/** $1 worker id, $2 lease_expires_at. Locks the worker's running jobs in (workflow, index) order. */
export const RENEW_JOB_LEASES = `WITH held AS MATERIALIZED (
    SELECT workflow_id, job_index FROM jobs WHERE worker_id = $1 AND status = 'running'
    ORDER BY workflow_id, job_index FOR NO KEY UPDATE
  )
  UPDATE jobs j SET lease_expires_at = $2 FROM held WHERE j.workflow_id = held.workflow_id AND j.job_index = held.job_index
  RETURNING j.workflow_id, j.job_index, j.run, j.cancel_requested`;

/** (workflow, index) order: the order every statement locks running jobs in. */
function compareJobKeys(a: { workflow_id: string; index: number }, b: { workflow_id: string; index: number }): number {
  if (a.workflow_id !== b.workflow_id) return a.workflow_id < b.workflow_id ? -1 : 1;
  return a.index - b.index;
}

/** What the transition programs read and write, on one client inside its transaction. */
function transactionAccess(client: pg.PoolClient): AsyncWorkflowTx {
  const rows = async (query: pg.QueryConfig): Promise<Row[]> => (await client.query<Row>(query)).rows;
  const states = async (query: pg.QueryConfig) => (await rows(query)).map(toJobState);
  return {
    async lockWorkflow(id) {
      const found = await rows({ name: 'hf_wf_lock', text: `SELECT ${WORKFLOW_STATE_COLUMNS} FROM workflows WHERE id = $1 FOR UPDATE`, values: [id] });
      return found.length > 0 ? toWorkflowState(found[0]) : null;
    },
    async job(workflowId, index) {
      const found = await states({
        name: 'hf_wf_job_state',
        text: `SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = $1 AND job_index = $2`,
        values: [workflowId, index],
      });
      return found[0] ?? null;
    },
    async jobsAt(workflowId, indexes) {
      if (indexes.length === 0) return [];
      return states({
        text: `SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = $1 AND job_index = ANY($2::int[]) ORDER BY job_index`,
        values: [workflowId, [...indexes]],
      });
    },
    async waitingJobs(workflowId) {
      return states({
        text: `SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = $1 AND status IN ${WAITING} ORDER BY job_index`,
        values: [workflowId],
      });
    },
    async dueRetries(workflowId, now) {
      return states({
        text: `SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = $1 AND status = 'retrying' AND ready_at <= $2 ORDER BY job_index`,
        values: [workflowId, now],
      });
    },
    async expiredRunning(workflowId, now) {
      return states({
        text: `SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = $1 AND status = 'running' AND lease_expires_at < $2 ORDER BY job_index`,
        values: [workflowId, now],
      });
    },
    async endRunning(workflowId, end) {
      const result = await client.query({
        name: 'hf_wf_end_running',
        text: END_RUNNING,
        values: [
          workflowId,
          end.index,
          end.run,
          end.worker_id,
          end.status,
          end.exit_code,
          end.error,
          end.outputs === null ? null : jsonParam(end.outputs),
          end.stdout_tail,
          end.stderr_tail,
          end.ended_at,
          end.ready_at,
          end.counted,
          end.clear_worker,
          end.log_dir,
          end.started_at,
        ],
      });
      return result.rowCount === 1;
    },
    async setStates(workflowId, updates) {
      if (updates.length === 0) return [];
      const applied = await rows({
        name: 'hf_wf_set_states',
        text: SET_STATES,
        values: [
          workflowId,
          updates.map((u) => u.index),
          updates.map((u) => u.from),
          updates.map((u) => u.to),
          updates.map((u) => u.remaining),
          updates.map((u) => u.counted),
          updates.map((u) => u.ended_at),
          updates.map((u) => u.ready_at),
          updates.map((u) => u.worker_id),
          updates.map((u) => u.lease_before),
        ],
      });
      return applied.map((row) => Number(row.job_index));
    },
    async requestCancel(workflowId) {
      await client.query({
        text: `WITH held AS MATERIALIZED (
            SELECT job_index FROM jobs WHERE workflow_id = $1 AND status = 'running' ORDER BY job_index FOR NO KEY UPDATE
          )
          UPDATE jobs j SET cancel_requested = true FROM held WHERE j.workflow_id = $1 AND j.job_index = held.job_index`,
        values: [workflowId],
      });
    },
    async bumpActions(workflowId, increments) {
      const bumped = await rows({
        name: 'hf_wf_bump_actions',
        text: BUMP_ACTIONS,
        values: [workflowId, increments.map(([index]) => index), increments.map(([, by]) => by)],
      });
      return bumped
        .map((row) => ({
          index: Number(row.action_index),
          trigger_type: row.trigger_type as TriggerType,
          action_type: String(row.action_type),
          trigger_count: Number(row.trigger_count),
          by: Number(row.increment),
          required_triggers: Number(row.required_triggers),
          status: String(row.status),
        }))
        .sort((a, b) => a.index - b.index);
    },
    async fireWorkflowComplete(workflowId) {
      const fired = await rows({
        text: `UPDATE workflow_actions SET status = 'pending', trigger_count = required_triggers
          WHERE workflow_id = $1 AND trigger_type = 'on_workflow_complete' AND status = 'waiting'
          RETURNING action_index, trigger_type, action_type`,
        values: [workflowId],
      });
      return fired
        .map((row): FiredAction => ({ index: Number(row.action_index), trigger_type: row.trigger_type as TriggerType, action_type: String(row.action_type) }))
        .sort((a, b) => a.index - b.index);
    },
    async saveProgress(workflowId, progress) {
      await client.query({
        name: 'hf_wf_save_progress',
        text: `UPDATE workflows SET unfinished_count = $2, failed_count = $3, status = $4, ended_at = coalesce($5, ended_at), updated_at = $6
          WHERE id = $1`,
        values: [workflowId, progress.unfinished_count, progress.failed_count, progress.status, progress.ended_at, progress.updated_at],
      });
    },
    async restartJobs(workflowId) {
      return states({ text: `SELECT ${JOB_STATE_COLUMNS} FROM jobs WHERE workflow_id = $1 ORDER BY job_index`, values: [workflowId] });
    },
    async resetJobs(workflowId, run, jobs) {
      if (jobs.length === 0) return;
      await client.query({
        text: `UPDATE jobs j SET status = u.status, run = $2, attempts = 0, exit_code = NULL, worker_id = NULL, lease_expires_at = NULL,
            ready_at = NULL, started_at = NULL, ended_at = NULL, outputs = NULL, error = NULL, stdout_tail = NULL, stderr_tail = NULL, log_dir = NULL,
            cancel_requested = false, remaining = u.remaining, counted = u.counted
          FROM unnest($3::int[], $4::text[], $5::int[], $6::int[]) AS u(job_index, status, remaining, counted)
          WHERE j.workflow_id = $1 AND j.job_index = u.job_index`,
        values: [workflowId, run, jobs.map((job) => job.index), jobs.map((job) => job.to), jobs.map((job) => job.remaining), jobs.map((job) => job.counted)],
      });
    },
    async restartActions(workflowId) {
      const found = await rows({
        text: `SELECT a.action_index, a.trigger_type, a.action_type, s.selected_jobs, a.required_triggers FROM ${ACTIONS_FROM}
          WHERE a.workflow_id = $1 ORDER BY a.action_index`,
        values: [workflowId],
      });
      return found.map((row) => ({
        index: Number(row.action_index),
        trigger_type: row.trigger_type as TriggerType,
        action_type: String(row.action_type),
        selected_jobs: (row.selected_jobs as unknown[]).map(Number),
        required_triggers: Number(row.required_triggers),
      }));
    },
    async resetActions(workflowId, actionStates) {
      await client.query({
        text: `UPDATE workflow_actions a SET trigger_count = u.trigger_count, status = u.status
          FROM unnest($2::int[], $3::int[], $4::text[]) AS u(action_index, trigger_count, status)
          WHERE a.workflow_id = $1 AND a.action_index = u.action_index`,
        values: [workflowId, actionStates.map((s) => s.index), actionStates.map((s) => s.trigger_count), actionStates.map((s) => s.status)],
      });
    },
    async beginRun(workflowId, run) {
      await client.query({
        text: `UPDATE workflows SET run = $2, status = 'running', unfinished_count = $3, failed_count = 0, started_at = $4, updated_at = $4,
            ended_at = NULL, error = NULL, outputs = NULL WHERE id = $1`,
        values: [workflowId, run.run, run.unfinished_count, run.now],
      });
    },
  };
}
