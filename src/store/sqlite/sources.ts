import { HookflowError } from '../../errors.js';
import { toSource, type Row } from '../rows.js';
import type { SourceKind, SourceRecord, SourceStore } from '../sources.js';
import type { SqliteAccess } from './access.js';

/** Webhook, schedule and watcher configurations and schedule tick claims in the SQLite store. */
export class SqliteSources implements SourceStore {
  constructor(private readonly db: SqliteAccess) {}

  async saveSource(source: SourceRecord, options: { replace: boolean }): Promise<void> {
    const insert = this.db.stmt(`INSERT INTO sources (kind, name, enabled, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (kind, name) DO NOTHING`);
    // A replaced source keeps its created_at.
    const replace = this.db.stmt('UPDATE sources SET enabled = ?, config = ?, updated_at = ? WHERE kind = ? AND name = ?');
    const enabled = source.enabled ? 1 : 0;
    const config = JSON.stringify(source.config);
    await this.db.write(() => {
      if (insert.run(source.kind, source.name, enabled, config, source.created_at, source.updated_at).changes === 0) {
        if (!options.replace) {
          throw new HookflowError('HF_ERR_CONFLICT', `a ${source.kind} named "${source.name}" already exists`, {
            hint: `choose another name, or replace the existing ${source.kind}`,
          });
        }
        replace.run(enabled, config, source.updated_at, source.kind, source.name);
      }
      this.bumpRevision();
    });
  }

  async getSource(kind: SourceKind, name: string): Promise<SourceRecord | null> {
    const row = this.db.stmt('SELECT * FROM sources WHERE kind = ? AND name = ?').get(kind, name) as Row | undefined;
    return row ? toSource(row) : null;
  }

  async listSources(kind: SourceKind): Promise<SourceRecord[]> {
    return (this.db.stmt('SELECT * FROM sources WHERE kind = ? ORDER BY name').all(kind) as Row[]).map(toSource);
  }

  async setSourceEnabled(kind: SourceKind, name: string, enabled: boolean): Promise<boolean> {
    const update = this.db.stmt('UPDATE sources SET enabled = ?, updated_at = ? WHERE kind = ? AND name = ?');
    return this.db.write(() => {
      const changed = update.run(enabled ? 1 : 0, Date.now(), kind, name).changes === 1;
      if (changed) this.bumpRevision();
      return changed;
    });
  }

  async deleteSource(kind: SourceKind, name: string): Promise<boolean> {
    const remove = this.db.stmt('DELETE FROM sources WHERE kind = ? AND name = ?');
    const forgetTicks = this.db.stmt('DELETE FROM schedule_ticks WHERE name = ?');
    return this.db.write(() => {
      const deleted = remove.run(kind, name).changes === 1;
      if (kind === 'schedule') forgetTicks.run(name);
      if (deleted) this.bumpRevision();
      return deleted;
    });
  }

  async sourcesRevision(): Promise<number> {
    return Number((this.db.stmt(`SELECT value FROM meta WHERE key = 'sources_revision'`).get() as Row).value);
  }

  async claimScheduleTick(name: string, tickAt: number, owner: string): Promise<boolean> {
    const claim = this.db.stmt(`INSERT INTO schedule_ticks (name, tick_at, owner, claimed_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name, tick_at) DO NOTHING`);
    return this.db.write(() => claim.run(name, tickAt, owner, Date.now()).changes === 1);
  }

  async lastScheduleTick(name: string): Promise<number | null> {
    const row = this.db.stmt('SELECT MAX(tick_at) AS tick_at FROM schedule_ticks WHERE name = ?').get(name) as Row;
    return row.tick_at === null ? null : Number(row.tick_at);
  }

  async pruneScheduleTicks(name: string, before: number): Promise<number> {
    const prune = this.db.stmt(`DELETE FROM schedule_ticks WHERE name = ? AND tick_at < ?
      AND tick_at < (SELECT MAX(tick_at) FROM schedule_ticks WHERE name = ?)`);
    return this.db.write(() => prune.run(name, before, name).changes);
  }

  /** Inside the write of the change it counts. */
  private bumpRevision(): void {
    this.db.stmt(`UPDATE meta SET value = value + 1 WHERE key = 'sources_revision'`).run();
  }
}
