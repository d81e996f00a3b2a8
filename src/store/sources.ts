import type { JsonObject } from '../events/model.js';

/**
 * Event sources kept in the store so every server sharing it runs the same ones: webhook
 * endpoints, cron schedules and file watchers. Their configuration is a JSON object validated by
 * src/sources/ before it is saved; the store only keeps it.
 */

export const SOURCE_KINDS = ['webhook', 'schedule', 'watcher'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface SourceRecord {
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: JsonObject;
  created_at: number;
  updated_at: number;
}

export interface SourceStore {
  /** Inserts a source; a (kind, name) in use throws HF_ERR_CONFLICT unless `replace`. */
  saveSource(source: SourceRecord, options: { replace: boolean }): Promise<void>;
  getSource(kind: SourceKind, name: string): Promise<SourceRecord | null>;
  /** Ordered by name. */
  listSources(kind: SourceKind): Promise<SourceRecord[]>;
  setSourceEnabled(kind: SourceKind, name: string, enabled: boolean): Promise<boolean>;
  /** Deletes the source and, for a schedule, its claimed ticks. */
  deleteSource(kind: SourceKind, name: string): Promise<boolean>;
  /** Changes whenever any source changes, so servers reload cheaply. */
  sourcesRevision(): Promise<number>;

  /**
   * Claims one firing of a schedule: true for exactly one caller per (schedule, tick) however
   * many servers share the store.
   */
  claimScheduleTick(name: string, tickAt: number, owner: string): Promise<boolean>;
  /** The latest claimed tick of a schedule (epoch ms), to detect ticks missed while down. */
  lastScheduleTick(name: string): Promise<number | null>;
  /**
   * Forgets a schedule's claimed ticks before `before` (epoch ms), except its latest, which
   * lastScheduleTick needs to tell missed ticks; returns how many were deleted.
   */
  pruneScheduleTicks(name: string, before: number): Promise<number>;
}
