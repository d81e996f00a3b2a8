import { HookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import {
  byId,
  EXECUTION_INSERT_COLUMNS,
  ExecutionClaimPlan,
  executionCounts,
  executionInsertValues,
  FINISHED_SQL,
  mergeDetails,
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
import type { SqliteAccess } from './access.js';

/**
 * Program executions in the SQLite store. Every write goes through the store's write queue, whose
 * transactions begin IMMEDIATE: the write lock on the file is held from the first read, so a
 * claim's count of running executions and its updates form one step across every process.
 */
export class SqliteExecutions implements ExecutionStore {
  constructor(private readonly db: SqliteAccess) {}

  async insertExecution(execution: NewExecution): Promise<ExecutionRecord> {
    const record = newExecutionRecord(execution);
    const insert = this.db.stmt(`INSERT INTO program_executions (${EXECUTION_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    try {
      await this.db.write(() => insert.run(...executionInsertValues(record)));
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new HookflowError('HF_ERR_CONFLICT', `an execution with id ${execution.id} exists already`, { where: 'program_executions' });
      }
      throw error;
    }
    return record;
  }

  async getExecution(id: string): Promise<ExecutionRecord | null> {
    const row = this.db.stmt('SELECT * FROM program_executions WHERE id = ?').get(id) as Row | undefined;
    return row ? toProgramExecution(row) : null;
  }

  async listExecutions(query: ExecutionQuery): Promise<ExecutionRecord[]> {
    const { where, params } = filters(query);
    const sql = `SELECT * FROM program_executions ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`;
    const rows = this.db.stmt(sql).all(...params, wholeCount(query.limit), wholeCount(query.offset ?? 0)) as Row[];
    return rows.map(toProgramExecution);
  }

  async countExecutions(query: Omit<ExecutionQuery, 'limit' | 'offset'>): Promise<number> {
    const { where, params } = filters(query);
    return Number((this.db.stmt(`SELECT COUNT(*) AS n FROM program_executions ${where}`).get(...params) as Row).n);
  }

  async claimExecutions(owner: string, leaseMs: number, limits: ClaimLimits, max: number, now: number): Promise<ExecutionRecord[]> {
    if (wholeCount(max) === 0 || wholeCount(limits.maxConcurrent) === 0 || limits.programs?.length === 0) return [];
    const running = this.db.stmt(`SELECT program_id, COUNT(*) AS n FROM program_executions WHERE status = 'running' GROUP BY program_id`);
    const queued = this.db.stmt(`SELECT id, program_id FROM program_executions
      WHERE status = 'queued' AND id > ?
        AND program_id NOT IN (SELECT value FROM json_each(?))
        AND (? IS NULL OR program_id IN (SELECT value FROM json_each(?)))
      ORDER BY id LIMIT ?`);
    const take = this.db.stmt(`UPDATE program_executions SET status = 'running', owner = ?, lease_expires_at = ?, started_at = ?
      WHERE id = ? AND status = 'queued' RETURNING *`);
    const rows = await this.db.write(() => {
      const plan = new ExecutionClaimPlan(
        (running.all() as Row[]).map((row) => ({ program_id: String(row.program_id), running: Number(row.n) })),
        limits,
        max,
      );
      const programs = plan.programs === null ? null : JSON.stringify(plan.programs);
      let after = '';
      while (plan.room > 0) {
        const batch = plan.batch;
        const found = queued.all(after, JSON.stringify(plan.saturated()), programs, programs, batch) as Row[];
        for (const row of found) {
          if (plan.room === 0) break;
          plan.offer(String(row.id), String(row.program_id));
        }
        if (found.length < batch) break;
        after = String(found[found.length - 1].id);
      }
      const claimed: Row[] = [];
      for (const id of plan.chosen) {
        const row = take.get(owner, now + leaseMs, now, id) as Row | undefined;
        if (row) claimed.push(row);
      }
      return claimed;
    });
    return rows.map(toProgramExecution).sort(byId);
  }

  async renewExecutionLeases(owner: string, leaseMs: number, now: number): Promise<{ renewed: number; cancelRequested: string[] }> {
    const renew = this.db.stmt(`UPDATE program_executions SET lease_expires_at = ?
      WHERE owner = ? AND status = 'running' RETURNING id, cancel_requested`);
    const rows = await this.db.write(() => renew.all(now + leaseMs, owner) as Row[]);
    return {
      renewed: rows.length,
      cancelRequested: rows
        .filter((row) => Number(row.cancel_requested) === 1)
        .map((row) => String(row.id))
        .sort(),
    };
  }

  async updateExecutionDetails(id: string, owner: string, details: JsonObject): Promise<boolean> {
    const read = this.db.stmt(`SELECT details FROM program_executions WHERE id = ? AND owner = ? AND status = 'running'`);
    const update = this.db.stmt('UPDATE program_executions SET details = ? WHERE id = ?');
    return this.db.write(() => {
      const row = read.get(id, owner) as Row | undefined;
      if (!row) return false;
      update.run(storableJson(mergeDetails(row.details, details)), id);
      return true;
    });
  }

  async finishExecution(id: string, owner: string, end: ExecutionEnd): Promise<ExecutionRecord | null> {
    const read = this.db.stmt(`SELECT details FROM program_executions WHERE id = ? AND owner = ? AND status = 'running'`);
    const finish = this.db.stmt(`UPDATE program_executions SET status = ?, exit_code = ?, error = ?, output = ?, error_output = ?,
        output_truncated = ?, error_output_truncated = ?, details = ?, ended_at = ?, owner = NULL, lease_expires_at = NULL
      WHERE id = ? AND owner = ? AND status = 'running' RETURNING *`);
    const row = await this.db.write(() => {
      const running = read.get(id, owner) as Row | undefined;
      if (!running) return undefined;
      return finish.get(
        end.status,
        end.exit_code,
        end.error === null ? null : storableText(end.error),
        storableText(end.output),
        storableText(end.error_output),
        end.output_truncated ? 1 : 0,
        end.error_output_truncated ? 1 : 0,
        storableJson(mergeDetails(running.details, end.details)),
        end.ended_at,
        id,
        owner,
      ) as Row | undefined;
    });
    return row ? toProgramExecution(row) : null;
  }

  async cancelExecution(
    id: string,
    now: number,
    reason: string,
  ): Promise<{ state: 'canceled' | 'requested' | 'finished'; execution: ExecutionRecord } | null> {
    const read = this.db.stmt('SELECT * FROM program_executions WHERE id = ?');
    const cancelQueued = this.db.stmt(`UPDATE program_executions SET status = 'canceled', ended_at = ?, error = ?
      WHERE id = ? AND status = 'queued' RETURNING *`);
    const requestCancel = this.db.stmt(`UPDATE program_executions SET cancel_requested = 1
      WHERE id = ? AND status = 'running' RETURNING *`);
    const outcome = await this.db.write(() => {
      const row = read.get(id) as Row | undefined;
      if (!row) return null;
      if (row.status === 'queued') return { state: 'canceled' as const, row: cancelQueued.get(now, storableText(reason), id) as Row };
      if (row.status === 'running') return { state: 'requested' as const, row: requestCancel.get(id) as Row };
      return { state: 'finished' as const, row };
    });
    return outcome ? { state: outcome.state, execution: toProgramExecution(outcome.row) } : null;
  }

  async failExpiredExecutions(now: number, error: string): Promise<ExecutionRecord[]> {
    const fail = this.db.stmt(`UPDATE program_executions SET status = 'failed', error = ?, ended_at = ?, owner = NULL, lease_expires_at = NULL
      WHERE status = 'running' AND lease_expires_at < ? RETURNING *`);
    const rows = await this.db.write(() => fail.all(storableText(error), now, now) as Row[]);
    return rows.map(toProgramExecution).sort(byId);
  }

  async listRunningExecutions(): Promise<ExecutionRecord[]> {
    return (this.db.stmt(`SELECT * FROM program_executions WHERE status = 'running' ORDER BY id`).all() as Row[]).map(toProgramExecution);
  }

  async queuePosition(id: string): Promise<number | null> {
    const row = this.db
      .stmt(`SELECT CASE WHEN e.status = 'queued'
          THEN 1 + (SELECT COUNT(*) FROM program_executions q WHERE q.status = 'queued' AND q.id < e.id) END AS position
        FROM program_executions e WHERE e.id = ?`)
      .get(id) as Row | undefined;
    return row && row.position !== null ? Number(row.position) : null;
  }

  async countExecutionsByStatusAndProgram(): Promise<ExecutionCounts> {
    const rows = this.db.stmt('SELECT status, program_id, COUNT(*) AS total FROM program_executions GROUP BY status, program_id').all() as Row[];
    return executionCounts(rows);
  }

  async deleteFinishedExecutions(rule: ExecutionRetention): Promise<number> {
    if (rule.endedBefore === null && rule.keepLast === null) return 0;
    const scope = `status IN ${FINISHED_SQL}${rule.program_id != null ? ' AND program_id = @program' : ''}`;
    const goes: string[] = [];
    if (rule.endedBefore !== null) goes.push('ended_at < @before');
    if (rule.keepLast !== null) {
      goes.push(`id NOT IN (SELECT id FROM program_executions WHERE ${scope} ORDER BY coalesce(ended_at, 0) DESC, id DESC LIMIT @keep)`);
    }
    const remove = this.db.stmt(`DELETE FROM program_executions WHERE ${scope} AND (${goes.join(' OR ')})`);
    const params: Record<string, unknown> = {};
    if (rule.program_id != null) params.program = rule.program_id;
    if (rule.endedBefore !== null) params.before = rule.endedBefore;
    if (rule.keepLast !== null) params.keep = wholeCount(rule.keepLast);
    return this.db.write(() => remove.run(params).changes);
  }
}

/** The WHERE clause of a list or count. */
function filters(query: Omit<ExecutionQuery, 'limit' | 'offset'>): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ['program_id', 'status', 'trigger'] as const) {
    const value = query[column];
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (query.since !== undefined) {
    where.push('created_at >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    where.push('created_at <= ?');
    params.push(query.until);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}
