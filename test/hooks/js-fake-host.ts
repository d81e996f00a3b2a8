/** An in-memory HookHost and record builders for the JS and commands runtime tests. */
import type { EventRecord, JsonObject, JsonValue } from '../../src/events/model.js';
import { NO_RETRY, type DispatchOptions, type HookHost, type HookRecord, type HookRuntimeName } from '../../src/hooks/model.js';

export interface DispatchedEvent {
  type: string;
  data: JsonObject;
  options: DispatchOptions;
}

export class FakeHost implements HookHost {
  readonly state = new Map<string, JsonValue>();
  readonly secrets = new Map<string, string>();
  readonly dispatched: DispatchedEvent[] = [];

  async stateGet(key: string): Promise<JsonValue | null> {
    return this.state.get(key) ?? null;
  }
  async stateSet(key: string, value: JsonValue): Promise<void> {
    this.state.set(key, value);
  }
  async stateDelete(key: string): Promise<boolean> {
    return this.state.delete(key);
  }
  async stateIncrement(key: string, by: number): Promise<number> {
    const current = this.state.get(key);
    const next = (typeof current === 'number' ? current : 0) + by;
    this.state.set(key, next);
    return next;
  }
  async secretGet(name: string): Promise<string | null> {
    return this.secrets.get(name) ?? null;
  }
  async dispatch(type: string, data: JsonObject, options: DispatchOptions): Promise<string> {
    this.dispatched.push({ type, data, options });
    return `evt-${this.dispatched.length}`;
  }
}

export function makeHook(overrides: Partial<HookRecord> & { name: string; runtime: HookRuntimeName }): HookRecord {
  return {
    description: '',
    events: ['*'],
    stack: null,
    filter: null,
    source: null,
    commands: null,
    cwd: null,
    timeout_ms: 5_000,
    memory_mb: 64,
    enabled: true,
    retry: NO_RETRY,
    created_at: 0,
    updated_at: 0,
    last_run: null,
    run_count: 0,
    ...overrides,
  };
}

let eventCounter = 0;

export function makeEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  eventCounter += 1;
  return {
    id: `event-${eventCounter}`,
    type: 'task.failed',
    stack: null,
    source: 'test',
    data: {},
    status: 'processing',
    attempts: 1,
    error: null,
    created_at: 1_700_000_000_000,
    processed_at: null,
    correlation_id: null,
    idempotency_key: null,
    parent_id: null,
    ...overrides,
  };
}
