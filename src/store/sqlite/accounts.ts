import { HookflowError } from '../../errors.js';
import type { AccountStore, ApiTokenRecord, UserChanges, UserRecord } from '../accounts.js';
import { toToken, toUser, type Row } from '../rows.js';
import type { SqliteAccess } from './access.js';

const USER_COLUMNS = 'username, password_hash, role, created_at, updated_at';

/** Users, API tokens and settings in the SQLite store. */
export class SqliteAccounts implements AccountStore {
  constructor(private readonly db: SqliteAccess) {}

  async createUser(user: UserRecord): Promise<void> {
    const insert = this.db.stmt(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`);
    const inserted = await this.db.write(() => insert.run(userValues(user)).changes === 1);
    if (!inserted) {
      throw new HookflowError('HF_ERR_CONFLICT', `a user named "${user.username}" already exists`, {
        hint: 'choose another username, or change the existing user instead',
      });
    }
  }

  async createFirstUser(user: UserRecord): Promise<boolean> {
    // One statement in the write queue: SQLite's single writer makes the check and the insert one step.
    const insert = this.db.stmt(`INSERT INTO users (${USER_COLUMNS})
      SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)`);
    return this.db.write(() => insert.run(userValues(user)).changes === 1);
  }

  async getUser(username: string): Promise<UserRecord | null> {
    const row = this.db.stmt(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`).get(username) as Row | undefined;
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (this.db.stmt(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`).all() as Row[]).map(toUser);
  }

  async updateUser(username: string, changes: UserChanges): Promise<boolean> {
    const update = this.db.stmt(`UPDATE users SET password_hash = COALESCE(?, password_hash), role = COALESCE(?, role),
      updated_at = ? WHERE username = ?`);
    return this.db.write(
      () => update.run(changes.password_hash ?? null, changes.role ?? null, changes.updated_at, username).changes === 1,
    );
  }

  async deleteUser(username: string): Promise<boolean> {
    const remove = this.db.stmt('DELETE FROM users WHERE username = ?');
    return this.db.write(() => remove.run(username).changes === 1);
  }

  async createToken(token: ApiTokenRecord): Promise<void> {
    const insert = this.db.stmt(`INSERT INTO api_tokens (id, name, role, secret_hash, created_by, created_at, expires_at, revoked_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    const nameTaken = this.db.stmt('SELECT 1 FROM api_tokens WHERE name = ?');
    await this.db.write(() => {
      const values = [token.id, token.name, token.role, token.secret_hash, token.created_by, token.created_at, token.expires_at, token.revoked_at];
      if (insert.run(values).changes === 1) return;
      throw tokenConflict(token, nameTaken.get(token.name) !== undefined);
    });
  }

  async getToken(id: string): Promise<ApiTokenRecord | null> {
    const row = this.db.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as Row | undefined;
    return row ? toToken(row) : null;
  }

  async listTokens(): Promise<ApiTokenRecord[]> {
    return (this.db.stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as Row[]).map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const revoke = this.db.stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    return this.db.write(() => revoke.run(at, id).changes === 1);
  }

  async getSetting(key: string): Promise<string | null> {
    const row = this.db.stmt('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined;
    return row ? String(row.value) : null;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    const insert = this.db.stmt('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
    const read = this.db.stmt('SELECT value FROM settings WHERE key = ?');
    return this.db.write(() => {
      insert.run(key, value);
      return String((read.get(key) as Row).value);
    });
  }
}

function userValues(user: UserRecord): unknown[] {
  return [user.username, user.password_hash, user.role, user.created_at, user.updated_at];
}

function tokenConflict(token: ApiTokenRecord, nameTaken: boolean): HookflowError {
  return nameTaken
    ? new HookflowError('HF_ERR_CONFLICT', `an API token named "${token.name}" already exists`, {
        hint: 'choose another token name; a revoked token keeps its name',
      })
    : new HookflowError('HF_ERR_CONFLICT', `an API token with id "${token.id}" already exists`, {
        hint: 'generate a new token id',
      });
}
