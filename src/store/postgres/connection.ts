import pg from 'pg';
import { HookflowError } from '../../errors.js';

/** Schema names are spliced into `search_path`, so only plain identifiers are accepted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const INT8_OID = 20;

/**
 * Timestamps are bigint epoch milliseconds; they fit a JS number exactly (up to 2^53), so they are
 * parsed as numbers for this pool only, leaving pg's global parsers alone for other users of `pg`.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PoolOptions {
  /** A schema of its own (created if missing), so several hookflow instances can share a database. */
  schema?: string;
  /** Connections in the pool (default 10); a subscribed store holds one more for LISTEN. */
  poolSize?: number;
}

export function validateUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new HookflowError('HF_ERR_INVALID_STORE_URL', `not a PostgreSQL URL: ${redactUrl(url)}`, {
      hint: 'use postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    });
  }
}

/**
 * Splits `?schema=NAME` off a URL, so a schema can be chosen wherever only a URL is passed
 * (HOOKFLOW_STORE, --store). The rest of the URL goes to pg unchanged.
 */
export function schemaFromUrl(url: string): { url: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, schema: undefined };
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema === undefined) return { url, schema };
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

export function validateSchema(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new HookflowError('HF_ERR_INVALID_STORE_URL', `invalid PostgreSQL schema name "${schema}"`, {
      hint: 'use lower-case letters, digits and _ (at most 63), starting with a letter or _',
    });
  }
}

/** What every connection of a store uses: the pool's clients and the dedicated LISTEN client. */
export function connectionConfig(url: string, options: PoolOptions): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    types,
    // Every connection resolves tables in the chosen schema.
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  };
}

export function createPool(url: string, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ ...connectionConfig(url, options), max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (server restart) must not crash the process: the pool
  // drops that client and the next query opens a new one.
  pool.on('error', () => {});
  return pool;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** Turns a failure while opening the store into a coded error that says where and what to check. */
export function openError(url: string, error: unknown): HookflowError {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const hint =
    code === '28P01' || code === '28000'
      ? 'check the user and password in the URL'
      : code === '3D000'
        ? 'create the database first (createdb), or name an existing one in the URL'
        : NETWORK_ERRORS.has(code) || /timeout|terminated/i.test(reason)
          ? 'check that PostgreSQL is running and accepts TCP connections at that address'
          : undefined;
  return new HookflowError('HF_ERR_STORE', `cannot open PostgreSQL store ${redactUrl(url)}: ${reason}`, {
    ...(hint ? { hint } : {}),
    cause: error,
  });
}

/** Runs an atomic statement or transaction again (up to `attempts` runs) when PostgreSQL broke a deadlock or a serialization conflict by aborting it. */
export async function retryTransient<T>(run: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
    }
  }
}

/** SQLSTATE codes of failures that a retry of the same atomic statement can get past. */
export function isTransientConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  // deadlock_detected, serialization_failure
  return error.code === '40P01' || error.code === '40001';
}
