import type pg from 'pg';
import { HookflowError } from '../../errors.js';
import { jsonParam, toSource, type Row } from '../rows.js';
import type { SourceKind, SourceRecord, SourceStore } from '../sources.js';

/**
 * Every change here is one statement: the change and the revision bump it causes travel in
 * data-modifying CTEs, so they commit together and need no transaction of their own.
 */
const BUMP_IF_CHANGED = `bumped AS (
  UPDATE meta SET value = value + 1 WHERE key = 'sources_revision' AND EXISTS (SELECT 1 FROM changed)
)`;

/**
 * $1..$6: kind, name, enabled, config (JSON text), created_at, updated_at; $7 replace. Returns a
 * row when the source was inserted or replaced, none when it exists and replace is false. A
 * replaced source keeps its created_at.
 */
const SAVE_SOURCE = `
WITH changed AS (
  INSERT INTO sources (kind, name, enabled, config, created_at, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
  ON CONFLICT (kind, name) DO UPDATE SET enabled = EXCLUDED.enabled, config = EXCLUDED.config, updated_at = EXCLUDED.updated_at
    WHERE $7::boolean
  RETURNING name
), ${BUMP_IF_CHANGED}
SELECT name FROM changed`;

/** $1 kind, $2 name, $3 enabled, $4 now. */
const SET_SOURCE_ENABLED = `
WITH changed AS (
  UPDATE sources SET enabled = $3, updated_at = $4 WHERE kind = $1 AND name = $2 RETURNING name
), ${BUMP_IF_CHANGED}
SELECT name FROM changed`;

/** $1 kind, $2 name. A schedule's claimed ticks go with it. */
const DELETE_SOURCE = `
WITH changed AS (
  DELETE FROM sources WHERE kind = $1 AND name = $2 RETURNING name
), ticks AS (
  DELETE FROM schedule_ticks WHERE $1::text = 'schedule' AND name = $2
), ${BUMP_IF_CHANGED}
SELECT name FROM changed`;

/** Webhook, schedule and watcher configurations and schedule tick claims in the PostgreSQL store. */
export class PostgresSources implements SourceStore {
  constructor(private readonly pool: pg.Pool) {}

  private async rows(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows;
  }

  async saveSource(source: SourceRecord, options: { replace: boolean }): Promise<void> {
    const saved = await this.rows({
      text: SAVE_SOURCE,
      values: [
        source.kind,
        source.name,
        source.enabled,
        jsonParam(source.config),
        source.created_at,
        source.updated_at,
        options.replace,
      ],
    });
    if (saved.length === 0) {
      throw new HookflowError('HF_ERR_CONFLICT', `a ${source.kind} named "${source.name}" already exists`, {
        hint: `choose another name, or replace the existing ${source.kind}`,
      });
    }
  }

  async getSource(kind: SourceKind, name: string): Promise<SourceRecord | null> {
    const rows = await this.rows({ text: 'SELECT * FROM sources WHERE kind = $1 AND name = $2', values: [kind, name] });
    return rows.length > 0 ? toSource(rows[0]) : null;
  }

  async listSources(kind: SourceKind): Promise<SourceRecord[]> {
    return (await this.rows({ text: 'SELECT * FROM sources WHERE kind = $1 ORDER BY name', values: [kind] })).map(toSource);
  }

  async setSourceEnabled(kind: SourceKind, name: string, enabled: boolean): Promise<boolean> {
    return (await this.rows({ text: SET_SOURCE_ENABLED, values: [kind, name, enabled, Date.now()] })).length === 1;
  }

  async deleteSource(kind: SourceKind, name: string): Promise<boolean> {
    return (await this.rows({ text: DELETE_SOURCE, values: [kind, name] })).length === 1;
  }

  async sourcesRevision(): Promise<number> {
    const rows = await this.rows({ text: `SELECT value FROM meta WHERE key = 'sources_revision'` });
    return Number(rows[0]?.value ?? 0);
  }

  async claimScheduleTick(name: string, tickAt: number, owner: string): Promise<boolean> {
    const claimed = await this.pool.query({
      text: `INSERT INTO schedule_ticks (name, tick_at, owner, claimed_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (name, tick_at) DO NOTHING`,
      values: [name, tickAt, owner, Date.now()],
    });
    return claimed.rowCount === 1;
  }

  async lastScheduleTick(name: string): Promise<number | null> {
    const rows = await this.rows({ text: 'SELECT max(tick_at) AS tick_at FROM schedule_ticks WHERE name = $1', values: [name] });
    return rows[0]?.tick_at === null || rows[0]?.tick_at === undefined ? null : Number(rows[0].tick_at);
  }

  async pruneScheduleTicks(name: string, before: number): Promise<number> {
    const pruned = await this.pool.query({
      text: `DELETE FROM schedule_ticks WHERE name = $1 AND tick_at < $2
        AND tick_at < (SELECT max(tick_at) FROM schedule_ticks WHERE name = $1)`,
      values: [name, before],
    });
    return pruned.rowCount ?? 0;
  }
}
