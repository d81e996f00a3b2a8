import { errors, jwtVerify, SignJWT } from 'jose';
import { HookflowError } from '../errors.js';
import { isRole, type Role } from './roles.js';

const ISSUER = 'hookflow';
const ALGORITHM = 'HS256';

export interface SessionClaims {
  username: string;
  role: Role;
  /** Issued at, epoch seconds. */
  iat: number;
}

/** Signs and checks people's session tokens (HS256 with the server's persistent secret). */
export class SessionTokens {
  constructor(
    private readonly key: Uint8Array,
    readonly ttlSeconds: number,
  ) {}

  async sign(username: string, role: Role): Promise<string> {
    return new SignJWT({ role })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(username)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /**
   * Only HS256 with our key is accepted: `alg: none`, other algorithms, forged signatures and
   * expired tokens are all refused with HF_ERR_UNAUTHORIZED.
   */
  async verify(token: string): Promise<SessionClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALGORITHM], issuer: ISSUER });
      if (typeof payload.sub !== 'string' || !isRole(payload.role) || typeof payload.iat !== 'number') {
        throw new HookflowError('HF_ERR_UNAUTHORIZED', 'the token is missing its subject or role');
      }
      return { username: payload.sub, role: payload.role, iat: payload.iat };
    } catch (error) {
      if (error instanceof HookflowError) throw error;
      const reason = error instanceof errors.JWTExpired ? 'the token has expired' : 'the token is not valid';
      throw new HookflowError('HF_ERR_UNAUTHORIZED', reason, { hint: 'sign in again (POST /auth/login or `hookflow login`)' });
    }
  }
}
