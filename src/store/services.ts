import { HookflowError } from '../errors.js';
import type { JsonValue } from '../events/model.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { Store } from './store.js';

const KEY = /^[A-Za-z0-9_.:/-]{1,256}$/;

function checkKey(key: string, what: string): string {
  if (!KEY.test(key)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `${what} "${key}" is not valid`, {
      hint: 'use 1-256 letters, digits and _ . : / -',
    });
  }
  return key;
}

/** Key/value state shared by every hook run and process. */
export class StateService {
  constructor(private readonly store: Store) {}
  get(key: string): Promise<JsonValue | null> {
    return this.store.stateGet(checkKey(key, 'state key'));
  }
  set(key: string, value: JsonValue): Promise<void> {
    return this.store.stateSet(checkKey(key, 'state key'), value);
  }
  delete(key: string): Promise<boolean> {
    return this.store.stateDelete(checkKey(key, 'state key'));
  }
  increment(key: string, by = 1): Promise<number> {
    return this.store.stateIncrement(checkKey(key, 'state key'), by);
  }
  list(prefix?: string): Promise<Array<{ key: string; value: JsonValue; updated_at: number }>> {
    return this.store.stateList(prefix);
  }
}

/** Secrets: encrypted before they reach the store; values are only ever returned to hooks. */
export class SecretService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}
  async set(name: string, value: string): Promise<void> {
    checkKey(name, 'secret name');
    if (value.length === 0) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `secret "${name}" would be empty`, { hint: 'give a non-empty value' });
    await this.store.secretPut(name, this.box.encrypt(value));
  }
  async reveal(name: string): Promise<string | null> {
    const stored = await this.store.secretGet(name);
    return stored === null ? null : this.box.decrypt(stored, `secret "${name}"`);
  }
  list(): Promise<Array<{ name: string; created_at: number; updated_at: number }>> {
    return this.store.secretList();
  }
  delete(name: string): Promise<boolean> {
    return this.store.secretDelete(name);
  }
}
