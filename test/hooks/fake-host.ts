/** An in-memory HookHost and record builders for the Lua runtime and module tests. */
import type { EventRecord, JsonObject, JsonValue } from '../../src/events/model.js';
import { NO_RETRY, type DispatchOptions, type HookHost, type HookRecord, type HookRunRequest, type HookRuntimeName } from '../../src/hooks/model.js';

export interface Dispatched {
  id: string;
  type: string;
  data: JsonObject;
  options: DispatchOptions;
}

export class FakeHost implements HookHost {
  readonly state = new Map<string, JsonValue>();
  readonly secrets = new Map<string, string>();
  readonly dispatched: Dispatched[] = [];
  /** Every call, in order (`stateGet key`, `dispatch type`…). */
  readonly calls: string[] = [];

  constructor(secrets: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(secrets)) this.secrets.set(name, value);
  }

  async stateGet(key: string): Promise<JsonValue | null> {
    this.calls.push(`stateGet ${key}`);
    return this.state.get(key) ?? null;
  }

  async stateSet(key: string, value: JsonValue): Promise<void> {
    this.calls.push(`stateSet ${key}`);
    if (value === null) this.state.delete(key);
    else this.state.set(key, value);
  }

  async stateDelete(key: string): Promise<boolean> {
    this.calls.push(`stateDelete ${key}`);
    return this.state.delete(key);
  }

  async stateIncrement(key: string, by: number): Promise<number> {
    this.calls.push(`stateIncrement ${key}`);
    const current = this.state.get(key);
    const next = (typeof current === 'number' ? current : 0) + by;
    this.state.set(key, next);
    return next;
  }

  async secretGet(name: string): Promise<string | null> {
    this.calls.push(`secretGet ${name}`);
    return this.secrets.get(name) ?? null;
  }

  async dispatch(type: string, data: JsonObject, options: DispatchOptions): Promise<string> {
    this.calls.push(`dispatch ${type}`);
    const id = `evt-${this.dispatched.length + 1}`;
    this.dispatched.push({ id, type, data, options });
    return id;
  }

  /** A dispatched event as the store would hand it to the next hook (to follow chains). */
  eventOf(dispatched: Dispatched): EventRecord {
    return makeEvent(dispatched.type, dispatched.data, {
      id: dispatched.id,
      stack: dispatched.options.stack ?? null,
      parent_id: dispatched.options.parent_id ?? null,
      source: 'hook',
    });
  }
}

let nextEvent = 1;

export function makeEvent(type: string, data: JsonObject = {}, overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: `event-${nextEvent++}`,
    type,
    stack: null,
    source: 'test',
    data,
    status: 'processing',
    attempts: 1,
    error: null,
    created_at: Date.UTC(2025, 9, 6, 14, 23, 45),
    processed_at: null,
    correlation_id: null,
    idempotency_key: null,
    parent_id: null,
    ...overrides,
  };
}

/** A hook record with test defaults (5 s timeout, 64 MiB, no retry); every runtime's tests build theirs here. */
export function makeHook(overrides: Partial<HookRecord> & { name: string; runtime: HookRuntimeName }): HookRecord {
  return {
    description: '',
    events: ['*'],
    stack: null,
    filter: null,
    source: null,
    commands: null,
    cwd: null,
    action: null,
    params: null,
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

export function makeLuaHook(name: string, source: string, overrides: Partial<HookRecord> = {}): HookRecord {
  return makeHook({ name, runtime: 'lua', source, ...overrides });
}

export function request(hook: HookRecord, event: EventRecord, signal?: AbortSignal): HookRunRequest {
  return { hook, event, attempt: 1, ...(signal ? { signal } : {}) };
}

/** Task and agent event data as Sloth Runner's agents send them. */
export const TASK_FAILED: JsonObject = {
  task: { task_name: 'deploy_app', agent_name: 'web-server-01', status: 'failed', exit_code: 1, error: 'Connection refused', duration: '2m30s' },
};

export const TASK_COMPLETED: JsonObject = {
  task: { task_name: 'build', agent_name: 'ci-02', status: 'completed', exit_code: 0, error: '', duration: '45s' },
};

export const AGENT_REGISTERED: JsonObject = {
  agent: {
    name: 'web-server-01',
    address: '192.168.1.100:50051',
    tags: ['production', 'web'],
    version: '1.0.0',
    system_info: { os: 'linux', arch: 'amd64', cpu_cores: 8, memory_gb: 16 },
  },
};
