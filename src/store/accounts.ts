/**
 * Accounts: people (users with a password hash and a role), machines (API tokens) and the server's
 * own settings (the JWT signing secret). Only hashes and ciphertext are stored here; hashing and
 * encryption live in src/auth/.
 */

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  username: string;
  /** `scrypt$N$r$p$salt$hash` (src/auth/passwords.ts); never the password itself. */
  password_hash: string;
  role: Role;
  created_at: number;
  updated_at: number;
}

export interface ApiTokenRecord {
  /** Public part of the token (`hf_<id>_<secret>`), the lookup key. */
  id: string;
  name: string;
  role: Role;
  /** SHA-256 of the secret part, hex. */
  secret_hash: string;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface UserChanges {
  password_hash?: string;
  role?: Role;
  updated_at: number;
}

export interface AccountStore {
  /** Inserts a user; a username in use throws HF_ERR_CONFLICT. */
  createUser(user: UserRecord): Promise<void>;
  /**
   * Inserts `user` only if there is no user at all, atomically: several servers starting on one
   * empty store create one first admin between them. Returns whether this call created it.
   */
  createFirstUser(user: UserRecord): Promise<boolean>;
  getUser(username: string): Promise<UserRecord | null>;
  /** Ordered by username. */
  listUsers(): Promise<UserRecord[]>;
  updateUser(username: string, changes: UserChanges): Promise<boolean>;
  /** Deletes the user; its API tokens stay (they name their creator only for the record). */
  deleteUser(username: string): Promise<boolean>;

  /** Inserts a token; an id or a name in use throws HF_ERR_CONFLICT. */
  createToken(token: ApiTokenRecord): Promise<void>;
  getToken(id: string): Promise<ApiTokenRecord | null>;
  /** Ordered by creation, revoked ones included. */
  listTokens(): Promise<ApiTokenRecord[]>;
  /** Marks the token revoked at `at`; false when there is no such token or it was revoked already. */
  revokeToken(id: string, at: number): Promise<boolean>;

  getSetting(key: string): Promise<string | null>;
  /**
   * Stores `value` under `key` unless a value is there already, and returns the value in force:
   * servers sharing a store agree on one (the first writer's).
   */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
}
