import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens for machines: `hf_<id>_<secret>`. The id is the lookup key (and may be shown); only
 * a SHA-256 of the secret is stored, so a copy of the store gives no usable token. The secret is
 * 192 random bits: a fast hash is enough, unlike for passwords.
 */
export interface MintedToken {
  id: string;
  /** The whole token, shown once. */
  token: string;
  secretHash: string;
}

const TOKEN = /^hf_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{32})$/;

export function mintToken(): MintedToken {
  const id = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12);
  const secret = randomBytes(24).toString('base64url');
  return { id, token: `hf_${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function looksLikeApiToken(value: string): boolean {
  return value.startsWith('hf_');
}

/** The id and secret of a well-formed token, or null. */
export function parseToken(value: string): { id: string; secret: string } | null {
  const match = TOKEN.exec(value);
  return match ? { id: match[1], secret: match[2] } : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
