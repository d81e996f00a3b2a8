import type { JsonObject, JsonValue } from '../events/model.js';
import type { SecretBox } from '../secrets/crypto.js';
import type { Store } from '../store/store.js';
import type { DispatchOptions, HookHost } from './model.js';

type Publish = (type: string, data: JsonObject, options: DispatchOptions) => Promise<string>;

/** The host every hook run talks to: state and secrets in the store, dispatch through the dispatcher. */
export function createHookHost(store: Store, secrets: SecretBox, publish: Publish): HookHost {
  return {
    stateGet: (key) => store.stateGet(key),
    stateSet: (key, value) => store.stateSet(key, value),
    stateDelete: (key) => store.stateDelete(key),
    stateIncrement: (key, by) => store.stateIncrement(key, by),
    async secretGet(name) {
      const stored = await store.secretGet(name);
      return stored === null ? null : secrets.decrypt(stored, `secret "${name}"`);
    },
    dispatch: publish,
  };
}

export interface DryRunRecord {
  state: Array<{ op: 'set' | 'delete' | 'increment'; key: string; value?: JsonValue }>;
  dispatched: Array<{ type: string; data: JsonObject; stack: string | null }>;
}

/**
 * The host for `hook test`: reads real state and secrets, but keeps every write in memory and
 * records dispatches instead of publishing them, so a test run records nothing.
 */
export function createDryRunHost(store: Store, secrets: SecretBox): { host: HookHost; record: DryRunRecord } {
  const overlay = new Map<string, JsonValue | null>();
  const record: DryRunRecord = { state: [], dispatched: [] };
  const read = async (key: string) => (overlay.has(key) ? (overlay.get(key) ?? null) : store.stateGet(key));
  const real = createHookHost(store, secrets, async () => '');
  const host: HookHost = {
    stateGet: read,
    async stateSet(key, value) {
      overlay.set(key, value);
      record.state.push({ op: 'set', key, value });
    },
    async stateDelete(key) {
      const existed = (await read(key)) !== null;
      overlay.set(key, null);
      record.state.push({ op: 'delete', key });
      return existed;
    },
    async stateIncrement(key, by) {
      const current = await read(key);
      const next = (typeof current === 'number' ? current : 0) + by;
      overlay.set(key, next);
      record.state.push({ op: 'increment', key, value: next });
      return next;
    },
    secretGet: real.secretGet,
    async dispatch(type, data, options) {
      record.dispatched.push({ type, data, stack: options.stack ?? null });
      return `dry-run-${record.dispatched.length}`;
    },
  };
  return { host, record };
}
