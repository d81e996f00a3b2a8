import type pg from 'pg';
import { HookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import {
  byId,
  EXECUTION_INSERT_COLUMNS,
  ExecutionClaimPlan,
  executionCounts,
  executionInsertValues,
  FINISHED_SQL,
  newExecutionRecord,
  storableJson,
  storableText,
  toProgramExecution,
  wholeCount,
} from '../program-rows.js';
import type {
  ClaimLimits,
  ExecutionCounts,
  ExecutionEnd,
  ExecutionQuery,
  ExecutionRecord,
  ExecutionRetention,
  ExecutionStore,
  NewExecution,
} from '../programs.js';
import type { Row } from '../rows.js';
import { retryTransient } from './connection.js';

/**
 * First key of the advisory lock that serialises execution claims ("hkex"); the second is the
 * schema's hash, so hookflow instances in other schemas of the database never wait on it.
 */
const CLAIM_LOCK_KEY = 0x686b6578;

/** Attempts of one atomic statement that PostgreSQL aborted to break a deadlock. */
const TRANSIENT_ATTEMPTS = 3;

const RUNNING_BY_PROGRAM = `SELECT program_id, COUNT(*) AS n FROM program_executions WHERE status = 'running' GROUP BY program_id`;

/** $1 after id, $2 saturated programs, $3 allowed programs (null: any), $4 limit. */
const QUEUED = `SELECT id, program_id FROM program_executions
  WHERE status = 'queued' AND id > $1 AND program_id <> ALL($2::text[]) AND ($3::text[] IS NULL OR program_id = ANY($3::text[]))
  ORDER BY id LIMIT $4`;

/** $1 ids, $2 owner, $3 lease until, $4 now. */
const TAKE = `UPDATE program_executions SET status = 'running', owner = $2, lease_expires_at = $3, started_at = $4
  WHERE id = ANY($1::text[]) AND status = 'queued' RETURNING *`;

/** $1 id, $2 owner, $3 status, $4 exit code, $5 error, $6 output, $7 error output, $8 output truncated, $9 error output truncated, $10 details, $11 ended at. */
const FINISH = `UPDATE program_executions SET status = $3, exit_code = $4, error = $5, output = $6, error_output = $7,
    output_truncated = $8, error_output_truncated = $9, details = details || $10::jsonb, ended_at = $11, owner = NULL, lease_expires_at = NULL
  WHERE id = $1 AND owner = $2 AND status = 'running' RETURNING *`;

/**
 * Program executions in the PostgreSQL store. Each transition is one statement guarded by the
 * status it leaves (row locks settle races between them); claims, which read the running count
 * before they write, run in a transaction under a transaction-scoped advisory lock, so claimers on
 * any number of servers take turns and never exceed the limits together.
 */
export class PostgresExecutions implements ExecutionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: <T>(run: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  private async rows(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows;
  }

  /** Runs one atomic statement again when PostgreSQL broke a deadlock by aborting it. */
  private retrying<T>(run: () => Promise<T>): Promise<T> {
    return retryTransient(run, TRANSIENT_ATTEMPTS);
  }

  async insertExecution(execution: NewExecution): Promise<ExecutionRecord> {
    const record = newExecutionRecord(execution);
    try {
      await this.pool.query({
        text: `INSERT INTO program_executions (${EXECUTION_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)`,
        values: executionInsertValues(record),
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new HookflowError('HF_ERR_CONFLICT', `an execution with id ${execution.id} exists already`, { where: 'program_executions' });
      }
      throw error;
    }
    return record;
  }

  async getExecution(id: string): Promise<ExecutionRecord | null> {
    const rows = await this.rows({ text: 'SELECT * FROM program_executions WHERE id = $1', values: [id] });
    return rows.length > 0 ? toProgramExecution(rows[0]) : null;
  }

  async listExecutions(query: ExecutionQuery): Promise<ExecutionRecord[]> {
    const { where, values } = filters(query);
    values.push(wholeCount(query.limit), wholeCount(query.offset ?? 0));
    const text = `SELECT * FROM program_executions ${where} ORDER BY created_at DESC, id DESC LIMIT $${values.length - 1} OFFSET $${values.length}`;
    return (await this.rows({ text, values })).map(toProgramExecution);
  }

  async countExecutions(query: Omit<ExecutionQuery, 'limit' | 'offset'>): Promise<number> {
    const { where, values } = filters(query);
    const rows = await this.rows({ text: `SELECT COUNT(*) AS n FROM program_executions ${where}`, values });
    return Number(rows[0].n);
  }

  async claimExecutions(owner: string, leaseMs: number, limits: ClaimLimits, max: number, now: number): Promise<ExecutionRecord[]> {
    if (wholeCount(max) === 0 || wholeCount(limits.maxConcurrent) === 0 || limits.programs?.length === 0) return [];
    const rows = await this.retrying(() =>
      this.transaction(async (client) => {
        await client.query({ text: 'SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', values: [CLAIM_LOCK_KEY] });
        // Counted under the lock: the last claimer's running rows are committed and seen here.
        const running = await client.query<Row>(RUNNING_BY_PROGRAM);
        const plan = new ExecutionClaimPlan(
          running.rows.map((row) => ({ program_id: String(row.program_id), running: Number(row.n) })),
          limits,
          max,
        );
        let after = '';
        while (plan.room > 0) {
          const batch = plan.batch;
          const found = (await client.query<Row>({ text: QUEUED, values: [after, plan.saturated(), plan.programs, batch] })).rows;
          for (const row of found) {
            if (plan.room === 0) break;
            plan.offer(String(row.id), String(row.program_id));
          }
          if (found.length < batch) break;
          after = String(found[found.length - 1].id);
        }
        if (plan.chosen.length === 0) return [];
        // A queued execution canceled meanwhile is left out by the status guard.
        return (await client.query<Row>({ text: TAKE, values: [plan.chosen, owner, now + leaseMs, now] })).rows;
      }),
    );
    return rows.map(toProgramExecution).sort(byId);
  }

  async renewExecutionLeases(owner: string, leaseMs: number, now: number): Promise<{ renewed: number; cancelRequested: string[] }> {
    const rows = await this.retrying(() =>
      this.rows({
        text: `UPDATE program_executions SET lease_expires_at = $2 WHERE owner = $1 AND status = 'running' RETURNING id, cancel_requested`,
        values: [owner, now + leaseMs],
      }),
    );
    return {
      renewed: rows.length,
      cancelRequested: rows
        .filter((row) => row.cancel_requested === true)
        .map((row) => String(row.id))
        .sort(),
    };
  }

  async updateExecutionDetails(id: string, owner: string, details: JsonObject): Promise<boolean> {
    const rows = await this.rows({
      text: `UPDATE program_executions SET details = details || $3::jsonb WHERE id = $1 AND owner = $2 AND status = 'running' RETURNING id`,
      values: [id, owner, storableJson(details)],
    });
    return rows.length === 1;
  }

  async finishExecution(id: string, owner: string, end: ExecutionEnd): Promise<ExecutionRecord | null> {
    const rows = await this.rows({
      text: FINISH,
      values: [
        id,
        owner,
        end.status,
        end.exit_code,
        end.error === null ? null : storableText(end.error),
        storableText(end.output),
        storableText(end.error_output),
        end.output_truncated,
        end.error_output_truncated,
        storableJson(end.details),
        end.ended_at,
      ],
    });
    return rows.length > 0 ? toProgramExecution(rows[0]) : null;
  }

  async cancelExecution(
    id: string,
    now: number,
    reason: string,
  ): Promise<{ state: 'canceled' | 'requested' | 'finished'; execution: ExecutionRecord } | null> {
    const outcome = await this.transaction(async (client) => {
      // The row lock holds off a claim or finish until this cancel has decided.
      const found = await client.query<Row>({ text: 'SELECT * FROM program_executions WHERE id = $1 FOR UPDATE', values: [id] });
      const row = found.rows[0];
      if (!row) return null;
      if (row.status === 'queued') {
        const canceled = await client.query<Row>({
          text: `UPDATE program_executions SET status = 'canceled', ended_at = $2, error = $3 WHERE id = $1 RETURNING *`,
          values: [id, now, storableText(reason)],
        });
        return { state: 'canceled' as const, row: canceled.rows[0] };
      }
      if (row.status === 'running') {
        const requested = await client.query<Row>({
          text: 'UPDATE program_executions SET cancel_requested = true WHERE id = $1 RETURNING *',
          values: [id],
        });
        return { state: 'requested' as const, row: requested.rows[0] };
      }
      return { state: 'finished' as const, row };
    });
    return outcome ? { state: outcome.state, execution: toProgramExecution(outcome.row) } : null;
  }

  async failExpiredExecutions(now: number, error: string): Promise<ExecutionRecord[]> {
    // A renewal or finish that commits first wins: the guard is evaluated again on the locked row.
    const rows = await this.retrying(() =>
      this.rows({
        text: `UPDATE program_executions SET status = 'failed', error = $2, ended_at = $1, owner = NULL, lease_expires_at = NULL
          WHERE status = 'running' AND lease_expires_at < $1 RETURNING *`,
        values: [now, storableText(error)],
      }),
    );
    return rows.map(toProgramExecution).sort(byId);
  }

  async listRunningExecutions(): Promise<ExecutionRecord[]> {
    return (await this.rows({ text: `SELECT * FROM program_executions WHERE status = 'running' ORDER BY id` })).map(toProgramExecution);
  }

  async queuePosition(id: string): Promise<number | null> {
    const rows = await this.rows({
      text: `SELECT CASE WHEN e.status = 'queued'
          THEN 1 + (SELECT COUNT(*) FROM program_executions q WHERE q.status = 'queued' AND q.id < e.id) END AS position
        FROM program_executions e WHERE e.id = $1`,
      values: [id],
    });
    return rows.length > 0 && rows[0].position !== null ? Number(rows[0].position) : null;
  }

  async countExecutionsByStatusAndProgram(): Promise<ExecutionCounts> {
    return executionCounts(await this.rows({ text: 'SELECT status, program_id, COUNT(*) AS total FROM program_executions GROUP BY status, program_id' }));
  }

  async deleteFinishedExecutions(rule: ExecutionRetention): Promise<number> {
    if (rule.endedBefore === null && rule.keepLast === null) return 0;
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const scope = `status IN ${FINISHED_SQL}${rule.program_id != null ? ` AND program_id = ${param(rule.program_id)}` : ''}`;
    const goes: string[] = [];
    if (rule.endedBefore !== null) goes.push(`ended_at < ${param(rule.endedBefore)}`);
    if (rule.keepLast !== null) {
      goes.push(`id NOT IN (SELECT id FROM program_executions WHERE ${scope}
        ORDER BY coalesce(ended_at, 0) DESC, id DESC LIMIT ${param(wholeCount(rule.keepLast))})`);
    }
    const deleted = await this.pool.query({ text: `DELETE FROM program_executions WHERE ${scope} AND (${goes.join(' OR ')})`, values });
    return deleted.rowCount ?? 0;
  }
}

/** The WHERE clause of a list or count, with its values ($1…). */
function filters(query: Omit<ExecutionQuery, 'limit' | 'offset'>): { where: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  for (const column of ['program_id', 'status', 'trigger'] as const) {
    const value = query[column];
    if (value === undefined) continue;
    values.push(value);
    where.push(`${column} = $${values.length}`);
  }
  if (query.since !== undefined) {
    values.push(query.since);
    where.push(`created_at >= $${values.length}`);
  }
  if (query.until !== undefined) {
    values.push(query.until);
    where.push(`created_at <= $${values.length}`);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', values };
}
