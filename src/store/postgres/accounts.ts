import type pg from 'pg';
import { HookflowError } from '../../errors.js';
import type { AccountStore, ApiTokenRecord, UserChanges, UserRecord } from '../accounts.js';
import { toToken, toUser, type Row } from '../rows.js';

/** Runs `run` in one transaction on one pooled connection (PostgresStore's). */
export type PostgresTransaction = <T>(run: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

const USER_COLUMNS = 'username, password_hash, role, created_at, updated_at';

/** Users, API tokens and settings in the PostgreSQL store. */
export class PostgresAccounts implements AccountStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly transaction: PostgresTransaction,
  ) {}

  private async rows(query: pg.QueryConfig): Promise<Row[]> {
    return (await this.pool.query<Row>(query)).rows;
  }

  private async count(query: pg.QueryConfig): Promise<number> {
    return (await this.pool.query(query)).rowCount ?? 0;
  }

  async createUser(user: UserRecord): Promise<void> {
    const inserted = await this.count({
      text: `INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING`,
      values: userValues(user),
    });
    if (inserted === 0) {
      throw new HookflowError('HF_ERR_CONFLICT', `a user named "${user.username}" already exists`, {
        hint: 'choose another username, or change the existing user instead',
      });
    }
  }

  async createFirstUser(user: UserRecord): Promise<boolean> {
    return this.transaction(async (client) => {
      // NOT EXISTS alone would let two servers both see an empty table. This lock mode conflicts
      // with itself and with every insert, so the check below runs (with a fresh snapshot, read
      // committed) only after any concurrent creator of a user has committed.
      await client.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
      const inserted = await client.query({
        text: `INSERT INTO users (${USER_COLUMNS}) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM users)`,
        values: userValues(user),
      });
      return inserted.rowCount === 1;
    });
  }

  async getUser(username: string): Promise<UserRecord | null> {
    const rows = await this.rows({ text: `SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, values: [username] });
    return rows.length > 0 ? toUser(rows[0]) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.rows({ text: `SELECT ${USER_COLUMNS} FROM users ORDER BY username` })).map(toUser);
  }

  async updateUser(username: string, changes: UserChanges): Promise<boolean> {
    const updated = await this.count({
      text: `UPDATE users SET password_hash = COALESCE($2, password_hash), role = COALESCE($3, role), updated_at = $4
        WHERE username = $1`,
      values: [username, changes.password_hash ?? null, changes.role ?? null, changes.updated_at],
    });
    return updated === 1;
  }

  async deleteUser(username: string): Promise<boolean> {
    return (await this.count({ text: 'DELETE FROM users WHERE username = $1', values: [username] })) === 1;
  }

  async createToken(token: ApiTokenRecord): Promise<void> {
    const inserted = await this.count({
      text: `INSERT INTO api_tokens (id, name, role, secret_hash, created_by, created_at, expires_at, revoked_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      values: [token.id, token.name, token.role, token.secret_hash, token.created_by, token.created_at, token.expires_at, token.revoked_at],
    });
    if (inserted === 1) return;
    const nameTaken = (await this.rows({ text: 'SELECT 1 FROM api_tokens WHERE name = $1', values: [token.name] })).length > 0;
    throw nameTaken
      ? new HookflowError('HF_ERR_CONFLICT', `an API token named "${token.name}" already exists`, {
          hint: 'choose another token name; a revoked token keeps its name',
        })
      : new HookflowError('HF_ERR_CONFLICT', `an API token with id "${token.id}" already exists`, {
          hint: 'generate a new token id',
        });
  }

  async getToken(id: string): Promise<ApiTokenRecord | null> {
    const rows = await this.rows({ text: 'SELECT * FROM api_tokens WHERE id = $1', values: [id] });
    return rows.length > 0 ? toToken(rows[0]) : null;
  }

  async listTokens(): Promise<ApiTokenRecord[]> {
    return (await this.rows({ text: 'SELECT * FROM api_tokens ORDER BY created_at, id' })).map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const revoked = await this.count({
      text: 'UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',
      values: [id, at],
    });
    return revoked === 1;
  }

  async getSetting(key: string): Promise<string | null> {
    const rows = await this.rows({ text: 'SELECT value FROM settings WHERE key = $1', values: [key] });
    return rows.length > 0 ? String(rows[0].value) : null;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    const inserted = await this.rows({
      text: 'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value',
      values: [key, value],
    });
    if (inserted.length > 0) return String(inserted[0].value);
    // The conflict waited for the first writer to commit; a new statement (new snapshot) sees its value.
    const held = await this.getSetting(key);
    if (held === null) throw new HookflowError('HF_ERR_STORE', `setting "${key}" vanished while it was being stored`);
    return held;
  }
}

function userValues(user: UserRecord): unknown[] {
  return [user.username, user.password_hash, user.role, user.created_at, user.updated_at];
}
