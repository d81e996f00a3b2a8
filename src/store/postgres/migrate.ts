import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { loadMigrations, type Migration } from '../migrations.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** First key of the advisory lock that serialises migrations ("hkfl"); the second is the schema's hash. */
const MIGRATION_LOCK_KEY = 0x686b666c;

/**
 * Applies every migration not yet recorded in `hookflow_migrations`, in one transaction under an
 * advisory lock, so processes starting together neither race nor see half a schema. Returns the
 * versions it applied. `schema` must be a validated identifier (see validateSchema).
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string | null,
  migrations: readonly Migration[] = loadMigrations(MIGRATIONS_DIR),
): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK_KEY, schema ?? '']);
    // Under the lock: CREATE SCHEMA IF NOT EXISTS alone is not safe against a concurrent creator.
    if (schema) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      // The migrations name no schema: they land wherever this client's search_path points.
      await client.query(`SET LOCAL search_path TO ${schema}`);
    }
    await client.query(`CREATE TABLE IF NOT EXISTS hookflow_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at bigint NOT NULL)`);
    const done = await client.query<{ version: number }>('SELECT version FROM hookflow_migrations');
    const versions = new Set(done.rows.map((row) => Number(row.version)));
    for (const migration of migrations) {
      if (versions.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO hookflow_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
