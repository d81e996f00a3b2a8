import { toWait, waitInsertValues, type Row } from '../rows.js';
import type { HandledPair, PendingPairQuery, WaitEnd, WaitProgress, WaitQuery, WaitRecord, WaitStore } from '../waits.js';
import type { SqliteAccess } from './access.js';

/** What a timed-out wait says, written by the same statement that times it out. */
const TIMEOUT_ERROR = `'no event for workflow id ' || correlation_id || ' before the deadline'`;

/** Parked steps in the SQLite store; every transition is one statement guarded by status = 'waiting'. */
export class SqliteWaits implements WaitStore {
  constructor(private readonly db: SqliteAccess) {}

  async createWait(wait: WaitRecord, options: { ignoreEvents?: readonly string[] } = {}): Promise<void> {
    const insert = this.db.stmt(`INSERT INTO waits (id, action_type, correlation_id, owner_kind, owner_id, params, outputs, metadata,
        status, deadline, wake_at, progress, eta_minutes, error, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const ignore = this.db.stmt(`INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at, outcome, handled_at)
      VALUES (?, ?, 'park', 0, 'ignore', ?) ON CONFLICT (wait_id, event_id) DO NOTHING`);
    await this.db.write(() => {
      insert.run(...waitInsertValues(wait));
      for (const eventId of options.ignoreEvents ?? []) ignore.run(wait.id, eventId, wait.created_at);
    });
  }

  async getWait(id: string): Promise<WaitRecord | null> {
    const row = this.db.stmt('SELECT * FROM waits WHERE id = ?').get(id) as Row | undefined;
    return row ? toWait(row) : null;
  }

  async listWaits(query: WaitQuery): Promise<WaitRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const column of ['status', 'owner_kind', 'owner_id', 'correlation_id'] as const) {
      const value = query[column];
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const sql = `SELECT * FROM waits ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.db.stmt(sql).all(...params, Math.max(0, Math.floor(query.limit))) as Row[]).map(toWait);
  }

  async hasWaiting(): Promise<boolean> {
    return this.db.stmt(`SELECT 1 FROM waits WHERE status = 'waiting' LIMIT 1`).get() !== undefined;
  }

  async pendingPairs(query: PendingPairQuery): Promise<Array<{ wait_id: string; event_id: string }>> {
    const rows = this.db
      .stmt(
        `SELECT w.id AS wait_id, e.id AS event_id
         FROM waits w JOIN events e ON e.correlation_id = w.correlation_id
         WHERE w.status = 'waiting'
           AND e.created_at >= CASE WHEN w.created_at < @since THEN MAX(@since, w.created_at - @lookback) ELSE w.created_at - @lookback END
           AND NOT EXISTS (SELECT 1 FROM wait_events we WHERE we.wait_id = w.id AND we.event_id = e.id
                           AND (we.outcome IS NOT NULL OR we.lease_expires_at > @now))
         ORDER BY e.id, w.id LIMIT @limit`,
      )
      .all({ since: query.since, lookback: query.lookbackMs, now: query.now, limit: query.limit }) as Row[];
    return rows.map((row) => ({ wait_id: String(row.wait_id), event_id: String(row.event_id) }));
  }

  async claimPair(waitId: string, eventId: string, owner: string, leaseMs: number): Promise<boolean> {
    const waiting = this.db.stmt(`SELECT 1 FROM waits WHERE id = ? AND status = 'waiting'`);
    const claim = this.db.stmt(`INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (wait_id, event_id) DO UPDATE SET owner = excluded.owner, lease_expires_at = excluded.lease_expires_at
        WHERE wait_events.outcome IS NULL AND wait_events.lease_expires_at <= ?`);
    return this.db.write(() => {
      if (waiting.get(waitId) === undefined) return false;
      const now = Date.now();
      return claim.run(waitId, eventId, owner, now + leaseMs, now).changes === 1;
    });
  }

  async markHandled(waitId: string, pair: HandledPair): Promise<void> {
    const mark = this.handledStatement();
    await this.db.write(() => mark.run(waitId, pair.event_id, pair.outcome, Date.now()));
  }

  async finishWait(id: string, end: WaitEnd, pair?: HandledPair): Promise<WaitRecord | null> {
    const finish = this.db.stmt(`UPDATE waits SET status = ?, outputs = ?, error = ?, updated_at = ?
      WHERE id = ? AND status = 'waiting' RETURNING *`);
    const mark = this.handledStatement();
    return this.db.write(() => {
      const now = Date.now();
      const row = finish.get(end.status, JSON.stringify(end.outputs), end.error, now, id) as Row | undefined;
      if (pair) mark.run(id, pair.event_id, pair.outcome, now);
      return row ? toWait(row) : null;
    });
  }

  async updateProgress(id: string, progress: WaitProgress, pair?: HandledPair): Promise<WaitRecord | null> {
    const update = this.db.stmt(`UPDATE waits SET progress = coalesce(?, progress), eta_minutes = coalesce(?, eta_minutes), updated_at = ?
      WHERE id = ? AND status = 'waiting' RETURNING *`);
    const mark = this.handledStatement();
    return this.db.write(() => {
      const now = Date.now();
      const row = update.get(progress.progress, progress.eta_minutes, now, id) as Row | undefined;
      if (pair) mark.run(id, pair.event_id, pair.outcome, now);
      return row ? toWait(row) : null;
    });
  }

  async expireWaits(now: number, limit: number): Promise<WaitRecord[]> {
    const expire = this.db.stmt(`UPDATE waits SET status = 'timeout', error = ${TIMEOUT_ERROR}, updated_at = ?
      WHERE id IN (SELECT id FROM waits WHERE status = 'waiting' AND deadline <= ? ORDER BY deadline LIMIT ?)
        AND status = 'waiting'
      RETURNING *`);
    const rows = await this.db.write(() => expire.all(Date.now(), now, limit) as Row[]);
    return rows.map(toWait).sort((a, b) => a.deadline - b.deadline);
  }

  async takeDueTimers(now: number, retryMs: number, limit: number): Promise<WaitRecord[]> {
    const take = this.db.stmt(`UPDATE waits SET wake_at = ?, updated_at = ?
      WHERE id IN (SELECT id FROM waits WHERE status = 'waiting' AND wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT ?)
        AND status = 'waiting' AND wake_at <= ?
      RETURNING *`);
    const rows = await this.db.write(() => take.all(now + retryMs, Date.now(), now, limit, now) as Row[]);
    return rows.map(toWait);
  }

  async deleteWaitsBefore(before: number): Promise<number> {
    const remove = this.db.stmt(`DELETE FROM waits WHERE status <> 'waiting' AND updated_at < ?`);
    return this.db.write(() => remove.run(before).changes);
  }

  private handledStatement() {
    return this.db.stmt(`INSERT INTO wait_events (wait_id, event_id, owner, lease_expires_at, outcome, handled_at) VALUES (?, ?, '', 0, ?, ?)
      ON CONFLICT (wait_id, event_id) DO UPDATE SET outcome = excluded.outcome, handled_at = excluded.handled_at`);
  }
}
