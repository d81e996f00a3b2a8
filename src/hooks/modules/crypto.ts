import { createHash, createHmac, randomUUID } from 'node:crypto';

/** Hashing and encoding for hooks. Inputs are bytes (Lua strings are byte strings) or text. */
export type BytesLike = Uint8Array | string;

export function sha256Hex(data: BytesLike): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256Hex(key: BytesLike, data: BytesLike): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

export function base64Encode(data: BytesLike): string {
  return Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Standard or URL-safe alphabet, padding optional; anything else is rejected, not skipped. */
export function base64Decode(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('invalid base64 input');
  }
  return Buffer.from(compact, 'base64');
}

export function uuid(): string {
  return randomUUID();
}
