import type pg from 'pg';
import { jsonParam, toWait, waitInsertValues, type Row } from '../rows.js';
import type { HandledPair, PendingPairQuery, WaitEnd, WaitProgress, WaitQuery, WaitRecord, WaitStore } from '../waits.js';

/**
 * Parked steps in the PostgreSQL store. Every transition is one statement guarded by
 * status = 'waiting'; a transition caused by an event marks its (wait, event) pair handled in a
 * data-modifying CTE of the same statement, so both commit together.
 */

/** $1 wait id, $2 event id, $3 outcome, $4 now: marks a pair handled, claimed or not. */
const MARK_PAIR = `INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at, outcome, handled_at)
  SELECT $1, $2, '', 0, $3, $4 WHERE $2::text IS NOT NULL
  ON CONFLICT (wait_id, event_id) DO UPDATE SET outcome = EXCLUDED.outcome, handled_at = EXCLUDED.handled_at`;

/** $1 id, $2 status, $3 outputs, $4 error, $5 now, $6 event id (or null), $7 outcome. */
const FINISH_WAIT = `
WITH finished AS (
  UPDATE waits SET status = $2, outputs = $3::jsonb, error = $4, updated_at = $5
  WHERE id = $1 AND status = 'waiting' RETURNING *
), handled AS (
  INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at, outcome, handled_at)
  SELECT $1, $6, '', 0, $7, $5 WHERE $6::text IS NOT NULL
  ON CONFLICT (wait_id, event_id) DO UPDATE SET outcome = EXCLUDED.outcome, handled_at = EXCLUDED.handled_at
)
SELECT * FROM finished`;

/** $1 id, $2 progress, $3 eta_minutes, $4 now, $5 event id (or null), $6 outcome. */
const UPDATE_PROGRESS = `
WITH updated AS (
  UPDATE waits SET progress = coalesce($2::float8, progress), eta_minutes = coalesce($3::float8, eta_minutes), updated_at = $4
  WHERE id = $1 AND status = 'waiting' RETURNING *
), handled AS (
  INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at, outcome, handled_at)
  SELECT $1, $5, '', 0, $6, $4 WHERE $5::text IS NOT NULL
  ON CONFLICT (wait_id, event_id) DO UPDATE SET outcome = EXCLUDED.outcome, handled_at = EXCLUDED.handled_at
)
SELECT * FROM updated`;

/** $1 wait id, $2 event id, $3 owner, $4 lease until, $5 now. */
const CLAIM_PAIR = `
INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at)
SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM waits WHERE id = $1 AND status = 'waiting')
ON CONFLICT (wait_id, event_id) DO UPDATE SET owner = EXCLUDED.owner, lease_expires_at = EXCLUDED.lease_expires_at
  WHERE wait_events.outcome IS NULL AND wait_events.lease_expires_at <= $5
RETURNING wait_id`;

/** $1 since, $2 lookback ms, $3 now, $4 limit. */
const PENDING_PAIRS = `
SELECT w.id AS wait_id, e.id AS event_id
FROM waits w JOIN events e ON e.correlation_id = w.correlation_id
WHERE w.status = 'waiting'
  AND e.created_at >= CASE WHEN w.created_at < $1 THEN greatest($1, w.created_at - $2) ELSE w.created_at - $2 END
  AND NOT EXISTS (SELECT 1 FROM wait_events we WHERE we.wait_id = w.id AND we.event_id = e.id
                  AND (we.outcome IS NOT NULL OR we.lease_expires_at > $3))
ORDER BY e.id, w.id LIMIT $4`;

/** $1 now (written), $2 due before, $3 limit. SKIP LOCKED: two servers expire disjoint rows. */
const EXPIRE_WAITS = `
UPDATE waits SET status = 'timeout', error = 'no event for workflow id ' || correlation_id || ' before the deadline', updated_at = $1
WHERE id IN (
  SELECT id FROM waits WHERE status = 'waiting' AND deadline <= $2 ORDER BY deadline LIMIT $3 FOR UPDATE SKIP LOCKED
) AND status = 'waiting'
RETURNING *`;

/** $1 retry at, $2 now (written), $3 due before, $4 limit. */
const TAKE_DUE_TIMERS = `
UPDATE waits SET wake_at = $1, updated_at = $2
WHERE id IN (
  SELECT id FROM waits WHERE status = 'waiting' AND wake_at IS NOT NULL AND wake_at <= $3 ORDER BY wake_at LIMIT $4 FOR UPDATE SKIP LOCKED
) AND status = 'waiting' AND wake_at <= $3
RETURNING *`;

export class PostgresWaits implements WaitStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: <T>(run: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  private async rows(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows;
  }

  async createWait(wait: WaitRecord, options: { ignoreEvents?: readonly string[] } = {}): Promise<void> {
    const insert = {
      text: `INSERT INTO waits (id, action_type, correlation_id, owner_kind, owner_id, params, outputs, metadata,
          status, deadline, wake_at, progress, eta_minutes, error, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, $16)`,
      values: waitInsertValues(wait),
    };
    const ignore = options.ignoreEvents ?? [];
    if (ignore.length === 0) {
      await this.pool.query(insert);
      return;
    }
    await this.transaction(async (client) => {
      await client.query(insert);
      await client.query({
        text: `INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at, outcome, handled_at)
          SELECT $1, unnest($2::text[]), 'park', 0, 'ignore', $3 ON CONFLICT (wait_id, event_id) DO NOTHING`,
        values: [wait.id, [...ignore], wait.created_at],
      });
    });
  }

  async getWait(id: string): Promise<WaitRecord | null> {
    const rows = await this.rows({ text: 'SELECT * FROM waits WHERE id = $1', values: [id] });
    return rows.length > 0 ? toWait(rows[0]) : null;
  }

  async listWaits(query: WaitQuery): Promise<WaitRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    for (const column of ['status', 'owner_kind', 'owner_id', 'correlation_id'] as const) {
      const value = query[column];
      if (value === undefined) continue;
      values.push(value);
      where.push(`${column} = $${values.length}`);
    }
    values.push(Math.max(0, Math.floor(query.limit)));
    const text = `SELECT * FROM waits ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`;
    return (await this.rows({ text, values })).map(toWait);
  }

  async hasWaiting(): Promise<boolean> {
    return (await this.rows({ text: `SELECT 1 FROM waits WHERE status = 'waiting' LIMIT 1` })).length > 0;
  }

  async pendingPairs(query: PendingPairQuery): Promise<Array<{ wait_id: string; event_id: string }>> {
    const rows = await this.rows({ text: PENDING_PAIRS, values: [query.since, query.lookbackMs, query.now, query.limit] });
    return rows.map((row) => ({ wait_id: String(row.wait_id), event_id: String(row.event_id) }));
  }

  async claimPair(waitId: string, eventId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    return (await this.rows({ text: CLAIM_PAIR, values: [waitId, eventId, owner, now + leaseMs, now] })).length === 1;
  }

  async markHandled(waitId: string, pair: HandledPair): Promise<void> {
    await this.pool.query({ text: MARK_PAIR, values: [waitId, pair.event_id, pair.outcome, Date.now()] });
  }

  async finishWait(id: string, end: WaitEnd, pair?: HandledPair): Promise<WaitRecord | null> {
    const rows = await this.rows({
      text: FINISH_WAIT,
      values: [id, end.status, jsonParam(end.outputs), end.error, Date.now(), pair?.event_id ?? null, pair?.outcome ?? null],
    });
    return rows.length > 0 ? toWait(rows[0]) : null;
  }

  async updateProgress(id: string, progress: WaitProgress, pair?: HandledPair): Promise<WaitRecord | null> {
    const rows = await this.rows({
      text: UPDATE_PROGRESS,
      values: [id, progress.progress, progress.eta_minutes, Date.now(), pair?.event_id ?? null, pair?.outcome ?? null],
    });
    return rows.length > 0 ? toWait(rows[0]) : null;
  }

  async expireWaits(now: number, limit: number): Promise<WaitRecord[]> {
    const rows = await this.rows({ text: EXPIRE_WAITS, values: [Date.now(), now, limit] });
    return rows.map(toWait).sort((a, b) => a.deadline - b.deadline);
  }

  async takeDueTimers(now: number, retryMs: number, limit: number): Promise<WaitRecord[]> {
    return (await this.rows({ text: TAKE_DUE_TIMERS, values: [now + retryMs, Date.now(), now, limit] })).map(toWait);
  }

  async deleteWaitsBefore(before: number): Promise<number> {
    const deleted = await this.pool.query({ text: `DELETE FROM waits WHERE status <> 'waiting' AND updated_at < $1`, values: [before] });
    return deleted.rowCount ?? 0;
  }
}
