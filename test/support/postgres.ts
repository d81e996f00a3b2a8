import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { redactUrl as redactPgUrl } from '../../src/store/postgres/connection.js';

export const DEFAULT_TEST_PG_URL = 'postgres://hookflow:hookflow@127.0.0.1:5432/postgres';

/** The server tests use: HOOKFLOW_TEST_PG_URL, or the role scripts/pg-setup.sh creates. */
export function testPgUrl(): string {
  return process.env.HOOKFLOW_TEST_PG_URL || DEFAULT_TEST_PG_URL;
}

/** The URL without its password, for messages: the store's own redaction. */
export { redactUrl as redactPgUrl } from '../../src/store/postgres/connection.js';

/** Why PostgreSQL cannot be used for tests, or null when it can (connects and may create databases). */
export async function postgresProblem(url: string = testPgUrl()): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ can: boolean }>(
      'SELECT rolcreatedb OR rolsuper AS can FROM pg_roles WHERE rolname = current_user',
    );
    if (!rows[0]?.can) return `the role in ${redactPgUrl(url)} may not create databases: run scripts/pg-setup.sh`;
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    return `PostgreSQL not reachable at ${redactPgUrl(url)} (${reason}): start it with scripts/pg-setup.sh`;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestDatabase {
  name: string;
  /** The server URL with this database in place of the original one. */
  url: string;
  /** Drops the database, ending any connection still open on it. */
  drop(): Promise<void>;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates `<prefix>_<random>` (default `hookflow_test_…`) on the server; the benchmark uses it too. */
export async function createTestDatabase(url: string = testPgUrl(), prefix = 'hookflow_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: databaseUrl.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE cannot end an autovacuum worker that happens to be in the database (it runs as the
      // superuser: 42501); it is done within moments, so try again.
      for (let attempt = 1; ; attempt++) {
        try {
          await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
  };
}

/**
 * Connections of their own on `schema`, for statements a test runs without the store's retries
 * (which would hide a deadlock). The caller ends them.
 */
export async function schemaClients(url: string, schema: string, count: number): Promise<pg.Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`SET search_path TO ${schema}`);
      return client;
    }),
  );
}
