import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookConfig } from './config.js';

/**
 * Checks that a webhook delivery comes from whoever holds the shared secret. Pure: the caller
 * gives the raw body exactly as received (a signature is over bytes, not over parsed JSON).
 *
 * - github: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
 * - hmac: `<signature_header>: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`; a timestamp
 *   further than `tolerance_s` from now is refused, so a captured delivery cannot be replayed
 *   later. Several v1 entries may be sent (while rotating secrets): one matching is enough.
 * - bearer: `Authorization: Bearer <secret>`.
 */

export type Verdict = { ok: true } | { ok: false; reason: string };

export type RequestHeaders = Record<string, string | string[] | undefined>;

export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function hmacHex(secret: string, ...parts: Array<string | Buffer>): string {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/** Compares two hex digests in constant time for equal lengths. */
function sameHex(expected: string, given: string): boolean {
  if (!HEX_SHA256.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given.toLowerCase(), 'hex'));
}

/** Compares secrets without leaking their length or content through timing. */
function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

function single(headers: RequestHeaders, name: string): string | null | 'many' {
  const value = headers[name];
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.length === 1 ? value[0] : 'many';
  return value;
}

/** The value of `X-Hub-Signature-256` GitHub would send for this body. */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${hmacHex(secret, body)}`;
}

/** The value of the hmac scheme's header for this body, signed at `timestampS` (unix seconds). */
export function hmacSignature(secret: string, body: string | Buffer, timestampS: number): string {
  return `t=${timestampS},v1=${hmacHex(secret, `${timestampS}.`, body)}`;
}

export function verifyDelivery(config: WebhookConfig, secret: string, headers: RequestHeaders, body: Buffer, nowMs: number): Verdict {
  switch (config.verify) {
    case 'github':
      return verifyGithub(secret, headers, body);
    case 'hmac':
      return verifyHmac(secret, headers, body, nowMs, config.signature_header ?? 'x-hookflow-signature', config.tolerance_s ?? 300);
    case 'bearer':
      return verifyBearer(secret, headers);
  }
}

function verifyGithub(secret: string, headers: RequestHeaders, body: Buffer): Verdict {
  const header = single(headers, GITHUB_SIGNATURE_HEADER);
  if (header === null) return { ok: false, reason: `no ${GITHUB_SIGNATURE_HEADER} header` };
  if (header === 'many') return { ok: false, reason: `more than one ${GITHUB_SIGNATURE_HEADER} header` };
  const match = /^sha256=(.*)$/.exec(header.trim());
  if (!match) return { ok: false, reason: `${GITHUB_SIGNATURE_HEADER} is not "sha256=<hex>"` };
  return sameHex(hmacHex(secret, body), match[1]) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

function verifyHmac(secret: string, headers: RequestHeaders, body: Buffer, nowMs: number, headerName: string, toleranceS: number): Verdict {
  const header = single(headers, headerName);
  if (header === null) return { ok: false, reason: `no ${headerName} header` };
  if (header === 'many') return { ok: false, reason: `more than one ${headerName} header` };
  let timestamp: string | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't') {
      if (timestamp !== null) return { ok: false, reason: `${headerName} has more than one t=` };
      timestamp = value ?? '';
    } else if (key === 'v1' && value !== undefined) {
      signatures.push(value);
    }
  }
  if (timestamp === null || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    return { ok: false, reason: `${headerName} is not "t=<unix seconds>,v1=<hex>"` };
  }
  // The signature first: an unsigned timestamp says nothing, and a forged one must not learn the tolerance.
  const expected = hmacHex(secret, `${timestamp}.`, body);
  if (!signatures.some((signature) => sameHex(expected, signature))) return { ok: false, reason: 'signature does not match' };
  const skewS = Math.round(nowMs / 1000 - Number(timestamp));
  if (skewS > toleranceS) return { ok: false, reason: `signed ${skewS} s ago, more than the ${toleranceS} s tolerance (a replay?)` };
  if (-skewS > toleranceS) return { ok: false, reason: `signed ${-skewS} s in the future, more than the ${toleranceS} s tolerance` };
  return { ok: true };
}

function verifyBearer(secret: string, headers: RequestHeaders): Verdict {
  const header = single(headers, 'authorization');
  if (header === null) return { ok: false, reason: 'no authorization header' };
  if (header === 'many') return { ok: false, reason: 'more than one authorization header' };
  const match = /^Bearer\s+(.+?)\s*$/i.exec(header);
  if (!match) return { ok: false, reason: 'authorization is not "Bearer <secret>"' };
  return sameSecret(secret, match[1]) ? { ok: true } : { ok: false, reason: 'bearer secret does not match' };
}
