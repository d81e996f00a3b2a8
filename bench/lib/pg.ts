/** A throwaway PostgreSQL database per benchmark run, so runs never see each other's rows. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_BENCH_PG_URL = 'postgres://hookflow:hookflow@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  /** The server URL with this database in place of the original one. */
  url: string;
  drop(): Promise<void>;
}

/** The URL without its password, for messages. */
export function redactPgUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

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

/** Why PostgreSQL cannot be used, or null when it can (reachable, and the role may create databases). */
export async function postgresProblem(url: string): Promise<string | null> {
  try {
    return await withClient(url, async (client) => {
      const { rows } = await client.query<{ can: boolean }>('SELECT rolcreatedb OR rolsuper AS can FROM pg_roles WHERE rolname = current_user');
      return rows[0]?.can ? null : `the role in ${redactPgUrl(url)} may not create databases: run scripts/pg-setup.sh`;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    return `PostgreSQL not reachable at ${redactPgUrl(url)} (${reason}): start it with scripts/pg-setup.sh`;
  }
}

/** Creates `<prefix>_<random>` on the server of `url`. */
export async function createBenchDatabase(url: string, prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE DATABASE ${name}`));
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: databaseUrl.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withClient(url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
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
