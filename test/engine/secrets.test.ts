import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SecretBox } from '../../src/secrets/crypto.js';
import { SecretService } from '../../src/store/services.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';

describe('secrets at rest', () => {
  it('creates a 0600 key file on first use and reuses it', () => {
    const home = mkdtempSync(join(tmpdir(), 'hookflow-key-'));
    try {
      const first = SecretBox.fromEnvironment(home, {});
      const file = join(home, 'secret.key');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const key = readFileSync(file, 'utf8');
      const second = SecretBox.fromEnvironment(home, {});
      assert.equal(readFileSync(file, 'utf8'), key);
      assert.equal(second.decrypt(first.encrypt('hello')), 'hello');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('stores only ciphertext, and a wrong key is a clear error', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hookflow-secrets-'));
    const path = join(home, 'hookflow.db');
    const store = await SqliteStore.open(path);
    try {
      const service = new SecretService(store, SecretBox.fromKey('right'));
      await service.set('slack_url', 'https://hooks.example/T0/B0/very-secret-token');
      assert.equal(await service.reveal('slack_url'), 'https://hooks.example/T0/B0/very-secret-token');
      await store.close();
      assert.ok(!readFileSync(path).includes('very-secret-token'), 'the plaintext is not in the database file');
      const reopened = await SqliteStore.open(path);
      const wrong = new SecretService(reopened, SecretBox.fromKey('wrong'));
      await assert.rejects(wrong.reveal('slack_url'), { code: 'HF_ERR_SECRET_KEY', message: /another secret key/ });
      await reopened.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses an empty value and a bad name', async () => {
    const store = await SqliteStore.open(':memory:');
    const service = new SecretService(store, SecretBox.fromKey('k'));
    await assert.rejects(service.set('x', ''), { code: 'HF_ERR_INVALID_ARGUMENT' });
    await assert.rejects(service.set('bad name', 'v'), { code: 'HF_ERR_INVALID_ARGUMENT' });
    await store.close();
  });
});
