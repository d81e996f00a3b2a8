import { randomBytes } from 'node:crypto';
import { HookflowError } from '../errors.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { ApiTokenRecord, Role, UserRecord } from '../store/accounts.js';
import type { Store } from '../store/store.js';
import { looksLikeApiToken, mintToken, parseToken, secretMatches } from './api-tokens.js';
import { SessionTokens } from './jwt.js';
import { hashPassword, passwordProblem, randomPassword, verifyPassword } from './passwords.js';
import { isRole, ROLES, type Principal } from './roles.js';

export const DEFAULT_SESSION_TTL_SECONDS = 24 * 60 * 60;
const JWT_KEY_SETTING = 'auth.jwt_key';
/** How long a user or token lookup is trusted: revocation elsewhere takes effect within this. */
const CACHE_MS = 2_000;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export interface LoginResult {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  username: string;
  role: Role;
}

export interface FirstAdmin {
  username: string;
  /** Only when hookflow chose it (to print once); null when HOOKFLOW_ADMIN_PASSWORD set it. */
  password: string | null;
}

export interface UserView {
  username: string;
  role: Role;
  created_at: number;
  updated_at: number;
}

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function userView(user: UserRecord): UserView {
  return { username: user.username, role: user.role, created_at: user.created_at, updated_at: user.updated_at };
}

function tokenView(token: ApiTokenRecord): TokenView {
  const { secret_hash: _hash, ...view } = token;
  return view;
}

function unauthorized(message: string): HookflowError {
  return new HookflowError('HF_ERR_UNAUTHORIZED', message, { hint: 'sign in with POST /auth/login (or `hookflow login`) and send Authorization: Bearer TOKEN' });
}

function checkRole(role: string): Role {
  if (!isRole(role)) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `role "${role}" does not exist`, { hint: `use one of ${ROLES.join(', ')}` });
  return role;
}

function checkUsername(username: string): string {
  if (!USERNAME.test(username)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `username "${username}" is not valid`, { hint: 'use 1-64 letters, digits and _ . @ -, starting with a letter or digit' });
  }
  return username;
}

function checkPassword(password: string): string {
  const problem = passwordProblem(password);
  if (problem) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', problem, { where: 'password' });
  return password;
}

/**
 * Who may do what: users with passwords (scrypt), session JWTs, API tokens for machines, and the
 * first admin. Shared by the HTTP server and the CLI's `user`/`token` commands.
 */
export class AuthService {
  private readonly userCache = new Map<string, { user: UserRecord | null; at: number }>();
  private readonly tokenCache = new Map<string, { token: ApiTokenRecord | null; at: number }>();
  /** API tokens already checked (whole token → who), so a machine's every request is not hashed again. */
  private readonly verifiedTokens = new Map<string, { principal: Principal; at: number }>();
  /** A hash to verify against when the user does not exist, so timing does not tell. */
  private decoyHash: Promise<string> | null = null;

  private constructor(
    private readonly store: Store,
    readonly sessions: SessionTokens,
  ) {}

  static async open(store: Store, box: SecretBox, options: { sessionTtlSeconds?: number } = {}): Promise<AuthService> {
    const stored = await store.accounts.putSettingIfAbsent(JWT_KEY_SETTING, box.encrypt(randomBytes(32).toString('base64')));
    const key = Buffer.from(box.decrypt(stored, 'the session signing key'), 'base64');
    return new AuthService(store, new SessionTokens(new Uint8Array(key), options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS));
  }

  /**
   * Creates the first admin when there is no user at all: HOOKFLOW_ADMIN_PASSWORD, or a random
   * password returned once for printing. Random username with HOOKFLOW_RANDOM_USERNAME=1.
   * Returns null when users exist already.
   */
  async bootstrapAdmin(env: NodeJS.ProcessEnv): Promise<FirstAdmin | null> {
    if ((await this.store.accounts.listUsers()).length > 0) return null;
    const username = env.HOOKFLOW_RANDOM_USERNAME === '1' ? `admin_${randomBytes(4).toString('hex')}` : (env.HOOKFLOW_ADMIN_USERNAME ?? 'admin');
    const given = env.HOOKFLOW_ADMIN_PASSWORD;
    const password = given ? checkPassword(given) : randomPassword();
    const now = Date.now();
    const created = await this.store.accounts.createFirstUser({
      username: checkUsername(username),
      password_hash: await hashPassword(password),
      role: 'admin',
      created_at: now,
      updated_at: now,
    });
    if (!created) return null;
    return { username, password: given ? null : password };
  }

  /** Checks a password and signs a session. Unknown user and wrong password answer alike. */
  async login(username: string, password: string): Promise<LoginResult> {
    const user = USERNAME.test(username) ? await this.store.accounts.getUser(username) : null;
    if (!user) {
      this.decoyHash ??= hashPassword(randomPassword());
      await verifyPassword(password, await this.decoyHash);
      throw unauthorized('wrong username or password');
    }
    if (!(await verifyPassword(password, user.password_hash))) throw unauthorized('wrong username or password');
    return {
      access_token: await this.sessions.sign(user.username, user.role),
      token_type: 'bearer',
      expires_in: this.sessions.ttlSeconds,
      username: user.username,
      role: user.role,
    };
  }

  /**
   * The caller behind a bearer credential: a session JWT (its user must still exist, and must not
   * have changed password or role since it was issued) or an API token (not revoked or expired).
   */
  async authenticate(credential: string): Promise<Principal> {
    if (looksLikeApiToken(credential)) {
      const verified = this.verifiedTokens.get(credential);
      if (verified && Date.now() - verified.at < CACHE_MS) return verified.principal;
      const parts = parseToken(credential);
      const token = parts ? await this.cachedToken(parts.id) : null;
      if (!parts || !token || !secretMatches(parts.secret, token.secret_hash)) throw unauthorized('the API token is not valid');
      if (token.revoked_at !== null) throw unauthorized(`the API token "${token.name}" has been revoked`);
      if (token.expires_at !== null && token.expires_at <= Date.now()) throw unauthorized(`the API token "${token.name}" has expired`);
      const principal: Principal = { kind: 'token', name: token.name, role: token.role, tokenId: token.id };
      if (this.verifiedTokens.size > 10_000) this.verifiedTokens.clear();
      // Cached no longer than the token itself (its expiry is checked above only when not cached).
      if (token.expires_at === null || token.expires_at > Date.now() + CACHE_MS) this.verifiedTokens.set(credential, { principal, at: Date.now() });
      return principal;
    }
    const claims = await this.sessions.verify(credential);
    const user = await this.cachedUser(claims.username);
    if (!user) throw unauthorized(`user "${claims.username}" no longer exists`);
    // Second precision: a token signed in the same second as the change stays valid.
    if (Math.floor(user.updated_at / 1000) > claims.iat) throw unauthorized('the password or role changed since this token was issued');
    return { kind: 'user', name: user.username, role: user.role };
  }

  private async cachedUser(username: string): Promise<UserRecord | null> {
    const hit = this.userCache.get(username);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.user;
    const user = await this.store.accounts.getUser(username);
    this.userCache.set(username, { user, at: Date.now() });
    return user;
  }

  private async cachedToken(id: string): Promise<ApiTokenRecord | null> {
    const hit = this.tokenCache.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.token;
    const token = await this.store.accounts.getToken(id);
    if (this.tokenCache.size > 10_000) this.tokenCache.clear();
    this.tokenCache.set(id, { token, at: Date.now() });
    return token;
  }

  // ── users ─────────────────────────────────────────────────────────────────────────────────

  async addUser(username: string, password: string, role: string): Promise<UserView> {
    const now = Date.now();
    const user: UserRecord = {
      username: checkUsername(username),
      password_hash: await hashPassword(checkPassword(password)),
      role: checkRole(role),
      created_at: now,
      updated_at: now,
    };
    await this.store.accounts.createUser(user);
    return userView(user);
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.store.accounts.listUsers()).map(userView);
  }

  async getUser(username: string): Promise<UserView> {
    const user = await this.store.accounts.getUser(username);
    if (!user) throw new HookflowError('HF_ERR_NOT_FOUND', `no user "${username}"`, { hint: 'see `hookflow user list`' });
    return userView(user);
  }

  /** Removes a user; the last admin cannot be removed (nobody could manage users any more). */
  async removeUser(username: string): Promise<void> {
    const user = await this.getUser(username);
    if (user.role === 'admin') await this.keepOneAdmin(username);
    await this.store.accounts.deleteUser(username);
    this.userCache.delete(username);
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.getUser(username);
    await this.store.accounts.updateUser(username, { password_hash: await hashPassword(checkPassword(password)), updated_at: Date.now() });
    this.userCache.delete(username);
  }

  async setRole(username: string, role: string): Promise<UserView> {
    const user = await this.getUser(username);
    const next = checkRole(role);
    if (user.role === 'admin' && next !== 'admin') await this.keepOneAdmin(username);
    await this.store.accounts.updateUser(username, { role: next, updated_at: Date.now() });
    this.userCache.delete(username);
    return this.getUser(username);
  }

  private async keepOneAdmin(leaving: string): Promise<void> {
    const admins = (await this.store.accounts.listUsers()).filter((user) => user.role === 'admin' && user.username !== leaving);
    if (admins.length === 0) {
      throw new HookflowError('HF_ERR_CONFLICT', `"${leaving}" is the last admin`, { hint: 'make another user admin first' });
    }
  }

  // ── API tokens ────────────────────────────────────────────────────────────────────────────

  /** Creates a token; the returned `token` is the only time its secret is seen. */
  async createToken(name: string, role: string, createdBy: string | null, expiresInMs: number | null = null): Promise<TokenView & { token: string }> {
    if (!TOKEN_NAME.test(name)) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `token name "${name}" is not valid`, { hint: 'use 1-64 letters, digits and _ . : -' });
    }
    const minted = mintToken();
    const now = Date.now();
    const record: ApiTokenRecord = {
      id: minted.id,
      name,
      role: checkRole(role),
      secret_hash: minted.secretHash,
      created_by: createdBy,
      created_at: now,
      expires_at: expiresInMs === null ? null : now + expiresInMs,
      revoked_at: null,
    };
    await this.store.accounts.createToken(record);
    return { ...tokenView(record), token: minted.token };
  }

  async listTokens(): Promise<TokenView[]> {
    return (await this.store.accounts.listTokens()).map(tokenView);
  }

  /** Revokes by id or name. */
  async revokeToken(idOrName: string): Promise<TokenView> {
    const token = (await this.store.accounts.listTokens()).find((candidate) => candidate.id === idOrName || candidate.name === idOrName);
    if (!token) throw new HookflowError('HF_ERR_NOT_FOUND', `no API token "${idOrName}"`, { hint: 'see `hookflow token list`' });
    if (!(await this.store.accounts.revokeToken(token.id, Date.now()))) {
      throw new HookflowError('HF_ERR_CONFLICT', `API token "${token.name}" was revoked already`);
    }
    this.tokenCache.delete(token.id);
    this.verifiedTokens.clear();
    return tokenView({ ...token, revoked_at: Date.now() });
  }
}
