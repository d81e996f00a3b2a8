import { resolve } from 'node:path';
import { HookflowError } from '../errors.js';
import type { Store } from './store.js';

/**
 * Opens the store named by a URL: `sqlite:PATH` (or a bare path ending in .db), `postgres://…` /
 * `postgresql://…`. The PostgreSQL driver is only loaded when asked for.
 */
export async function openStore(url: string, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { PostgresStore } = await import('./postgres/index.js');
    return PostgresStore.open(url);
  }
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : url.endsWith('.db') ? url : null;
  if (path === null || path === '') {
    throw new HookflowError('HF_ERR_INVALID_STORE_URL', `store URL "${url}" is not understood`, {
      hint: 'use sqlite:PATH (e.g. sqlite:./.hookflow/hookflow.db) or postgres://user:password@host:5432/database',
    });
  }
  const { SqliteStore } = await import('./sqlite/index.js');
  const synchronous = env.HOOKFLOW_SQLITE_SYNC === 'normal' ? 'normal' : 'full';
  return SqliteStore.open(path === ':memory:' ? path : resolve(path), { synchronous });
}
