/** A throwaway PostgreSQL database per benchmark run, so runs never see each other's rows. */
import pg from 'pg';

export const DEFAULT_BENCH_PG_URL = 'postgres://hookflow:hookflow@127.0.0.1:5432/postgres';

// The same scratch-database helpers the tests use: one place for how hookflow talks to a test server.
export { createTestDatabase as createBenchDatabase, postgresProblem, redactPgUrl, type TestDatabase as BenchDatabase } from '../../test/support/postgres.js';

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Lets the server settle before a PostgreSQL case, so no case pays for the previous one's dirty
 * pages and dropped database: a CHECKPOINT (the role needs pg_checkpoint; scripts/pg-setup.sh
 * grants it, and without it the pause alone has to do), then a short pause.
 */
export async function settlePostgres(url: string, pauseMs = 3000): Promise<void> {
  await withClient(url, (client) => client.query('CHECKPOINT')).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
}
