import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HookflowError } from '../errors.js';

/**
 * Secrets are encrypted at rest with AES-256-GCM. The key comes from HOOKFLOW_SECRET_KEY (any
 * string; hashed to 32 bytes) or from HOOKFLOW_HOME/secret.key, created on first use with mode 0600.
 * Stored form: `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromEnvironment(home: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
    if (env.HOOKFLOW_SECRET_KEY) return new SecretBox(createHash('sha256').update(env.HOOKFLOW_SECRET_KEY).digest());
    const file = join(home, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      try {
        writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process created it between our check and our write: use theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      chmodSync(file, 0o600);
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) {
      throw new HookflowError('HF_ERR_SECRET_KEY', `secret key file ${file} does not hold a 32-byte base64 key`, {
        hint: 'restore the original file, or set HOOKFLOW_SECRET_KEY',
      });
    }
    return new SecretBox(key);
  }

  static fromKey(key: string): SecretBox {
    return new SecretBox(createHash('sha256').update(key).digest());
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${body.toString('base64')}`;
  }

  decrypt(stored: string, name = 'secret'): string {
    const [version, iv, tag, body] = stored.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) {
      throw new HookflowError('HF_ERR_SECRET_KEY', `${name} is not in a format this version understands`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new HookflowError('HF_ERR_SECRET_KEY', `cannot decrypt ${name}: it was stored with another secret key`, {
        hint: 'use the HOOKFLOW_SECRET_KEY or secret.key it was written with',
      });
    }
  }
}
